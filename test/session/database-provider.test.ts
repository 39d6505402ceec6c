/**
 * What the Database provider adds to the semantics suite: waiters in another
 * process (here: another store, with its own connection and its own waiter list)
 * are woken promptly — by NOTIFY on PostgreSQL, by the short poll on SQLite —,
 * expired sessions are swept in bounded batches, and a lock lost in a server crash
 * (a commit that did not wait for the disk) loses no update. Both engines; which
 * commits wait for the disk, on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DatabaseSessionStore } from '../../src/platform/index.ts';
import { SessionEngine, type SessionKey, type SqlQuery } from '../../src/session/index.ts';
import { sessionStatements } from '../../src/session/providers/database-statements.ts';
import { ENGINES, type EngineTarget } from '../platform/engines.ts';

for (const engine of ENGINES) {
  describe(`the Database provider on ${engine.name}`, () => {
    let target: EngineTarget;
    let first: DatabaseSessionStore;
    let second: DatabaseSessionStore;

    before(async () => {
      target = await engine.start();
      first = await DatabaseSessionStore.connect(target.url);
      second = await DatabaseSessionStore.connect(target.url);
    });
    after(async () => {
      await first?.close();
      await second?.close();
      await target?.stop();
    });

    it('wakes a request waiting on another connection soon after the release, not at the next lock poll', async () => {
      const here = new SessionEngine(first.provider, { appKey: 'wake', lockPollMs: 10_000 });
      const there = new SessionEngine(second.provider, { appKey: 'wake', lockPollMs: 10_000 });
      const seeded = await here.open(undefined);
      seeded.set('n', 0);
      await seeded.commit();
      const holder = await here.open(seeded.id);
      const waiting = there.open(seeded.id);
      // Let the waiter find the lock taken and start watching.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const released = Date.now();
      holder.set('n', 1);
      await holder.commit();
      const waiter = await waiting;
      const wokenAfterMs = Date.now() - released;
      assert.equal(waiter.get('n'), 1);
      await waiter.commit();
      assert.ok(wokenAfterMs < 1000, `woken ${wokenAfterMs} ms after the release`);
    });

    it('sweeps every expired session in batches smaller than their number, and only those', async () => {
      const provider = second.provider;
      const short = new SessionEngine(provider, { appKey: 'sweep', timeoutMinutes: 0.002 }); // 120 ms
      const long = new SessionEngine(provider, { appKey: 'sweep' });
      const ids = [];
      for (let i = 0; i < 25; i++) {
        const session = await (i < 5 ? long : short).open(undefined);
        session.set('i', i);
        await session.commit();
        ids.push(session.id);
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      const small = await DatabaseSessionStore.connect(target.url, { sweepBatchSize: 7 });
      try {
        await small.provider.sweep();
      } finally {
        await small.close();
      }
      const rows = await second.database.db
        .selectFrom('sessions')
        .select('id')
        .where('app_key', '=', 'sweep')
        .execute();
      assert.deepEqual(rows.map((row) => row.id).sort(), ids.slice(0, 5).sort());
    });

    describe('a lock whose commit a server crash lost', () => {
      const LOCK = { lockTimeoutMs: 60_000 };
      const changes = (n: number) => ({ set: new Map([['n', String(n)]]), remove: [] });
      /** The row as the crash leaves it: the lock just taken is gone, nothing else changed (the load did not slide the expiry). */
      async function loseLock(key: SessionKey): Promise<void> {
        await first.database
          .sessionDatabase()
          .query(
            'UPDATE sessions SET lock_token = NULL, lock_acquired_at_ms = NULL, lock_expires_at_ms = NULL WHERE app_key = $1 AND id = $2',
            [key.appKey, key.id],
          );
      }
      async function seeded(id: string): Promise<{ key: SessionKey; version: number }> {
        const key = { appKey: 'crash', id };
        const session = { items: new Map([['n', '0']]), timeoutMinutes: 20, absoluteLifetimeMs: null };
        const created = await first.provider.create(key, session, { lockToken: null, ...LOCK });
        assert.equal(created.state, 'created');
        return { key, version: created.state === 'created' ? created.version : 0 };
      }

      it('refuses the save of the first holder once another request saved the session', async () => {
        const { key, version } = await seeded('saved-by-another');
        assert.equal((await first.provider.loadExclusive(key, 'first', LOCK)).state, 'loaded');
        await loseLock(key);
        assert.equal((await second.provider.loadExclusive(key, 'second', LOCK)).state, 'loaded');
        const saved = await second.provider.save(key, changes(2), {
          lockToken: 'second',
          expectedVersion: version,
          releaseLock: true,
        });
        assert.equal(saved.state, 'saved');
        const late = await first.provider.save(key, changes(1), {
          lockToken: 'first',
          expectedVersion: version,
          releaseLock: true,
        });
        assert.equal(late.state, 'lock-lost');
        const stored = await first.provider.peek(key);
        assert.equal(stored.state === 'loaded' && stored.session.items.get('n'), '2');
      });

      it('refuses the save of the first holder while another request holds the lock', async () => {
        const { key, version } = await seeded('held-by-another');
        assert.equal((await first.provider.loadExclusive(key, 'first', LOCK)).state, 'loaded');
        await loseLock(key);
        assert.equal((await second.provider.loadExclusive(key, 'second', LOCK)).state, 'loaded');
        const late = await first.provider.save(key, changes(1), {
          lockToken: 'first',
          expectedVersion: version,
          releaseLock: true,
        });
        assert.equal(late.state, 'lock-lost');
        const saved = await second.provider.save(key, changes(2), {
          lockToken: 'second',
          expectedVersion: version,
          releaseLock: true,
        });
        assert.equal(saved.state, 'saved');
      });

      it('applies the save of the first holder when nobody took the lock since', async () => {
        const { key, version } = await seeded('untouched');
        assert.equal((await first.provider.loadExclusive(key, 'first', LOCK)).state, 'loaded');
        await loseLock(key);
        const saved = await first.provider.save(key, changes(1), {
          lockToken: 'first',
          expectedVersion: version,
          releaseLock: true,
        });
        assert.equal(saved.state, 'saved');
      });
    });
  });
}

describe('which commits of the Database provider wait for the disk, on PostgreSQL', () => {
  const sql = sessionStatements('postgres');
  let target: EngineTarget;
  let store: DatabaseSessionStore;

  before(async () => {
    target = await ENGINES.find((engine) => engine.name === 'PostgreSQL')!.start();
    store = await DatabaseSessionStore.connect(target.url);
  });
  after(async () => {
    await store?.close();
    await target?.stop();
  });

  /** The `synchronous_commit` a statement leaves its transaction to commit with. */
  async function commitMode(statement: string, params: readonly (string | number | null)[]): Promise<string> {
    return store.database.sessionDatabase().transaction(async (query: SqlQuery) => {
      assert.equal((await query(statement, params)).length, 1, 'the statement changed its row');
      const [row] = await query("SELECT current_setting('synchronous_commit') AS mode", []);
      return String(row?.mode);
    });
  }

  async function create(id: string, timeoutMinutes: number): Promise<void> {
    const key = { appKey: 'commits', id };
    const session = { items: new Map([['n', '0']]), timeoutMinutes, absoluteLifetimeMs: null };
    await store.provider.create(key, session, { lockToken: null, lockTimeoutMs: 60_000 });
  }

  it('takes and releases a lock without waiting, and waits for a save that releases it', async () => {
    await create('long', 20);
    assert.equal(await commitMode(sql.loadExclusive, ['commits', 'long', 'token', 60_000]), 'off');
    assert.equal(await commitMode(sql.release, ['commits', 'long', 'token', 'channel']), 'off');
    assert.equal(await commitMode(sql.loadExclusive, ['commits', 'long', 'token', 60_000]), 'off');
    const save = ['commits', 'long', '{"n":"1"}', null, 'token', 1, 1, 'channel', 0, null, null, null];
    assert.equal(await commitMode(sql.save, save), 'on');
  });

  it('waits for the disk to take the lock of a session that could expire before the lock does', async () => {
    await create('short', 0.5); // 30 s, under the 60 s lock timeout
    assert.equal(await commitMode(sql.loadExclusive, ['commits', 'short', 'token', 60_000]), 'on');
  });
});
