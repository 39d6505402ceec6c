import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sessionMiddleware } from 'tessera';
import { DatabaseSessionStore, PlatformDatabase } from '../../src/platform/index.ts';
import {
  DatabaseProvider,
  MEMORY_PROVIDER_DEFAULTS,
  MemorySessionStore,
  RedisProvider,
  RedisSessionStore,
  resolveMemoryProviderOptions,
  SESSION_DEFAULTS,
  SessionEngine,
} from '../../src/session/index.ts';
import { createSqliteFile } from '../support/sqlite-file.ts';

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

describe('store options', () => {
  it('gives an option set to undefined its default, as if absent', async () => {
    const store = new MemorySessionStore({ maxBytes: undefined, sweepIntervalMs: undefined });
    try {
      const sessions = new SessionEngine(store.provider);
      const session = await sessions.open(undefined);
      session.set('n', 1);
      await session.commit();
      assert.equal((await sessions.open(session.id, { mode: 'readonly' })).get('n'), 1);
    } finally {
      await store.close();
    }
  });

  it('resolves the memory store options against one frozen table of defaults', () => {
    const resolved = resolveMemoryProviderOptions({ maxBytes: 1000, sweepIntervalMs: undefined });
    assert.deepEqual({ ...resolved }, { ...MEMORY_PROVIDER_DEFAULTS, maxBytes: 1000 });
    assert.ok(Object.isFrozen(resolved));
  });

  for (const [name, options, pattern] of [
    ['a negative maxBytes', { maxBytes: -1 }, /maxBytes must be a whole number of bytes .*\(got -1\)/],
    ['a maxBytes of null', { maxBytes: null }, /maxBytes .*\(got null\)/],
    ['a zero sweep interval', { sweepIntervalMs: 0 }, /sweepIntervalMs .*\(got 0\)/],
    ['a sweep interval past what a timer holds', { sweepIntervalMs: 2 ** 31 }, /sweepIntervalMs/],
    ['a fractional waiter cap', { maxWaitersPerSession: 2.5 }, /maxWaitersPerSession .*\(got 2.5\)/],
    ['a string where a number goes', { maxBytes: '1000' }, /maxBytes .*\(got "1000"\)/],
    ['an unknown option (a typo)', { maxbytes: 1000 }, /"maxbytes" is not known. Known options: maxBytes/],
  ] as const) {
    it(`refuses ${name} in MemorySessionStore, naming the option`, () => {
      assert.throws(() => new MemorySessionStore(options as never), {
        code: 'TESSERA_SESSION_OPTIONS',
        message: pattern,
      });
    });
  }

  it('refuses a store options argument that is not an object', () => {
    assert.throws(() => new MemorySessionStore(5 as never), {
      code: 'TESSERA_SESSION_OPTIONS',
      message: /options must be an object \(got 5\)/,
    });
  });

  for (const [name, options, pattern] of [
    ['a negative close timeout', { closeTimeoutMs: -5 }, /closeTimeoutMs .*\(got -5\)/],
    ['a zero waiter cap', { maxWaitersPerSession: 0 }, /maxWaitersPerSession .*\(got 0\)/],
    ['an env that is not an object', { env: 'SERedis' }, /env must be an object/],
    ['an unknown option', { ownsConnection: true }, /"ownsConnection" is not known/],
  ] as const) {
    it(`refuses ${name} in RedisSessionStore.connect before connecting`, async () => {
      // No Redis listens here: the options are refused before any connection is tried.
      await assert.rejects(RedisSessionStore.connect('127.0.0.1:1', options as never), {
        code: 'TESSERA_SESSION_OPTIONS',
        message: pattern,
      });
    });
  }

  it('refuses bad RedisProvider options', () => {
    assert.throws(
      () => new RedisProvider({ topology: 'single' } as never, { ownsConnection: 'yes' } as never),
      {
        code: 'TESSERA_SESSION_OPTIONS',
        message: /ownsConnection must be true or false \(got "yes"\)/,
      },
    );
  });

  // A folder that does not exist: connecting would fail with TESSERA_PLATFORM_UNREACHABLE,
  // so a TESSERA_SESSION_OPTIONS proves the options were refused before any connection.
  const NO_DATABASE = 'sqlite:/nonexistent-folder/tessera/platform.db';

  for (const [name, options, pattern] of [
    [
      'an undefined option (its default is kept)',
      { sweepIntervalMs: undefined, poolSize: 0 },
      /poolSize .*\(got 0\)/,
    ],
    ['a negative close timeout', { closeTimeoutMs: -5 }, /closeTimeoutMs .*\(got -5\)/],
    ['a zero sweep interval', { sweepIntervalMs: 0 }, /sweepIntervalMs .*\(got 0\)/],
    ['a fractional sweep batch', { sweepBatchSize: 2.5 }, /sweepBatchSize .*\(got 2.5\)/],
    ['a string busy timeout', { busyTimeoutMs: '200' }, /busyTimeoutMs .*\(got "200"\)/],
    ['a statement timeout past what a timer holds', { statementTimeoutMs: 2 ** 31 }, /statementTimeoutMs/],
    ['an env that is not an object', { env: 'PGPASSWORD' }, /env must be an object/],
    [
      'an unknown option (a typo)',
      { closeTimeoutMS: 100 },
      /"closeTimeoutMS" is not known. Known options: .*closeTimeoutMs/,
    ],
    ["the provider's own hook", { onClose: async () => {} }, /"onClose" is not known/],
    ['options that are not an object', 5, /options must be an object \(got 5\)/],
  ] as const) {
    it(`refuses ${name} in DatabaseSessionStore.connect before connecting`, async () => {
      await assert.rejects(DatabaseSessionStore.connect(NO_DATABASE, options as never), {
        code: 'TESSERA_SESSION_OPTIONS',
        message: new RegExp(`^DatabaseSessionStore\\.connect .*${pattern.source}`),
      });
    });
  }

  it('says what DatabaseSessionStore.connect received when the address is not a string, without quoting it', async () => {
    const cases: Array<[unknown, string]> = [
      [123, 'number'],
      [undefined, 'undefined'],
      [null, 'null'],
      [['sqlite:/tmp/x.db'], 'an array'],
      [{ host: 'db', password: 'hunter2' }, 'object'],
    ];
    for (const [value, type] of cases) {
      await assert.rejects(
        DatabaseSessionStore.connect(value as string),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'TESSERA_SESSION_OPTIONS');
          assert.match(
            error.message,
            new RegExp(`takes the platform database address, .*; it received ${type}\\.$`),
          );
          assert.ok(!error.message.includes('hunter2'), error.message);
          return true;
        },
      );
    }
  });

  it('refuses bad DatabaseProvider options', async () => {
    const file = await createSqliteFile();
    const database = await PlatformDatabase.open(file.url);
    try {
      assert.throws(() => new DatabaseProvider(database.sessionDatabase(), { maxWaitersPerSession: -1 }), {
        code: 'TESSERA_SESSION_OPTIONS',
        message: /^The Database session store option maxWaitersPerSession .*\(got -1\)/,
      });
      assert.throws(() => new DatabaseProvider(database.sessionDatabase(), 'fast' as never), {
        code: 'TESSERA_SESSION_OPTIONS',
        message: /options must be an object \(got "fast"\)/,
      });
    } finally {
      await database.close();
      await file.remove();
    }
  });

  it('refuses middleware options of the wrong type', () => {
    const store = new MemorySessionStore();
    assert.throws(() => sessionMiddleware({ store, trustProxy: 'yes' as never }), {
      code: 'TESSERA_SESSION_OPTIONS',
      message: /trustProxy/,
    });
    assert.throws(() => sessionMiddleware({ store, mode: 5 as never }), {
      code: 'TESSERA_SESSION_OPTIONS',
      message: /mode/,
    });
  });
});
