import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
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

  it('gives the bytes of expired sessions back when it sweeps them', async () => {
    const provider = new MemoryProvider({ sweepIntervalMs: 20 });
    try {
      const sessions = new SessionEngine(provider, { timeoutMinutes: 0.001 }); // 60 ms
      const session = await sessions.open(undefined);
      session.set('n', 1);
      await session.commit();
      assert.ok(provider.bytes > 0);
      await sleep(150);
      assert.equal(provider.bytes, 0);
    } finally {
      await provider.close();
    }
  });
});
