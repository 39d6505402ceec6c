/**
 * The session semantics every provider must keep (DESIGN.md, "Sessions (what must
 * hold)"), run against each provider of `PROVIDERS`.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type LockQueuedEvent,
  type LockWaitEvent,
  type SaveEvent,
  SESSION_CHANNELS,
  SessionEngine,
  type SessionOptions,
  type SessionProvider,
} from '../../src/session/index.ts';
import { PROVIDERS } from './providers.ts';

/** Collects the save events of one provider while `action` runs. */
async function savesDuring(provider: SessionProvider, action: () => Promise<void>): Promise<SaveEvent[]> {
  const events: SaveEvent[] = [];
  const listener = (message: unknown) => {
    if ((message as SaveEvent).provider === provider.name) events.push(message as SaveEvent);
  };
  subscribe(SESSION_CHANNELS.save, listener);
  try {
    await action();
  } finally {
    unsubscribe(SESSION_CHANNELS.save, listener);
  }
  return events;
}

/** Resolves once `count` requests of `provider` have started waiting for a lock (`tessera:session:lock-queued`). */
function queued(provider: SessionProvider, count: number): Promise<void> {
  let seen = 0;
  return new Promise((resolve) => {
    const listener = (message: unknown) => {
      if ((message as LockQueuedEvent).provider !== provider.name || ++seen < count) return;
      unsubscribe(SESSION_CHANNELS.lockQueued, listener);
      resolve();
    };
    subscribe(SESSION_CHANNELS.lockQueued, listener);
  });
}

const writes = (events: SaveEvent[]) =>
  events.filter((event) => event.outcome === 'saved' || event.outcome === 'created');

for (const factory of PROVIDERS) {
  describe(`session semantics: ${factory.name}`, () => {
    let provider: SessionProvider;
    let appCount = 0;
    /** An engine over the shared provider, with its own appKey so tests never share sessions. */
    const engine = (options: Partial<SessionOptions> = {}) =>
      new SessionEngine(provider, { appKey: `t${++appCount}`, ...options });
    /** Creates a stored session holding `items`; returns its id. */
    const seed = async (target: SessionEngine, items: Record<string, unknown>) => {
      const session = await target.open(undefined);
      for (const [name, value] of Object.entries(items)) session.set(name, value);
      await session.commit();
      return session.id;
    };

    before(async () => {
      await factory.setup();
      provider = await factory.create();
    });
    after(async () => {
      await provider.close();
      await factory.teardown();
    });

    describe('ids', () => {
      it('issues ids of at least 128 bits of base64url, all different', async () => {
        const sessions = engine();
        const ids = new Set<string>();
        for (let i = 0; i < 200; i++) ids.add((await sessions.open(undefined)).id);
        assert.equal(ids.size, 200);
        for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{22,}$/);
        assert.ok([...ids][0]!.length * 6 >= 128);
      });

      it('refuses to create a session under an id already in use (TESSERA_SESSION_ID_COLLISION)', async () => {
        const sessions = engine();
        const session = await sessions.open(undefined);
        session.set('user', 'mallory');
        // Someone else's session appears under the very id this new session was given.
        await provider.create(
          { appKey: sessions.options.appKey, id: session.id },
          { items: new Map([['user', '"alice"']]), timeoutMinutes: 20, absoluteLifetimeMs: null },
          { lockToken: null, lockTimeoutMs: 1000 },
        );
        await assert.rejects(session.commit(), { code: 'TESSERA_SESSION_ID_COLLISION', message: /CSPRNG/ });
        assert.equal(
          (await sessions.open(session.id, { mode: 'readonly' })).get('user'),
          'alice',
          'not overwritten',
        );
      });

      it('never adopts an id the store does not know', async () => {
        const sessions = engine();
        const unknown = 'AAAAAAAAAAAAAAAAAAAAAAAA';
        const session = await sessions.open(unknown);
        assert.notEqual(session.id, unknown);
        assert.equal(session.isNew, true);
        session.set('user', 'mallory');
        await session.commit();
        assert.equal((await sessions.open(unknown)).isNew, true, 'the fixed id does not exist');
        assert.equal((await sessions.open(session.id, { mode: 'readonly' })).get('user'), 'mallory');
      });

      it('stores nothing for a session that was never used', async () => {
        const sessions = engine();
        const session = await sessions.open(undefined);
        session.get('anything');
        const events = await savesDuring(provider, () => session.commit());
        assert.deepEqual(writes(events), []);
        assert.equal(session.cookieAction(), 'none');
        assert.equal((await sessions.open(session.id)).isNew, true);
      });

      it('regenerates as express-session: the old session is deleted, the new one empty and new', async () => {
        const sessions = engine();
        const oldId = await seed(sessions, { cart: [1, 2], user: 'alice' });
        const first = await sessions.open(oldId);
        await first.regenerate();
        assert.notEqual(first.id, oldId);
        assert.deepEqual(first.names(), []);
        assert.equal(first.isNew, true);
        assert.equal((await sessions.open(oldId, { mode: 'readonly' })).isNew, true, 'deleted at once');
        await first.commit();
        assert.equal(first.cookieAction(), 'clear', 'nothing stored: the old cookie is cleared');
        assert.equal((await sessions.open(first.id)).isNew, true, 'an empty session is not stored');

        const second = await sessions.open(await seed(sessions, { user: 'bob' }));
        await second.regenerate();
        second.set('flash', 'logged out');
        await second.commit();
        assert.equal(second.cookieAction(), 'set');
        const stored = await sessions.open(second.id, { mode: 'readonly' });
        assert.deepEqual(
          stored.names().map((name) => [name, stored.get(name)]),
          [['flash', 'logged out']],
        );
      });

      it('changes the id atomically, keeping items and creation time; the old id is gone', async () => {
        const sessions = engine();
        const oldId = await seed(sessions, { cart: [1, 2] });
        const first = await sessions.open(oldId);
        const createdAt = first.createdAt;
        await first.changeId();
        assert.notEqual(first.id, oldId);
        first.set('user', 'alice');
        await first.commit();
        assert.equal(first.cookieAction(), 'set');
        assert.equal((await sessions.open(oldId)).isNew, true, 'old id no longer works');
        const moved = await sessions.open(first.id, { mode: 'readonly' });
        assert.deepEqual(moved.get('cart'), [1, 2]);
        assert.equal(moved.get('user'), 'alice');
        assert.deepEqual(moved.createdAt, createdAt);
      });
    });

    describe('expiry', () => {
      it('slides the expiry on every request', async () => {
        const sessions = engine({ timeoutMinutes: 0.01 }); // 600 ms
        const id = await seed(sessions, { n: 1 });
        for (let i = 0; i < 3; i++) {
          await sleep(300);
          await (await sessions.open(id)).commit();
        }
        assert.equal(
          (await sessions.open(id, { mode: 'readonly' })).get('n'),
          1,
          'alive after 900 ms of activity',
        );
        await sleep(700);
        assert.equal((await sessions.open(id)).isNew, true, 'gone after 700 ms idle');
      });

      it('keeps a timeout changed for one session', async () => {
        const sessions = engine();
        const session = await sessions.open(undefined);
        session.set('n', 1);
        session.timeoutMinutes = 0.005; // 300 ms
        await session.commit();
        assert.equal((await sessions.open(session.id, { mode: 'readonly' })).timeoutMinutes, 0.005);
        await sleep(450);
        assert.equal((await sessions.open(session.id)).isNew, true);
      });

      it('ends a session at its absolute lifetime whatever its activity', async () => {
        const sessions = engine({ absoluteLifetimeMinutes: 0.01 }); // 600 ms
        const id = await seed(sessions, { n: 1 });
        await sleep(300);
        assert.equal((await sessions.open(id, { mode: 'readonly' })).isNew, false);
        await sleep(400);
        assert.equal((await sessions.open(id)).isNew, true);
      });
    });

    describe('locking', () => {
      it('serializes concurrent exclusive requests: 50 increments end at 50', async () => {
        const sessions = engine();
        const id = await seed(sessions, { count: 0 });
        await Promise.all(
          Array.from({ length: 50 }, async () => {
            const session = await sessions.open(id);
            const count = session.get('count') as number;
            await sleep(1);
            session.set('count', count + 1);
            await session.commit();
          }),
        );
        assert.equal((await sessions.open(id, { mode: 'readonly' })).get('count'), 50);
      });

      it('wakes a waiting request as soon as the lock is released, not at the next poll', async () => {
        const sessions = engine({ lockPollMs: 10_000 });
        const id = await seed(sessions, { n: 0 });
        const holder = await sessions.open(id);
        const waits: LockWaitEvent[] = [];
        const listener = (event: unknown) => waits.push(event as LockWaitEvent);
        subscribe(SESSION_CHANNELS.lockWait, listener);
        const started = Date.now();
        try {
          const waiting = queued(provider, 1);
          const waiter = sessions.open(id);
          await waiting;
          await holder.commit();
          await (await waiter).commit();
        } finally {
          unsubscribe(SESSION_CHANNELS.lockWait, listener);
        }
        assert.ok(Date.now() - started < 1000, `waited ${Date.now() - started} ms`);
        const [wait] = waits.filter((event) => event.provider === provider.name);
        assert.equal(wait?.outcome, 'acquired');
        assert.equal(typeof wait.waitedMs, 'number', 'the wait is published, without any session id');
        assert.deepEqual(Object.keys(wait).sort(), ['outcome', 'provider', 'waitedMs']);
      });

      it('hands the lock to its waiters one after the other, each woken by the release before it', async () => {
        const sessions = engine({ lockPollMs: 10_000 });
        const id = await seed(sessions, { order: [] });
        const holder = await sessions.open(id);
        const started = Date.now();
        const allWaiting = queued(provider, 20);
        const waiters = Array.from({ length: 20 }, async (_, i) => {
          const session = await sessions.open(id);
          session.set('order', [...(session.get('order') as number[]), i]);
          await session.commit();
        });
        await allWaiting;
        await holder.commit();
        await Promise.all(waiters);
        assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms: no wake was lost`);
        const order = (await sessions.open(id, { mode: 'readonly' })).get('order') as number[];
        assert.deepEqual(
          [...order].sort((x, y) => x - y),
          Array.from({ length: 20 }, (_, i) => i),
        );
      });

      it('lets read-only requests through a held lock, and they never write', async () => {
        const sessions = engine();
        const id = await seed(sessions, { n: 1 });
        const holder = await sessions.open(id);
        const reader = await sessions.open(id, { mode: 'readonly' });
        assert.equal(reader.get('n'), 1);
        assert.throws(() => reader.set('n', 2), { code: 'TESSERA_SESSION_READ_ONLY' });
        const events = await savesDuring(provider, () => reader.commit());
        assert.deepEqual(writes(events), []);
        await holder.commit();
      });

      it('takes over a lock older than the request timeout; the old holder cannot save', async () => {
        const sessions = engine({ requestTimeoutMs: 300 });
        const id = await seed(sessions, { owner: 'none' });
        const stale = await sessions.open(id);
        const started = Date.now();
        const next = await sessions.open(id);
        assert.ok(Date.now() - started >= 250, 'waited for the lock to become stale');
        next.set('owner', 'next');
        await next.commit();
        stale.set('owner', 'stale');
        await assert.rejects(stale.commit(), { code: 'TESSERA_SESSION_LOCK_LOST' });
        assert.equal((await sessions.open(id, { mode: 'readonly' })).get('owner'), 'next');
      });

      it('refuses waiters past the cap with a clear error', async () => {
        const capped = await factory.create({ maxWaitersPerSession: 3 });
        try {
          const sessions = new SessionEngine(capped, { appKey: `t${++appCount}` });
          const id = await seed(sessions, { n: 0 });
          const holder = await sessions.open(id);
          const waiters = Array.from({ length: 4 }, () => sessions.open(id));
          // The first refusal means three others are registered and waiting.
          const refused = await Promise.race(
            waiters.map((waiter) =>
              waiter.then(
                () => new Promise<never>(() => {}),
                (e) => e,
              ),
            ),
          );
          assert.equal(refused.code, 'TESSERA_SESSION_TOO_MANY_WAITERS');
          assert.match(refused.message, /cap is 3/);
          await holder.commit();
          const results = await Promise.allSettled(
            waiters.map((waiter) => waiter.then((session) => session.commit())),
          );
          assert.equal(results.filter((result) => result.status === 'fulfilled').length, 3);
        } finally {
          await capped.close();
        }
      });
    });

    describe('writes', () => {
      it('writes nothing when nothing changed, even after reading every item', async () => {
        const sessions = engine();
        const id = await seed(sessions, { a: { deep: [1] }, b: 'x' });
        const session = await sessions.open(id);
        session.get('a');
        session.get('b');
        session.set('b', 'x');
        const events = await savesDuring(provider, () => session.commit());
        assert.deepEqual(writes(events), []);
      });

      it('detects a change deep inside an item and writes only that item', async () => {
        const sessions = engine();
        const id = await seed(sessions, { cart: { lines: [{ sku: 'a', qty: 1 }] }, other: 'untouched' });
        const session = await sessions.open(id);
        (session.get('cart') as { lines: { qty: number }[] }).lines[0]!.qty = 5;
        const events = await savesDuring(provider, () => session.commit());
        assert.equal(writes(events).length, 1);
        assert.equal(writes(events)[0]!.itemsWritten, 1);
        const reread = await sessions.open(id, { mode: 'readonly' });
        assert.deepEqual(reread.get('cart'), { lines: [{ sku: 'a', qty: 5 }] });
      });

      it('in mode "none", concurrent requests changing different items both keep their changes', async () => {
        const sessions = engine({ mode: 'none' });
        const id = await seed(sessions, { a: 0, b: 0 });
        const first = await sessions.open(id);
        const second = await sessions.open(id);
        first.set('a', 1);
        second.set('b', 2);
        await Promise.all([first.commit(), second.commit()]);
        const reread = await sessions.open(id, { mode: 'readonly' });
        assert.deepEqual([reread.get('a'), reread.get('b')], [1, 2]);
      });

      it('refuses a value that is not JSON, naming the item, and releases the lock', async () => {
        const sessions = engine();
        const id = await seed(sessions, { ok: 1 });
        for (const bad of [() => 1, 10n, Symbol('s')]) {
          const session = await sessions.open(id);
          session.set('bad', bad);
          await assert.rejects(session.commit(), (error: Error & { code: string }) => {
            assert.equal(error.code, 'TESSERA_SESSION_ITEM_NOT_SERIALIZABLE');
            assert.match(error.message, /"bad"/);
            return true;
          });
        }
        const circular: Record<string, unknown> = {};
        circular.self = circular;
        const session = await sessions.open(id);
        session.set('loop', circular);
        await assert.rejects(session.commit(), { code: 'TESSERA_SESSION_ITEM_NOT_SERIALIZABLE' });
        assert.equal((await sessions.open(id)).get('ok'), 1, 'not locked, not damaged');
      });

      it('refuses a value JSON would change, naming the item and the place inside it', async () => {
        const sessions = engine();
        const id = await seed(sessions, { ok: 1 });
        class Cart {
          lines = [];
        }
        for (const [bad, place, what] of [
          [new Map([[1, 2]]), '', /a Map, which JSON stores as \{\}/],
          [new Set([1]), '', /a Set/],
          [Number.NaN, '', /NaN, which JSON stores as null/],
          [{ lines: [{ qty: Number.POSITIVE_INFINITY }] }, 'lines[0].qty', /Infinity/],
          [{ lines: [1, new Map()] }, 'lines[1]', /a Map/],
          [new Array(2), '', /holes/],
          [[1, undefined], '[1]', /undefined, which JSON stores as null/],
          [new Cart(), '', /a Cart, which JSON stores as a plain object/],
          [new Date(Number.NaN), '', /an invalid Date/],
          [{ when: new Date(0), f: () => 1 }, 'f', /a function/],
        ] as const) {
          const session = await sessions.open(id);
          session.set('cart', bad);
          await assert.rejects(session.commit(), (error: Error & { code: string }) => {
            assert.equal(error.code, 'TESSERA_SESSION_ITEM_NOT_SERIALIZABLE');
            assert.match(error.message, /^Session item "cart" holds/);
            if (place) assert.ok(error.message.includes(` at "${place}" `), error.message);
            assert.match(error.message, what);
            return true;
          });
        }
        const reread = await sessions.open(id, { mode: 'readonly' });
        assert.deepEqual(reread.names(), ['ok'], 'nothing was written');
      });

      it('makes only the documented conversions: toJSON (a Date), undefined properties, -0', async () => {
        const sessions = engine();
        const session = await sessions.open(undefined);
        session.set('when', new Date(Date.UTC(2026, 0, 2, 3, 4, 5)));
        session.set('money', { toJSON: () => ({ cents: 150 }) });
        session.set('user', { name: 'alice', nickname: undefined });
        session.set('zero', -0);
        await session.commit();
        const reread = await sessions.open(session.id, { mode: 'readonly' });
        assert.equal(reread.get('when'), '2026-01-02T03:04:05.000Z');
        assert.deepEqual(reread.get('money'), { cents: 150 });
        assert.deepEqual(reread.get('user'), { name: 'alice' });
        assert.ok(Object.is(reread.get('zero'), 0));
      });

      it('refuses a session past maxSessionBytes, naming its size and largest items, writing nothing', async () => {
        const sessions = engine({ maxSessionBytes: 1000 });
        const id = await seed(sessions, { small: 'x'.repeat(100) });
        const session = await sessions.open(id);
        session.set('blob', 'y'.repeat(2000));
        session.set('note', 'z'.repeat(10));
        await assert.rejects(session.commit(), (error: Error & { code: string }) => {
          assert.equal(error.code, 'TESSERA_SESSION_TOO_LARGE');
          assert.match(error.message, /would hold 2\d{3} bytes of items, more than maxSessionBytes \(1000\)/);
          assert.match(error.message, /the largest: "blob" 2006 bytes, "small" 107 bytes, "note" 16 bytes/);
          return true;
        });
        const reread = await sessions.open(id);
        assert.deepEqual(reread.names(), ['small'], 'nothing written, and the lock was released');
        await reread.commit();
        const fresh = await sessions.open(undefined);
        fresh.set('blob', 'y'.repeat(2000));
        await assert.rejects(fresh.commit(), { code: 'TESSERA_SESSION_TOO_LARGE' });
        assert.equal(fresh.cookieAction(), 'set', 'the caller decides; the store holds nothing');
        assert.equal((await sessions.open(fresh.id)).isNew, true);
      });

      it('limits a session to 1 MB by default', async () => {
        const sessions = engine();
        assert.equal(sessions.options.maxSessionBytes, 1_048_576);
        const session = await sessions.open(undefined);
        session.set('big', 'x'.repeat(1_048_576));
        await assert.rejects(session.commit(), { code: 'TESSERA_SESSION_TOO_LARGE', message: /"big"/ });
      });

      it('reports a stored item that cannot be read back, and keeps the rest of the session', async () => {
        const sessions = engine();
        const id = await seed(sessions, { good: 'yes' });
        const key = { appKey: sessions.options.appKey, id };
        const corrupt = new Map([['cart', '{not json']]);
        await provider.save(
          key,
          { set: corrupt, remove: [] },
          { lockToken: null, expectedVersion: null, releaseLock: false },
        );
        const session = await sessions.open(id);
        assert.throws(() => session.get('cart'), { code: 'TESSERA_SESSION_ITEM_CORRUPT', message: /"cart"/ });
        assert.equal(session.get('good'), 'yes');
        session.set('good', 'still');
        await session.commit();
        const reread = await sessions.open(id, { mode: 'readonly' });
        assert.deepEqual(reread.names().sort(), ['cart', 'good']);
      });
    });

    describe('abandon', () => {
      it('a slower lock-free request cannot bring an abandoned session back', async () => {
        const sessions = engine({ mode: 'none' });
        const id = await seed(sessions, { user: 'alice' });
        const slow = await sessions.open(id);
        const logout = await sessions.open(id);
        await logout.abandon();
        await logout.commit();
        slow.set('cart', ['late']);
        await slow.commit();
        assert.equal((await sessions.open(id)).isNew, true);
      });

      it('a slower request holding the lock cannot bring an abandoned session back', async () => {
        const sessions = engine();
        const id = await seed(sessions, { user: 'alice' });
        const slow = await sessions.open(id);
        const logout = await sessions.open(id, { mode: 'none' });
        await logout.abandon();
        assert.equal(logout.cookieAction(), 'clear');
        slow.set('cart', ['late']);
        await slow.commit();
        assert.equal((await sessions.open(id)).isNew, true);
      });

      it('refuses changes after abandon with TESSERA_SESSION_ABANDONED', async () => {
        const sessions = engine();
        const id = await seed(sessions, { user: 'alice' });
        const session = await sessions.open(id);
        await session.abandon();
        for (const change of [
          () => session.set('cart', [1]),
          () => session.delete('user'),
          () => {
            session.timeoutMinutes = 5;
          },
        ]) {
          assert.throws(change, { code: 'TESSERA_SESSION_ABANDONED', message: /abandoned/ });
        }
        await assert.rejects(session.regenerate(), { code: 'TESSERA_SESSION_ABANDONED' });
        await assert.rejects(session.changeId(), { code: 'TESSERA_SESSION_ABANDONED' });
        await session.commit();
        assert.equal((await sessions.open(id)).isNew, true);
      });

      it('wakes waiters of an abandoned session, which then start a new one', async () => {
        const sessions = engine({ lockPollMs: 10_000 });
        const id = await seed(sessions, { user: 'alice' });
        const holder = await sessions.open(id);
        const waiting = queued(provider, 1);
        const waiter = sessions.open(id);
        await waiting;
        await holder.abandon();
        const woken = await waiter;
        assert.equal(woken.isNew, true);
        assert.notEqual(woken.id, id);
      });
    });
  });
}
