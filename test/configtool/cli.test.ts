// The user's document, step 2, from the command line: the real `tessera` binary
// against a mutual-TLS Redis, with this server's SERedis_* variables. The
// password goes in on standard input and never comes out: not in the file, not
// in any output.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readConfiguration, resolveConfigLocation } from '../../src/config/index.ts';
import { freshFolder } from '../config/helpers.ts';
import { createPki, PFX_PASSWORD, type Pki } from '../support/pki.ts';
import { type RedisServer, startRedisServer } from '../support/redis-server.ts';
import { type Outcome, spawnTessera } from './run-tessera.ts';

const REDIS_PASSWORD = 'redis "pass", with comma=1';

let pki: Pki;
let redis: RedisServer;

before(async () => {
  pki = await createPki();
  redis = await startRedisServer({
    tls: { cert: pki.server.chain, key: pki.server.key, caCert: pki.issuerBundle },
    requirepass: REDIS_PASSWORD,
  });
});

after(async () => {
  await redis?.stop();
});

function frontEndEnv(configPath: string): Record<string, string> {
  return {
    TESSERA_CONFIG: configPath,
    SERedis_ClientCertPfxPath: pki.pfx.rc2,
    SERedis_ClientCertPassword: PFX_PASSWORD,
    SERedis_IssuerCertPath: pki.issuerDer,
  };
}

function assertNoSecret(outcome: Outcome): void {
  for (const secret of [REDIS_PASSWORD, PFX_PASSWORD, 'redis "pass"']) {
    assert.ok(
      !outcome.stdout.includes(secret) && !outcome.stderr.includes(secret),
      `a secret was printed:\n${outcome.stdout}\n${outcome.stderr}`,
    );
  }
}

async function tessera(args: string[], env: Record<string, string>, input?: string): Promise<Outcome> {
  const outcome = await spawnTessera(args, { env, ...(input !== undefined ? { input } : {}) });
  assertNoSecret(outcome);
  return outcome;
}

describe("step 2 of the user's document from the command line, against a mutual-TLS Redis", () => {
  const path = join(freshFolder(), 'tessera', 'server.json');
  const env = () => frontEndEnv(path);

  it('selects Redis, Hosts, password (stdin) and Use SSL, leaving SSL Host empty', async () => {
    const outcome = await tessera(
      [
        'config',
        'session',
        '--provider',
        'redis',
        '--hosts',
        `localhost:${redis.tlsPort}`,
        '--use-ssl',
        '--password-stdin',
      ],
      env(),
      `${REDIS_PASSWORD}\n`,
    );
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.match(outcome.stdout, /SSL Host +\(empty: each host's own name is checked: localhost\)/);
    const text = readFileSync(path, 'utf8');
    assert.ok(!text.includes('redis "pass"') && !text.includes('with comma'), text);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(path, '..', 'private.key')).mode & 0o777, 0o600);
  });

  it('shows the settings with the password redacted', async () => {
    const outcome = await tessera(['config', 'show'], env());
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.match(outcome.stdout, /\(from TESSERA_CONFIG\)/);
    assert.match(outcome.stdout, /Password +set \(encrypted\)/);
    assert.match(outcome.stdout, /Applied +never/);
  });

  it('applies: Test Connection passes, the revision is recorded, and Republish is next (Redis is new)', async () => {
    const outcome = await tessera(['config', 'apply'], env());
    assert.equal(outcome.code, 0, `${outcome.stdout}\n${outcome.stderr}`);
    assert.match(outcome.stdout, /Test Connection passed/);
    assert.match(outcome.stdout, /Applied: revision 1 recorded/);
    assert.match(
      outcome.stdout,
      /Republish in Service Center\. The session provider changed \(memory → redis\)/,
    );
    const applied = JSON.parse(readFileSync(path, 'utf8')).applied;
    assert.equal(applied.revision, 1);
    assert.equal(applied.provider, 'redis');
    assert.equal(applied.forced, undefined);
  });

  it('refuses to apply a broken SSL Host (exit 1), with the diagnosis, and leaves the applied revision', async () => {
    const set = await tessera(['config', 'session', '--ssl-host', 'wrong.example'], env());
    assert.equal(set.code, 0, set.stderr);
    const before = readFileSync(path);
    const outcome = await tessera(['config', 'apply'], env());
    assert.equal(outcome.code, 1, `${outcome.stdout}\n${outcome.stderr}`);
    assert.match(outcome.stdout, /Test Connection failed/);
    assert.match(outcome.stdout, /wrong\.example/);
    assert.match(outcome.stderr, /Not applied/);
    assert.deepEqual(readFileSync(path), before);
  });

  it('applies a correct SSL Host with Apply Settings next (Redis was already the provider)', async () => {
    assert.equal((await tessera(['config', 'session', '--ssl-host', 'redis.test'], env())).code, 0);
    const outcome = await tessera(['config', 'apply'], env());
    assert.equal(outcome.code, 0, `${outcome.stdout}\n${outcome.stderr}`);
    assert.match(outcome.stdout, /Applied: revision 2/);
    assert.match(outcome.stdout, /Apply Settings in Service Center/);
    assert.match(outcome.stdout, /Factory > Solutions/);
    assert.match(outcome.stdout, /click Apply Settings/);
    assert.match(
      outcome.stdout,
      /Or, from a shell on any front-end server: tessera module apply-settings --all/,
    );
  });

  it('refuses a malformed host from the real binary with exit 2', async () => {
    const before = readFileSync(path);
    const outcome = await tessera(['config', 'session', '--hosts', 'localhost:70000'], env());
    assert.equal(outcome.code, 2);
    assert.match(outcome.stderr, /"localhost:70000" is not host:port/);
    assert.deepEqual(readFileSync(path), before);
  });

  it('refuses an empty password on standard input with exit 2', async () => {
    const before = readFileSync(path);
    const outcome = await tessera(['config', 'session', '--password-stdin'], env(), '');
    assert.equal(outcome.code, 2);
    assert.match(outcome.stderr, /No password was read from standard input/);
    assert.deepEqual(readFileSync(path), before);
  });

  it('imports a connection string from standard input', async () => {
    const text = `localhost:${redis.tlsPort},password="${REDIS_PASSWORD.replaceAll('"', '""')}",ssl=true,sslHost=redis.test`;
    const outcome = await tessera(['config', 'session', '--connection-string-stdin'], env(), `${text}\n`);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.match(outcome.stdout, /SSL Host +redis\.test/);
    const apply = await tessera(['config', 'apply'], env());
    assert.equal(apply.code, 0, `${apply.stdout}\n${apply.stderr}`);
    assert.match(apply.stdout, /Already applied: revision 2/);
  });

  it('tests the configured settings with `tessera config test-connection` alone', async () => {
    const outcome = await tessera(['config', 'test-connection'], env());
    assert.equal(outcome.code, 0, `${outcome.stdout}\n${outcome.stderr}`);
    assert.match(outcome.stdout, /Test Connection passed/);
    const memory = join(freshFolder(), 'server.json');
    const none = await tessera(['config', 'test-connection', '--config', memory], env());
    assert.equal(none.code, 2);
    assert.match(none.stderr, /session provider in .* is memory, not redis/);
  });
});

describe('a password whose stored value cannot be decrypted, from the real binary', () => {
  const OLD = 'old "secret", 1';
  const NEW = 'new secret=2';
  const breakages: Array<[string, string, (path: string, keyPath: string) => void]> = [
    [
      'the private key file is missing',
      'TESSERA_CONFIG_PRIVATE_KEY_MISSING',
      (_path, key) => unlinkSync(key),
    ],
    [
      'the private key file was replaced by another key',
      'TESSERA_CONFIG_PRIVATE_KEY_WRONG',
      (_path, key) => writeFileSync(key, randomBytes(32)),
    ],
    [
      'the private key file is damaged',
      'TESSERA_CONFIG_PRIVATE_KEY_INVALID',
      (_path, key) => writeFileSync(key, 'not a key'),
    ],
    [
      'the encrypted value was tampered with',
      'TESSERA_CONFIG_INVALID',
      (path) => {
        const file = JSON.parse(readFileSync(path, 'utf8'));
        const value: string = file.session.redis.password.$encrypted;
        file.session.redis.password.$encrypted = `${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
        writeFileSync(path, JSON.stringify(file));
      },
    ],
  ];

  /** A Redis configuration with a password and other settings, broken as `breakage` says. */
  async function broken(breakage: (path: string, keyPath: string) => void): Promise<string> {
    const path = join(freshFolder(), 'server.json');
    const set = await spawnTessera(['config', 'session', '--config', path, '--connection-string-stdin'], {
      input: `h1:6380,h2:6380,password="${OLD.replaceAll('"', '""')}",ssl=true,sslHost=redis.test,connectTimeout=7000\n`,
    });
    assert.equal(set.code, 0, set.stderr);
    breakage(path, join(path, '..', 'private.key'));
    return path;
  }

  /** The `tessera …` command in backticks in `text` that contains `option`, as arguments. */
  function adviced(text: string, option: string): string[] {
    const command = [...text.matchAll(/`tessera ([^`]+)`/g)]
      .map((m) => m[1]!)
      .find((c) => c.includes(option));
    assert.ok(command, `no command with ${option} in: ${text}`);
    return command.split(' ');
  }

  async function assertKept(path: string, password: string | undefined): Promise<void> {
    const show = await spawnTessera(['config', 'show', '--config', path, '--json']);
    assert.equal(show.code, 0, show.stderr);
    const redis = JSON.parse(show.stdout).session.redis;
    assert.deepEqual(redis.hosts, ['h1:6380', 'h2:6380']);
    assert.equal(redis.sslHost, 'redis.test');
    assert.equal(redis.useSsl, true);
    assert.equal(redis.advanced.connectTimeoutMs, 7000);
    assert.deepEqual(
      redis.password,
      password === undefined ? { set: false } : { set: true, stored: 'encrypted' },
    );
    const loaded = await readConfiguration(resolveConfigLocation({ path, env: {} }));
    assert.equal(loaded.configuration.session.redis?.password?.reveal(), password);
  }

  for (const [what, code, breakage] of breakages) {
    it(`${what}: the message gives the commands that replace or remove it, and they work`, async () => {
      const path = await broken(breakage);
      const refused = await spawnTessera(['config', 'show', '--config', path]);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, new RegExp(`error \\(${code}\\)`));
      assert.ok(!refused.stderr.includes(OLD), refused.stderr);
      if (code === 'TESSERA_CONFIG_PRIVATE_KEY_INVALID') {
        // The fix says to move the unusable key file away first.
        const move = /`mv (\S+) (\S+)`/.exec(refused.stderr);
        assert.ok(move, refused.stderr);
        const before = await spawnTessera(adviced(refused.stderr, '--password-stdin'), { input: NEW });
        assert.equal(before.code, 2, before.stderr);
        assert.match(before.stderr, /TESSERA_CONFIG_PRIVATE_KEY_INVALID.*`mv /);
        renameSync(move[1]!, move[2]!);
      }
      const replace = await spawnTessera(adviced(refused.stderr, '--password-stdin'), { input: `${NEW}\n` });
      assert.equal(replace.code, 0, replace.stderr);
      await assertKept(path, NEW);

      const again = await broken(breakage);
      const advice = (await spawnTessera(['config', 'show', '--config', again])).stderr;
      const clear = await spawnTessera(adviced(advice, '--clear-password'));
      assert.equal(clear.code, 0, clear.stderr);
      await assertKept(again, undefined);
    });
  }

  it('creates a new private key file when the old one is missing, with mode 0600', async () => {
    const path = await broken((_path, key) => unlinkSync(key));
    const replace = await spawnTessera(['config', 'session', '--config', path, '--password-stdin'], {
      input: NEW,
    });
    assert.equal(replace.code, 0, replace.stderr);
    const key = join(path, '..', 'private.key');
    assert.equal(statSync(key).mode & 0o777, 0o600);
    assert.equal(readFileSync(key).length, 32);
  });

  it('still refuses a change that keeps the old password, which it cannot decrypt', async () => {
    const path = await broken((_path, key) => unlinkSync(key));
    const before = readFileSync(path);
    const outcome = await spawnTessera(['config', 'session', '--config', path, '--ssl-host', 'other.test']);
    assert.equal(outcome.code, 2);
    assert.match(outcome.stderr, /TESSERA_CONFIG_PRIVATE_KEY_MISSING/);
    assert.deepEqual(readFileSync(path), before);
  });
});
