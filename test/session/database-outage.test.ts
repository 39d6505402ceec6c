/**
 * The Database provider through outages, produced for real: PostgreSQL behind a
 * proxy that is cut and brought back, a backend terminated while its statement
 * runs, a statement timeout, a SQLite file locked by another connection beyond the
 * busy timeout. Lock releases that find the database away are retried until it
 * answers, and drained (within `closeTimeoutMs`) when the store closes; a write
 * whose answer was lost is an unknown outcome, a write refused is not.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import pg from 'pg';
import { DatabaseSessionStore } from '../../src/platform/index.ts';
import { type ActiveSession, SessionEngine, type SessionError } from '../../src/session/index.ts';
import { createTestDatabase, POSTGRES_SERVER, type TestDatabase } from '../support/postgres.ts';
import { createSqliteFile } from '../support/sqlite-file.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

function cutOff(error: SessionError): boolean {
  assert.ok(
    error.code === 'TESSERA_SESSION_STORE_UNAVAILABLE' || error.code === 'TESSERA_SESSION_OUTCOME_UNKNOWN',
    error.code,
  );
  return true;
}

/** Opens `id` exclusively, retrying while the store is still coming back; fails after `limitMs`. */
async function openWhenBack(sessions: SessionEngine, id: string, limitMs: number): Promise<ActiveSession> {
  const started = Date.now();
  for (;;) {
    const session = await sessions.open(id).catch((error: SessionError) => {
      if (error.code !== 'TESSERA_SESSION_STORE_UNAVAILABLE' || Date.now() - started > limitMs) throw error;
      return sleep(50).then(() => undefined);
    });
    if (session) return session;
  }
}

/** A session saved with `n`, then opened (locked) by `sessions`. */
async function lockedSession(sessions: SessionEngine, n: number): Promise<ActiveSession> {
  const seed = await sessions.open(undefined);
  seed.set('n', n);
  await seed.commit();
  return sessions.open(seed.id);
}

describe('the Database provider on PostgreSQL going away', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  const stores: DatabaseSessionStore[] = [];
  const viaProxy = async (options = {}) => {
    const url = `postgres://${POSTGRES_SERVER.user}@127.0.0.1:${proxy.port}/${database.name}`;
    const store = await DatabaseSessionStore.connect(url, options);
    stores.push(store);
    return store;
  };

  before(async () => {
    database = await createTestDatabase();
    proxy = await startTcpProxy(POSTGRES_SERVER.host, POSTGRES_SERVER.port);
    // The schema, created once directly.
    stores.push(await DatabaseSessionStore.connect(database.url));
  });
  after(async () => {
    await Promise.allSettled(stores.map((store) => store.close()));
    await proxy?.stop();
    await database?.drop();
  });

  it('releases the lock of a request the database went away under once it is back, not after the request timeout', async () => {
    const cut = await viaProxy();
    const sessionsA = new SessionEngine(cut.provider, { appKey: 'outage' });
    // A short wait on B, so that a lock left for its whole lifetime fails the test quickly.
    const sessionsB = new SessionEngine(stores[0]!.provider, { appKey: 'outage', requestTimeoutMs: 8000 });
    const holder = await lockedSession(sessionsA, 1);
    await proxy.stop();
    holder.set('n', 2);
    await assert.rejects(holder.commit(), cutOff);
    assert.equal(cut.provider.pendingReleases, 1, 'the release waits for the database');
    await proxy.start();
    const started = Date.now();
    const next = await sessionsB.open(holder.id);
    assert.ok(Date.now() - started < 5000, `had the lock after ${Date.now() - started} ms`);
    assert.equal(next.get('n'), 1, 'the failed save wrote nothing');
    await next.commit();
    assert.equal(cut.provider.pendingReleases, 0);
  });

  it('drains the releases waiting for the database before it closes, so no session stays locked after an outage', async () => {
    const closing = await viaProxy({ closeTimeoutMs: 20_000 });
    const sessionsA = new SessionEngine(closing.provider, { appKey: 'drain' });
    const sessionsB = new SessionEngine(stores[0]!.provider, { appKey: 'drain', requestTimeoutMs: 8000 });
    const holder = await lockedSession(sessionsA, 1);
    await proxy.stop();
    holder.set('n', 2);
    await assert.rejects(holder.commit(), cutOff);
    assert.equal(closing.provider.pendingReleases, 1);
    // The front-end shuts down during the outage; the database comes back while it closes.
    const closed = closing.close();
    await proxy.start();
    await closed;
    assert.equal(closing.provider.pendingReleases, 0, 'released before the database was closed');
    const started = Date.now();
    const next = await openWhenBack(sessionsB, holder.id, 5000);
    assert.ok(Date.now() - started < 5000, `had the lock after ${Date.now() - started} ms`);
    assert.equal(next.get('n'), 1);
    await next.commit();
  });

  it('closes after closeTimeoutMs when the database stays away, leaving those locks to expire', async () => {
    const store = await viaProxy({ closeTimeoutMs: 300 });
    const sessions = new SessionEngine(store.provider, { appKey: 'gone' });
    const holder = await lockedSession(sessions, 1);
    await proxy.stop();
    try {
      holder.set('n', 2);
      await assert.rejects(holder.commit(), cutOff);
      assert.equal(store.provider.pendingReleases, 1);
      const started = Date.now();
      await store.close();
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 250 && elapsed < 3000, `closed after ${elapsed} ms`);
    } finally {
      await proxy.start();
    }
  });
});

describe('the Database provider on PostgreSQL, when a write gets no answer', () => {
  let database: TestDatabase;
  let store: DatabaseSessionStore;
  let admin: pg.Client;

  before(async () => {
    database = await createTestDatabase();
    store = await DatabaseSessionStore.connect(database.url);
    admin = new pg.Client({ ...POSTGRES_SERVER, database: database.name });
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
    await store?.close();
    await database?.drop();
  });

  /**
   * Holds the session's row in another transaction, so that a statement writing it
   * waits on the server; resolves, once one does, to that backend's pid.
   */
  async function holdRow(id: string): Promise<{ waiting: () => Promise<number>; end: () => Promise<void> }> {
    const blocker = new pg.Client({ ...POSTGRES_SERVER, database: database.name });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE', [id]);
    const blockerPid = (await blocker.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    return {
      async waiting() {
        // The server publishes no event for "a backend waits on a lock": look until one does.
        for (;;) {
          const { rows } = await admin.query(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND pid <> $2",
            [database.name, blockerPid],
          );
          if (rows[0]) return rows[0].pid as number;
          await sleep(10);
        }
      },
      async end() {
        await blocker.query('ROLLBACK');
        await blocker.end();
      },
    };
  }

  it('reports a save whose connection was terminated while it ran as an unknown outcome, not as "nothing was written"', async () => {
    const sessions = new SessionEngine(store.provider, { appKey: 'terminated' });
    const holder = await lockedSession(sessions, 0);
    const row = await holdRow(holder.id);
    try {
      holder.set('n', 1);
      const saving = holder.commit();
      await admin.query('SELECT pg_terminate_backend($1)', [await row.waiting()]);
      await assert.rejects(saving, (error: SessionError & { cause: { code: string } }) => {
        assert.equal(error.code, 'TESSERA_SESSION_OUTCOME_UNKNOWN');
        assert.equal(error.cause.code, 'TESSERA_PLATFORM_NO_ANSWER');
        assert.match(error.message, /may or may not have done it/);
        assert.match(error.message, new RegExp(`PostgreSQL postgres@127\\.0\\.0\\.1:5432/${database.name}`));
        return true;
      });
    } finally {
      await row.end();
    }
    // Here the server had not applied it; the session is usable at once (the lock was released).
    const next = await sessions.open(holder.id);
    assert.equal(next.get('n'), 0);
    await next.commit();
  });

  it('reports a save the server cancelled at its statement timeout as unavailable: it was rolled back', async () => {
    const impatient = await DatabaseSessionStore.connect(database.url, { statementTimeoutMs: 300 });
    try {
      const sessions = new SessionEngine(impatient.provider, { appKey: 'cancelled' });
      const holder = await lockedSession(sessions, 0);
      const row = await holdRow(holder.id);
      try {
        holder.set('n', 1);
        await assert.rejects(
          holder.commit(),
          (error: SessionError & { cause: { cause: { code: string } } }) => {
            assert.equal(error.code, 'TESSERA_SESSION_STORE_UNAVAILABLE');
            assert.equal(error.cause.cause.code, '57014');
            return true;
          },
        );
      } finally {
        await row.end();
      }
      const next = await openWhenBack(sessions, holder.id, 5000);
      assert.equal(next.get('n'), 0, 'nothing was written');
      await next.commit();
    } finally {
      await impatient.close();
    }
  });
});

describe('the Database provider on a SQLite file locked by another connection', () => {
  it('retries a release refused while the file is locked beyond the busy timeout, as soon as it is free', async () => {
    const file = await createSqliteFile();
    const locked = await DatabaseSessionStore.connect(file.url, { busyTimeoutMs: 100 });
    const other = await DatabaseSessionStore.connect(file.url);
    const writer = new Database(file.path);
    try {
      const sessionsA = new SessionEngine(locked.provider, { appKey: 'busy' });
      const sessionsB = new SessionEngine(other.provider, { appKey: 'busy', requestTimeoutMs: 8000 });
      const holder = await lockedSession(sessionsA, 1);
      writer.exec('BEGIN IMMEDIATE');
      holder.set('n', 2);
      await assert.rejects(holder.commit(), (error: SessionError & { cause: { code: string } }) => {
        // Refused before it ran: nothing was applied, so this is not an unknown outcome.
        assert.equal(error.code, 'TESSERA_SESSION_STORE_UNAVAILABLE');
        assert.equal(error.cause.code, 'TESSERA_PLATFORM_BUSY');
        return true;
      });
      assert.equal(locked.provider.pendingReleases, 1);
      writer.exec('ROLLBACK');
      const started = Date.now();
      const next = await sessionsB.open(holder.id);
      assert.ok(Date.now() - started < 5000, `had the lock after ${Date.now() - started} ms`);
      assert.equal(next.get('n'), 1);
      await next.commit();
      assert.equal(locked.provider.pendingReleases, 0);
    } finally {
      if (writer.inTransaction) writer.exec('ROLLBACK');
      writer.close();
      await locked.close();
      await other.close();
      await file.remove();
    }
  });
});
