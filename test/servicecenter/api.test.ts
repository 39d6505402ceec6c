import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN, api, type Harness, logIn, type SignedIn, startHarness, VIEWER } from './harness.ts';

let harness: Harness;
let admin: SignedIn;
let viewer: SignedIn;
before(async () => {
  harness = await startHarness();
  admin = await logIn(harness.url, ADMIN);
  viewer = await logIn(harness.url, VIEWER);
});
after(() => harness?.close());

describe('the Service Center API', () => {
  it('creates a solution with all modules, lists it, and records who did it and from where', async () => {
    const created = await api(harness.url, admin, 'POST', '/servicecenter/api/solutions', {
      name: 'Everything',
      allModules: true,
    });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(
      (created.json.modules as { name: string }[]).map((m) => m.name),
      ['catalog', 'shop'],
    );
    const list = await api(harness.url, admin, 'GET', '/servicecenter/api/solutions');
    assert.deepEqual(list.json.solutions, [{ name: 'Everything', modules: ['catalog', 'shop'] }]);
    const audit = await api(harness.url, admin, 'GET', '/servicecenter/api/audit');
    const entry = (audit.json.entries as { action: string; user: string; detail: string }[]).find(
      (e) => e.action === 'solution.create',
    );
    assert.equal(entry?.user, ADMIN.name);
    assert.match(entry?.detail ?? '', /^from 127\.0\.0\.1; modules: catalog, shop$/);
  });

  it('adds, removes and associates all modules; renames and deletes', async () => {
    await api(harness.url, admin, 'POST', '/servicecenter/api/solutions', { name: 'Partial' });
    let answer = await api(harness.url, admin, 'POST', '/servicecenter/api/solutions/Partial/modules', {
      modules: ['shop'],
    });
    assert.deepEqual(
      (answer.json.modules as { name: string }[]).map((m) => m.name),
      ['shop'],
    );
    answer = await api(harness.url, admin, 'POST', '/servicecenter/api/solutions/Partial/modules/remove', {
      modules: ['shop'],
    });
    assert.deepEqual(answer.json.modules, []);
    answer = await api(
      harness.url,
      admin,
      'POST',
      '/servicecenter/api/solutions/Partial/associate-all-modules',
    );
    assert.deepEqual(
      (answer.json.modules as { name: string }[]).map((m) => m.name),
      ['catalog', 'shop'],
    );
    answer = await api(harness.url, admin, 'PATCH', '/servicecenter/api/solutions/Partial', {
      name: 'Renamed one',
    });
    assert.equal(answer.json.name, 'Renamed one');
    answer = await api(
      harness.url,
      admin,
      'DELETE',
      `/servicecenter/api/solutions/${encodeURIComponent('Renamed one')}`,
    );
    assert.equal(answer.status, 204);
  });

  it('answers 404 with a message for an unknown solution, module or operation', async () => {
    const solution = await api(harness.url, admin, 'GET', '/servicecenter/api/solutions/Nope');
    assert.equal(solution.status, 404);
    assert.equal(solution.json.code, 'TESSERA_PLATFORM_NOT_FOUND');
    assert.match(String(solution.json.message), /no solution "Nope"/);
    const module = await api(harness.url, admin, 'POST', '/servicecenter/api/solutions/Everything/modules', {
      modules: ['ghost'],
    });
    assert.equal(module.status, 404);
    assert.match(String(module.json.message), /no module "ghost"/);
    const operation = await api(harness.url, admin, 'GET', '/servicecenter/api/operations/999');
    assert.equal(operation.status, 404);
    assert.match(String(operation.json.message), /no operation "999"/);
  });

  it('answers 400 naming the field for a malformed body', async () => {
    const noName = await api(harness.url, admin, 'POST', '/servicecenter/api/solutions', { name: '' });
    assert.equal(noName.status, 400);
    assert.equal(noName.json.field, 'name');
    const badModules = await api(
      harness.url,
      admin,
      'POST',
      '/servicecenter/api/solutions/Everything/modules',
      {
        modules: 12,
      },
    );
    assert.equal(badModules.status, 400);
    assert.equal(badModules.json.field, 'modules');
    const notJson = await api(harness.url, admin, 'POST', '/servicecenter/api/solutions', '{"name":');
    assert.equal(notJson.status, 400);
    assert.equal(notJson.json.field, 'body');
    const badId = await api(harness.url, admin, 'GET', '/servicecenter/api/operations/abc');
    assert.equal(badId.status, 400);
    assert.equal(badId.json.field, 'id');
  });

  it('refuses a second Apply Settings while one runs, naming the running operation', async () => {
    const first = await api(
      harness.url,
      admin,
      'POST',
      '/servicecenter/api/solutions/Everything/apply-settings',
    );
    assert.equal(first.status, 202, first.text);
    assert.equal(first.json.state, 'pending');
    assert.equal((first.json.steps as unknown[]).length, 4); // 2 front-ends x 2 modules
    const second = await api(
      harness.url,
      admin,
      'POST',
      '/servicecenter/api/solutions/Everything/apply-settings',
    );
    assert.equal(second.status, 409);
    assert.equal(second.json.code, 'TESSERA_SERVICECENTER_OPERATION_RUNNING');
    assert.equal(second.json.operationId, first.json.id);
    assert.match(String(second.json.message), new RegExp(`Operation ${first.json.id} `));
    // The front-ends carry it out; once it ends, the next one may start.
    const { fe1, fe2, shop, catalog } = harness.ids;
    for (const frontendId of [fe1, fe2])
      for (const moduleId of [shop, catalog])
        await harness.database.operations.report(
          Number(first.json.id),
          { frontendId, moduleId },
          'succeeded',
        );
    const shown = await api(harness.url, admin, 'GET', `/servicecenter/api/operations/${first.json.id}`);
    assert.equal(shown.json.state, 'succeeded');
    const again = await api(harness.url, admin, 'POST', '/servicecenter/api/solutions/Everything/republish');
    assert.equal(again.status, 202);
    for (const frontendId of [fe1, fe2])
      await harness.database.operations.report(
        Number(again.json.id),
        { frontendId, moduleId: shop },
        'failed',
        'Module shop failed to load: boom.',
      );
  });

  it('follows an operation with server-sent events until it ends', async () => {
    const started = await api(
      harness.url,
      admin,
      'POST',
      '/servicecenter/api/solutions/Everything/apply-settings',
    );
    assert.equal(started.status, 409); // the republish above still has catalog pending
    const id = Number(started.json.operationId);
    const response = await fetch(`${harness.url}/servicecenter/api/operations/${id}/events`, {
      headers: { cookie: admin.cookie },
    });
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const { fe1, fe2, catalog } = harness.ids;
    for (const frontendId of [fe1, fe2])
      await harness.database.operations.report(id, { frontendId, moduleId: catalog }, 'succeeded');
    const text = await response.text(); // ends when the operation does
    const events = text.split('\n\n').filter((e) => e.startsWith('event: operation'));
    const last = JSON.parse(events.at(-1)!.split('data: ')[1]!) as { state: string; failures: string[] };
    assert.equal(last.state, 'failed');
    assert.match(
      last.failures[0]!,
      /^fe1, module shop: Module shop failed to load: boom\. Correct the cause/,
    );
  });

  it('lets a viewer see everything and change nothing', async () => {
    const list = await api(harness.url, viewer, 'GET', '/servicecenter/api/solutions');
    assert.equal(list.status, 200);
    for (const [method, path, body] of [
      ['POST', '/servicecenter/api/solutions', { name: 'Viewer made' }],
      ['POST', '/servicecenter/api/solutions/Everything/apply-settings', undefined],
      ['POST', '/servicecenter/api/solutions/Everything/republish', undefined],
      ['DELETE', '/servicecenter/api/solutions/Everything', undefined],
      ['PATCH', '/servicecenter/api/solutions/Everything', { name: 'x' }],
    ] as const) {
      const answer = await api(harness.url, viewer, method, path, body);
      assert.equal(answer.status, 403, `${method} ${path}`);
      assert.equal(answer.json.code, 'TESSERA_SERVICECENTER_FORBIDDEN');
    }
    assert.equal(
      (await api(harness.url, admin, 'GET', '/servicecenter/api/solutions/Everything')).status,
      200,
    );
  });

  it('refuses a change without the CSRF token, or from another site', async () => {
    const noToken = await api(
      harness.url,
      { cookie: admin.cookie, csrf: '' },
      'POST',
      '/servicecenter/api/solutions',
      {
        name: 'No token',
      },
    );
    assert.equal(noToken.status, 403);
    assert.equal(noToken.json.code, 'TESSERA_SERVICECENTER_CSRF');
    const response = await fetch(`${harness.url}/servicecenter/api/solutions`, {
      method: 'POST',
      headers: {
        cookie: admin.cookie,
        'x-tessera-csrf': admin.csrf,
        'content-type': 'application/json',
        origin: 'https://evil.example',
      },
      body: JSON.stringify({ name: 'Cross site' }),
    });
    assert.equal(response.status, 403);
  });

  it('lists the front-end servers in the documented shape, with drift explained', async () => {
    const answer = await api(harness.url, viewer, 'GET', '/servicecenter/api/frontends');
    assert.equal(answer.json.drift, true);
    const frontends = answer.json.frontends as { name: string; drift: string[]; session: unknown }[];
    assert.deepEqual(Object.keys(frontends[0]!), ['name', 'address', 'state', 'version', 'session', 'drift']);
    assert.deepEqual(
      frontends.map((fe) => fe.drift),
      [
        ["fe1's SSL Host is redis.example.com, fe2's is redis.internal"],
        ["fe2's SSL Host is redis.internal, fe1's is redis.example.com"],
      ],
    );
  });

  it('shows settings pending with the difference in the factory', async () => {
    const factory = await api(harness.url, viewer, 'GET', '/servicecenter/api/factory');
    const shop = (
      factory.json.modules as {
        name: string;
        frontends: { frontend: string; settingsPending: boolean; difference: string | null }[];
      }[]
    ).find((m) => m.name === 'shop')!;
    assert.deepEqual(
      shop.frontends.map((fe) => [fe.frontend, fe.settingsPending]),
      [
        ['fe1', false],
        ['fe2', true],
      ],
    );
    assert.match(
      shop.frontends[1]!.difference!,
      /revision 2 of fe2's server configuration, which is at revision 3 now/,
    );
  });

  it('slows repeated failed logins down', async () => {
    const attempt = () =>
      fetch(`${harness.url}/servicecenter/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'mallory', password: 'wrong-password-123' }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await attempt()).status);
    assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
    assert.ok(statuses.slice(5).includes(429), `statuses ${statuses}`);
  });

  it('renders every page for an administrator and a viewer, with no password in them', async () => {
    const pages = harness.listener.routes.filter(
      (r) => r.method === 'GET' && !r.api && !r.url.endsWith('/events'),
    );
    for (const who of [admin, viewer])
      for (const route of pages) {
        const path = route.url.replace(':name', 'Everything').replace(':id', '1');
        const response = await fetch(`${harness.url}${path}`, {
          headers: { cookie: who.cookie },
          redirect: 'manual',
        });
        const text = await response.text();
        assert.ok([200, 303].includes(response.status), `${path}: ${response.status} ${text.slice(0, 300)}`);
        for (const secret of [ADMIN.password, VIEWER.password]) assert.ok(!text.includes(secret), path);
      }
  });

  it('writes no password or secret into answers, logs or the audit log', async () => {
    const everything = [
      ...(await Promise.all(
        [
          '/servicecenter/api/factory',
          '/servicecenter/api/frontends',
          '/servicecenter/api/audit',
          '/servicecenter/api/operations',
        ].map(async (path) => (await api(harness.url, admin, 'GET', path)).text),
      )),
      harness.logs.join('\n'),
      JSON.stringify(await harness.database.users.auditLog(1000)),
    ].join('\n');
    for (const secret of [ADMIN.password, VIEWER.password, 'wrong-password-123', admin.csrf])
      assert.ok(!everything.includes(secret), `a secret appears: ${secret.slice(0, 4)}…`);
    assert.ok(!everything.includes(admin.cookie.split('=')[1]!), 'the session id appears');
  });

  it('refuses Apply Settings when no front-end server is up, saying what to do', async () => {
    for (const name of ['fe1', 'fe2']) await harness.database.frontends.heartbeat(name, 'stopped', '{}');
    const answer = await api(
      harness.url,
      admin,
      'POST',
      '/servicecenter/api/solutions/Everything/apply-settings',
    );
    assert.equal(answer.status, 409);
    assert.equal(answer.json.code, 'TESSERA_SERVICECENTER_NO_FRONTEND');
    assert.match(String(answer.json.message), /start one \(tessera start\)/);
  });
});
