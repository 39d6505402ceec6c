/**
 * Test Connection of the platform database, against real SQLite files and the real
 * PostgreSQL server: every check on a good database, each broken setting stopped
 * at the check that names it, and nothing left behind.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import {
  type DatabaseSettings,
  type DatabaseTestReport,
  PlatformDatabase,
  parseDatabaseUrl,
  testDatabase,
} from '../../src/platform/index.ts';
import { createTestDatabase, POSTGRES_SERVER, type TestDatabase } from '../support/postgres.ts';
import { freePort } from '../support/redis-server.ts';
import { createSqliteFile, type TestSqliteFile } from '../support/sqlite-file.ts';
import { ENGINES } from './engines.ts';

const NO_PGPASSWORD = {};

function names(report: DatabaseTestReport): string[] {
  return report.checks.map((check) => check.name);
}

/** The one failed check, which must be the last one run. */
function failed(report: DatabaseTestReport) {
  assert.equal(report.ok, false);
  assert.equal(report.failure, 'check');
  const last = report.checks.at(-1)!;
  assert.equal(last.ok, false, 'the checks stop at the first failure');
  assert.equal(report.checks.filter((check) => !check.ok).length, 1);
  assert.equal(report.problem, last.detail);
  return last;
}

async function sessionRows(url: string): Promise<number> {
  const database = await PlatformDatabase.open(url);
  try {
    const result = await sql<{ n: number }>`select count(*) as n from sessions`.execute(database.db);
    return Number(result.rows[0]?.n);
  } finally {
    await database.close();
  }
}

for (const engine of ENGINES) {
  describe(`Test Connection of the platform database on ${engine.name}`, () => {
    let target: Awaited<ReturnType<typeof engine.start>>;
    beforeEach(async () => {
      target = await engine.start();
    });
    afterEach(async () => {
      await target.stop();
    });

    it('passes every check on a new database and says the schema is to be created', async () => {
      const report = await testDatabase(parseDatabaseUrl(target.url), { env: NO_PGPASSWORD });
      assert.equal(report.ok, true, report.problem ?? '');
      const expected =
        engine.name === 'SQLite'
          ? ['file reachable', 'version', 'create tables', 'migrations', 'write, read, delete', 'latency']
          : [
              'host reachable',
              'authentication',
              'version',
              'create tables',
              'migrations',
              'write, read, delete',
              'latency',
            ];
      assert.deepEqual(names(report), expected);
      assert.deepEqual(report.migrations, {
        state: 'pending',
        pending: [
          '0001_initial',
          '0002_session_principal',
          '0003_frontend_modules',
          '0004_login_failures',
          '0005_deployment_settings',
        ],
      });
      assert.match(report.checks.find((c) => c.name === 'migrations')!.detail, /tessera config apply/);
      // Nothing was created: the probe tables were rolled back.
      const database = await PlatformDatabase.open(target.url);
      const tables = await database.db.introspection.getTables();
      await database.close();
      assert.ok(!tables.some((table) => table.name.startsWith('tessera_probe_')));
    });

    it('says the schema is up to date once migrated, and leaves no test row in the sessions table', async () => {
      await (await PlatformDatabase.open(target.url)).close();
      const report = await testDatabase(parseDatabaseUrl(target.url), { env: NO_PGPASSWORD });
      assert.equal(report.ok, true, report.problem ?? '');
      assert.deepEqual(report.migrations, { state: 'current', count: 5 });
      assert.match(report.checks.find((c) => c.name === 'write, read, delete')!.detail, /sessions table/);
      assert.equal(await sessionRows(target.url), 0);
    });

    it('fails the migrations check of a schema newer than this Tessera, naming the migration', async () => {
      const database = await PlatformDatabase.open(target.url);
      await sql`insert into kysely_migration (name, timestamp) values ('9999_future', '2030-01-01T00:00:00.000Z')`.execute(
        database.db,
      );
      await database.close();
      const report = await testDatabase(parseDatabaseUrl(target.url), { env: NO_PGPASSWORD });
      const check = failed(report);
      assert.equal(check.name, 'migrations');
      assert.equal(check.code, 'TESSERA_PLATFORM_SCHEMA_NEWER');
      assert.match(check.detail, /9999_future/);
      assert.deepEqual(report.migrations, { state: 'newer', unknown: ['9999_future'] });
    });
  });
}

describe('Test Connection of a SQLite file', () => {
  let file: TestSqliteFile;
  beforeEach(async () => {
    file = await createSqliteFile();
  });
  afterEach(async () => {
    await file.remove();
  });

  it('creates a missing file only for the test and removes it after', async () => {
    const report = await testDatabase({ engine: 'sqlite', path: file.path });
    assert.equal(report.ok, true, report.problem ?? '');
    assert.match(report.checks[0]!.detail, /does not exist yet/);
    assert.equal(existsSync(file.path), false);
    assert.equal(existsSync(`${file.path}-wal`), false);
  });

  it('fails "file reachable" when the folder does not exist, naming it', async () => {
    const path = join(file.path, '..', 'missing', 'platform.db');
    const check = failed(await testDatabase({ engine: 'sqlite', path }));
    assert.equal(check.name, 'file reachable');
    assert.equal(check.code, 'TESSERA_PLATFORM_UNREACHABLE');
    assert.match(check.detail, /missing does not exist/);
  });

  it('fails "file reachable" for a folder given as the file, and for a file that is not SQLite', async () => {
    const folder = join(file.path, '..', 'a-folder.db');
    mkdirSync(folder);
    assert.equal(failed(await testDatabase({ engine: 'sqlite', path: folder })).name, 'file reachable');
    writeFileSync(file.path, 'not a database, but long enough to have a header of its own..........');
    const check = failed(await testDatabase({ engine: 'sqlite', path: file.path }));
    assert.equal(check.name, 'file reachable');
    assert.equal(check.code, 'TESSERA_PLATFORM_UNREACHABLE');
    assert.equal(existsSync(file.path), true, 'a file the test did not create is never removed');
  });
});

describe('Test Connection of a broken PostgreSQL setting', () => {
  let database: TestDatabase;
  const roles: string[] = [];
  beforeEach(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    await database.drop();
  });
  after(async () => {
    if (roles.length === 0) return;
    const client = new pg.Client({ ...POSTGRES_SERVER, database: 'postgres' });
    await client.connect();
    try {
      for (const role of roles) await client.query(`DROP ROLE IF EXISTS ${role}`);
    } finally {
      await client.end();
    }
  });

  function settings(overrides: Partial<Extract<DatabaseSettings, { engine: 'postgres' }>>): DatabaseSettings {
    return {
      ...(parseDatabaseUrl(database.url) as Extract<DatabaseSettings, { engine: 'postgres' }>),
      ...overrides,
    };
  }

  it('a port where nothing listens: "host reachable" fails, naming host:port', async () => {
    const port = await freePort();
    const check = failed(await testDatabase(settings({ port }), { env: NO_PGPASSWORD }));
    assert.equal(check.name, 'host reachable');
    assert.equal(check.code, 'TESSERA_PLATFORM_UNREACHABLE');
    assert.match(
      check.detail,
      new RegExp(`nothing listens on 127\\.0\\.0\\.1:${port} \\(connection refused\\)`),
    );
  });

  it('a database that does not exist: "authentication" fails with NO_DATABASE and says how to create it', async () => {
    const name = `tessera_missing_${randomBytes(4).toString('hex')}`;
    const check = failed(await testDatabase(settings({ database: name }), { env: NO_PGPASSWORD }));
    assert.equal(check.name, 'authentication');
    assert.equal(check.code, 'TESSERA_PLATFORM_NO_DATABASE');
    assert.match(check.detail, new RegExp(`createdb -O <user> ${name}`));
  });

  it('a user that does not exist: "authentication" fails with AUTH', async () => {
    const check = failed(await testDatabase(settings({ user: 'tessera_nobody' }), { env: NO_PGPASSWORD }));
    assert.equal(check.name, 'authentication');
    assert.equal(check.code, 'TESSERA_PLATFORM_AUTH');
    assert.match(check.detail, /tessera_nobody/);
  });

  it('a user who may not create tables: "create tables" fails with PERMISSION and says what to grant', async () => {
    const role = `tessera_reader_${randomBytes(4).toString('hex')}`;
    roles.push(role);
    const client = new pg.Client({ ...POSTGRES_SERVER, database: database.name });
    await client.connect();
    try {
      await client.query(`CREATE ROLE ${role} LOGIN`);
      // PostgreSQL 15 and newer grant no CREATE on public to other roles; older ones do.
      await client.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
    } finally {
      await client.end();
    }
    const check = failed(await testDatabase(settings({ user: role }), { env: NO_PGPASSWORD }));
    assert.equal(check.name, 'create tables');
    assert.equal(check.code, 'TESSERA_PLATFORM_PERMISSION');
    assert.match(check.detail, /GRANT CREATE ON SCHEMA public/);
  });

  it('a wrong password', {
    skip: 'cannot be produced here: the test server authenticates every local connection with trust, so any password is accepted',
  }, () => {});
});
