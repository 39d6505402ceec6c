/**
 * What the engines keep off the request path: SQLite's checkpoints run in a worker
 * thread, not in the commit of a request; a PostgreSQL release notifies only a
 * channel someone listens on (a notification serialises the server's commits).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { DatabaseSessionStore } from '../../src/platform/index.ts';
import { LISTENED_CHANNEL_LOCK_CLASS, SessionEngine } from '../../src/session/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { createSqliteFile, type TestSqliteFile } from '../support/sqlite-file.ts';

describe('SQLite: the write-ahead log', () => {
  let file: TestSqliteFile;
  let store: DatabaseSessionStore;
  before(async () => {
    file = await createSqliteFile();
    store = await DatabaseSessionStore.connect(file.url);
  });
  after(async () => {
    await store?.close();
    await file?.remove();
  });

  it('is checkpointed into the file in the background, once the requests are done', async () => {
    const engine = new SessionEngine(store.provider, { appKey: 'checkpoint' });
    const sizeBefore = statSync(file.path).size;
    for (let i = 0; i < 200; i++) {
      const session = await engine.open(undefined);
      session.set('filler', 'x'.repeat(2000));
      await session.commit();
    }
    assert.ok(statSync(`${file.path}-wal`).size > 200 * 2000, 'the sessions are in the log');
    // Nothing runs now but the checkpointer (every second): SQLite itself copies the log
    // into the file only in a commit (or when the last connection closes).
    const deadline = Date.now() + 10_000;
    while (statSync(file.path).size === sizeBefore && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(statSync(file.path).size > 200 * 2000, 'the log was copied into the file');
  });
});

describe('PostgreSQL: release notifications', () => {
  let database: TestDatabase;
  let store: DatabaseSessionStore;
  let listener: pg.Client;
  const heard: string[] = [];
  before(async () => {
    database = await createTestDatabase();
    store = await DatabaseSessionStore.connect(database.url);
    listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    listener.on('notification', (message) => heard.push(message.payload ?? ''));
  });
  after(async () => {
    await listener?.end();
    await store?.close();
    await database?.drop();
  });

  /** The channel the Database provider notifies for a session (its contract with its listeners). */
  const channelOf = (appKey: string, id: string) =>
    `tessera_session_${createHash('sha256').update(`${appKey}\u0000${id}`).digest('hex').slice(0, 40)}`;

  /** Notifications committed before now, once the listening connection has had a round trip. */
  async function heardSoFar(): Promise<string[]> {
    await listener.query('SELECT 1');
    return [...heard];
  }

  it('are sent only while someone marks the channel as listened to', async () => {
    const engine = new SessionEngine(store.provider, { appKey: 'notify' });
    const seeded = await engine.open(undefined);
    seeded.set('n', 0);
    await seeded.commit();
    const channel = channelOf('notify', seeded.id);
    await listener.query(`LISTEN ${channel}`);

    // Listening without the mark: an uncontended save that releases the lock sends nothing.
    const quiet = await engine.open(seeded.id);
    quiet.set('n', 1);
    await quiet.commit();
    assert.deepEqual(await heardSoFar(), []);

    // A waiter's mark: the release is notified.
    await listener.query('SELECT pg_advisory_lock_shared($1, hashtext($2))', [
      LISTENED_CHANNEL_LOCK_CLASS,
      channel,
    ]);
    const waited = await engine.open(seeded.id);
    waited.set('n', 2);
    await waited.commit();
    assert.deepEqual(await heardSoFar(), ['released']);
  });
});
