// The login throttle counts failed logins in the platform database: two Service
// Center instances (two front-end servers, or two workers: two processes) on one
// database share the limit, also when the attempts arrive at the same moment. On
// SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, beforeEach, describe, it } from 'node:test';
import { PlatformDatabase } from '../../src/platform/index.ts';
import { LOGIN_THROTTLE_DEFAULTS, LoginThrottle } from '../../src/servicecenter/index.ts';
import { ENGINES, type EngineTarget } from '../platform/engines.ts';

const USER = { name: 'alice', password: 'alice-password-8841' } as const;
const THROTTLED =
  /^Too many failed logins from this address or for this user: wait \d+ s before trying again\.$/;

const PROCESS = new URL('./service-center-process.ts', import.meta.url).pathname;

/**
 * One Service Center in a process of its own, as each front-end server (and each of
 * its workers) serves it: its own connection to the platform database.
 */
interface Instance {
  readonly url: string;
  close(): Promise<void>;
}

async function startInstance(databaseUrl: string, frontendName: string): Promise<Instance> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=tessera-source', PROCESS, databaseUrl, frontendName],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const exited = once(child, 'exit');
  const line = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
  if (line.done)
    throw new Error(`Service Center ${frontendName} ended before it listened (exit ${child.exitCode})`);
  const { url } = JSON.parse(line.value as string) as { url: string };
  return {
    url,
    async close() {
      child.stdin.end();
      await exited;
    },
  };
}

async function login(
  instance: Instance,
  password: string,
): Promise<{ status: number; code?: string; message?: string }> {
  const response = await fetch(`${instance.url}/servicecenter/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: USER.name, password }),
  });
  const body = (await response.json()) as { code?: string; message?: string };
  return { status: response.status, ...body };
}

for (const engine of ENGINES) {
  describe(`the login throttle: ${engine.name}`, () => {
    let target: EngineTarget;
    let database: PlatformDatabase;
    before(async () => {
      target = await engine.start();
      database = await PlatformDatabase.open(target.url);
      await database.users.createUser(USER.name, USER.password, 'administrator');
    });
    after(async () => {
      await database?.close();
      await target?.stop();
    });

    it('lets five failures through, then doubles the wait after each further one', async () => {
      const throttle = new LoginThrottle(database.loginFailures);
      const keys = ['ip:10.0.0.9', 'user:mallory'];
      const t0 = 1_000_000;
      for (let i = 0; i < 5; i++) assert.equal(await throttle.attempt(keys, t0 + i), 0);
      assert.equal(await throttle.attempt(keys, t0 + 4), 1_000, 'the sixth waits 1 s after the fifth');
      assert.equal(await throttle.attempt(keys, t0 + 1_004), 0, 'then goes on (and counts)');
      assert.equal(await throttle.attempt(keys, t0 + 1_004), 2_000, 'the seventh waits 2 s');
      assert.equal(
        await throttle.attempt(['ip:10.0.0.10', 'user:mallory'], t0 + 1_005),
        1_999,
        'per user name',
      );
      await throttle.succeeded(keys);
      assert.equal(await throttle.attempt(keys, t0 + 1_006), 0);
    });

    it('counts from one again after the window, and forgets failures older than it', async () => {
      const throttle = new LoginThrottle(database.loginFailures);
      const keys = ['ip:10.0.0.11'];
      const t0 = 5_000_000;
      for (let i = 0; i < 6; i++) await throttle.attempt(keys, t0 + i * 60_000);
      const later = t0 + 5 * 60_000 + LOGIN_THROTTLE_DEFAULTS.windowMs + 1;
      assert.equal(await throttle.attempt(keys, later), 0);
      const rows = await database.db.selectFrom('login_failures').selectAll().execute();
      assert.deepEqual(
        rows.map((row) => [row.subject, row.failures]),
        [['ip:10.0.0.11', 1]],
        'the first test’s subjects, older than the window, are gone',
      );
    });

    it('keeps a very long user name as its hash', async () => {
      const throttle = new LoginThrottle(database.loginFailures);
      const long = `user:${'x'.repeat(5_000)}`;
      assert.equal(await throttle.attempt([long], Date.now()), 0);
      const subjects = (await database.db.selectFrom('login_failures').select('subject').execute()).map(
        (row) => row.subject,
      );
      assert.ok(subjects.some((subject) => /^sha256:[0-9a-f]{64}$/.test(subject)));
      assert.ok(!subjects.includes(long));
    });

    describe('two Service Center instances on one database', () => {
      let a: Instance;
      let b: Instance;
      before(async () => {
        [a, b] = await Promise.all([startInstance(target.url, 'fe1'), startInstance(target.url, 'fe2')]);
      });
      after(async () => {
        await Promise.all([a?.close(), b?.close()]);
      });
      beforeEach(async () => {
        await database.db.deleteFrom('login_failures').execute();
      });

      it('share the limit: five failures spread over both, then both refuse, even the right password', async () => {
        for (const [i, instance] of [a, b, a, b, a].entries()) {
          const failed = await login(instance, `wrong-${i}`);
          assert.equal(failed.status, 401, `attempt ${i + 1}`);
          assert.equal(failed.code, 'TESSERA_SERVICECENTER_LOGIN_FAILED');
        }
        for (const instance of [b, a]) {
          const refused = await login(instance, USER.password);
          assert.equal(refused.status, 429);
          assert.equal(refused.code, 'TESSERA_SERVICECENTER_LOGIN_THROTTLED');
          assert.match(refused.message!, THROTTLED);
        }
        // What an operator sees on the login page of the other front-end.
        const page = await fetch(`${b.url}/servicecenter/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
          body: new URLSearchParams({ name: USER.name, password: USER.password }).toString(),
          redirect: 'manual',
        });
        assert.equal(page.status, 429);
        assert.match(
          await page.text(),
          /id="login-error">Too many failed logins from this address or for this user: wait \d+ s/,
        );
        const audit = await database.users.auditLog();
        assert.equal(audit.filter((entry) => entry.action === 'login.failed').length >= 5, true);
      });

      it('let exactly five of twelve simultaneous wrong passwords be checked, whichever instance they reach', async () => {
        const answers = await Promise.all(
          Array.from({ length: 12 }, (_, i) => login(i % 2 === 0 ? a : b, `wrong-${i}`)),
        );
        const statuses = answers.map((answer) => answer.status).sort();
        assert.deepEqual(statuses, [...Array(5).fill(401), ...Array(7).fill(429)]);
      });

      it('forget the failures at a successful login on either instance', async () => {
        for (const instance of [a, b, a, b]) assert.equal((await login(instance, 'wrong')).status, 401);
        assert.equal((await login(b, USER.password)).status, 200);
        for (const instance of [a, b, a, b, a]) assert.equal((await login(instance, 'wrong')).status, 401);
        assert.equal((await login(b, 'wrong')).status, 429);
      });
    });
  });
}
