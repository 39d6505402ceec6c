import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryProvider, SessionEngine } from '../../src/session/index.ts';

describe('the memory provider', () => {
  it('refuses a write past maxBytes with a clear error, keeping what it holds', async () => {
    const provider = new MemoryProvider({ maxBytes: 1000 });
    try {
      const sessions = new SessionEngine(provider);
      const small = await sessions.open(undefined);
      small.set('note', 'x'.repeat(400));
      await small.commit();
      const big = await sessions.open(undefined);
      big.set('note', 'y'.repeat(700));
      await assert.rejects(big.commit(), (error: Error & { code: string }) => {
        assert.equal(error.code, 'TESSERA_SESSION_MEMORY_LIMIT');
        assert.match(error.message, /maxBytes is 1000/);
        return true;
      });
      assert.equal((await sessions.open(small.id, { mode: 'readonly' })).get('note'), 'x'.repeat(400));
      assert.equal(provider.bytes, 4 + 402);
    } finally {
      await provider.close();
    }
  });

  it('gives the bytes of expired sessions back when it sweeps them', async (t) => {
    // The provider's clock and its sweep timer are the test's: time moves on without waiting.
    t.mock.timers.enable({ apis: ['setInterval'] });
    let now = Date.UTC(2030, 0, 1);
    const provider = new MemoryProvider({ sweepIntervalMs: 20, clock: () => now });
    try {
      const sessions = new SessionEngine(provider, { timeoutMinutes: 0.001 }); // 60 ms
      const session = await sessions.open(undefined);
      session.set('n', 1);
      await session.commit();
      assert.ok(provider.bytes > 0);
      now += 59;
      t.mock.timers.tick(20);
      assert.ok(provider.bytes > 0, 'a sweep before the session expires keeps it');
      now += 2;
      t.mock.timers.tick(20);
      assert.equal(provider.bytes, 0);
    } finally {
      await provider.close();
    }
  });

  it('ends a session at its timeout on its own clock, the timeout sliding with each use', async () => {
    let now = Date.UTC(2030, 0, 1);
    const provider = new MemoryProvider({ clock: () => now });
    try {
      const sessions = new SessionEngine(provider, { timeoutMinutes: 1 });
      const session = await sessions.open(undefined);
      session.set('n', 1);
      await session.commit();
      now += 59_000;
      assert.equal(
        (await sessions.open(session.id, { mode: 'readonly' })).get('n'),
        1,
        'used before its timeout',
      );
      now += 59_000;
      assert.equal(
        (await sessions.open(session.id, { mode: 'readonly' })).get('n'),
        1,
        'the use slid the timeout',
      );
      now += 60_001;
      const after = await sessions.open(session.id, { mode: 'readonly' });
      assert.equal(after.get('n'), undefined, 'expired a minute after its last use');
      assert.notEqual(after.id, session.id);
    } finally {
      await provider.close();
    }
  });
});
