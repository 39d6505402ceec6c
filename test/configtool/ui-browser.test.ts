// `tessera config ui` in Chromium, walking step 2 of the user's document against a
// mutual-TLS Redis: open the Configuration Tool, Session tab, choose Redis, fill
// Hosts and the password, enable Use SSL, leave SSL Host empty, Test Connection
// (passes), break the SSL Host and see the diagnosis, Apply and Exit — then the
// file holds the settings with the password encrypted.
//
// The real command runs (`node bin/tessera.js config ui`, i.e. dist/: `npm test`
// builds first). With TESSERA_UPDATE_SCREENSHOTS=1, the screenshots of
// docs/configuration-tool.md are written again. Every response the browser
// receives passes through a recording proxy, so that "no secret reached the
// browser" is checked on every body, streamed ones included, read to its end.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { freshFolder } from '../config/helpers.ts';
import { launchChromium } from '../support/chromium.ts';
import { createPki, PFX_PASSWORD, type Pki } from '../support/pki.ts';
import { freePort, type RedisServer, startRedisServer } from '../support/redis-server.ts';
import { runTessera } from './run-tessera.ts';
import { RecordingProxy } from './ui-recording-proxy.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'tessera.js');
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
const UPDATE_SCREENSHOTS = process.env.TESSERA_UPDATE_SCREENSHOTS === '1';
const REDIS_PASSWORD = 'ui-redis-Secret-42';
let pki: Pki;
let redis: RedisServer;
let browser: Browser;

before(async () => {
  pki = await createPki();
  redis = await startRedisServer({
    tls: { cert: pki.server.chain, key: pki.server.key, caCert: pki.issuerBundle },
    requirepass: REDIS_PASSWORD,
  });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await redis?.stop();
});

/** This server's SERedis_* variables (step 1): the legacy RC2 .pfx, its password, storage flags, the issuer. */
function certificateVariables(): Record<string, string> {
  return {
    SERedis_ClientCertPfxPath: pki.pfx.rc2,
    SERedis_ClientCertPassword: PFX_PASSWORD,
    SERedis_IssuerCertPath: pki.issuerPem,
    SERedis_ClientCertStorageFlags: 'UserKeySet|PersistKeySet',
  };
}

interface RunningUi {
  readonly url: string;
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
}

/** Starts the installed command as an operator would, and reads the printed address. */
async function startUi(configPath: string): Promise<RunningUi> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('SERedis_') && !name.startsWith('TESSERA_'),
    ),
  );
  const child = spawn(process.execPath, [BIN, 'config', 'ui', '--config', configPath, '--no-open'], {
    cwd: ROOT,
    env: { ...inherited, ...certificateVariables() },
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>(
    (resolve) => {
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no address printed:\n${stdout}\n${stderr}`)), 15_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const found = /http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}/.exec(stdout);
      if (found) {
        clearTimeout(timer);
        resolve(found[0]);
      }
    });
    child.on('close', () => reject(new Error(`exited before printing an address:\n${stdout}\n${stderr}`)));
  });
  return { url, child, exited };
}

/**
 * Asserts that no response the browser received holds one of `secrets`, once every
 * body has been read to its end, and that the bodies matching `expected` (the page,
 * the streamed events) were among them.
 */
async function assertNoSecretSent(
  proxy: RecordingProxy,
  secrets: readonly string[],
  expected: readonly RegExp[],
): Promise<void> {
  const responses = await proxy.responses();
  for (const pattern of expected) {
    assert.ok(
      responses.some(({ exchange, body }) => pattern.test(`${exchange} ${body}`)),
      `no response matched ${pattern}:\n${responses.map((r) => r.exchange).join('\n')}`,
    );
  }
  for (const { exchange, body } of responses) {
    for (const secret of secrets) {
      assert.ok(!body.includes(secret), `a secret reached the browser in ${exchange}`);
    }
  }
}

async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  if (!UPDATE_SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, name), fullPage });
}

describe('tessera config ui in the browser', () => {
  it("walks step 2 of the user's document: Redis, Use SSL, Test Connection, Apply and Exit", async () => {
    const configPath = join(freshFolder(), 'server.json');
    const ui = await startUi(configPath);
    const proxy = await RecordingProxy.start();
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      proxy: proxy.settings,
    });
    const page = await context.newPage();
    try {
      await page.goto(ui.url);
      assert.equal(new URL(page.url()).search, '', 'the token is dropped from the address bar');
      assert.equal(await page.title(), 'Session · Tessera Configuration Tool');
      assert.equal(
        await page.getByRole('button', { name: 'Session', exact: true }).getAttribute('aria-current'),
        'page',
      );

      // The certificate variables of step 1, read by this server.
      const panel = page.locator('#certificates-body');
      await assertText(panel, /Ready: connections can present this client certificate/);
      await assertText(panel, /CN=tessera-frontend-1/);
      await assertText(panel, /legacy \(RC2-40\) fallback/);
      await assertText(panel, /17 = UserKeySet \+ PersistKeySet/);

      // 2. Select the Redis Session Provider; the Redis fields appear.
      assert.equal(await page.locator('#redis-settings').isVisible(), false);
      await page.getByRole('radio', { name: /^Redis/ }).check();
      await page.getByLabel('Hosts').fill(`localhost:${redis.tlsPort}`);
      await page.locator('#redis-settings').getByLabel('Password').fill(REDIS_PASSWORD);
      // 3. Enable Use SSL. 4. SSL Host left empty: the name comes from Hosts.
      await page.getByLabel('Use SSL', { exact: true }).check();
      assert.equal(await page.getByLabel('SSL Host').getAttribute('placeholder'), 'localhost (from Hosts)');
      await assertText(page.locator('#sslHost-hint'), /the name localhost, from Hosts, is checked/);
      await screenshot(page, 'configuration-tool-session.png');

      // 5. Test Connection: every check passes.
      await page.getByRole('button', { name: 'Test Connection' }).click();
      await assertText(page.locator('#results-summary'), /Test Connection passed: \d+ checks/);
      await assertText(page.locator('#checks'), /client certificate accepted/);
      assert.equal(await page.locator('#checks .check.is-bad').count(), 0);

      // A wrong SSL Host (Enter runs Test Connection): the name mismatch, the names offered, the fix.
      await page.getByLabel('SSL Host').fill('wrong.example');
      await page.getByLabel('SSL Host').press('Enter');
      await assertText(page.locator('#results-summary'), /Test Connection failed/);
      const failure = page.locator('#checks .check.is-bad');
      assert.equal(await failure.count(), 1);
      await assertText(failure, /TLS handshake/);
      await assertText(failure.locator('.fix'), /wrong\.example/);
      await assertText(failure.locator('.fix'), /localhost/);
      await failure.scrollIntoViewIfNeeded();
      await screenshot(page, 'configuration-tool-test-failed.png', true);
      if (UPDATE_SCREENSHOTS) {
        await page.setViewportSize({ width: 420, height: 900 });
        await screenshot(page, 'configuration-tool-narrow.png', true);
        await page.setViewportSize({ width: 1280, height: 800 });
      }

      // Clear it again, 6. Apply and Exit.
      await page.getByLabel('SSL Host').fill('');
      await page.getByRole('button', { name: 'Apply and Exit' }).click();
      await assertText(page.locator('#done-title'), /Applied/, 30_000);
      await assertText(page.locator('.done'), /Republish/);
      await assertText(page.locator('.done'), /Configuration Tool has stopped/);

      const exit = await withTimeout(ui.exited, 10_000);
      assert.equal(exit.code, 0, `exit code\n${exit.stdout}\n${exit.stderr}`);
      assert.match(exit.stdout, /Applied: revision 1 recorded in /);
      assert.match(exit.stdout, /Next: Republish in Service Center/);

      const text = readFileSync(configPath, 'utf8');
      assert.ok(!text.includes(REDIS_PASSWORD), 'the password is not stored in clear');
      const file = JSON.parse(text);
      assert.equal(file.session.provider, 'redis');
      assert.deepEqual(file.session.redis.hosts, [`localhost:${redis.tlsPort}`]);
      assert.equal(file.session.redis.useSsl, true);
      assert.equal(file.session.redis.sslHost, undefined);
      assert.match(file.session.redis.password.$encrypted, /^v1:/);
      assert.equal(file.applied.revision, 1);
      assert.equal(file.applied.serviceCenterStep, 'republish');
      assert.equal(file.applied.forced, undefined);

      const show = await runTessera(['config', 'show', '--config', configPath, '--json']);
      assert.deepEqual(JSON.parse(show.stdout).session.redis.password, { set: true, stored: 'encrypted' });
      await assertNoSecretSent(
        proxy,
        [REDIS_PASSWORD, PFX_PASSWORD],
        [
          /^GET \/ 200 <!doctype html>/,
          /^POST \/api\/test-connection 200 .*"type":"tested"/s,
          /^POST \/api\/apply 200 .*"type":"applied"/s,
        ],
      );
    } finally {
      await context.close();
      await proxy.close();
      ui.child.kill('SIGKILL');
    }
  });

  it('Platform Database tab: a SQLite file, Test Connection, Apply and Exit creates its schema', async () => {
    const folder = freshFolder();
    const configPath = join(folder, 'server.json');
    const databasePath = join(folder, 'platform-browser.db');
    const ui = await startUi(configPath);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await page.goto(ui.url);
      await page.getByRole('button', { name: 'Platform Database', exact: true }).click();
      assert.equal(await page.title(), 'Platform Database · Tessera Configuration Tool');
      await page.getByRole('radio', { name: /^SQLite/ }).check();
      assert.equal(
        await page.getByLabel('Host', { exact: true }).isVisible(),
        false,
        'the PostgreSQL fields are hidden',
      );
      await page.getByLabel(/^File/).fill(databasePath);

      await page.getByRole('button', { name: 'Test Connection' }).click();
      await assertText(page.locator('#results-summary'), /Test Connection passed: \d+ checks/);
      assert.equal(await page.locator('#checks .check.is-bad').count(), 0);
      assert.equal(existsSync(databasePath), false, 'Test Connection leaves no file behind');
      await screenshot(page, 'configuration-tool-database.png');

      await page.getByRole('button', { name: 'Apply and Exit' }).click();
      await assertText(page.locator('#done-title'), /Applied/, 30_000);
      const exit = await withTimeout(ui.exited, 10_000);
      assert.equal(exit.code, 0, `exit code\n${exit.stdout}\n${exit.stderr}`);
      const file = JSON.parse(readFileSync(configPath, 'utf8'));
      assert.deepEqual(file.platformDatabase, { provider: 'sqlite', path: databasePath });
      assert.equal(existsSync(databasePath), true, 'the schema was created');
    } finally {
      await page.close();
      ui.child.kill('SIGKILL');
    }
  });

  it('refuses Apply and Exit while the form has errors, naming the reason beside the field', async () => {
    const configPath = join(freshFolder(), 'server.json');
    const ui = await startUi(configPath);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await page.goto(ui.url);
      await page.getByRole('radio', { name: /^Redis/ }).check();
      await page.getByLabel('Hosts').fill('redis1.example.com:99999');
      await page.locator('summary', { hasText: 'Advanced options' }).click();
      await page.getByLabel('Connect timeout (ms)').fill('soon');
      await page.getByRole('button', { name: 'Apply and Exit' }).click();

      await assertText(page.locator('#form-summary'), /Not applied\. 2 fields need correcting/);
      const hosts = page.getByLabel('Hosts');
      assert.equal(await hosts.getAttribute('aria-invalid'), 'true');
      assert.match((await hosts.getAttribute('aria-describedby')) ?? '', /\bhosts-error\b/);
      await assertText(page.locator('#hosts-error'), /port "99999" must be a whole number from 1 to 65535/);
      assert.equal(await page.getByLabel('Connect timeout (ms)').getAttribute('aria-invalid'), 'true');
      await assertText(page.locator('#connectTimeoutMs-error'), /whole number of at least 1/);

      // Correcting a field clears its error.
      await hosts.fill('redis1.example.com:6380');
      assert.equal(await hosts.getAttribute('aria-invalid'), null);

      assert.equal(existsSync(configPath), false, 'nothing was written');
      ui.child.kill('SIGINT');
      const exit = await withTimeout(ui.exited, 10_000);
      assert.equal(exit.code, 130, 'Ctrl-C stops the tool without applying');
      assert.match(exit.stdout, /Stopped: nothing was applied/);
      assert.equal(existsSync(configPath), false);
    } finally {
      await page.close();
      ui.child.kill('SIGKILL');
    }
  });

  it('keeps a stored password it never shows, and applies anyway when Test Connection fails', async () => {
    const configPath = join(freshFolder(), 'server.json');
    const closedPort = await freePort();
    const saved = await runTessera([
      'config',
      'session',
      '--config',
      configPath,
      '--connection-string',
      `localhost:${closedPort},password=${REDIS_PASSWORD},ssl=true,connectTimeout=1000`,
    ]);
    assert.equal(saved.code, 0, saved.stderr);
    const ui = await startUi(configPath);
    const proxy = await RecordingProxy.start();
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      proxy: proxy.settings,
    });
    const page = await context.newPage();
    try {
      await page.goto(ui.url);
      await assertText(page.locator('#password-stored'), /A password is set/);
      assert.equal(await page.getByRole('radio', { name: /^Redis/ }).isChecked(), true);
      assert.equal(await page.getByLabel('Hosts').inputValue(), `localhost:${closedPort}`);

      await page.getByRole('button', { name: 'Apply and Exit' }).click();
      await assertText(page.locator('#outcome'), /Not applied: Test Connection failed/, 30_000);
      await assertText(page.locator('#checks .check.is-bad'), /TCP/);
      assert.equal(existsSync(configPath), true);
      assert.equal(JSON.parse(readFileSync(configPath, 'utf8')).applied, undefined, 'not applied');

      await page.getByRole('button', { name: 'Apply anyway' }).click();
      await assertText(page.locator('#done-title'), /Applied/, 30_000);
      await assertText(page.locator('.done'), /forced/);
      const exit = await withTimeout(ui.exited, 10_000);
      assert.equal(exit.code, 0, exit.stderr);

      const file = JSON.parse(readFileSync(configPath, 'utf8'));
      assert.equal(file.applied.forced, true);
      assert.match(file.session.redis.password.$encrypted, /^v1:/, 'the stored password was kept');
      await assertNoSecretSent(
        proxy,
        [REDIS_PASSWORD],
        [
          /^GET \/ 200 <!doctype html>/,
          /^POST \/api\/apply 200 .*"type":"refused"/s,
          /^POST \/api\/apply 200 .*"forced":true/s,
        ],
      );
    } finally {
      await context.close();
      await proxy.close();
      ui.child.kill('SIGKILL');
    }
  });

  it('refuses Apply and Exit when the file changed behind the page, and shows what changed', async () => {
    const configPath = join(freshFolder(), 'server.json');
    const closedPort = await freePort();
    const cli = (args: string[]) => runTessera(['config', ...args, '--config', configPath]);
    const saved = await cli([
      'session',
      '--connection-string',
      `localhost:${closedPort},password=${REDIS_PASSWORD},ssl=true,connectTimeout=1000`,
    ]);
    assert.equal(saved.code, 0, saved.stderr);
    const ui = await startUi(configPath);
    const proxy = await RecordingProxy.start();
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      proxy: proxy.settings,
    });
    const page = await context.newPage();
    try {
      await page.goto(ui.url);
      assert.equal(await page.getByLabel('ACL user').inputValue(), '');

      // Behind the page's back, the command line changes the user; the page is not edited.
      const changed = await cli(['session', '--user', 'x']);
      assert.equal(changed.code, 0, changed.stderr);
      const edited = readFileSync(configPath, 'utf8');
      await page.getByRole('button', { name: 'Apply and Exit' }).click();

      await assertText(page.locator('#outcome'), /TESSERA_CONFIG_CONCURRENT_WRITE/);
      await assertText(page.locator('#outcome'), /Reload this page/);
      await assertText(page.locator('#status'), /the file changed since this page was loaded/);
      const table = page.getByRole('table', { name: 'Changed in the file since this page was loaded' });
      const rows = await table.locator('tbody tr').allTextContents();
      assert.deepEqual(rows, ['ACL user(empty)x']);
      assert.equal(await page.locator('#checks .check').count(), 0, 'nothing was tested');
      assert.equal(readFileSync(configPath, 'utf8'), edited, 'the command line’s change is kept');

      // Still running: Ctrl-C stops it, nothing applied.
      ui.child.kill('SIGINT');
      const exit = await withTimeout(ui.exited, 10_000);
      assert.equal(exit.code, 130, exit.stderr);
      assert.equal(JSON.parse(readFileSync(configPath, 'utf8')).applied, undefined, 'not applied');
      await assertNoSecretSent(proxy, [REDIS_PASSWORD], [/^POST \/api\/apply 200 .*"type":"changed"/s]);
    } finally {
      await context.close();
      await proxy.close();
      ui.child.kill('SIGKILL');
    }
  });
});

/** Waits until the element's text matches (Test Connection streams its checks in). */
async function assertText(
  locator: ReturnType<Page['locator']>,
  pattern: RegExp,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text =
      (await locator
        .first()
        .textContent({ timeout: timeoutMs })
        .catch(() => null)) ?? '';
    if (pattern.test(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`expected ${pattern} in:\n${text}`);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref(),
    ),
  ]);
}
