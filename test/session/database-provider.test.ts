/**
 * What the Database provider adds to the semantics suite: waiters in another
 * process (here: another store, with its own connection and its own waiter list)
 * are woken promptly — by NOTIFY on PostgreSQL, by the short poll on SQLite — and
 * expired sessions are swept in bounded batches. Both engines.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DatabaseSessionStore } from '../../src/platform/index.ts';
import { SessionEngine } from '../../src/session/index.ts';
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
  });
}
