// The `tessera config` commands of the server configuration, run in-process as a
// user would type them: every bad input is refused with exit 2 (1 when the
// operation itself failed), names what is wrong, leaves the file as it was, and
// never prints a secret.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freshFolder } from '../config/helpers.ts';
import { freePort } from '../support/redis-server.ts';
import { type Outcome, runTessera } from './run-tessera.ts';

const SECRET = 'hunter2-"quoted", with comma';
const CONNECTION_STRING = `r1.example.com:6380,password="${SECRET.replaceAll('"', '""')}",ssl=true,sslHost=redis.example.com`;

function configPath(): string {
  return join(freshFolder(), 'server.json');
}

function assertNoSecret(outcome: Outcome, secrets: readonly string[] = [SECRET, 'hunter2']): void {
  for (const secret of secrets) {
    assert.ok(
      !outcome.stdout.includes(secret) && !outcome.stderr.includes(secret),
      `a secret was printed:\n${outcome.stdout}\n${outcome.stderr}`,
    );
  }
}

/** Runs a command that must fail with `code`, and checks the file was not touched. */
async function refused(args: readonly string[], path: string, code = 2): Promise<Outcome> {
  const before = existsSync(path) ? readFileSync(path) : null;
  const outcome = await runTessera(args);
  assert.equal(outcome.code, code, `exit code of ${args.join(' ')}\n${outcome.stdout}\n${outcome.stderr}`);
  assert.deepEqual(existsSync(path) ? readFileSync(path) : null, before, 'the file is left as it was');
  assertNoSecret(outcome);
  return outcome;
}

async function redisConfigured(path: string): Promise<void> {
  const outcome = await runTessera([
    'config',
    'session',
    '--config',
    path,
    '--connection-string',
    CONNECTION_STRING,
  ]);
  assert.equal(outcome.code, 0, outcome.stderr);
}

describe('tessera config show', () => {
  it('shows the defaults and says the file does not exist yet', async () => {
    const path = configPath();
    const outcome = await runTessera(['config', 'show', '--config', path]);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.match(outcome.stdout, new RegExp(`Server configuration +${path} \\(from --config\\)`));
    assert.match(outcome.stdout, /does not exist yet: these are the defaults/);
    assert.match(outcome.stdout, /Session Provider +In-memory \(memory\)/);
    assert.equal(existsSync(path), false);
  });

  it('shows the Redis settings with the password redacted, as text and as JSON', async () => {
    const path = configPath();
    await redisConfigured(path);
    const text = await runTessera(['config', 'show', '--config', path]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Password +set \(encrypted\)/);
    assert.match(text.stdout, /SSL Host +redis\.example\.com/);
    assert.match(
      text.stdout,
      /Connection string +r1\.example\.com:6380,password=\*\*\*\*\*,ssl=true,sslHost=redis\.example\.com/,
    );
    assertNoSecret(text);
    const json = await runTessera(['config', 'show', '--config', path, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.equal(report.configuration.path, path);
    assert.equal(report.configuration.exists, true);
    assert.deepEqual(report.session.redis.password, { set: true, stored: 'encrypted' });
    assert.deepEqual(report.session.redis.hosts, ['r1.example.com:6380']);
    assertNoSecret(json);
  });

  it('reads the file named by TESSERA_CONFIG', async () => {
    const path = configPath();
    await redisConfigured(path);
    process.env.TESSERA_CONFIG = path;
    try {
      const outcome = await runTessera(['config', 'show']);
      assert.match(outcome.stdout, /\(from TESSERA_CONFIG\)/);
      assert.match(outcome.stdout, /Session Provider +Redis/);
    } finally {
      delete process.env.TESSERA_CONFIG;
    }
  });

  it('says a password written in plain text is encrypted on the next save', async () => {
    const path = configPath();
    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        session: { provider: 'memory', redis: { hosts: ['r1:6379'], password: 'hunter2' } },
      }),
    );
    const outcome = await runTessera(['config', 'show', '--config', path]);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.match(outcome.stdout, /Password +set \(plain text in the file: encrypted on the next save\)/);
    assertNoSecret(outcome);
  });
});

describe('tessera config session', () => {
  it('sets the Redis provider, hosts, Use SSL and SSL Host, and prints the next steps', async () => {
    const path = configPath();
    const outcome = await runTessera([
      'config',
      'session',
      '--config',
      path,
      '--provider',
      'redis',
      '--hosts',
      'h1:6380, h2:6380',
      '--use-ssl',
      '--ssl-host',
      'redis.example.com',
    ]);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.match(outcome.stdout, /session provider: memory → redis/);
    assert.match(outcome.stdout, /tessera config test-connection/);
    const file = JSON.parse(readFileSync(path, 'utf8'));
    assert.deepEqual(file.session, {
      provider: 'redis',
      redis: { hosts: ['h1:6380', 'h2:6380'], useSsl: true, sslHost: 'redis.example.com' },
    });
  });

  it('imports a connection string, storing the password encrypted and warning that argv is visible', async () => {
    const path = configPath();
    const outcome = await runTessera([
      'config',
      'session',
      '--config',
      path,
      '--connection-string',
      `${CONNECTION_STRING},connectTimeout=8000`,
    ]);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.match(outcome.stderr, /Prefer --connection-string-stdin/);
    assertNoSecret(outcome);
    const text = readFileSync(path, 'utf8');
    assert.ok(!text.includes('hunter2'), text);
    const redis = JSON.parse(text).session.redis;
    assert.equal(redis.connectTimeoutMs, 8000);
    assert.equal(redis.sslHost, 'redis.example.com');
    assert.ok(redis.password.$encrypted);
  });

  it('changes one setting and keeps the others; "" clears the SSL Host; --provider memory keeps the Redis settings', async () => {
    const path = configPath();
    await redisConfigured(path);
    assert.equal((await runTessera(['config', 'session', '--config', path, '--ssl-host', ''])).code, 0);
    let redis = JSON.parse(readFileSync(path, 'utf8')).session.redis;
    assert.equal(redis.sslHost, undefined);
    assert.ok(redis.password.$encrypted);
    const back = await runTessera(['config', 'session', '--config', path, '--provider', 'memory']);
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, /Redis settings \(kept, not in use/);
    const file = JSON.parse(readFileSync(path, 'utf8'));
    assert.equal(file.session.provider, 'memory');
    redis = file.session.redis;
    assert.deepEqual(redis.hosts, ['r1.example.com:6380']);
  });

  it('sets and clears the advanced options', async () => {
    const path = configPath();
    await redisConfigured(path);
    const set = await runTessera([
      'config',
      'session',
      '--config',
      path,
      '--sync-timeout-ms',
      '2000',
      '--abort-connect',
      'false',
      '--client-name',
      'frontend-1',
      '--ssl-protocols',
      'tls13',
    ]);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /syncTimeout=2000/);
    let redis = JSON.parse(readFileSync(path, 'utf8')).session.redis;
    assert.equal(redis.syncTimeoutMs, 2000);
    assert.equal(redis.abortConnect, false);
    assert.equal(redis.clientName, 'frontend-1');
    assert.equal(redis.sslProtocols, 'tls13');
    assert.equal(
      (await runTessera(['config', 'session', '--config', path, '--sync-timeout-ms', ''])).code,
      0,
    );
    redis = JSON.parse(readFileSync(path, 'utf8')).session.redis;
    assert.equal(redis.syncTimeoutMs, undefined);
  });

  it('imports a connection string over a password it cannot decrypt (the private key file is gone)', async () => {
    const path = configPath();
    await redisConfigured(path);
    unlinkSync(join(path, '..', 'private.key'));
    const outcome = await runTessera([
      'config',
      'session',
      '--config',
      path,
      '--connection-string',
      'r2.example.com:6380,password=other-secret,ssl=true',
    ]);
    assert.equal(outcome.code, 0, outcome.stderr);
    const show = await runTessera(['config', 'show', '--config', path, '--json']);
    assert.equal(show.code, 0, show.stderr);
    assert.deepEqual(JSON.parse(show.stdout).session.redis.password, { set: true, stored: 'encrypted' });
  });

  it('removes the password with --clear-password', async () => {
    const path = configPath();
    await redisConfigured(path);
    assert.equal((await runTessera(['config', 'session', '--config', path, '--clear-password'])).code, 0);
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).session.redis.password, undefined);
  });

  describe('refuses bad input with exit 2, naming it, and writes nothing', () => {
    it('a malformed host', async () => {
      const path = configPath();
      await redisConfigured(path);
      const port = await refused(['config', 'session', '--config', path, '--hosts', 'h1:6380,h2:abc'], path);
      assert.match(port.stderr, /--hosts: "h2:abc" is not host:port: the port "abc" must be a whole number/);
      const name = await refused(['config', 'session', '--config', path, '--hosts', 'bad_host:6380'], path);
      assert.match(name.stderr, /"bad_host:6380" is not host:port: "bad_host" contains "_"/);
      const url = await refused(['config', 'session', '--config', path, '--hosts', 'redis://h1:6380'], path);
      assert.match(url.stderr, /"redis:\/\/h1:6380" is not host:port/);
      const twice = await refused(
        ['config', 'session', '--config', path, '--hosts', 'h1:6380,H1:6380'],
        path,
      );
      assert.match(twice.stderr, /--hosts: .*appears twice/);
    });

    it('the Redis provider without hosts', async () => {
      const path = configPath();
      const outcome = await refused(['config', 'session', '--config', path, '--provider', 'redis'], path);
      assert.match(outcome.stderr, /needs its hosts: add --hosts/);
    });

    it('Redis settings while the provider is not Redis', async () => {
      const path = configPath();
      const outcome = await refused(['config', 'session', '--config', path, '--hosts', 'h1:6380'], path);
      assert.match(outcome.stderr, /Add --provider redis/);
      await refused(
        ['config', 'session', '--config', path, '--provider', 'memory', '--connection-string', 'h1:6380'],
        path,
      );
    });

    it('an unknown provider, an unknown option, or nothing to change', async () => {
      const path = configPath();
      const provider = await refused(['config', 'session', '--config', path, '--provider', 'sql'], path);
      assert.match(provider.stderr, /Allowed choices are memory, database, redis/);
      await refused(['config', 'session', '--config', path, '--password', 'hunter2'], path);
      const nothing = await refused(['config', 'session', '--config', path], path);
      assert.match(nothing.stderr, /Nothing to change/);
    });

    it('an advanced option out of range or of the wrong type', async () => {
      const path = configPath();
      await redisConfigured(path);
      const zero = await refused(['config', 'session', '--config', path, '--connect-timeout-ms', '0'], path);
      assert.match(zero.stderr, /--connect-timeout-ms must be a whole number of at least 1/);
      await refused(['config', 'session', '--config', path, '--abort-connect', 'maybe'], path);
      const name = await refused(['config', 'session', '--config', path, '--client-name', 'two words'], path);
      assert.match(name.stderr, /--client-name: /);
      const ssl = await refused(['config', 'session', '--config', path, '--ssl-host', 'bad_name'], path);
      assert.match(ssl.stderr, /--ssl-host: /);
    });

    it('a malformed connection string, without printing its password', async () => {
      const path = configPath();
      await redisConfigured(path);
      const outcome = await refused(
        ['config', 'session', '--config', path, '--connection-string', 'r1:6380,password=hunter2,with comma'],
        path,
      );
      assert.match(outcome.stderr, /TESSERA_REDIS_CONNECTION_STRING/);
      assert.match(outcome.stderr, /write it in double quotes/);
    });

    it('options that exclude each other', async () => {
      const path = configPath();
      await redisConfigured(path);
      await refused(['config', 'session', '--config', path, '--password-stdin', '--clear-password'], path);
      await refused(
        ['config', 'session', '--config', path, '--password-stdin', '--connection-string-stdin'],
        path,
      );
    });
  });
});

describe('every config command on a file that cannot be used', () => {
  const broken: Array<[string, string, RegExp]> = [
    [
      'corrupt JSON',
      '{\n  "version": 1,\n  "session": { "provider": "memory", }\n}\n',
      /TESSERA_CONFIG_SYNTAX.*line 3, column 38/,
    ],
    [
      'an unknown field',
      '{"version": 1, "session": {"provider": "memory", "color": "red"}}',
      /TESSERA_CONFIG_UNKNOWN_FIELD.*session\.color/,
    ],
    [
      'a wrong type',
      '{"version": 1, "session": {"provider": "memory"}, "applied": 3}',
      /TESSERA_CONFIG_INVALID.*applied must be an object/,
    ],
    [
      'a newer version',
      '{"version": 7, "session": {"provider": "memory"}}',
      /TESSERA_CONFIG_NEWER_VERSION.*version 7 configuration.*up to 2/,
    ],
    [
      'a field given twice',
      '{"version": 1,\n "session": {"provider": "memory"},\n "session": {"provider": "redis"}}',
      /TESSERA_CONFIG_DUPLICATE_FIELD.*the field "session" is given twice in the top-level object \(first at line 2\), again at line 3/,
    ],
    [
      'JSON nested 10,000 deep',
      `{"version": 1, "session": {"provider": "memory"}, "applied": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
      /TESSERA_CONFIG_TOO_DEEP.*under applied/,
    ],
  ];
  for (const [what, text, message] of broken) {
    it(`refuses ${what} with exit 2, naming the file, and leaves it as it was`, async () => {
      const path = configPath();
      writeFileSync(path, text);
      for (const args of [['show'], ['session', '--provider', 'database'], ['apply']]) {
        const outcome = await refused(['config', ...args, '--config', path], path);
        assert.match(outcome.stderr, message);
        assert.ok(outcome.stderr.includes(path), outcome.stderr);
      }
    });
  }

  it('refuses a wrong private key with exit 2 and says how to fix it', async () => {
    const path = configPath();
    await redisConfigured(path);
    const keyPath = join(path, '..', 'private.key');
    writeFileSync(keyPath, Buffer.alloc(32, 7));
    const outcome = await refused(['config', 'show', '--config', path], path);
    assert.match(outcome.stderr, /TESSERA_CONFIG_PRIVATE_KEY_WRONG/);
    assert.ok(outcome.stderr.includes(keyPath));
    assert.match(outcome.stderr, /Restore the private key file/);
  });

  it('refuses a folder, a FIFO or a device given as the file, at once', async () => {
    const folder = configPath();
    mkdirSync(folder);
    const fifo = configPath();
    execFileSync('mkfifo', [fifo]);
    for (const path of [folder, fifo, '/dev/zero']) {
      const outcome = await runTessera(['config', 'show', '--config', path]);
      assert.equal(outcome.code, 2);
      assert.match(
        outcome.stderr,
        /^error \(TESSERA_CONFIG_NOT_A_FILE\): The configuration file .* not a regular file/,
      );
    }
  });
});

describe('tessera config apply', () => {
  it('applies the in-memory provider with nothing to do in Service Center, then says it is already applied', async () => {
    const path = configPath();
    const first = await runTessera(['config', 'apply', '--config', path]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /Applied: revision 1/);
    assert.match(first.stdout, /Nothing to do in Service Center/);
    const applied = JSON.parse(readFileSync(path, 'utf8')).applied;
    assert.equal(applied.revision, 1);
    assert.equal(applied.provider, 'memory');
    const again = await runTessera(['config', 'apply', '--config', path]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /Already applied: revision 1/);
  });

  it('refuses a Redis setting that fails Test Connection (exit 1), and applies it with --force', async () => {
    const path = configPath();
    const port = await freePort();
    assert.equal(
      (
        await runTessera([
          'config',
          'session',
          '--config',
          path,
          '--connection-string',
          `127.0.0.1:${port},password=hunter2,connectTimeout=500,connectRetry=0`,
        ])
      ).code,
      0,
    );
    const refusedApply = await refused(['config', 'apply', '--config', path], path, 1);
    assert.match(refusedApply.stdout, /Test Connection failed/);
    assert.match(refusedApply.stderr, /Not applied: .* add --force/);

    const forced = await runTessera(['config', 'apply', '--config', path, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assertNoSecret(forced);
    assert.match(forced.stderr, /applying anyway because of --force/);
    assert.match(forced.stdout, /Applied: revision 1 .*\(forced\)/);
    assert.match(
      forced.stdout,
      /Republish in Service Center\. The session provider changed \(memory → redis\)/,
    );
    assert.match(forced.stdout, /Factory > Solutions/);
    const applied = JSON.parse(readFileSync(path, 'utf8')).applied;
    assert.equal(applied.forced, true);
    const show = await runTessera(['config', 'show', '--config', path]);
    assert.match(show.stdout, /revision 1 .*forced/);
  });

  it('refuses with exit 2 a Redis setting whose SERedis_* variables are missing', async () => {
    const path = configPath();
    assert.equal(
      (
        await runTessera([
          'config',
          'session',
          '--config',
          path,
          '--provider',
          'redis',
          '--hosts',
          '127.0.0.1:6380',
          '--use-ssl',
        ])
      ).code,
      0,
    );
    const saved = { ...process.env };
    for (const name of Object.keys(process.env)) if (name.startsWith('SERedis_')) delete process.env[name];
    try {
      const outcome = await refused(['config', 'apply', '--config', path], path, 2);
      assert.match(outcome.stdout, /SERedis_ClientCertPfxPath is not set/);
    } finally {
      Object.assign(process.env, saved);
    }
  });

  it('encrypts a password written in plain text when it applies', async () => {
    const path = configPath();
    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        session: { provider: 'memory', redis: { hosts: ['r1:6379'], password: 'hunter2' } },
      }),
    );
    const outcome = await runTessera(['config', 'apply', '--config', path]);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.match(outcome.stdout, /Encrypted the secrets written in plain text: session\.redis\.password/);
    assert.ok(!readFileSync(path, 'utf8').includes('hunter2'));
    assertNoSecret(outcome);
  });
});
