// The HTTP server of `tessera config ui`, in-process on a real port: only the
// browser that opened the printed URL gets in (token, cookie, Host header, CSRF
// header), the stored password never leaves the server, and a bad form is
// answered with field errors while the file stays as it was.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  CONFIG_VERSION,
  type ConfigLocation,
  readConfiguration,
  redisSettingsFromConnectionString,
  resolveConfigLocation,
  saveConfiguration,
} from '../../src/config/index.ts';
import { REMEMBERED_PAGES } from '../../src/configtool/ui/page-loads.ts';
import { freshFolder, freshLocation } from '../config/helpers.ts';
import { freePort } from '../support/redis-server.ts';
import { runTessera } from './run-tessera.ts';
import {
  databaseForm,
  eventsOf,
  openPage,
  postApply,
  postJson,
  reloadPage,
  send,
  sessionForm,
  startUiServer,
} from './ui-http.ts';

const PASSWORD = 'stored-Redis-pass"<&>';

async function withStoredPassword(extra = ''): Promise<ConfigLocation> {
  const location = freshLocation();
  const loaded = await readConfiguration(location);
  const redis = redisSettingsFromConnectionString(
    `redis1.example.com:6380,password="${PASSWORD.replaceAll('"', '""')}",ssl=true${extra}`,
  );
  await saveConfiguration(loaded, { version: CONFIG_VERSION, session: { provider: 'redis', redis } });
  return location;
}

describe('tessera config ui: access', () => {
  it('prints a URL on 127.0.0.1 with a one-time token of 32 random bytes', async () => {
    const server = await startUiServer();
    const url = new URL(server.url);
    assert.equal(url.hostname, '127.0.0.1');
    assert.equal(Number(url.port), server.port);
    assert.match(url.searchParams.get('token') ?? '', /^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses a request without the token with a 403 page that says to open the printed address', async () => {
    const server = await startUiServer();
    const answer = await send(server);
    assert.equal(answer.status, 403);
    assert.match(answer.body, /Open the address printed by <code>tessera config ui<\/code>/);
    assert.doesNotMatch(answer.body, /csrf-token/);
  });

  it('refuses a wrong token, and the right one once it is spent', async () => {
    const server = await startUiServer();
    const wrong = await send(server, { path: '/?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    assert.equal(wrong.status, 403);
    assert.match(wrong.body, /not the one printed/);
    assert.equal(wrong.headers['set-cookie'], undefined);
    const path = new URL(server.url).pathname + new URL(server.url).search;
    assert.equal((await send(server, { path })).status, 303);
    const again = await send(server, { path });
    assert.equal(again.status, 403);
    assert.match(again.body, /already used/);
  });

  it('exchanges the token for an HttpOnly, SameSite=Strict cookie and drops it from the address', async () => {
    const server = await startUiServer();
    const exchange = await send(server, { path: new URL(server.url).pathname + new URL(server.url).search });
    assert.equal(exchange.status, 303);
    assert.equal(exchange.headers.location, '/');
    const cookie = String(exchange.headers['set-cookie']);
    assert.match(
      cookie,
      new RegExp(`^tessera_config_tool_${server.port}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict$`),
    );
    const page = await send(server, { headers: { cookie: cookie.split(';')[0]! } });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-security-policy']), /script-src 'nonce-[^']+'/);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.match(page.body, /<h2 id="session-title">Session<\/h2>/);
  });

  it('refuses any Host but 127.0.0.1:PORT and localhost:PORT (DNS rebinding)', async () => {
    const server = await startUiServer();
    const browser = await openPage(server);
    for (const host of [
      'evil.example',
      `evil.example:${server.port}`,
      '127.0.0.1',
      `127.0.0.1:${server.port + 1}`,
    ]) {
      const page = await send(server, { headers: { host, cookie: browser.cookie } });
      assert.equal(page.status, 403, host);
      assert.equal(page.body, 'Host not allowed.\n');
      const api = await postJson(server, browser, '/api/validate', sessionForm(), { host });
      assert.equal(api.status, 403, host);
    }
    const local = await send(server, {
      headers: { host: `localhost:${server.port}`, cookie: browser.cookie },
    });
    assert.equal(local.status, 200);
  });

  it('refuses API requests without the session cookie, without the CSRF header, or from another origin', async () => {
    const server = await startUiServer();
    const browser = await openPage(server);
    const noCookie = await send(server, {
      method: 'POST',
      path: '/api/validate',
      headers: { 'x-tessera-csrf': browser.csrf, 'content-type': 'application/json' },
      body: JSON.stringify(sessionForm()),
    });
    assert.equal(noCookie.status, 403);
    const noCsrf = await send(server, {
      method: 'POST',
      path: '/api/apply',
      headers: { cookie: browser.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ form: sessionForm({ provider: 'memory' }) }),
    });
    assert.equal(noCsrf.status, 403);
    assert.match(JSON.parse(noCsrf.body).message, /CSRF/);
    const wrongCsrf = await postJson(server, browser, '/api/validate', sessionForm(), {
      'x-tessera-csrf': 'x'.repeat(43),
    });
    assert.equal(wrongCsrf.status, 403);
    const otherOrigin = await postJson(server, browser, '/api/validate', sessionForm(), {
      origin: 'http://evil.example',
    });
    assert.equal(otherOrigin.status, 403);
    const crossSite = await postJson(server, browser, '/api/validate', sessionForm(), {
      'sec-fetch-site': 'cross-site',
    });
    assert.equal(crossSite.status, 403);
    const certificates = await send(server, {
      path: '/api/certificates',
      headers: { cookie: browser.cookie },
    });
    assert.equal(certificates.status, 403, 'JSON reads need the CSRF header too');
    const good = await postJson(server, browser, '/api/validate', sessionForm(), {
      origin: `http://127.0.0.1:${server.port}`,
      'sec-fetch-site': 'same-origin',
    });
    assert.equal(good.status, 200);
    assert.deepEqual(JSON.parse(good.body), { errors: [] });
  });

  it('refuses a form that is not sent as JSON', async () => {
    const server = await startUiServer();
    const browser = await openPage(server);
    const answer = await send(server, {
      method: 'POST',
      path: '/api/apply',
      headers: { cookie: browser.cookie, 'x-tessera-csrf': browser.csrf, 'content-type': 'text/plain' },
      body: 'provider=memory',
    });
    assert.equal(answer.status, 415);
  });
});

describe('tessera config ui: the password', () => {
  it('never sends the stored password back: the page only says that one is set', async () => {
    const location = await withStoredPassword();
    const server = await startUiServer(location);
    const browser = await openPage(server);
    assert.match(browser.page.body, /A password is set/);
    assert.match(browser.page.body, /id="password"[^>]*type="password"/);
    const answers = [
      browser.page,
      await postJson(server, browser, '/api/validate', sessionForm()),
      await postJson(server, browser, '/api/validate', sessionForm({ hosts: 'bad host:0' })),
      await send(server, {
        path: '/api/certificates',
        headers: { cookie: browser.cookie, 'x-tessera-csrf': browser.csrf },
      }),
    ];
    for (const answer of answers) {
      assert.ok(!answer.body.includes('stored-Redis-pass'), `the password was sent:\n${answer.body}`);
      assert.ok(!answer.body.includes('$encrypted'));
    }
  });

  it('tests with the stored password when the field is untouched, and never echoes it', async () => {
    const location = await withStoredPassword();
    const server = await startUiServer(location);
    const browser = await openPage(server);
    const answer = await postJson(
      server,
      browser,
      '/api/test-connection',
      sessionForm({ hosts: 'localhost:1' }),
    );
    assert.equal(answer.status, 200);
    assert.match(String(answer.headers['content-type']), /^application\/x-ndjson/);
    const events = answer.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.equal(events[0].type, 'check');
    assert.equal(events[0].check.name, 'connection string');
    assert.match(
      events[0].check.detail,
      /password=\*\*\*\*\*/,
      'the stored password is in the tested settings',
    );
    assert.equal(events.at(-1).type, 'tested');
    assert.ok(!answer.body.includes('stored-Redis-pass'));
  });
});

describe('tessera config ui: bad input', () => {
  it('answers a bad form with 400 and an error for each field, and leaves the file untouched', async () => {
    const location = await withStoredPassword();
    const before = readFileSync(location.path);
    const server = await startUiServer(location);
    const browser = await openPage(server);
    const bad = sessionForm({
      hosts: 'redis1.example.com:6380, redis2:99999',
      sslHost: 'not a name',
      password: { action: 'replace', value: '' },
      advanced: { connectTimeoutMs: '0', abortConnect: 'maybe' },
    });
    for (const answer of [
      await postApply(server, browser, bad),
      await postJson(server, browser, '/api/test-connection', bad),
    ]) {
      assert.equal(answer.status, 400);
      const { errors, message } = JSON.parse(answer.body) as {
        errors: { field: string; message: string }[];
        message: string;
      };
      assert.match(message, /fields need correcting/);
      const byField = Object.fromEntries(errors.map((e) => [e.field, e.message]));
      assert.match(byField.hosts!, /redis2:99999.*port "99999"/);
      assert.match(byField.password!, /Enter the new password/);
      assert.match(byField.connectTimeoutMs!, /at least 1/);
      assert.match(byField.abortConnect!, /true, false/);
    }
    // SSL Host is checked by the config layer's own rules once the rest is right.
    const sslHost = await postApply(server, browser, sessionForm({ sslHost: 'not a name' }));
    assert.equal(sslHost.status, 400);
    assert.equal(JSON.parse(sslHost.body).errors[0].field, 'sslHost');
    const malformed = await postApply(server, browser, { provider: 'redis', hosts: 42 });
    assert.equal(malformed.status, 400);
    assert.match(JSON.parse(malformed.body).message, /does not hold the Session form/);
    const provider = await postApply(server, browser, sessionForm({ provider: 'mongodb' }));
    assert.equal(JSON.parse(provider.body).errors[0].field, 'provider');
    assert.deepEqual(readFileSync(location.path), before, 'the file is left as it was');
  });

  it('escapes every value it shows', async () => {
    const location = await withStoredPassword(',name=<img/src=x>');
    const server = await startUiServer(location);
    const browser = await openPage(server);
    assert.ok(!browser.page.body.includes('<img/src=x>'));
    assert.match(browser.page.body, /value="&lt;img\/src=x&gt;"/);
  });
});

describe('tessera config ui: Apply and Exit', () => {
  it('applies, says what to do next, and stops', async () => {
    const location = freshLocation();
    const server = await startUiServer(location);
    const browser = await openPage(server);
    const answer = await postApply(server, browser, sessionForm({ provider: 'memory' }));
    assert.equal(answer.status, 200);
    // The platform database (the default SQLite file) is checked and created first.
    const [tested, applied, ...rest] = eventsOf(answer).filter((event) => event.type !== 'check');
    assert.deepEqual(rest, [], answer.body);
    assert.equal(tested?.type, 'tested');
    assert.equal(tested?.ok, true);
    assert.equal(applied?.type, 'applied');
    assert.equal(applied?.revision, 1);
    assert.match(String(applied?.nextSteps), /Nothing to do in Service Center/);
    assert.equal(await server.stopped, 'applied');
    const file = JSON.parse(readFileSync(location.path, 'utf8'));
    assert.equal(file.session.provider, 'memory');
    assert.equal(file.applied.revision, 1);
  });

  it('refuses to overwrite a change made by someone else since the page read the file', async () => {
    const location = await withStoredPassword();
    const server = await startUiServer(location);
    const browser = await openPage(server);
    const edited = readFileSync(location.path, 'utf8').replace('redis1.example.com', 'redis9.example.com');
    writeFileSync(location.path, edited);
    const answer = await postApply(server, browser, sessionForm({ provider: 'memory' }));
    const events = answer.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.equal(events.at(-1).type, 'error');
    assert.equal(events.at(-1).code, 'TESSERA_CONFIG_CONCURRENT_WRITE');
    assert.equal(readFileSync(location.path, 'utf8'), edited, 'their change is kept');
    const still = await postJson(server, browser, '/api/validate', sessionForm());
    assert.equal(still.status, 200, 'the tool keeps running');
  });

  it('refuses an unedited Apply and Exit after `tessera config session` changed the file, and says what changed', async () => {
    // Applied (forced: nothing listens on the port), then the page is opened.
    const configPath = join(freshFolder(), 'server.json');
    const port = await freePort();
    const cli = (args: string[]) => runTessera(['config', ...args, '--config', configPath]);
    assert.equal(
      (
        await cli([
          'session',
          '--connection-string',
          `localhost:${port},password=${PASSWORD.replaceAll('"', '')}`,
        ])
      ).code,
      0,
    );
    const forced = await cli(['apply', '--force']);
    assert.match(
      forced.stdout,
      /Applied: revision 1 .*\(forced\)/,
      'applied, forced: nothing listens on the port',
    );
    const location = resolveConfigLocation({ path: configPath, env: {} });
    const server = await startUiServer(location);
    const browser = await openPage(server);
    const pageForm = sessionForm({ hosts: `localhost:${port}`, useSsl: false });

    // Behind the page's back, the command line changes the user.
    const changed = await cli(['session', '--user', 'x']);
    assert.equal(changed.code, 0, changed.stderr);
    const edited = readFileSync(configPath, 'utf8');

    // Apply and Exit without editing (Apply anyway, as after a failed Test Connection).
    const answer = await postApply(server, browser, pageForm, { force: true });
    assert.equal(answer.status, 200);
    const events = eventsOf(answer);
    assert.ok(!events.some((event) => event.type === 'applied'), `nothing is applied: ${answer.body}`);
    assert.deepEqual(events.at(-2), {
      type: 'changed',
      changes: [{ field: 'user', before: '(empty)', now: 'x' }],
    });
    assert.equal(events.at(-1)!.type, 'error');
    assert.equal(events.at(-1)!.code, 'TESSERA_CONFIG_CONCURRENT_WRITE');
    assert.equal(readFileSync(configPath, 'utf8'), edited, 'the command line’s change is kept');
    assert.ok(!answer.body.includes('stored-Redis-pass'));

    // The tool keeps running; the page reloaded shows the change and can apply it.
    const reloaded = await reloadPage(server, browser.cookie);
    assert.match(reloaded.page.body, /id="user"[^>]*value="x"/);
    const applied = await postApply(server, reloaded, { ...pageForm, user: 'x' }, { force: true });
    const last = eventsOf(applied).at(-1)!;
    assert.equal(last.type, 'applied', applied.body);
    assert.equal(last.alreadyApplied, false, 'the new user is applied, not reported as applied already');
    assert.equal(JSON.parse(readFileSync(configPath, 'utf8')).applied.revision, 2);
    assert.equal(await server.stopped, 'applied');
  });

  it('checks each page against the file it showed: a page loaded before a change is refused, a later one applies', async () => {
    const location = freshLocation();
    const server = await startUiServer(location);
    const before = await openPage(server);
    // Another program creates the file (memory → redis, a password), then the page is loaded again (another tab).
    await saveConfiguration(await readConfiguration(location), {
      version: CONFIG_VERSION,
      session: {
        provider: 'redis',
        redis: redisSettingsFromConnectionString(`redis9.example.com:6380,password=pw-${PASSWORD},user=ops`),
      },
    });
    const after = await reloadPage(server, before.cookie);
    const stale = await postApply(server, before, sessionForm({ provider: 'memory' }));
    const events = eventsOf(stale);
    assert.equal(events.at(-1)!.code, 'TESSERA_CONFIG_CONCURRENT_WRITE', stale.body);
    assert.deepEqual(events.at(-2)!.changes, [
      { field: 'provider', before: 'In-memory', now: 'Redis' },
      { field: 'hosts', before: '(empty)', now: 'redis9.example.com:6380' },
      { field: 'password', before: 'not set', now: 'set' },
      { field: 'user', before: '(empty)', now: 'ops' },
    ]);
    assert.ok(!stale.body.includes(PASSWORD), 'the password is only "set"');
    assert.equal(JSON.parse(readFileSync(location.path, 'utf8')).session.provider, 'redis');

    const fresh = await postApply(server, after, sessionForm({ provider: 'memory' }));
    assert.equal(eventsOf(fresh).at(-1)!.type, 'applied', fresh.body);
    const file = JSON.parse(readFileSync(location.path, 'utf8'));
    assert.equal(file.session.provider, 'memory');
    assert.equal(file.session.redis.user, 'ops', 'the Redis settings it did not show are kept');
  });

  it('shows a password replaced behind the page only as set, never its value', async () => {
    const location = await withStoredPassword();
    const server = await startUiServer(location);
    const browser = await openPage(server);
    const loaded = await readConfiguration(location);
    const redis = redisSettingsFromConnectionString(
      'redis1.example.com:6380,password=Replaced-pw-31,ssl=true',
    );
    await saveConfiguration(loaded, { version: CONFIG_VERSION, session: { provider: 'redis', redis } });
    const answer = await postApply(server, browser, sessionForm({ provider: 'memory' }));
    assert.deepEqual(eventsOf(answer).at(-2), {
      type: 'changed',
      changes: [{ field: 'password', before: 'set', now: 'set (another one)' }],
    });
    assert.ok(!answer.body.includes('Replaced-pw-31') && !answer.body.includes('stored-Redis-pass'));
  });

  it('tells a page older than the pages it remembers to reload', async () => {
    const server = await startUiServer();
    const first = await openPage(server);
    for (let i = 0; i < REMEMBERED_PAGES; i++) await reloadPage(server, first.cookie);
    const answer = await postApply(server, first, sessionForm({ provider: 'memory' }));
    assert.equal(answer.status, 409);
    assert.match(JSON.parse(answer.body).message, /reload it/);
  });

  it('says when the changed file cannot be read, and when the page is no longer known', async () => {
    const location = await withStoredPassword();
    const server = await startUiServer(location);
    const browser = await openPage(server);
    writeFileSync(location.path, '{ "version": 1, ');
    const answer = await postApply(server, browser, sessionForm({ provider: 'memory' }));
    const events = eventsOf(answer);
    assert.deepEqual(events.at(-2), { type: 'changed', changes: null });
    assert.equal(events.at(-1)!.code, 'TESSERA_CONFIG_CONCURRENT_WRITE');
    assert.equal(readFileSync(location.path, 'utf8'), '{ "version": 1, ');

    const unknown = await postApply(server, { ...browser, pageId: 'A'.repeat(43) }, sessionForm());
    assert.equal(unknown.status, 409);
    assert.match(JSON.parse(unknown.body).message, /reload it/);
  });
});

describe('tessera config ui: the Platform Database tab', () => {
  const PG_PASSWORD = 'db-Pass"<&>word';

  it('tests a SQLite file: every check passes, and the file is left as it was', async () => {
    const folder = freshFolder();
    const server = await startUiServer();
    const browser = await openPage(server);
    const path = join(folder, 'tessera.db');
    const answer = await postJson(server, browser, '/api/database/test-connection', databaseForm({ path }));
    assert.equal(answer.status, 200, answer.body);
    assert.match(String(answer.headers['content-type']), /application\/x-ndjson/);
    const events = eventsOf(answer);
    const checks = events
      .filter((event) => event.type === 'check')
      .map((event) => event.check as { ok: boolean });
    assert.ok(checks.length >= 3, answer.body);
    assert.ok(
      checks.every((check) => check.ok),
      answer.body,
    );
    assert.deepEqual(events.at(-1), {
      type: 'tested',
      ok: true,
      total: checks.length,
      failed: 0,
      failure: null,
    });
  });

  it('reports the failing check for a PostgreSQL port with nothing listening, and never echoes the password', async () => {
    const server = await startUiServer();
    const browser = await openPage(server);
    const port = await freePort();
    const form = databaseForm({
      provider: 'postgres',
      host: '127.0.0.1',
      port: String(port),
      database: 'tessera',
      user: 'tessera',
      password: { action: 'replace', value: PG_PASSWORD },
    });
    const answer = await postJson(server, browser, '/api/database/test-connection', form);
    assert.equal(answer.status, 200, answer.body);
    const events = eventsOf(answer);
    const failed = events
      .filter((event) => event.type === 'check')
      .map((event) => event.check as { ok: boolean; detail: string })
      .filter((check) => !check.ok);
    assert.equal(failed.length, 1, answer.body);
    assert.match(failed[0]!.detail, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.deepEqual(events.at(-1), {
      type: 'tested',
      ok: false,
      total: events.length - 1,
      failed: 1,
      failure: 'check',
    });
    assert.ok(
      !answer.body.includes(PG_PASSWORD) && !answer.body.includes('db-Pass'),
      'the password is never sent back',
    );
  });

  it('answers a bad form with an error for each field of the tab', async () => {
    const server = await startUiServer();
    const browser = await openPage(server);
    const form = databaseForm({ provider: 'postgres', host: 'db:5432', port: 'x', database: '', user: 'u' });
    const answer = await postJson(server, browser, '/api/database/validate', form);
    assert.equal(answer.status, 200);
    const fields = (JSON.parse(answer.body) as { errors: { field: string }[] }).errors.map(
      (error) => error.field,
    );
    assert.deepEqual(fields.sort(), ['dbDatabase', 'dbHost', 'dbPort']);
    const relative = await postJson(
      server,
      browser,
      '/api/database/test-connection',
      databaseForm({ path: 'x.db' }),
    );
    assert.equal(relative.status, 400);
    assert.equal((JSON.parse(relative.body) as { errors: { field: string }[] }).errors[0]?.field, 'dbPath');
  });

  it('refuses Apply and Exit with the reason when the database cannot be used, and saves nothing', async () => {
    const location = freshLocation();
    const server = await startUiServer(location);
    const browser = await openPage(server);
    const port = await freePort();
    const database = databaseForm({
      provider: 'postgres',
      host: '127.0.0.1',
      port: String(port),
      database: 'tessera',
      user: 'tessera',
      password: { action: 'replace', value: PG_PASSWORD },
    });
    const answer = await postApply(server, browser, sessionForm({ provider: 'memory' }), { database });
    assert.equal(answer.status, 200, answer.body);
    const events = eventsOf(answer);
    const error = events.at(-1) as { type: string; code?: string; message: string };
    assert.equal(error.type, 'error', answer.body);
    assert.match(error.code ?? '', /^TESSERA_PLATFORM_/);
    assert.match(error.message, /Not applied: the platform database cannot be used/);
    assert.ok(!events.some((event) => event.type === 'applied'));
    assert.ok(
      !answer.body.includes(PG_PASSWORD) && !answer.body.includes('db-Pass'),
      'the password is never sent back',
    );
    assert.equal((await readConfiguration(location)).exists, false, 'nothing is saved');
    // The tool is still there: the operator corrects the settings and tries again.
    assert.equal((await postJson(server, browser, '/api/database/validate', databaseForm())).status, 200);
  });

  it('applies a SQLite file: the schema is created and the setting saved', async () => {
    const location = freshLocation();
    const path = join(freshFolder(), 'platform-ui.db');
    const server = await startUiServer(location);
    const browser = await openPage(server);
    const answer = await postApply(server, browser, sessionForm({ provider: 'memory' }), {
      database: databaseForm({ path }),
    });
    const events = eventsOf(answer);
    assert.equal(events.at(-1)?.type, 'applied', answer.body);
    assert.equal(await server.stopped, 'applied');
    const file = JSON.parse(readFileSync(location.path, 'utf8'));
    assert.deepEqual(file.platformDatabase, { provider: 'sqlite', path });
    const again = await runTessera(['config', 'test-connection', '--database', '--config', location.path]);
    assert.match(again.stdout, /current|up to date/i, again.stdout + again.stderr);
  });
});
