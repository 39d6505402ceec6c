/**
 * Faults of the platform database, produced for real: a server that is not there
 * or goes away, a SQLite file locked by another connection beyond the busy
 * timeout, a full database, a file that cannot be written. Each fails fast with a typed error that names the
 * database and never a password; over HTTP each is a 503, and nothing stored is lost.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { type RequestWithSession, sessionMiddleware } from 'tessera';
import { DatabaseSessionStore } from '../../src/platform/index.ts';
import { SessionEngine } from '../../src/session/index.ts';
import { CookieClient, listen, type RunningServer } from '../http/http-helpers.ts';
import { createTestDatabase, POSTGRES_SERVER, type TestDatabase } from '../support/postgres.ts';
import { createSqliteFile, type TestSqliteFile } from '../support/sqlite-file.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** An HTTP server counting requests in the session. */
function counter(store: DatabaseSessionStore): Promise<RunningServer> {
  const handle = sessionMiddleware({ store, retryAfterSeconds: 2 });
  return listen(async (req: IncomingMessage, res: ServerResponse) => {
    await handle(req, res);
    if (res.writableEnded) return;
    const session = (req as RequestWithSession).session;
    session.count = ((session.count as number | undefined) ?? 0) + 1;
    res.end(String(session.count));
  });
}

describe('platform database faults', () => {
  it('refuses an unreachable PostgreSQL at once, naming it without its password', async () => {
    const port = await closedPort();
    const started = Date.now();
    await assert.rejects(
      DatabaseSessionStore.connect(`postgres://tessera:s3cret-pw@127.0.0.1:${port}/platform`),
      (error: Error & { code: string }) => {
        assert.equal(error.code, 'TESSERA_PLATFORM_UNREACHABLE');
        assert.match(
          error.message,
          new RegExp(`PostgreSQL tessera@127\\.0\\.0\\.1:${port}/platform cannot be reached`),
        );
        assert.match(error.message, /ECONNREFUSED/);
        assert.doesNotMatch(error.message, /s3cret/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  });

  it('refuses a SQLite file whose folder does not exist, naming the file', async () => {
    await assert.rejects(DatabaseSessionStore.connect('sqlite:/nonexistent-folder/tessera/platform.db'), {
      code: 'TESSERA_PLATFORM_UNREACHABLE',
      message: /SQLite file \/nonexistent-folder\/tessera\/platform\.db cannot be reached/,
    });
  });

  it('refuses a SQLite file that cannot be written, naming it and what to do', async (t) => {
    const file = await createSqliteFile();
    const folder = dirname(file.path);
    await (await DatabaseSessionStore.connect(file.url)).close();
    // Tests run as root, whom permissions do not stop: the immutable attribute does.
    const immutable = spawnSync('chattr', ['+i', file.path, folder], { encoding: 'utf8' });
    try {
      if (immutable.status !== 0) {
        t.skip(`chattr +i is not available here (${immutable.stderr}), so no file is read-only to root`);
        return;
      }
      await assert.rejects(DatabaseSessionStore.connect(file.url), {
        code: 'TESSERA_PLATFORM_READ_ONLY',
        message: new RegExp(
          `SQLite file ${file.path} cannot be written: .*Give the user that runs Tessera write access`,
        ),
      });
    } finally {
      spawnSync('chattr', ['-i', file.path, folder]);
      await file.remove();
    }
  });

  it('refuses an address that is neither sqlite: nor postgres://', async () => {
    await assert.rejects(DatabaseSessionStore.connect('mysql://root@db/tessera'), {
      code: 'TESSERA_PLATFORM_DATABASE_URL',
    });
  });

  describe('PostgreSQL going away under running requests', () => {
    let database: TestDatabase;
    let proxy: TcpProxy;
    let store: DatabaseSessionStore;
    let server: RunningServer;

    before(async () => {
      database = await createTestDatabase();
      proxy = await startTcpProxy(POSTGRES_SERVER.host, POSTGRES_SERVER.port);
      store = await DatabaseSessionStore.connect(
        `postgres://${POSTGRES_SERVER.user}@127.0.0.1:${proxy.port}/${database.name}`,
      );
      server = await counter(store);
    });
    after(async () => {
      await server?.close();
      await store?.close();
      await proxy?.stop();
      await database?.drop();
    });

    it('answers 503 at once while it is away, and continues the same session when it is back', async () => {
      const client = new CookieClient(server.url);
      assert.equal((await client.get('/')).body, '1');
      await proxy.stop();
      for (let i = 0; i < 3; i++) {
        const reply = await client.get('/');
        assert.equal(reply.status, 503);
        assert.match(reply.body, /TESSERA_SESSION_STORE_UNAVAILABLE/);
        assert.equal(reply.headers.get('retry-after'), '2');
        assert.ok(reply.elapsedMs < 1000, `answered in ${reply.elapsedMs} ms`);
      }
      await proxy.start();
      assert.equal((await client.get('/')).body, '2', 'the stored session survived');
    });
  });

  describe('SQLite locked or full', () => {
    let file: TestSqliteFile;
    let store: DatabaseSessionStore;
    let server: RunningServer;

    before(async () => {
      file = await createSqliteFile();
      store = await DatabaseSessionStore.connect(file.url, { busyTimeoutMs: 200 });
      server = await counter(store);
    });
    after(async () => {
      await server?.close();
      await store?.close();
      await file?.remove();
    });

    it('answers 503 when another connection holds the write lock beyond the busy timeout, and loses nothing', async () => {
      const client = new CookieClient(server.url);
      assert.equal((await client.get('/')).body, '1');
      const other = new Database(file.path);
      try {
        other.exec('BEGIN IMMEDIATE');
        const reply = await client.get('/');
        assert.equal(reply.status, 503);
        assert.match(reply.body, /TESSERA_SESSION_STORE_UNAVAILABLE/);
        assert.ok(reply.elapsedMs < 1000, `answered in ${reply.elapsedMs} ms`);
        const sessions = new SessionEngine(store.provider, { appKey: 'direct' });
        await assert.rejects(
          sessions.open(undefined).then((session) => {
            session.set('n', 1);
            return session.commit();
          }),
          (error: Error & { code: string; cause: { code: string } }) => {
            assert.equal(error.code, 'TESSERA_SESSION_STORE_UNAVAILABLE');
            assert.equal(error.cause.code, 'TESSERA_PLATFORM_BUSY');
            assert.match(error.message, new RegExp(`SQLite file ${file.path}`));
            assert.match(error.message, /busy timeout \(200 ms\)/);
            return true;
          },
        );
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
      assert.equal((await client.get('/')).body, '2');
    });

    it('answers 503 when the database is full, and keeps what was stored', async () => {
      const client = new CookieClient(server.url);
      assert.equal((await client.get('/')).body, '1');
      // A real SQLITE_FULL: the file may not grow past the pages it has now.
      const pages = await sql<{ page_count: number }>`pragma page_count`.execute(store.database.db);
      await sql.raw(`pragma max_page_count = ${pages.rows[0]!.page_count}`).execute(store.database.db);
      const sessions = new SessionEngine(store.provider, { appKey: 'full' });
      const session = await sessions.open(undefined);
      // Within maxSessionBytes (1 MiB), beyond what the capped file can take.
      session.set('big', 'x'.repeat(900 * 1024));
      await assert.rejects(session.commit(), (error: Error & { code: string; cause: { code: string } }) => {
        assert.equal(error.code, 'TESSERA_SESSION_STORE_UNAVAILABLE');
        assert.equal(error.cause.code, 'TESSERA_PLATFORM_FULL');
        assert.match(error.message, /is full/);
        return true;
      });
      assert.equal((await client.get('/')).body, '2', 'small writes still fit, the session is intact');
    });
  });
});
