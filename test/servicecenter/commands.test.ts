import assert from 'node:assert/strict';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type FarmFingerprint, formatFarmFingerprint } from '../../src/config/index.ts';
import { PlatformDatabase } from '../../src/platform/index.ts';
import { ServiceCenter } from '../../src/servicecenter/index.ts';
import { freshFolder } from '../config/helpers.ts';
import { runTessera } from '../configtool/run-tessera.ts';
import { fingerprint } from './harness.ts';

let folder: string;
let config: string;
let database: PlatformDatabase;
const ids: Record<string, number> = {};

before(async () => {
  folder = freshFolder();
  config = join(folder, 'server.json'); // not created: the defaults, SQLite beside it
  database = await PlatformDatabase.open(`sqlite:${join(folder, 'platform.db')}`);
  ids.shop = await database.factory.createModule('shop', 'Shop');
  ids.catalog = await database.factory.createModule('catalog', 'Shop');
  // Apply Settings and Republish act on published modules: each has a running version.
  for (const name of ['shop', 'catalog']) {
    const { version } = await database.factory.publishVersion(
      name,
      [Buffer.from(`package of ${name}`)],
      'test',
    );
    await database.factory.setRunningVersion(name, version);
  }
  ids.fe1 = await database.frontends.register({
    name: 'fe1',
    address: 'http://10.0.0.1:8080/',
    state: 'ready',
    settingsFingerprint: fingerprint(),
  });
  ids.fe2 = await database.frontends.register({
    name: 'fe2',
    address: 'http://10.0.0.2:8080/',
    state: 'ready',
    settingsFingerprint: formatFarmFingerprint(fingerprint({ sslHost: 'redis.internal' })),
  });
});
after(() => database?.close());

async function tessera(...args: string[]) {
  const outcome = await runTessera([...args, '--config', config]);
  return { ...outcome, json: outcome.stdout.trim().startsWith('{') ? JSON.parse(outcome.stdout) : null };
}

describe('the Service Center commands', () => {
  it('tessera solution create --all-modules, add-modules and list', async () => {
    const created = await tessera('solution', 'create', 'Everything', '--all-modules', '--json');
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual(
      created.json.modules.map((m: { name: string }) => m.name),
      ['catalog', 'shop'],
    );
    assert.equal((await tessera('solution', 'create', 'Some')).code, 0);
    const added = await tessera('solution', 'add-modules', 'Some', 'shop', '--json');
    assert.deepEqual(
      added.json.modules.map((m: { name: string }) => m.name),
      ['shop'],
    );
    const listed = await tessera('solution', 'list', '--json');
    assert.deepEqual(listed.json, {
      solutions: [
        { name: 'Everything', modules: ['catalog', 'shop'] },
        { name: 'Some', modules: ['shop'] },
      ],
    });
    const text = await tessera('solution', 'list');
    assert.equal(text.stdout, 'Everything: catalog, shop\nSome: shop\n');
    const audit = await database.users.auditLog();
    assert.match(audit.find((e) => e.action === 'solution.create')!.detail!, /^from command line on /);
  });

  it('refuses an unknown solution or module with exit 2 and a message', async () => {
    const solution = await tessera('solution', 'add-modules', 'Nope', 'shop');
    assert.equal(solution.code, 2);
    assert.match(solution.stderr, /^error \(TESSERA_PLATFORM_NOT_FOUND\): There is no solution "Nope"/);
    const module = await tessera('solution', 'add-modules', 'Some', 'ghost');
    assert.equal(module.code, 2);
    assert.match(module.stderr, /no module "ghost"/);
    const operation = await tessera('operation', 'show', 'twelve');
    assert.equal(operation.code, 2);
    assert.match(operation.stderr, /TESSERA_SERVICECENTER_INPUT/);
  });

  it('tessera frontend list --json prints the documented shape, with drift', async () => {
    const listed = await tessera('frontend', 'list', '--json');
    assert.equal(listed.code, 0);
    const print = fingerprint();
    assert.deepEqual(listed.json, {
      frontends: [
        {
          name: 'fe1',
          address: 'http://10.0.0.1:8080/',
          state: 'up',
          version: '0.1.0',
          session: {
            provider: 'redis',
            hosts: print.hosts,
            useSsl: true,
            sslHost: 'redis.example.com',
            clientCertificate: print.clientCertificate,
          },
          drift: ["fe1's SSL Host is redis.example.com, fe2's is redis.internal"],
        },
        {
          name: 'fe2',
          address: 'http://10.0.0.2:8080/',
          state: 'up',
          version: '0.1.0',
          session: {
            provider: 'redis',
            hosts: print.hosts,
            useSsl: true,
            sslHost: 'redis.internal',
            clientCertificate: print.clientCertificate,
          },
          drift: ["fe2's SSL Host is redis.internal, fe1's is redis.example.com"],
        },
      ],
      drift: true,
    });
    const text = await tessera('frontend', 'list');
    assert.match(text.stdout, /⚠ drift: fe2's SSL Host is redis.internal/);
  });

  it('tessera solution apply-settings --no-wait, a second one refused, operation show', async () => {
    const started = await tessera('solution', 'apply-settings', 'Everything', '--no-wait', '--json');
    assert.equal(started.code, 0, started.stderr);
    assert.equal(started.json.state, 'pending');
    const again = await tessera('solution', 'apply-settings', 'Everything', '--no-wait');
    assert.equal(again.code, 2);
    assert.match(
      again.stderr,
      new RegExp(`Operation ${started.json.id} \\(apply-settings\\) is still running`),
    );
    for (const frontendId of [ids.fe1!, ids.fe2!])
      for (const moduleId of [ids.shop!, ids.catalog!])
        await database.operations.report(started.json.id, { frontendId, moduleId }, 'succeeded');
    const shown = await tessera('operation', 'show', String(started.json.id), '--json');
    assert.equal(shown.code, 0);
    assert.equal(shown.json.state, 'succeeded');
    assert.equal(shown.json.steps.length, 4);
  });

  it('tessera solution republish waits for the end and exits 1 naming the front-end that failed', async () => {
    const running = tessera('solution', 'republish', 'Some', '--json');
    let id: number | undefined;
    while (id === undefined) {
      const [latest] = await database.operations.recent(1);
      if (latest?.kind === 'republish') id = latest.id;
      else await new Promise((resolve) => setImmediate(resolve));
    }
    await database.operations.report(id, { frontendId: ids.fe1!, moduleId: ids.shop! }, 'succeeded');
    await database.operations.report(
      id,
      { frontendId: ids.fe2!, moduleId: ids.shop! },
      'failed',
      'Module shop failed to load in the new workers: SyntaxError.',
    );
    const ended = await running;
    assert.equal(ended.code, 1);
    assert.equal(ended.json.state, 'failed');
    assert.deepEqual(ended.json.failures, [
      'fe2, module shop: Module shop failed to load in the new workers: SyntaxError. Correct the cause, then run Republish again (the modules that succeeded are not affected).',
    ]);
  });

  it('tessera solution apply-settings fails the steps of a front-end that stopped answering, as tessera module does', async () => {
    await database.frontends.heartbeat('fe1', 'ready', fingerprint());
    await database.frontends.heartbeat('fe2', 'ready', fingerprint({ sslHost: 'redis.internal' }));
    const running = tessera('solution', 'apply-settings', 'Some', '--json');
    let id: number | undefined;
    while (id === undefined) {
      const [latest] = await database.operations.recent(1);
      if (latest?.kind === 'apply-settings' && latest.state === 'pending') id = latest.id;
      else await new Promise((resolve) => setImmediate(resolve));
    }
    await database.operations.report(id, { frontendId: ids.fe1!, moduleId: ids.shop! }, 'succeeded');
    // fe2's last heartbeat is a minute old: it stopped answering before it did its step.
    await database.db
      .updateTable('frontends')
      .set({ last_heartbeat_at_ms: Date.now() - 60_000 })
      .where('id', '=', ids.fe2!)
      .execute();
    const ended = await running;
    assert.equal(ended.code, 1, ended.stderr);
    assert.equal(ended.json.state, 'failed');
    assert.equal(ended.json.failures.length, 1);
    assert.match(ended.json.failures[0], /^fe2, module shop: Front-end server fe2 stopped answering/);
  });

  it('tessera module apply-settings and publish go through the service layer: audited as the console does, by the OS user', async () => {
    // Up, as far as the operations service can tell (its heartbeats are old by now).
    await database.frontends.heartbeat('fe1', 'ready', fingerprint());
    await database.frontends.heartbeat('fe2', 'ready', fingerprint({ sslHost: 'redis.internal' }));
    const osUser = `${userInfo().username} (command line)`;
    const applied = await tessera('module', 'apply-settings', 'shop', '--no-wait', '--json');
    assert.equal(applied.code, 0, applied.stderr);
    assert.deepEqual(
      { kind: applied.json.kind, modules: applied.json.modules, frontends: applied.json.frontends },
      { kind: 'apply-settings', modules: ['shop'], frontends: ['fe1', 'fe2'] },
    );
    const busy = await tessera('module', 'republish', '--all');
    assert.equal(busy.code, 2, 'refused while Apply Settings runs on shop, as on a solution');
    assert.match(
      busy.stderr,
      /TESSERA_SERVICECENTER_OPERATION_RUNNING\): Operation \d+ \(apply-settings\) is still running on one of the modules "catalog", "shop"/,
    );
    for (const frontendId of [ids.fe1!, ids.fe2!])
      await database.operations.report(
        applied.json.operationId,
        { frontendId, moduleId: ids.shop! },
        'succeeded',
      );
    const operation = await database.operations.get(applied.json.operationId);
    assert.equal(operation.requestedBy, osUser);

    const published = await tessera(
      'module',
      'publish',
      join(import.meta.dirname, '../../examples/shop'),
      '--no-wait',
      '--json',
    );
    assert.equal(published.code, 0, published.stderr);
    assert.equal(published.json.module, 'shop');
    for (const frontendId of [ids.fe1!, ids.fe2!])
      await database.operations.report(
        published.json.operationId,
        { frontendId, moduleId: ids.shop! },
        'succeeded',
      );

    const entries = await database.users.auditLog(2);
    assert.deepEqual(
      entries.map((e) => [e.userName, e.action, e.target, e.detail]),
      [
        [
          osUser,
          'module.publish',
          'shop',
          `from command line on ${hostname()}; operation ${published.json.operationId}; version ${published.json.version}`,
        ],
        [
          osUser,
          'module.apply-settings',
          'shop',
          `from command line on ${hostname()}; operation ${applied.json.operationId}`,
        ],
      ],
    );
  });

  it('tessera module refuses an unknown module with exit 2, naming it', async () => {
    const unknown = await tessera('module', 'republish', 'shop', 'ghost');
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /^error \(TESSERA_SERVICECENTER_INPUT\): .*no published module is named "ghost": see tessera module list/,
    );
    const none = await tessera('module', 'apply-settings');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /name the modules, or give --all/);
  });

  it('tessera module list shows settings pending per front-end, as Factory > Modules does', async () => {
    const [shopVersion] = (await database.factory.listVersions('shop')).slice(-1);
    const deployShop = (frontendId: number, settingsRevision: number, settings?: FarmFingerprint) =>
      database.frontends.recordDeployment({
        frontendId,
        moduleId: ids.shop!,
        versionId: shopVersion!.id,
        settingsRevision,
        operationId: null,
        ...(settings === undefined ? {} : { settingsFingerprint: settings }),
      });
    // fe1's artifact comes from its configuration's revision (3); fe2's from revision 2.
    await deployShop(ids.fe1!, 3);
    await deployShop(ids.fe2!, 2);
    const listed = await tessera('module', 'list', '--json');
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(listed.json, { modules: (await new ServiceCenter({ database }).factory()).modules });
    const shop = listed.json.modules.find((m: { name: string }) => m.name === 'shop');
    assert.deepEqual(
      shop!.frontends.map((f: { frontend: string; settingsPending: boolean }) => [
        f.frontend,
        f.settingsPending,
      ]),
      [
        ['fe1', false],
        ['fe2', true],
      ],
    );
    const text = await tessera('module', 'list');
    assert.match(text.stdout, /^shop \(application Shop\): running version \d+$/m);
    assert.match(text.stdout, /^ {2}fe1: version \d+, settings revision 3$/m);
    assert.match(
      text.stdout,
      /^ {2}fe2: version \d+, settings revision 2, settings pending\n {4}Its settings come from revision 2 of fe2's server configuration, which is at revision 3 now/m,
    );
    assert.match(text.stdout, /^ {2}fe1: not deployed\n/m, 'catalog is on no front-end');

    // fe2 records the settings its artifact was written from: the difference is said in words.
    await deployShop(ids.fe2!, 2, fingerprint({ sslHost: 'redis.example.com', revision: 2 }));
    const worded = await tessera('module', 'list', '--json');
    const fe2 = worded.json.modules
      .find((m: { name: string }) => m.name === 'shop')
      .frontends.find((f: { frontend: string }) => f.frontend === 'fe2');
    assert.equal(
      fe2.difference,
      "Its settings come from revision 2 of fe2's server configuration, which is at revision 3 now (SSL Host redis.example.com → redis.internal): Apply Settings.",
    );
    await deployShop(
      ids.fe2!,
      2,
      fingerprint({
        provider: 'memory',
        hosts: [],
        useSsl: false,
        sslHost: null,
        clientCertificate: null,
        revision: 2,
      }),
    );
    const provider = await tessera('module', 'list');
    assert.match(
      provider.stdout,
      /now \(Session Provider In-memory → Redis, Hosts none → redis1\.example\.com:6380, redis2\.example\.com:6380, Use SSL off → on, SSL Host each host's own name → redis\.internal, client certificate none → CN=tessera-frontend, O=Example \(issuer CN=Example CA, expires 2027-06-30\)\): Republish \(the session provider changed\)\./,
    );
  });

  it('tessera servicecenter user add, reset-password and remove; the password is printed once, never stored', async () => {
    const added = await tessera('servicecenter', 'user', 'add', 'bob', '--role', 'viewer', '--json');
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.json.role, 'viewer');
    assert.ok((await database.users.verify('bob', added.json.password)) !== null);
    const reset = await tessera('servicecenter', 'user', 'reset-password', 'bob', '--json');
    assert.notEqual(reset.json.password, added.json.password);
    assert.equal(await database.users.verify('bob', added.json.password), null);
    assert.ok(!JSON.stringify(await database.users.auditLog(1000)).includes(reset.json.password));
    const badRole = await tessera('servicecenter', 'user', 'add', 'carol', '--role', 'root');
    assert.equal(badRole.code, 2);
    assert.match(badRole.stderr, /role: one of administrator, viewer/);
    assert.equal((await tessera('servicecenter', 'user', 'remove', 'bob')).code, 0);
    assert.equal(await database.users.findUser('bob'), null);
  });
});
