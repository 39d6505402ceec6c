// `tessera config database`, `test-connection --database` and the platform database
// part of `apply`, run as a user types them, against real SQLite files and the real
// PostgreSQL server. Every refused command leaves the file as it was and prints no secret.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { readConfiguration } from '../../src/config/index.ts';
import { applyConfiguration } from '../../src/configtool/apply-command.ts';
import { PlatformDatabase } from '../../src/platform/index.ts';
import { freshFolder, freshLocation, rejectsWithCode } from '../config/helpers.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { freePort } from '../support/redis-server.ts';
import { type Outcome, runTessera } from './run-tessera.ts';

const PASSWORD = 'db "secret", with comma';
const root = join(import.meta.dirname, '..', '..');

function configPath(): string {
  return join(freshFolder(), 'server.json');
}

/** Runs `tessera …` from the sources in a child process, with `input` on its standard input. */
function runWithStdin(args: readonly string[], input: string): Promise<Outcome> {
  const script = `import { main } from './src/cli/index.ts'; process.exitCode = await main(['node', 'tessera', ...process.argv.slice(1)]);`;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=tessera-source', '--input-type=module', '-e', script, ...args],
    { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' } },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function assertNoSecret(outcome: Outcome): void {
  for (const text of [outcome.stdout, outcome.stderr]) {
    assert.ok(!text.includes(PASSWORD) && !text.includes('secret"'), `a secret was printed:\n${text}`);
  }
}

async function ok(args: readonly string[]): Promise<Outcome> {
  const outcome = await runTessera(args);
  assert.equal(outcome.code, 0, `${args.join(' ')}\n${outcome.stdout}\n${outcome.stderr}`);
  assertNoSecret(outcome);
  return outcome;
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

async function postgresWithPassword(path: string, database = 'tessera', port = '5432'): Promise<void> {
  const outcome = await runWithStdin(
    [
      'config',
      'database',
      '--config',
      path,
      '--provider',
      'postgres',
      '--host',
      '127.0.0.1',
      '--port',
      port,
      '--database',
      database,
      '--user',
      'postgres',
      '--password-stdin',
    ],
    `${PASSWORD}\n`,
  );
  assert.equal(outcome.code, 0, outcome.stderr);
  assertNoSecret(outcome);
}

function fileJson(path: string): {
  platformDatabase?: Record<string, unknown>;
  session: unknown;
  applied?: unknown;
} {
  return JSON.parse(readFileSync(path, 'utf8'));
}

describe('tessera config database', () => {
  it('stores a SQLite file (a relative path made absolute) and shows it; with no setting, the default beside the file', async () => {
    const path = configPath();
    const folder = join(path, '..');
    const shown = await ok(['config', 'show', '--config', path]);
    assert.match(
      shown.stdout,
      /Platform Database\n {2}Provider +SQLite \(sqlite\)\n {2}File +.*platform\.db \(the default: beside the configuration file\)/,
    );
    await ok([
      'config',
      'database',
      '--config',
      path,
      '--provider',
      'sqlite',
      '--path',
      join(folder, 'data.db'),
    ]);
    assert.deepEqual(fileJson(path).platformDatabase, { provider: 'sqlite', path: join(folder, 'data.db') });
    const json = JSON.parse((await ok(['config', 'show', '--config', path, '--json'])).stdout);
    assert.deepEqual(json.platformDatabase, {
      provider: 'sqlite',
      path: join(folder, 'data.db'),
      isDefault: false,
    });
    await ok(['config', 'database', '--config', path, '--path', '']);
    assert.deepEqual(fileJson(path).platformDatabase, { provider: 'sqlite' });
  });

  it('stores PostgreSQL with the password encrypted, never shown, and keeps what is not given', async () => {
    const path = configPath();
    await postgresWithPassword(path);
    const stored = fileJson(path).platformDatabase!;
    assert.deepEqual(
      { ...stored, password: typeof stored.password },
      {
        provider: 'postgres',
        host: '127.0.0.1',
        port: 5432,
        database: 'tessera',
        user: 'postgres',
        password: 'object',
        ssl: false,
      },
    );
    assert.match((stored.password as { $encrypted: string }).$encrypted, /^v1:/);
    assert.ok(!readFileSync(path, 'utf8').includes('secret'));

    const text = await ok(['config', 'show', '--config', path]);
    assert.match(text.stdout, /Password +set \(encrypted\)/);
    const json = JSON.parse((await ok(['config', 'show', '--config', path, '--json'])).stdout);
    assert.deepEqual(json.platformDatabase.password, { set: true, stored: 'encrypted' });

    await ok(['config', 'database', '--config', path, '--port', '5433', '--ssl']);
    const changed = fileJson(path).platformDatabase!;
    assert.equal(changed.port, 5433);
    assert.equal(changed.ssl, true);
    assert.match((changed.password as { $encrypted: string }).$encrypted, /^v1:/, 'the password is kept');
    assert.match((await ok(['config', 'show', '--config', path])).stdout, /Password +set \(encrypted\)/);
    await ok(['config', 'database', '--config', path, '--clear-password']);
    assert.equal(fileJson(path).platformDatabase!.password, undefined);
    assert.match(
      (await ok(['config', 'show', '--config', path])).stdout,
      /Password +not set \(PGPASSWORD is used, if set\)/,
    );
  });

  it('is kept when the session settings change', async () => {
    const path = configPath();
    await postgresWithPassword(path);
    const { password: _before, ...before } = fileJson(path).platformDatabase!;
    await ok(['config', 'session', '--config', path, '--provider', 'memory']);
    const { password, ...after } = fileJson(path).platformDatabase!;
    assert.deepEqual(after, before);
    assert.match(
      (password as { $encrypted: string }).$encrypted,
      /^v1:/,
      'the password is kept (encrypted anew)',
    );
  });

  it('replaces or removes a password that cannot be decrypted, as the message says', async () => {
    const path = configPath();
    await postgresWithPassword(path);
    unlinkSync(join(path, '..', 'private.key'));
    const shown = await refused(['config', 'show', '--config', path], path);
    assert.match(shown.stderr, /TESSERA_CONFIG_PRIVATE_KEY_MISSING/);
    assert.match(shown.stderr, /platformDatabase\.password/);
    assert.match(shown.stderr, new RegExp(`tessera config database --config ${path} --password-stdin`));
    assert.match(shown.stderr, new RegExp(`tessera config database --config ${path} --clear-password`));
    const again = await runWithStdin(['config', 'database', '--config', path, '--password-stdin'], 'new one');
    assert.equal(again.code, 0, again.stderr);
    assert.match((await ok(['config', 'show', '--config', path])).stdout, /Password +set \(encrypted\)/);
    unlinkSync(join(path, '..', 'private.key'));
    await ok(['config', 'database', '--config', path, '--provider', 'sqlite']);
    assert.deepEqual(fileJson(path).platformDatabase, { provider: 'sqlite' });
  });

  it('has a --help with both providers, examples and exit codes', async () => {
    const help = await ok(['config', 'database', '--help']);
    for (const text of [
      '--provider',
      '--path',
      '--host',
      '--port',
      '--database',
      '--user',
      '--password-stdin',
      '--clear-password',
      '--ssl',
      'platform.db beside',
      'test-connection --database',
      'Exit codes',
    ]) {
      assert.ok(help.stdout.includes(text), `--help mentions ${text}:\n${help.stdout}`);
    }
  });

  describe('refuses bad input with exit 2, naming the setting, and writes nothing', () => {
    const postgres = [
      '--provider',
      'postgres',
      '--host',
      'db.example.com',
      '--database',
      'tessera',
      '--user',
      'tessera',
    ];

    it('a port that is not a port', async () => {
      const path = configPath();
      for (const port of ['0', '70000', 'abc', '5432x', '']) {
        const outcome = await refused(
          ['config', 'database', '--config', path, ...postgres, '--port', port],
          path,
        );
        assert.match(outcome.stderr, /TESSERA_CONFIG_INVALID.*--port must be a whole number from 1 to 65535/);
      }
    });

    it('a host that is not a host name', async () => {
      const path = configPath();
      for (const host of ['postgres://db', 'user@db', 'two words', '[::1]', 'a:b']) {
        const args = ['config', 'database', '--config', path, ...postgres, '--host', host];
        const outcome = await refused(args, path);
        assert.match(
          outcome.stderr,
          /error \(TESSERA_CONFIG_INVALID\): Not saved: --host: .* is not a host name or address/,
        );
      }
      const withPort = await refused(
        ['config', 'database', '--config', path, ...postgres, '--host', 'db.example.com:5432'],
        path,
      );
      assert.match(withPort.stderr, /--host: "db\.example\.com:5432" holds a port: give the host alone/);
      await ok(['config', 'database', '--config', path, ...postgres, '--host', '::1']);
    });

    it('a database or user name longer than PostgreSQL allows', async () => {
      const path = configPath();
      const long = 'd'.repeat(64);
      const database = await refused(
        ['config', 'database', '--config', path, ...postgres, '--database', long],
        path,
      );
      assert.match(database.stderr, /--database: is 64 bytes long; PostgreSQL names have at most 63/);
      const user = await refused(['config', 'database', '--config', path, ...postgres, '--user', long], path);
      assert.match(user.stderr, /--user: is 64 bytes long/);
    });

    it('postgres without its host, database or user', async () => {
      const path = configPath();
      const outcome = await refused(
        ['config', 'database', '--config', path, '--provider', 'postgres', '--host', 'db'],
        path,
      );
      assert.match(outcome.stderr, /The postgres provider needs --database, --user/);
    });

    it('settings of the other provider', async () => {
      const path = configPath();
      const sqlite = await refused(
        ['config', 'database', '--config', path, '--provider', 'sqlite', '--host', 'db'],
        path,
      );
      assert.match(
        sqlite.stderr,
        /--host sets the postgres provider, but the provider is sqlite. Add --provider postgres/,
      );
      const pg = await refused(
        ['config', 'database', '--config', path, ...postgres, '--path', '/tmp/x.db'],
        path,
      );
      assert.match(pg.stderr, /--path sets the sqlite provider, but the provider is postgres/);
    });

    it('an unknown provider, nothing to change, options that exclude each other, an empty password', async () => {
      const path = configPath();
      await refused(['config', 'database', '--config', path, '--provider', 'mysql'], path);
      assert.match(
        (await refused(['config', 'database', '--config', path], path)).stderr,
        /Nothing to change/,
      );
      const both = await refused(
        ['config', 'database', '--config', path, ...postgres, '--password-stdin', '--clear-password'],
        path,
      );
      assert.match(both.stderr, /Give --password-stdin or --clear-password, not both/);
      const empty = await runWithStdin(
        ['config', 'database', '--config', path, ...postgres, '--password-stdin'],
        '',
      );
      assert.equal(empty.code, 2);
      assert.match(empty.stderr, /No password was read from standard input/);
      assert.equal(existsSync(path), false);
    });

    it('a file whose platform database settings are wrong, naming the field', async () => {
      const path = configPath();
      await ok(['config', 'database', '--config', path, '--provider', 'sqlite', '--path', '/tmp/x.db']);
      const text = readFileSync(path, 'utf8').replace('"/tmp/x.db"', '"relative.db"');
      writeFileSync(path, text);
      const outcome = await refused(['config', 'show', '--config', path], path);
      assert.match(outcome.stderr, /platformDatabase\.path: "relative\.db" is not an absolute path/);
      writeFileSync(path, text.replace('"path": "relative.db"', '"port": 5432'));
      for (const [database, message] of [
        ['{"provider":"mysql"}', /platformDatabase\.provider must be one of "sqlite", "postgres"\./],
        ['{}', /platformDatabase\.provider is missing: it is required\./],
        [
          '{"provider":"postgres","host":"db","database":"d","user":"u"}',
          /platformDatabase\.port is missing/,
        ],
        [
          '{"provider":"postgres","host":"db","port":"5432","database":"d","user":"u"}',
          /platformDatabase\.port must be a number, not a string/,
        ],
      ] as const) {
        writeFileSync(path, `{"version":1,"session":{"provider":"memory"},"platformDatabase":${database}}`);
        assert.match((await refused(['config', 'show', '--config', path], path)).stderr, message);
      }
      writeFileSync(path, text.replace('"path": "relative.db"', '"port": 5432'));
      const unknown = await refused(['config', 'show', '--config', path], path);
      assert.match(unknown.stderr, /TESSERA_CONFIG_(UNKNOWN_FIELD|INVALID)/);
    });
  });
});

describe('tessera config test-connection --database', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    await database.drop();
  });

  it('passes on a good SQLite setting (the default file), creating nothing', async () => {
    const path = configPath();
    const outcome = await ok(['config', 'test-connection', '--database', '--config', path]);
    assert.match(outcome.stdout, /Platform database: SQLite file .*platform\.db/);
    assert.match(outcome.stdout, /Test Connection passed: 6 checks\./);
    assert.equal(existsSync(join(path, '..', 'platform.db')), false);
  });

  it('passes on a good PostgreSQL setting, as text and as JSON', async () => {
    const path = configPath();
    await postgresWithPassword(path, database.name);
    const text = await ok(['config', 'test-connection', '--database', '--config', path]);
    assert.match(text.stdout, /✔ host reachable +127\.0\.0\.1:5432 accepts connections/);
    assert.match(
      text.stdout,
      /✔ authentication +signed in as postgres to database tessera_test_\w+ with the configured password/,
    );
    assert.match(text.stdout, /✔ version +PostgreSQL \d+/);
    assert.match(text.stdout, /Test Connection passed: 7 checks\./);
    const json = JSON.parse(
      (await ok(['config', 'test-connection', '--database', '--config', path, '--json'])).stdout,
    );
    assert.equal(json.ok, true);
    assert.equal(json.database, `PostgreSQL postgres@127.0.0.1:5432/${database.name}`);
    assert.equal(json.checks.length, 7);
    assert.deepEqual(json.migrations, {
      state: 'pending',
      pending: [
        '0001_initial',
        '0002_session_principal',
        '0003_frontend_modules',
        '0004_login_failures',
        '0005_deployment_settings',
      ],
    });
    assert.equal(json.code, null);
  });

  it('fails with exit 1 on a broken PostgreSQL setting (nothing on that port), as text and as JSON', async () => {
    const path = configPath();
    const port = String(await freePort());
    await postgresWithPassword(path, database.name, port);
    const text = await refused(['config', 'test-connection', '--database', '--config', path], path, 1);
    assert.match(text.stdout, /✘ host reachable/);
    assert.match(text.stdout, new RegExp(`nothing\\s+listens on 127\\.0\\.0\\.1:${port}`));
    assert.match(text.stdout, /Test Connection failed: 1 of 1 checks/);
    const json = JSON.parse(
      (await refused(['config', 'test-connection', '--database', '--config', path, '--json'], path, 1))
        .stdout,
    );
    assert.equal(json.ok, false);
    assert.equal(json.code, 'TESSERA_PLATFORM_UNREACHABLE');
  });

  it('fails with exit 2 on a configuration that cannot be read, and refuses --connection-string', async () => {
    const path = configPath();
    writeFileSync(path, '{ "version": 1, ');
    const json = JSON.parse(
      (await refused(['config', 'test-connection', '--database', '--config', path, '--json'], path)).stdout,
    );
    assert.equal(json.code, 'TESSERA_CONFIG_SYNTAX');
    await refused(['config', 'test-connection', '--database', '--connection-string', 'localhost:6379'], path);
  });
});

describe('tessera config apply: the platform database', () => {
  it('creates the schema of the default SQLite file, then finds it up to date', async () => {
    const path = configPath();
    const first = await ok(['config', 'apply', '--config', path]);
    assert.match(
      first.stdout,
      /Schema created or migrated: 0001_initial, 0002_session_principal, 0003_frontend_modules, 0004_login_failures, 0005_deployment_settings\./,
    );
    const file = join(path, '..', 'platform.db');
    const database = await PlatformDatabase.open(`sqlite:${file}`);
    assert.deepEqual(await database.executedMigrations(), [
      '0001_initial',
      '0002_session_principal',
      '0003_frontend_modules',
      '0004_login_failures',
      '0005_deployment_settings',
    ]);
    await database.close();
    const second = await ok(['config', 'apply', '--config', path]);
    assert.match(second.stdout, /Schema up to date\./);
    assert.match(second.stdout, /Already applied: revision 1/);
  });

  it('neither tests nor creates the platform database when the file changed since it was read', async () => {
    const location = freshLocation();
    const first = join(location.path, '..', 'first.db');
    const second = join(location.path, '..', 'second.db');
    await ok(['config', 'database', '--config', location.path, '--path', first]);
    const loaded = await readConfiguration(location);
    // Another Configuration Tool names another database meanwhile.
    await ok(['config', 'database', '--config', location.path, '--path', second]);
    let report = '';
    await rejectsWithCode(
      applyConfiguration(loaded, { force: false, live: false, out: (text) => (report += text) }),
      'TESSERA_CONFIG_CONCURRENT_WRITE',
    );
    assert.equal(existsSync(first), false, 'the database the file no longer names is not created');
    assert.doesNotMatch(report, /Schema|Platform database:/);
    assert.equal(fileJson(location.path).applied, undefined);
  });

  it('creates the folder of a configuration that does not exist yet, for the default SQLite file', async () => {
    const path = join(freshFolder(), 'new', 'server.json');
    const outcome = await ok(['config', 'apply', '--config', path]);
    assert.match(outcome.stdout, /Schema created or migrated/);
    assert.equal(existsSync(join(path, '..', 'platform.db')), true);
  });

  it('records a new revision when only the platform database changed, and creates the new file', async () => {
    const path = configPath();
    await ok(['config', 'apply', '--config', path]);
    const other = join(path, '..', 'other.db');
    await ok(['config', 'database', '--config', path, '--path', other]);
    assert.match((await ok(['config', 'show', '--config', path])).stdout, /the settings changed since/);
    const outcome = await ok(['config', 'apply', '--config', path]);
    assert.match(outcome.stdout, /Applied: revision 2/);
    assert.equal(existsSync(other), true);
  });

  it('refuses a PostgreSQL database it cannot reach (exit 1), with the reason, and leaves the file as it was', async () => {
    const path = configPath();
    await postgresWithPassword(path, 'tessera', String(await freePort()));
    const outcome = await refused(['config', 'apply', '--config', path], path, 1);
    assert.match(outcome.stdout, /✘ host reachable/);
    assert.match(outcome.stderr, /Not applied: the platform database cannot be used/);
    assert.equal(fileJson(path).applied, undefined);
  });

  it('refuses a database whose schema is newer than this Tessera, naming the migration', async () => {
    const path = configPath();
    const file = join(path, '..', 'newer.db');
    const database = await PlatformDatabase.open(`sqlite:${file}`);
    await sql`insert into kysely_migration (name, timestamp) values ('9999_future', '2030-01-01T00:00:00.000Z')`.execute(
      database.db,
    );
    await database.close();
    await ok(['config', 'database', '--config', path, '--provider', 'sqlite', '--path', file]);
    const outcome = await refused(['config', 'apply', '--config', path], path, 1);
    assert.match(outcome.stdout, /✘ migrations/);
    assert.match(outcome.stdout, /9999_future/);
  });
});
