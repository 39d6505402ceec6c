import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import {
  CONFIG_VERSION,
  type ConfigError,
  type ConfigLocation,
  connectionStringFor,
  DEFAULT_CONFIGURATION,
  loadConnectionStringFromConfig,
  readConfiguration,
  resolveConfigLocation,
  Secret,
  type ServerConfiguration,
  saveConfiguration,
} from '../../src/config/index.ts';
import { bytesOf, filesIn, freshFolder, freshLocation, rejectsWithCode } from './helpers.ts';

const PASSWORD = 'p@ss "word", with comma';

function redisConfiguration(overrides: Partial<{ password: Secret; hosts: string[]; sslHost: string }> = {}) {
  return {
    version: CONFIG_VERSION,
    session: {
      provider: 'redis',
      redis: {
        hosts: overrides.hosts ?? ['redis1.example.com:6380', 'redis2.example.com:6380'],
        password: overrides.password ?? new Secret(PASSWORD),
        useSsl: true,
        ...(overrides.sslHost ? { sslHost: overrides.sslHost } : {}),
      },
    },
  } satisfies ServerConfiguration;
}

async function savedRedis(location: ConfigLocation = freshLocation()) {
  const loaded = await readConfiguration(location);
  return saveConfiguration(loaded, redisConfiguration());
}

function writeJson(location: ConfigLocation, value: unknown): void {
  mkdirSync(dirname(location.path), { recursive: true });
  writeFileSync(location.path, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
}

describe('the server configuration file', () => {
  it('gives the defaults (in-memory sessions) when the file does not exist, and creates nothing', async () => {
    const location = freshLocation();
    const loaded = await readConfiguration(location);
    assert.equal(loaded.exists, false);
    assert.deepEqual(loaded.configuration, DEFAULT_CONFIGURATION);
    assert.deepEqual(filesIn(dirname(location.path)), []);
  });

  it('encrypts the password at rest and reads it back', async () => {
    const location = freshLocation();
    await savedRedis(location);
    const text = readFileSync(location.path, 'utf8');
    assert.ok(!text.includes(PASSWORD) && !text.includes('p@ss'), text);
    const stored = JSON.parse(text).session.redis.password;
    assert.match(stored.$encrypted, /^v1:[0-9a-f]{12}:[\w-]+:[\w-]+:[\w-]+$/);
    const loaded = await readConfiguration(location);
    assert.equal(loaded.configuration.session.redis?.password?.reveal(), PASSWORD);
    assert.deepEqual(loaded.plainTextSecrets, []);
  });

  it('creates the private key file with 32 random bytes and mode 0600, and the file with mode 0600', async () => {
    const location = freshLocation();
    await savedRedis(location);
    assert.equal(statSync(location.privateKeyPath).mode & 0o777, 0o600);
    assert.equal(readFileSync(location.privateKeyPath).length, 32);
    assert.equal(statSync(location.path).mode & 0o777, 0o600);
  });

  it('creates no private key file while there is no secret to encrypt', async () => {
    const location = freshLocation();
    const loaded = await readConfiguration(location);
    await saveConfiguration(loaded, { version: CONFIG_VERSION, session: { provider: 'database' } });
    assert.deepEqual(filesIn(dirname(location.path)), ['server.json']);
  });

  it('uses the private key file named by TESSERA_PRIVATE_KEY', async () => {
    const keyPath = join(freshFolder(), 'keys', 'tessera.key');
    const location = resolveConfigLocation({
      path: join(freshFolder(), 'server.json'),
      env: { TESSERA_PRIVATE_KEY: keyPath },
    });
    await savedRedis(location);
    assert.equal(readFileSync(keyPath).length, 32);
    assert.deepEqual(filesIn(dirname(location.path)), ['server.json']);
    assert.equal(
      (await readConfiguration(location)).configuration.session.redis?.password?.reveal(),
      PASSWORD,
    );
  });

  it('accepts a password written in plain text and encrypts it on the next save', async () => {
    const location = freshLocation();
    writeJson(location, {
      version: 1,
      session: {
        provider: 'redis',
        redis: { hosts: ['127.0.0.1:6380'], password: 'typed-by-hand', useSsl: true },
      },
    });
    const before = bytesOf(location.path);
    const loaded = await readConfiguration(location);
    assert.deepEqual(loaded.plainTextSecrets, ['session.redis.password']);
    assert.equal(loaded.configuration.session.redis?.password?.reveal(), 'typed-by-hand');
    assert.deepEqual(bytesOf(location.path), before, 'reading never rewrites the file');
    await saveConfiguration(loaded, loaded.configuration);
    const text = readFileSync(location.path, 'utf8');
    assert.ok(!text.includes('typed-by-hand'), text);
    const again = await readConfiguration(location);
    assert.deepEqual(again.plainTextSecrets, []);
    assert.equal(again.configuration.session.redis?.password?.reveal(), 'typed-by-hand');
  });

  it('keeps a secret out of JSON.stringify, String() and util.inspect of the configuration', async () => {
    const location = freshLocation();
    const loaded = await readConfiguration(location);
    const saved = await saveConfiguration(loaded, redisConfiguration());
    const { inspect } = await import('node:util');
    const shown = [
      JSON.stringify(saved),
      String(saved.configuration.session.redis?.password),
      inspect(saved, { depth: 9 }),
    ];
    for (const text of shown) assert.ok(!text.includes(PASSWORD), text);
  });

  it('writes atomically: no temporary or lock file is left behind', async () => {
    const location = freshLocation();
    let loaded = await readConfiguration(location);
    for (let i = 0; i < 5; i += 1)
      loaded = await saveConfiguration(loaded, redisConfiguration({ sslHost: `redis${i}.test` }));
    assert.deepEqual(filesIn(dirname(location.path)), ['private.key', 'server.json']);
    assert.equal((await readConfiguration(location)).configuration.session.redis?.sslHost, 'redis4.test');
  });

  it('keeps the Redis settings when the provider is switched away from Redis', async () => {
    const location = freshLocation();
    const saved = await savedRedis(location);
    await saveConfiguration(saved, {
      ...saved.configuration,
      session: { ...saved.configuration.session, provider: 'memory' },
    });
    const loaded = await readConfiguration(location);
    assert.equal(loaded.configuration.session.provider, 'memory');
    assert.equal(loaded.configuration.session.redis?.password?.reveal(), PASSWORD);
  });
});

describe('a concurrent writer', () => {
  it('is detected: the second of two writers that read the same file is refused, the first one kept', async () => {
    const location = freshLocation();
    await savedRedis(location);
    const first = await readConfiguration(location);
    const second = await readConfiguration(location);
    await saveConfiguration(first, redisConfiguration({ sslHost: 'first.test' }));
    const written = bytesOf(location.path);
    const error = await rejectsWithCode<ConfigError>(
      saveConfiguration(second, redisConfiguration({ sslHost: 'second.test' })),
      'TESSERA_CONFIG_CONCURRENT_WRITE',
    );
    assert.match(error.message, /changed by someone else since it was read/);
    assert.match(error.message, /Run the command again/);
    assert.deepEqual(bytesOf(location.path), written);
  });

  it('is detected when an editor changed the file since it was read', async () => {
    const location = freshLocation();
    const loaded = await savedRedis(location);
    const edited = readFileSync(location.path, 'utf8').replace('"useSsl": true', '"useSsl": false');
    writeFileSync(location.path, edited);
    await rejectsWithCode(saveConfiguration(loaded, redisConfiguration()), 'TESSERA_CONFIG_CONCURRENT_WRITE');
    assert.equal(readFileSync(location.path, 'utf8'), edited);
  });

  it('is detected when the file was created, or deleted, since it was read', async () => {
    const created = freshLocation();
    const before = await readConfiguration(created);
    writeJson(created, { version: 1, session: { provider: 'database' } });
    await rejectsWithCode(saveConfiguration(before, redisConfiguration()), 'TESSERA_CONFIG_CONCURRENT_WRITE');
    assert.equal(JSON.parse(readFileSync(created.path, 'utf8')).session.provider, 'database');

    const deleted = freshLocation();
    const loaded = await savedRedis(deleted);
    const { unlinkSync, existsSync } = await import('node:fs');
    unlinkSync(deleted.path);
    await rejectsWithCode(saveConfiguration(loaded, redisConfiguration()), 'TESSERA_CONFIG_CONCURRENT_WRITE');
    assert.equal(existsSync(deleted.path), false);
  });

  it('is refused while another process holds the lock, and a stale lock is taken over', async () => {
    const location = freshLocation();
    const loaded = await savedRedis(location);
    const lock = `${location.path}.lock`;
    writeFileSync(lock, '12345\n');
    const error = await rejectsWithCode<ConfigError>(
      saveConfiguration(loaded, redisConfiguration({ sslHost: 'x.test' })),
      'TESSERA_CONFIG_CONCURRENT_WRITE',
    );
    assert.ok(error.message.includes(lock));
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    await saveConfiguration(loaded, redisConfiguration({ sslHost: 'x.test' }));
    assert.deepEqual(filesIn(dirname(location.path)), ['private.key', 'server.json']);
  });
});

describe('a configuration file that cannot be used', () => {
  /** Writes `text`, expects `code` on reading it, checks the file is untouched and no secret is in the message. */
  async function refused(text: string, code: string, location = freshLocation()): Promise<ConfigError> {
    writeJson(location, text);
    const before = bytesOf(location.path);
    const error = await rejectsWithCode<ConfigError>(readConfiguration(location), code);
    assert.ok(error.message.includes(location.path), `the message names the file: ${error.message}`);
    assert.ok(!error.message.includes('hunter2'), `the message holds a secret: ${error.message}`);
    assert.deepEqual(bytesOf(location.path), before, 'the file is left as it was');
    assert.deepEqual(
      filesIn(dirname(location.path)).filter((f) => f !== 'private.key'),
      ['server.json'],
    );
    return error;
  }

  it('names the line and column of a JSON syntax error (a trailing comma)', async () => {
    const error = await refused(
      '{\n  "version": 1,\n  "session": {\n    "provider": "memory",\n  }\n}\n',
      'TESSERA_CONFIG_SYNTAX',
    );
    assert.match(error.message, /line 5, column 3: a comma before \} is not allowed/);
  });

  it('does not quote the text around a syntax error (it may be a secret)', async () => {
    const text =
      '{"version": 1, "session": {"provider": "redis", "redis": {"hosts": ["h:1"], "password": hunter2}}}';
    const error = await refused(text, 'TESSERA_CONFIG_SYNTAX');
    assert.ok(
      error.message.includes(`line 1, column ${text.indexOf('hunter2') + 1}: a value is expected`),
      error.message,
    );
  });

  it('refuses an empty file, saying it can be deleted', async () => {
    const error = await refused('', 'TESSERA_CONFIG_SYNTAX');
    assert.match(error.message, /empty: delete it/);
  });

  it('names an unknown field and suggests the known one', async () => {
    const error = await refused(
      JSON.stringify({
        version: 1,
        session: { provider: 'redis', redis: { hosts: ['h:1'], pasword: 'hunter2' } },
      }),
      'TESSERA_CONFIG_UNKNOWN_FIELD',
    );
    assert.equal(error.field, 'session.redis.pasword');
    assert.match(error.message, /unknown field session\.redis\.pasword \(did you mean "password"\?\)/);
  });

  it('names a field of the wrong type, and the type expected', async () => {
    const error = await refused(
      JSON.stringify({
        version: 1,
        session: { provider: 'redis', redis: { hosts: ['h:1'], useSsl: 'yes' } },
      }),
      'TESSERA_CONFIG_INVALID',
    );
    assert.match(error.message, /session\.redis\.useSsl must be true or false, not a string/);
  });

  it('names a password of the wrong type without showing it', async () => {
    const error = await refused(
      JSON.stringify({
        version: 1,
        session: { provider: 'redis', redis: { hosts: ['h:1'], password: ['hunter2'] } },
      }),
      'TESSERA_CONFIG_INVALID',
    );
    assert.match(error.message, /session\.redis\.password must be a string .* not a list/);
  });

  it('names an unknown session provider', async () => {
    const error = await refused(
      JSON.stringify({ version: 1, session: { provider: 'sql' } }),
      'TESSERA_CONFIG_INVALID',
    );
    assert.match(error.message, /session\.provider must be one of "memory", "database", "redis"/);
  });

  it('refuses the redis provider without its settings', async () => {
    const error = await refused(
      JSON.stringify({ version: 1, session: { provider: 'redis' } }),
      'TESSERA_CONFIG_INVALID',
    );
    assert.match(error.message, /session\.redis/);
  });

  it('names a malformed host by its place in the list', async () => {
    const error = await refused(
      JSON.stringify({
        version: 1,
        session: { provider: 'redis', redis: { hosts: ['ok.example:6380', 'bad_host:6380'] } },
      }),
      'TESSERA_CONFIG_INVALID',
    );
    assert.equal(error.field, 'session.redis.hosts[1]');
    assert.match(error.message, /"bad_host:6380" is not host:port/);
  });

  it('names an advanced option that the connection string would refuse', async () => {
    const error = await refused(
      JSON.stringify({
        version: 1,
        session: { provider: 'redis', redis: { hosts: ['h:1'], clientName: 'two words' } },
      }),
      'TESSERA_CONFIG_INVALID',
    );
    assert.equal(error.field, 'session.redis.clientName');
  });

  it('refuses a version it does not know, and a file without a version', async () => {
    const newer = await refused(
      JSON.stringify({ version: CONFIG_VERSION + 1, session: { provider: 'memory' } }),
      'TESSERA_CONFIG_NEWER_VERSION',
    );
    assert.match(
      newer.message,
      new RegExp(
        `version ${CONFIG_VERSION + 1} configuration, written by a newer Tessera.*up to ${CONFIG_VERSION}`,
      ),
    );
    const none = await refused(JSON.stringify({ session: { provider: 'memory' } }), 'TESSERA_CONFIG_INVALID');
    assert.match(none.message, /no "version" field/);
  });

  it('refuses a file that is not a JSON object', async () => {
    await refused('[1, 2]', 'TESSERA_CONFIG_INVALID');
  });

  it('says the private key file is missing, and how to fix it', async () => {
    const location = freshLocation();
    await savedRedis(location);
    const { unlinkSync } = await import('node:fs');
    unlinkSync(location.privateKeyPath);
    const error = await refused(
      readFileSync(location.path, 'utf8'),
      'TESSERA_CONFIG_PRIVATE_KEY_MISSING',
      location,
    );
    assert.ok(error.message.includes(location.privateKeyPath));
    assert.match(error.message, /Restore the private key file .* or enter the secret again/);
  });

  it('says the private key is not the one the secret was encrypted with, naming the key file and the fix', async () => {
    const location = freshLocation();
    await savedRedis(location);
    writeFileSync(location.privateKeyPath, randomBytes(32), { mode: 0o600 });
    const key = bytesOf(location.privateKeyPath);
    const error = await refused(
      readFileSync(location.path, 'utf8'),
      'TESSERA_CONFIG_PRIVATE_KEY_WRONG',
      location,
    );
    assert.ok(error.message.includes(location.privateKeyPath));
    assert.match(
      error.message,
      /encrypted with another private key .* Restore the private key file .* or enter the secret again/,
    );
    assert.deepEqual(bytesOf(location.privateKeyPath), key, 'the key file is left as it was');
  });

  it('refuses a private key file that does not hold a key', async () => {
    const location = freshLocation();
    await savedRedis(location);
    writeFileSync(location.privateKeyPath, 'not a key');
    const error = await refused(
      readFileSync(location.path, 'utf8'),
      'TESSERA_CONFIG_PRIVATE_KEY_INVALID',
      location,
    );
    assert.match(error.message, /expected 32 bytes/);
  });

  it('accepts the private key in base64 (a key restored from a password manager)', async () => {
    const location = freshLocation();
    await savedRedis(location);
    writeFileSync(location.privateKeyPath, `${bytesOf(location.privateKeyPath).toString('base64')}\n`);
    assert.equal(
      (await readConfiguration(location)).configuration.session.redis?.password?.reveal(),
      PASSWORD,
    );
  });

  it('refuses a damaged encrypted value', async () => {
    const location = freshLocation();
    await savedRedis(location);
    const file = JSON.parse(readFileSync(location.path, 'utf8'));
    const value: string = file.session.redis.password.$encrypted;
    file.session.redis.password.$encrypted = `${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
    const error = await refused(JSON.stringify(file), 'TESSERA_CONFIG_INVALID', location);
    assert.match(error.message, /is damaged/);
    file.session.redis.password.$encrypted = 'v1:garbage';
    await refused(JSON.stringify(file), 'TESSERA_CONFIG_INVALID', location);
  });

  it('refuses a folder given as the file, saying to give the file itself', async () => {
    const location = freshLocation();
    mkdirSync(location.path, { recursive: true });
    const error = await rejectsWithCode<ConfigError>(
      readConfiguration(location),
      'TESSERA_CONFIG_NOT_A_FILE',
    );
    assert.match(error.message, /is a folder, not a regular file.*--config or TESSERA_CONFIG/);
  });

  it('says a file that cannot be written cannot be written, and changes nothing', async () => {
    const folder = freshFolder();
    writeFileSync(join(folder, 'not-a-folder'), 'x');
    const location = resolveConfigLocation({ path: join(folder, 'not-a-folder', 'server.json'), env: {} });
    const loaded = await readConfiguration(location).catch(() => undefined);
    const base = loaded ?? {
      location,
      exists: false,
      configuration: DEFAULT_CONFIGURATION,
      plainTextSecrets: [],
      snapshot: { exists: false as const },
    };
    await rejectsWithCode(
      saveConfiguration(base, { version: CONFIG_VERSION, session: { provider: 'database' } }),
      'TESSERA_CONFIG_WRITE',
    );
    assert.equal(readFileSync(join(folder, 'not-a-folder'), 'utf8'), 'x');
  });

  it('refuses to save settings the connection string would refuse, and writes nothing', async () => {
    const location = freshLocation();
    const loaded = await readConfiguration(location);
    await rejectsWithCode(
      saveConfiguration(loaded, redisConfiguration({ hosts: ['h1:6380', 'h1:99999'] })),
      'TESSERA_CONFIG_INVALID',
    );
    assert.deepEqual(filesIn(dirname(location.path)), []);
  });

  // Root reads any file whatever its mode: the check only means something for other users.
  it('says a file without read permission cannot be read', {
    skip: process.getuid?.() === 0 ? 'root reads a file whatever its permissions' : false,
  }, async () => {
    const location = freshLocation();
    writeJson(location, { version: 1, session: { provider: 'memory' } });
    chmodSync(location.path, 0o000);
    await rejectsWithCode(readConfiguration(location), 'TESSERA_CONFIG_UNREADABLE');
  });
});

describe('the connection string of the configuration', () => {
  it('is made from the Redis settings, with the password quoted', async () => {
    const text = connectionStringFor(redisConfiguration({ sslHost: 'redis.example.com' }));
    assert.equal(
      text,
      'redis1.example.com:6380,redis2.example.com:6380,password="p@ss ""word"", with comma",ssl=true,sslHost=redis.example.com',
    );
  });

  it('does not exist for another provider', () => {
    assert.throws(() => connectionStringFor(DEFAULT_CONFIGURATION), { code: 'TESSERA_CONFIG_NOT_REDIS' });
  });

  it('is loaded from the file for test-connection (--config, then TESSERA_CONFIG)', async () => {
    const location = freshLocation();
    await savedRedis(location);
    const expected = connectionStringFor(redisConfiguration());
    assert.equal(await loadConnectionStringFromConfig(location.path, {}), expected);
    assert.equal(
      await loadConnectionStringFromConfig(undefined, { TESSERA_CONFIG: location.path }),
      expected,
    );
    await rejectsWithCode(
      loadConnectionStringFromConfig(join(freshFolder(), 'server.json'), {}),
      'TESSERA_CONFIG_NOT_REDIS',
    );
  });
});

describe('a path that is not a configuration file, or too much of one', () => {
  it('refuses JSON nested 10,000 deep with a typed error naming the line, not a RangeError', async () => {
    for (const inner of [
      '['.repeat(10_000) + ']'.repeat(9_999),
      `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`,
    ]) {
      const location = freshLocation();
      writeJson(location, `{"version": 1, "session": {"provider": "memory", "x": ${inner}}}`);
      const error = await rejectsWithCode<ConfigError>(
        readConfiguration(location),
        'TESSERA_CONFIG_TOO_DEEP',
      );
      assert.ok(error.message.includes(location.path), error.message);
      assert.match(error.message, /line 1, column \d+, under session\.x.*nested more than 32 levels deep/);
    }
  });

  it('refuses a device (/dev/zero) at once, without reading it', async () => {
    const error = await rejectsWithCode<ConfigError>(
      readConfiguration(resolveConfigLocation({ path: '/dev/zero', env: {} })),
      'TESSERA_CONFIG_NOT_A_FILE',
    );
    assert.match(error.message, /\/dev\/zero is a device, not a regular file/);
  });

  it('refuses a FIFO without waiting for a writer, and a symbolic link to one', async () => {
    const folder = freshFolder();
    const fifo = join(folder, 'server.json');
    execFileSync('mkfifo', [fifo]);
    symlinkSync(fifo, join(folder, 'link.json'));
    for (const path of [fifo, join(folder, 'link.json')]) {
      const error = await rejectsWithCode<ConfigError>(
        readConfiguration(resolveConfigLocation({ path, env: {} })),
        'TESSERA_CONFIG_NOT_A_FILE',
      );
      assert.match(error.message, /is a FIFO \(named pipe\), not a regular file/);
    }
  });

  it('refuses a file over 1 MiB, and follows a symbolic link to a regular file', async () => {
    const location = freshLocation();
    writeJson(location, `{"version": 1, "session": {"provider": "memory"}}${' '.repeat(1024 * 1024)}`);
    const error = await rejectsWithCode<ConfigError>(readConfiguration(location), 'TESSERA_CONFIG_TOO_LARGE');
    assert.match(error.message, /is 1048625 bytes; Tessera reads at most 1048576 bytes/);

    const target = freshLocation();
    writeJson(target, { version: 1, session: { provider: 'database' } });
    const link = join(freshFolder(), 'server.json');
    symlinkSync(target.path, link);
    const loaded = await readConfiguration(resolveConfigLocation({ path: link, env: {} }));
    assert.equal(loaded.configuration.session.provider, 'database');
  });

  it('gives the private key file (TESSERA_PRIVATE_KEY) the same treatment', async () => {
    const folder = freshFolder();
    const fifo = join(folder, 'key.fifo');
    execFileSync('mkfifo', [fifo]);
    const big = join(folder, 'big.key');
    writeFileSync(big, Buffer.alloc(5000, 65));
    const cases: Array<[string, string, RegExp]> = [
      [
        '/dev/zero',
        'TESSERA_CONFIG_NOT_A_FILE',
        /private key file \/dev\/zero is a device.*TESSERA_PRIVATE_KEY/,
      ],
      [fifo, 'TESSERA_CONFIG_NOT_A_FILE', /private key file .* is a FIFO/],
      [folder, 'TESSERA_CONFIG_NOT_A_FILE', /private key file .* is a folder/],
      [
        big,
        'TESSERA_CONFIG_TOO_LARGE',
        /private key file .* is 5000 bytes; Tessera reads at most 4096 bytes/,
      ],
    ];
    const saved = await savedRedis();
    for (const [keyPath, code, message] of cases) {
      const location = resolveConfigLocation({
        path: saved.location.path,
        env: { TESSERA_PRIVATE_KEY: keyPath },
      });
      const error = await rejectsWithCode<ConfigError>(readConfiguration(location), code);
      assert.match(error.message, message);
      await rejectsWithCode(
        saveConfiguration(
          await readConfiguration(location, { replacing: ['session.redis.password'] }),
          redisConfiguration(),
        ),
        code,
      );
    }
  });
});

describe('saving over an existing file', () => {
  const asRoot = process.getuid?.() === 0;

  it('keeps the owner, group and mode of a file root edits for a service user (0640, uid 1234)', {
    skip: asRoot ? false : 'only root can give a file to another user',
  }, async () => {
    const location = freshLocation();
    writeJson(location, { version: CONFIG_VERSION, session: { provider: 'memory' } });
    chownSync(location.path, 1234, 1234);
    chmodSync(location.path, 0o640);
    const loaded = await readConfiguration(location);
    await saveConfiguration(loaded, redisConfiguration());
    const after = statSync(location.path);
    assert.deepEqual([after.uid, after.gid, after.mode & 0o7777], [1234, 1234, 0o640]);
    // The private key file created for the password is readable by the same user.
    const key = statSync(location.privateKeyPath);
    assert.deepEqual([key.uid, key.gid, key.mode & 0o777], [1234, 1234, 0o600]);
    assert.equal(
      (await readConfiguration(location)).configuration.session.redis?.password?.reveal(),
      PASSWORD,
    );
    assert.deepEqual(filesIn(dirname(location.path)), ['private.key', 'server.json']);
  });

  it('keeps the mode of a file the user made readable to others (0644)', async () => {
    const location = freshLocation();
    writeJson(location, { version: 1, session: { provider: 'memory' } });
    chmodSync(location.path, 0o644);
    await saveConfiguration(await readConfiguration(location), {
      version: CONFIG_VERSION,
      session: { provider: 'database' },
    });
    assert.equal(statSync(location.path).mode & 0o7777, 0o644);
  });

  it('writes through a symbolic link: the target gets the new settings, the link stays a link', async () => {
    const target = freshLocation();
    writeJson(target, { version: CONFIG_VERSION, session: { provider: 'memory' } });
    const linkFolder = freshFolder();
    const link = join(linkFolder, 'server.json');
    symlinkSync(target.path, link);
    const location = resolveConfigLocation({
      path: link,
      env: { TESSERA_PRIVATE_KEY: join(dirname(target.path), 'private.key') },
    });
    await saveConfiguration(
      await readConfiguration(location),
      redisConfiguration({ sslHost: 'linked.test' }),
    );
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readlinkSync(link), target.path);
    assert.equal(JSON.parse(readFileSync(target.path, 'utf8')).session.redis.sslHost, 'linked.test');
    assert.deepEqual(filesIn(linkFolder), ['server.json']);
    assert.deepEqual(filesIn(dirname(target.path)), ['private.key', 'server.json']);
    // A link whose target does not exist yet: the save creates the target.
    const dangling = join(freshFolder(), 'server.json');
    const missing = join(freshFolder(), 'real.json');
    symlinkSync(missing, dangling);
    const fresh = resolveConfigLocation({ path: dangling, env: {} });
    await saveConfiguration(await readConfiguration(fresh), {
      version: CONFIG_VERSION,
      session: { provider: 'database' },
    });
    assert.ok(lstatSync(dangling).isSymbolicLink());
    assert.equal(JSON.parse(readFileSync(missing, 'utf8')).session.provider, 'database');
  });

  it('refuses a read-only file (0444) with TESSERA_CONFIG_WRITE, even as root, and changes nothing', async () => {
    const location = freshLocation();
    writeJson(location, { version: 1, session: { provider: 'memory' } });
    chmodSync(location.path, 0o444);
    const before = bytesOf(location.path);
    const error = await rejectsWithCode<ConfigError>(
      saveConfiguration(await readConfiguration(location), redisConfiguration()),
      'TESSERA_CONFIG_WRITE',
    );
    assert.match(error.message, /is read-only for this user \(mode 0444.*Nothing was changed.*chmod u\+w/);
    assert.deepEqual(bytesOf(location.path), before);
    assert.equal(statSync(location.path).mode & 0o7777, 0o444);
    assert.deepEqual(
      filesIn(dirname(location.path)),
      ['server.json'],
      'no private key, temporary or lock file',
    );
  });
});

describe('every secret field (the Redis password and the platform database password)', () => {
  const DB_PASSWORD = 'db p@ss, "quoted"';

  function withDatabase(password: Secret = new Secret(DB_PASSWORD)): ServerConfiguration {
    return {
      ...redisConfiguration(),
      platformDatabase: {
        provider: 'postgres',
        host: 'db.example.com',
        port: 5432,
        database: 'tessera',
        user: 'tessera',
        password,
        ssl: true,
      },
    };
  }

  it('encrypts both at rest, each bound to its own field, and reads both back', async () => {
    const location = freshLocation();
    await saveConfiguration(await readConfiguration(location), withDatabase());
    const text = readFileSync(location.path, 'utf8');
    assert.ok(!text.includes('p@ss'), text);
    const loaded = await readConfiguration(location);
    assert.equal(loaded.configuration.session.redis?.password?.reveal(), PASSWORD);
    const database = loaded.configuration.platformDatabase;
    assert.equal(database?.provider === 'postgres' && database.password?.reveal(), DB_PASSWORD);
    assert.ok(!JSON.stringify(loaded.configuration).includes('p@ss'));

    // A ciphertext moved to the other field does not decrypt there.
    const file = JSON.parse(text);
    file.platformDatabase.password = file.session.redis.password;
    writeJson(location, file);
    const error = await rejectsWithCode<ConfigError>(readConfiguration(location), 'TESSERA_CONFIG_INVALID');
    assert.equal(error.field, 'platformDatabase.password');
    assert.match(error.message, /tessera config database --config .* --password-stdin/);
  });

  it('lists a database password written in plain text, and encrypts it on the next save', async () => {
    const location = freshLocation();
    writeJson(location, {
      version: 1,
      session: { provider: 'memory' },
      platformDatabase: {
        provider: 'postgres',
        host: 'db',
        port: 5432,
        database: 'd',
        user: 'u',
        password: 'typed-by-hand',
      },
    });
    const loaded = await readConfiguration(location);
    assert.deepEqual(loaded.plainTextSecrets, ['platformDatabase.password']);
    await saveConfiguration(loaded, loaded.configuration);
    assert.ok(!readFileSync(location.path, 'utf8').includes('typed-by-hand'));
    assert.deepEqual((await readConfiguration(location)).plainTextSecrets, []);
  });

  it('reads the rest of the file without decrypting a field being replaced, each field on its own', async () => {
    const location = freshLocation();
    await saveConfiguration(await readConfiguration(location), withDatabase());
    unlinkSync(location.privateKeyPath);
    await rejectsWithCode(readConfiguration(location), 'TESSERA_CONFIG_PRIVATE_KEY_MISSING');
    // Replacing one secret still needs the other one decrypted.
    const one = await rejectsWithCode<ConfigError>(
      readConfiguration(location, { replacing: ['platformDatabase.password'] }),
      'TESSERA_CONFIG_PRIVATE_KEY_MISSING',
    );
    assert.equal(one.field, 'session.redis.password');
    assert.match(one.message, /tessera config session --config .* --password-stdin/);
    const both = await readConfiguration(location, {
      replacing: ['platformDatabase.password', 'session.redis.password'],
    });
    const database = both.configuration.platformDatabase;
    assert.equal(database?.provider === 'postgres' && database.password, undefined);
    assert.equal(database?.provider === 'postgres' && database.host, 'db.example.com');
  });
});
