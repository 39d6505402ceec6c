import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sessionMiddleware } from '../../src/http/index.ts';
import { MemorySessionStore, SESSION_DEFAULTS, SessionEngine } from '../../src/session/index.ts';

describe('session options', () => {
  const store = new MemorySessionStore();

  it('has one table of defaults, frozen after validation', () => {
    const engine = new SessionEngine(store.provider);
    assert.deepEqual({ ...engine.options }, { ...SESSION_DEFAULTS });
    assert.equal(engine.options.timeoutMinutes, 20);
    assert.equal(engine.options.requestTimeoutMs, 110_000);
    assert.ok(Object.isFrozen(engine.options));
  });

  for (const [name, options] of [
    ['an appKey that would break the hash tag', { appKey: 'a}b' }],
    ['an unknown mode', { mode: 'shared' }],
    ['a zero timeout', { timeoutMinutes: 0 }],
    ['a negative absolute lifetime', { absoluteLifetimeMinutes: -1 }],
    ['a fractional request timeout', { requestTimeoutMs: 1.5 }],
  ] as const) {
    it(`refuses ${name}, naming the option`, () => {
      const option = Object.keys(options)[0]!;
      assert.throws(() => new SessionEngine(store.provider, options as never), {
        code: 'TESSERA_SESSION_OPTIONS',
        message: new RegExp(option),
      });
    });
  }

  it('refuses middleware without a store or with a bad cookie name', () => {
    assert.throws(() => sessionMiddleware({} as never), {
      code: 'TESSERA_SESSION_OPTIONS',
      message: /store is required/,
    });
    assert.throws(() => sessionMiddleware({ store, name: 'a b' }), {
      code: 'TESSERA_SESSION_OPTIONS',
      message: /cookie name/,
    });
  });
});
