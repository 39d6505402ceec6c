/** SessionMetrics: sizes of saved sessions, lock waits and lifecycle counts, from the diagnostics channels. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryProvider, SessionEngine, SessionMetrics } from '../../src/session/index.ts';

describe('session metrics', () => {
  it("counts each written session's whole size, lock waits and lifecycle, and stops when closed", async () => {
    const metrics = new SessionMetrics({ sessionBytesBuckets: [100, 1000] });
    const other = new SessionMetrics({ provider: 'redis' });
    const provider = new MemoryProvider();
    try {
      const engine = new SessionEngine(provider, { appKey: 'metrics' });
      const small = await engine.open(undefined);
      small.set('n', 1); // 1 + 1 bytes
      await small.commit();
      const large = await engine.open(undefined);
      large.set('text', 'x'.repeat(500)); // 4 + 502 bytes
      await large.commit();
      // A save that changes one item reports the whole session: 506 + 1 + 1.
      const grown = await engine.open(large.id);
      grown.set('n', 2);
      await grown.commit();

      const holder = await engine.open(small.id);
      const waiter = engine.open(small.id);
      // The waiter finds the lock taken and waits; the holder's commit wakes it.
      await new Promise((resolve) => setImmediate(resolve));
      await holder.commit();
      await (await waiter).abandon();

      const snapshot = metrics.snapshot();
      assert.deepEqual(snapshot.sessionBytes, {
        count: 3,
        sum: 2 + 506 + 508,
        max: 508,
        buckets: [
          { le: 100, count: 1 },
          { le: 1000, count: 3 },
          { le: Number.POSITIVE_INFINITY, count: 3 },
        ],
      });
      assert.deepEqual(snapshot.saves, { created: 2, saved: 1, unchanged: 1 });
      assert.deepEqual(snapshot.lockWaits, { acquired: 1 });
      assert.equal(snapshot.lockWaitMs.count, 1);
      assert.equal(snapshot.lockTakeovers, 0);
      assert.deepEqual(
        [snapshot.created, snapshot.regenerated, snapshot.destroyed, snapshot.expired],
        [2, 0, 1, 0],
      );
      assert.equal(other.snapshot().sessionBytes.count, 0, 'another provider counts nothing of memory');

      metrics.close();
      metrics.close();
      const after = await engine.open(undefined);
      after.set('n', 3);
      await after.commit();
      assert.equal(metrics.snapshot().created, 2);
    } finally {
      metrics.close();
      other.close();
      await provider.close();
    }
  });
});
