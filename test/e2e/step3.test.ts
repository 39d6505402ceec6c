// The user's document, step 3, end to end (docs/service-center.md, "Step 3, end to end"):
// a farm of two front-end processes on one PostgreSQL platform database, starting on
// the memory provider with the example module published, each switched by the
// Configuration Tool's command line to Redis over mutual TLS (step 2); the factory is
// republished from Service Center in Chromium, a session is shared by the front-ends
// through Redis; then the SSL Host changes on both and Apply Settings is clicked while
// a steady load runs across both: no failed request, no lost update, no settings
// pending. A third front-end configured differently shows as drift. With
// TESSERA_UPDATE_SCREENSHOTS=1, the screenshots of the solution details page during and
// after Apply Settings are taken again (docs/screenshots/step3-*.png).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  MODULES,
  type RunningFrontend,
  runTessera,
  serverConfiguration,
  startFrontend,
  steadyLoad,
} from '../frontend/platform-process.ts';
import { api, logIn as logInApi } from '../servicecenter/harness.ts';
import { launchChromium } from '../support/chromium.ts';
import { createTestDatabase, POSTGRES_SERVER, type TestDatabase } from '../support/postgres.ts';
import { startTlsRedis, type TlsRedisServer } from '../support/tls-redis.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
const UPDATE_SCREENSHOTS = process.env.TESSERA_UPDATE_SCREENSHOTS === '1';
const SOLUTION = 'All the factory';
// Both are names of the test PKI's Redis server certificate (test/support/pki.ts).
const FIRST_SSL_HOST = 'redis.test';
const SECOND_SSL_HOST = 'localhost';

interface FrontendJson {
  readonly name: string;
  readonly state: string;
  readonly session: { provider: string; useSsl: boolean; sslHost: string | null } | null;
  readonly drift: readonly string[];
}
interface ModuleJson {
  readonly name: string;
  readonly frontends: readonly { frontend: string; settingsPending: boolean; settingsRevision: number }[];
}

describe("the user's step 3 on a farm of two front-ends with Redis over mutual TLS", () => {
  let redis: TlsRedisServer;
  let postgres: TestDatabase;
  let database: ReturnType<typeof databaseSetting>;
  let frontends: RunningFrontend[] = [];
  let browser: Browser;
  let admin: { name: string; password: string };

  function databaseSetting(name: string) {
    return {
      provider: 'postgres',
      host: POSTGRES_SERVER.host,
      port: POSTGRES_SERVER.port,
      database: name,
      user: POSTGRES_SERVER.user,
    } as const;
  }

  /** `tessera …` on the first front-end's configuration, which must succeed. */
  async function tessera(args: readonly string[], frontend = frontends[0]!) {
    const outcome = await runTessera(frontend.configPath, args, redis.env);
    assert.equal(outcome.code, 0, `tessera ${args.join(' ')}:\n${outcome.stdout}${outcome.stderr}`);
    return outcome;
  }

  /** Step 2 on one front-end: the Session tab with `sslHost`, then Apply and Exit; its Next. */
  async function configureRedis(frontend: RunningFrontend, sslHost: string): Promise<string> {
    await tessera(
      [
        'config',
        'session',
        '--provider',
        'redis',
        '--hosts',
        `127.0.0.1:${redis.server.tlsPort}`,
        '--use-ssl',
        '--ssl-host',
        sslHost,
      ],
      frontend,
    );
    return (await tessera(['config', 'apply'], frontend)).stdout;
  }

  /** Waits until the heartbeats report what `done` looks for in `tessera frontend list --json`. */
  async function farmUntil(done: (list: readonly FrontendJson[]) => boolean): Promise<FrontendJson[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const list = JSON.parse((await tessera(['frontend', 'list', '--json'])).stdout)
        .frontends as FrontendJson[];
      if (done(list)) return list;
      if (Date.now() > deadline) throw new Error(`the farm never showed it:\n${JSON.stringify(list)}`);
      // The next heartbeat (every 2 s) is what is awaited; there is no event to await here.
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** The factory's modules as Service Center's API shows them (with settings pending per front-end). */
  async function modules(): Promise<ModuleJson[]> {
    const url = frontends[0]!.url.replace(/\/$/, '');
    const factory = await api(url, await logInApi(url, admin), 'GET', '/servicecenter/api/factory');
    assert.equal(factory.status, 200, factory.text);
    return factory.json.modules as ModuleJson[];
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    if (!UPDATE_SCREENSHOTS) return;
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true });
  }

  before(async () => {
    [redis, postgres] = await Promise.all([startTlsRedis(), createTestDatabase()]);
    database = databaseSetting(postgres.name);
    // Step 1 is done: every front-end has the SERedis_* variables; the sessions are in memory.
    frontends = await Promise.all(
      ['step3-a', 'step3-b'].map((name) =>
        startFrontend(name, serverConfiguration({ name, database, provider: 'memory' }), redis.env),
      ),
    );
    browser = await launchChromium();
    const added = await tessera([
      'servicecenter',
      'user',
      'add',
      'operator',
      '--role',
      'administrator',
      '--json',
    ]);
    admin = { name: 'operator', password: JSON.parse(added.stdout).password };
  });

  after(async () => {
    await browser?.close();
    await Promise.all(frontends.map((frontend) => frontend.stop('SIGKILL')));
    await postgres?.drop();
    await redis?.stop();
  });

  /**
   * How long an operation may take here: a Republish or Apply Settings reloads both
   * front-ends, whose workers load the modules from the TypeScript sources; with the
   * rest of the suite running beside it on two cores, that took over a minute.
   */
  const OPERATION_TIMEOUT_MS = 180_000;

  /** Waits until the operation page shows the operation ended (succeeded or failed). */
  async function operationEnded(page: Page): Promise<void> {
    await page.waitForSelector(
      'body[data-operation-state="succeeded"], body[data-operation-state="failed"]',
      { timeout: OPERATION_TIMEOUT_MS },
    );
  }

  async function logIn(page: Page): Promise<void> {
    await page.goto(`${frontends[1]!.url}servicecenter/`);
    await page.fill('#name', admin.name);
    await page.fill('#password', admin.password);
    await page.click('#login-button');
    await page.waitForURL(/\/servicecenter\/factory\/solutions$/);
  }

  it('republishes after the switch to Redis with Use SSL, and one session is shared through Redis', async () => {
    const [a, b] = frontends as [RunningFrontend, RunningFrontend];
    const published = await tessera(['module', 'publish', join(ROOT, 'examples', 'shop')]);
    assert.match(published.stdout, /^step3-a +shop@1 +ok/m);
    assert.match(published.stdout, /^step3-b +shop@1 +ok/m);
    // The steady load's module: it counts a session's visits.
    await tessera(['module', 'publish', join(MODULES, 'counter')]);

    for (const frontend of frontends) {
      const next = await configureRedis(frontend, FIRST_SSL_HOST);
      assert.match(
        next,
        /Next: Republish in Service Center\. The session provider changed \(memory → redis\)/,
      );
    }

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await logIn(page);
      await page.fill('#solution-name', SOLUTION);
      await page.check('input[name="allModules"]');
      await page.click('#new-solution');
      await page.waitForURL(/\/factory\/solutions\/All%20the%20factory$/);
      assert.deepEqual(await page.locator('#solution-modules tbody th').allTextContents(), [
        'counter',
        'shop',
      ]);
      await page.click('#republish');
      await page.waitForURL(/\/servicecenter\/operations\/\d+$/);
      const operationPage = page.url();
      // The console's session was kept by the memory provider; the workers that Republish
      // starts keep sessions in Redis: the page asks to log in again, then comes back.
      await page.waitForSelector(
        'body[data-operation-state="succeeded"], body[data-operation-state="failed"], #login-button',
        { timeout: OPERATION_TIMEOUT_MS },
      );
      if ((await page.locator('#login-button').count()) > 0) {
        await page.fill('#name', admin.name);
        await page.fill('#password', admin.password);
        await page.click('#login-button');
        await page.waitForURL(operationPage);
      }
      await operationEnded(page);
      assert.match(
        (await page.textContent('#operation-summary')) ?? '',
        /^Republish succeeded: 4 module deployments on 2 front-end servers\.$/,
      );
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }

    // A user signs in on one front-end; the other reads the session from Redis.
    const login = await fetch(new URL('/shop/login', a.url), {
      method: 'POST',
      body: new URLSearchParams({ user: 'ada' }),
      redirect: 'manual',
    });
    assert.equal(login.status, 303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    assert.match(cookie, /^tessera\.Shop\.sid=/);
    const home = await fetch(new URL('/shop/', b.url), { headers: { cookie } });
    assert.match(await home.text(), /Signed in as <b>ada<\/b>/);
    const keys = (await redis.server.cli('--scan', '--pattern', '*_Data')).split('\n').filter(Boolean);
    assert.ok(
      keys.some((key) => /^\{.+\}_Data$/.test(key)),
      `Redis holds the session's {…}_Data key: ${keys.join(', ')}`,
    );
    const farm = await farmUntil((list) => list.every((fe) => fe.session?.provider === 'redis'));
    assert.deepEqual(
      farm.map((fe) => [fe.name, fe.session?.useSsl, fe.session?.sslHost, fe.drift]),
      [
        ['step3-a', true, FIRST_SSL_HOST, []],
        ['step3-b', true, FIRST_SSL_HOST, []],
      ],
    );
  });

  it('changes the SSL Host on both and applies its settings under a steady load: no failure, nothing pending', async (t) => {
    for (const frontend of frontends) {
      const next = await configureRedis(frontend, SECOND_SSL_HOST);
      assert.match(next, /Next: Apply Settings in Service Center\./);
    }
    // The heartbeats report the new revision: Service Center shows the settings pending.
    await farmUntil((list) => list.every((fe) => fe.session?.sslHost === SECOND_SSL_HOST));
    assert.ok(
      (await modules()).some((m) => m.frontends.some((fe) => fe.settingsPending)),
      `settings pending before Apply Settings: ${JSON.stringify(await modules())}`,
    );

    const load = steadyLoad(
      frontends.map((f) => f.url),
      { users: 4, path: '/counter/', alternate: true },
    );
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    try {
      await logIn(page);
      await page.goto(`${frontends[1]!.url}servicecenter/factory/solutions/${encodeURIComponent(SOLUTION)}`);
      await page.click('#apply-settings');
      await page.waitForURL(/\/servicecenter\/operations\/\d+$/);
      await screenshot(page, 'step3-apply-settings-running.png');
      await operationEnded(page);
      assert.match(
        (await page.textContent('#operation-summary')) ?? '',
        /^Apply Settings succeeded: 4 module deployments on 2 front-end servers\.$/,
      );
      await page.goto(`${frontends[1]!.url}servicecenter/factory/solutions/${encodeURIComponent(SOLUTION)}`);
      await screenshot(page, 'step3-apply-settings-done.png');
    } finally {
      await context.close();
      await load.stop();
    }
    const report = load.report;
    t.diagnostic(`${report.requests} requests across both front-ends during Apply Settings`);
    assert.deepEqual(report.errors, []);
    assert.deepEqual(
      { failed: report.failed, dropped: report.dropped, lostUpdates: report.lostUpdates },
      { failed: 0, dropped: 0, lostUpdates: 0 },
    );
    assert.ok(report.requests > 0);
    const pending = (await modules()).flatMap((m) =>
      m.frontends.filter((fe) => fe.settingsPending).map((fe) => `${m.name} on ${fe.frontend}`),
    );
    assert.deepEqual(pending, [], 'no module left with settings pending');
  });

  it('shows a third front-end configured differently as drift', async (t) => {
    const name = 'step3-c';
    const session = {
      provider: 'redis',
      redis: { hosts: [`127.0.0.1:${redis.server.tlsPort}`], useSsl: true, sslHost: FIRST_SSL_HOST },
    };
    frontends.push(await startFrontend(name, serverConfiguration({ name, database, session }), redis.env));
    const farm = await farmUntil((list) => list.some((fe) => fe.name === name && fe.state === 'up'));
    const listed = JSON.parse((await tessera(['frontend', 'list', '--json'])).stdout);
    assert.equal(listed.drift, true);
    const third = listed.frontends.find((fe: FrontendJson) => fe.name === name) as FrontendJson;
    assert.deepEqual(third.drift, [
      `${name}'s SSL Host is ${FIRST_SSL_HOST}, the others' is ${SECOND_SSL_HOST}`,
    ]);
    assert.deepEqual(
      farm.filter((fe) => fe.name !== name).map((fe) => fe.drift),
      [[], []],
    );
    t.diagnostic(`tessera frontend list:\n${(await tessera(['frontend', 'list'])).stdout}`);
  });
});
