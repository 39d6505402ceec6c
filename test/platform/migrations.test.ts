/** Migrations at open: idempotent, safe with several processes at once, and a newer schema refused. */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { sql } from 'kysely';
import { DatabaseSessionStore, PlatformDatabase } from '../../src/platform/index.ts';
import { PrincipalSessions, principalOf, SessionEngine } from '../../src/session/index.ts';
import { ENGINES, type EngineTarget } from './engines.ts';

const PROCESS = new URL('./open-database-process.ts', import.meta.url).pathname;

/** Starts `count` processes, waits until each is loaded, then lets them all open `url` at once. */
async function openAtOnce(url: string, count: number): Promise<unknown[]> {
  const children: ChildProcessWithoutNullStreams[] = [];
  try {
    const lines = await Promise.all(
      Array.from({ length: count }, async () => {
        const child = spawn(process.execPath, [
          '--import',
          'tsx',
          '--conditions=tessera-source',
          PROCESS,
          url,
        ]);
        children.push(child);
        const reader = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
        assert.equal((await reader.next()).value, 'ready');
        return reader;
      }),
    );
    for (const child of children) child.stdin.write('go\n');
    return await Promise.all(lines.map(async (reader) => JSON.parse((await reader.next()).value as string)));
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
    await Promise.all(children.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));
  }
}

for (const engine of ENGINES) {
  describe(`platform migrations: ${engine.name}`, () => {
    let target: EngineTarget;
    beforeEach(async () => {
      target = await engine.start();
    });
    afterEach(async () => {
      await target?.stop();
    });

    it('creates the schema on first open, and finds nothing to do on the next', async () => {
      const first = await PlatformDatabase.open(target.url);
      try {
        assert.deepEqual(await first.executedMigrations(), [
          '0001_initial',
          '0002_session_principal',
          '0003_frontend_modules',
          '0004_login_failures',
          '0005_deployment_settings',
        ]);
        assert.deepEqual((await first.migrate()).applied, []);
      } finally {
        await first.close();
      }
      const second = await PlatformDatabase.open(target.url);
      try {
        assert.deepEqual(await second.executedMigrations(), [
          '0001_initial',
          '0002_session_principal',
          '0003_frontend_modules',
          '0004_login_failures',
          '0005_deployment_settings',
        ]);
        const tables = (await second.db.introspection.getTables()).map((t) => t.name).sort();
        for (const table of [
          'applications',
          'modules',
          'module_versions',
          'operations',
          'operation_progress',
          'frontends',
          'frontend_modules',
          'users',
          'audit_log',
          'sessions',
          'login_failures',
        ])
          assert.ok(tables.includes(table), `${table} exists`);
      } finally {
        await second.close();
      }
    });

    it('migrates once when three processes open a new database at the same moment', async () => {
      const reports = await openAtOnce(target.url, 3);
      // Each process migrated at open (or waited for another that did); a second `migrate()` finds nothing left.
      for (const report of reports)
        assert.deepEqual(report, {
          applied: [],
          executed: [
            '0001_initial',
            '0002_session_principal',
            '0003_frontend_modules',
            '0004_login_failures',
            '0005_deployment_settings',
          ],
        });
    });

    it('adds the session principal to a database of the first schema, keeping its sessions, even half-added by hand', async () => {
      const store = await DatabaseSessionStore.connect(target.url);
      const engine = new SessionEngine(store.provider, { appKey: 'shop' });
      const before = await engine.open(undefined);
      before.set('cart', ['book']);
      await before.commit();
      // Back to the first schema, except one column someone already added by hand.
      const db = store.database.db;
      await sql`drop index sessions_principal`.execute(db);
      await sql`alter table sessions drop column principal_front_end`.execute(db);
      await sql`alter table sessions drop column principal_user_agent`.execute(db);
      await sql`drop table frontend_modules`.execute(db);
      await sql`drop table login_failures`.execute(db);
      await sql`delete from kysely_migration where name in ('0002_session_principal', '0003_frontend_modules', '0004_login_failures', '0005_deployment_settings')`.execute(
        db,
      );
      await store.close();

      const upgraded = await DatabaseSessionStore.connect(target.url);
      try {
        assert.deepEqual(await upgraded.database.executedMigrations(), [
          '0001_initial',
          '0002_session_principal',
          '0003_frontend_modules',
          '0004_login_failures',
          '0005_deployment_settings',
        ]);
        const again = new SessionEngine(upgraded.provider, { appKey: 'shop' });
        const session = await again.open(before.id);
        assert.deepEqual(session.get('cart'), ['book']);
        session.setPrincipal(principalOf('alice', 'ua'));
        await session.commit();
        const listed = await new PrincipalSessions(upgraded, { appKey: 'shop' }).list('alice');
        assert.deepEqual(
          listed.map((s) => [s.id, s.userAgent]),
          [[before.id, 'ua']],
        );
      } finally {
        await upgraded.close();
      }
    });

    it('runs the login failures and deployment settings migrations again over their tables and columns made by hand', async () => {
      const database = await PlatformDatabase.open(target.url);
      await sql`drop index login_failures_last_failure_at`.execute(database.db);
      await sql`delete from kysely_migration where name in ('0004_login_failures', '0005_deployment_settings')`.execute(
        database.db,
      );
      await database.close();
      const upgraded = await PlatformDatabase.open(target.url);
      try {
        assert.equal((await upgraded.executedMigrations()).at(-1), '0005_deployment_settings');
        const indexes =
          engine.name === 'SQLite'
            ? await sql<{ name: string }>`select name from sqlite_master where type = 'index'`.execute(
                upgraded.db,
              )
            : await sql<{ name: string }>`select indexname as name from pg_indexes`.execute(upgraded.db);
        assert.ok(indexes.rows.some((row) => row.name === 'login_failures_last_failure_at'));
      } finally {
        await upgraded.close();
      }
    });

    it('refuses a database migrated by a newer Tessera, naming it, and changes nothing', async () => {
      const database = await PlatformDatabase.open(target.url);
      await sql`insert into kysely_migration (name, timestamp) values ('0099_from_the_future', '2030-01-01T00:00:00.000Z')`.execute(
        database.db,
      );
      await database.close();
      const started = Date.now();
      await assert.rejects(DatabaseSessionStore.connect(target.url), (error: Error & { code: string }) => {
        assert.equal(error.code, 'TESSERA_PLATFORM_SCHEMA_NEWER');
        assert.match(error.message, /0099_from_the_future/);
        assert.match(
          error.message,
          engine.name === 'SQLite' ? /SQLite file \// : /PostgreSQL postgres@127\.0\.0\.1:5432\//,
        );
        assert.match(error.message, /Upgrade this front-end server/);
        return true;
      });
      assert.ok(Date.now() - started < 2000);
    });
  });
}
