/**
 * `TesseraExpressStore` as express-session, connect-redis users and admin tools
 * call it directly: every Store method, with a callback and as a promise, against
 * every provider (memory, Redis over mutual TLS on one server and on a cluster).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SessionData } from 'express-session';
import { MemorySessionStore, type SessionProvider, type SessionStore } from 'tessera';
import { TesseraExpressStore, type TesseraExpressStoreOptions } from 'tessera/express-session';
import { PROVIDERS } from '../session/providers.ts';

/** A session as express-session stores it, with a cookie that expires in `maxAgeMs` (none: a browser-session cookie). */
function sessionData(properties: Record<string, unknown>, maxAgeMs?: number): SessionData {
  const expires = maxAgeMs === undefined ? null : new Date(Date.now() + maxAgeMs).toISOString();
  return {
    cookie: { originalMaxAge: maxAgeMs ?? null, expires, httpOnly: true, path: '/' },
    ...properties,
  } as unknown as SessionData;
}

/** Calls a callback-form method and resolves with what the callback got; fails if it is called twice. */
function viaCallback<T>(call: (callback: (error: unknown, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    let calls = 0;
    call((error, value) => {
      calls += 1;
      if (calls > 1) throw new Error('the callback was called twice');
      if (error) reject(error);
      else resolve(value as T);
    });
  });
}

for (const factory of PROVIDERS) {
  describe(`TesseraExpressStore: ${factory.name}`, () => {
    let provider: SessionProvider;
    let apps = 0;
    /** A store with its own appKey, so listings of different tests never meet. */
    const newStore = (options: TesseraExpressStoreOptions = {}) => {
      const appKey = `x${++apps}`;
      const sessions: SessionStore = { provider, close: async () => {} };
      return { store: new TesseraExpressStore(sessions, { appKey, ...options }), appKey };
    };
    const stored = (appKey: string, id: string) => provider.peek({ appKey, id });

    before(async () => {
      await factory.setup();
      provider = await factory.create();
    });
    after(async () => {
      await provider?.close();
      await factory.teardown();
    });

    it('get, set and destroy answer promises when no callback is given', async () => {
      const { store } = newStore();
      assert.equal(await store.get('p1'), null);
      const written = store.set('p1', sessionData({ user: 'ann' }, 60_000));
      assert.ok(written instanceof Promise);
      await written;
      const loaded = await store.get('p1');
      assert.equal((loaded as unknown as { user: string }).user, 'ann');
      assert.equal(await store.destroy('p1'), undefined);
      assert.equal(await store.get('p1'), null);
    });

    it('get, set and destroy answer through the callback, once, and return nothing', async () => {
      const { store } = newStore();
      assert.equal(await viaCallback((cb) => store.get('c1', cb)), null);
      let returned: unknown = 'unset';
      await viaCallback((cb) => {
        returned = store.set('c1', sessionData({ user: 'bob' }), cb);
      });
      assert.equal(returned, undefined);
      const loaded = await viaCallback<SessionData | null>((cb) => store.get('c1', cb));
      assert.equal((loaded as unknown as { user: string }).user, 'bob');
      await viaCallback((cb) => store.destroy('c1', cb));
      assert.equal(await viaCallback((cb) => store.get('c1', cb)), null);
    });

    it('set resolves only once the session is written', async () => {
      const { store, appKey } = newStore();
      await store.set('w1', sessionData({ n: 1 }));
      const load = await stored(appKey, 'w1');
      assert.equal(load.state, 'loaded');
      if (load.state === 'loaded') assert.equal(load.session.items.get('n'), '1');
    });

    it('set of a new object replaces the stored session, cookie included', async () => {
      const { store } = newStore();
      await store.set('r1', sessionData({ a: 1, b: 2 }, 60_000));
      await store.set('r1', { foo: 'bar' } as unknown as SessionData);
      assert.deepEqual(await store.get('r1'), { foo: 'bar' });
    });

    it('set of what get returned writes the changes, deletions included', async () => {
      const { store } = newStore();
      await store.set('d1', sessionData({ a: 1, b: 2 }));
      const loaded = (await store.get('d1')) as unknown as Record<string, unknown>;
      delete loaded.a;
      loaded.c = 3;
      await store.set('d1', loaded as unknown as SessionData);
      const again = (await store.get('d1')) as unknown as Record<string, unknown>;
      assert.deepEqual([again.a, again.b, again.c], [undefined, 2, 3]);
    });

    it('a set of a loaded session destroyed meanwhile fails with TESSERA_SESSION_ABANDONED and writes nothing', async () => {
      const { store } = newStore();
      await store.set('g1', sessionData({ cart: 1 }));
      const loaded = (await store.get('g1')) as unknown as Record<string, unknown>;
      await store.destroy('g1');
      loaded.cart = 2;
      await assert.rejects(store.set('g1', loaded as unknown as SessionData), {
        code: 'TESSERA_SESSION_ABANDONED',
      });
      const error = await viaCallback((cb) => store.set('g1', loaded as unknown as SessionData, cb)).catch(
        (caught: unknown) => caught,
      );
      assert.equal((error as { code?: string }).code, 'TESSERA_SESSION_ABANDONED');
      assert.equal(await store.get('g1'), null);
    });

    it('what get loaded for one id is never used to save another id', async () => {
      const { store } = newStore();
      await store.set('old', sessionData({ user: 'ann' }));
      const loaded = (await store.get('old')) as unknown as SessionData;
      await store.destroy('old');
      await store.set('new', loaded);
      assert.equal(((await store.get('new')) as unknown as { user: string }).user, 'ann');
    });

    it('takes the lifetime from cookie.expires', async () => {
      const { store, appKey } = newStore();
      await store.set('l1', sessionData({}, 90 * 60_000));
      const load = await stored(appKey, 'l1');
      assert.equal(load.state, 'loaded');
      if (load.state === 'loaded') {
        assert.ok(load.session.timeoutMinutes > 89.9 && load.session.timeoutMinutes <= 90);
      }
    });

    it('takes the lifetime from cookie.maxAge when there is no expires, else timeoutMinutes', async () => {
      const { store, appKey } = newStore({ timeoutMinutes: 7 });
      await store.set('m1', { cookie: { maxAge: 3 * 60_000 } } as unknown as SessionData);
      await store.set('m2', sessionData({}));
      const [withMaxAge, browserSession] = [await stored(appKey, 'm1'), await stored(appKey, 'm2')];
      assert.equal(withMaxAge.state === 'loaded' && withMaxAge.session.timeoutMinutes, 3);
      assert.equal(browserSession.state === 'loaded' && browserSession.session.timeoutMinutes, 7);
    });

    it('a set whose cookie expired (expires in the past, maxAge 0) deletes the session', async () => {
      const { store } = newStore();
      await store.set('e1', sessionData({ a: 1 }, 60_000));
      await store.set('e1', sessionData({ a: 1 }, -1000));
      assert.equal(await store.get('e1'), null);
      await store.set('e2', sessionData({ a: 1 }, 60_000));
      await store.set('e2', { cookie: { maxAge: 0 } } as unknown as SessionData);
      assert.equal(await store.get('e2'), null);
    });

    it('get does not extend a session past its cookie’s expiry', async () => {
      const { store } = newStore();
      const setAt = Date.now();
      await store.set('k1', sessionData({ a: 1 }, 1000));
      await sleep(500 - (Date.now() - setAt));
      await store.get('k1');
      // Expiry is a matter of time: wait past the cookie's end, short of a slide's.
      await sleep(1200 - (Date.now() - setAt));
      assert.deepEqual(await store.ids(), []);
    });

    it('get deletes a session whose stored cookie has expired', async () => {
      const { store, appKey } = newStore();
      await store.set('x1', sessionData({ a: 1 }, 60_000));
      const load = await stored(appKey, 'x1');
      assert.equal(load.state, 'loaded');
      // The stored cookie says it ended a second ago (as a replayed old cookie would find it).
      const cookie = JSON.stringify({ originalMaxAge: 1000, expires: new Date(Date.now() - 1000) });
      await provider.save(
        { appKey, id: 'x1' },
        { set: new Map([['cookie', cookie]]), remove: [] },
        { lockToken: null, expectedVersion: null, releaseLock: false },
      );
      assert.equal(await store.get('x1'), null);
      assert.equal((await stored(appKey, 'x1')).state, 'missing');
    });

    it('touch applies the given session’s expiry and stores its cookie, in both forms', async () => {
      const { store, appKey } = newStore();
      await store.set('t1', sessionData({ user: 'ann' }, 60_000));
      const longer = sessionData({ user: 'ignored' }, 30 * 24 * 60 * 60_000);
      await store.touch('t1', longer);
      let load = await stored(appKey, 't1');
      assert.equal(load.state, 'loaded');
      if (load.state === 'loaded') {
        assert.ok(load.session.timeoutMinutes > 43_199, String(load.session.timeoutMinutes));
        assert.equal(load.session.items.get('user'), '"ann"');
      }
      const loaded = (await store.get('t1')) as unknown as { cookie: { expires: string } };
      assert.equal(loaded.cookie.expires, (longer.cookie as unknown as { expires: string }).expires);
      await viaCallback((cb) => store.touch('t1', sessionData({}, 5 * 60_000), cb));
      load = await stored(appKey, 't1');
      assert.ok(load.state === 'loaded' && load.session.timeoutMinutes <= 5);
    });

    it('touch never brings a destroyed session back; an expired cookie deletes the session', async () => {
      const { store } = newStore();
      await store.touch('gone', sessionData({}, 60_000));
      assert.equal(await store.get('gone'), null);
      await store.set('t2', sessionData({}, 60_000));
      await store.touch('t2', sessionData({}, -1));
      assert.equal(await store.get('t2'), null);
    });

    it('ids, length and all list the application’s sessions over several pages, in both forms', async () => {
      const { store } = newStore({ listPageSize: 2 });
      const { store: other } = newStore();
      await other.set('elsewhere', sessionData({}));
      const ids = Array.from({ length: 7 }, (_, index) => `s${index}`);
      for (const id of ids) await store.set(id, sessionData({ n: id }, 60_000));
      assert.deepEqual((await store.ids()).sort(), ids);
      assert.deepEqual((await viaCallback<string[]>((cb) => store.ids(cb))).sort(), ids);
      assert.equal(await store.length(), 7);
      assert.equal(await viaCallback((cb) => store.length(cb)), 7);
      const all = await store.all();
      assert.deepEqual(all.map((session) => session.id).sort(), ids);
      for (const session of all) assert.equal((session as unknown as { n: string }).n, session.id);
      const viaCb = await viaCallback<{ id: string }[]>((cb) => store.all(cb));
      assert.equal(viaCb.length, 7);
    });

    it('listing reads without extending any session', async () => {
      const { store, appKey } = newStore();
      await store.set('quiet', sessionData({}, 60_000));
      const before = await stored(appKey, 'quiet');
      await store.all();
      await store.ids();
      const afterListing = await stored(appKey, 'quiet');
      assert.ok(before.state === 'loaded' && afterListing.state === 'loaded');
      assert.equal(afterListing.session.version, before.session.version);
    });

    it('all leaves out (and deletes) sessions whose cookie has expired', async () => {
      const { store, appKey } = newStore();
      await store.set('live', sessionData({}, 60_000));
      await store.set('dead', sessionData({}, 60_000));
      const cookie = JSON.stringify({ originalMaxAge: 1, expires: new Date(Date.now() - 1) });
      await provider.save(
        { appKey, id: 'dead' },
        { set: new Map([['cookie', cookie]]), remove: [] },
        { lockToken: null, expectedVersion: null, releaseLock: false },
      );
      assert.deepEqual(
        (await store.all()).map((session) => session.id),
        ['live'],
      );
      assert.deepEqual(await store.ids(), ['live']);
    });

    it('clear deletes every session of the application and no other, in both forms', async () => {
      const { store } = newStore({ listPageSize: 3 });
      const { store: other } = newStore();
      await other.set('kept', sessionData({}));
      for (let index = 0; index < 10; index++) await store.set(`c${index}`, sessionData({}));
      assert.equal(await store.clear(), undefined);
      assert.equal(await store.length(), 0);
      await store.set('again', sessionData({}));
      await viaCallback((cb) => store.clear(cb));
      assert.deepEqual(await store.ids(), []);
      assert.deepEqual(await other.ids(), ['kept']);
    });

    it('lists and clears no session of an application whose appKey starts with this one', async () => {
      const sessions: SessionStore = { provider, close: async () => {} };
      const shop = new TesseraExpressStore(sessions, { appKey: `shop${++apps}` });
      const shopAdmin = new TesseraExpressStore(sessions, { appKey: `shop${apps}-admin` });
      await shopAdmin.set('admin_1', sessionData({ role: 'admin' }));
      await shop.set('s1', sessionData({}));
      assert.deepEqual(await shop.ids(), ['s1']);
      await shop.clear();
      assert.deepEqual(await shopAdmin.ids(), ['admin_1']);
    });
  });
}

describe('TesseraExpressStore failures', () => {
  it('a failing call without a callback rejects its promise but never raises an unhandled rejection', async () => {
    const sessions = new MemorySessionStore({ maxBytes: 10 });
    const store = new TesseraExpressStore(sessions);
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      await assert.rejects(store.set('big', sessionData({ text: 'x'.repeat(100) })), {
        code: 'TESSERA_SESSION_MEMORY_LIMIT',
      });
      // As express-session's `destroy()` without a callback does: nobody awaits it.
      void store.set('big', sessionData({ text: 'x'.repeat(100) }));
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', listener);
      await sessions.close();
    }
  });

  it('refuses an appKey with "_", which separates the appKey from the id in every key', () => {
    assert.throws(() => new TesseraExpressStore(new MemorySessionStore(), { appKey: 'shop_admin' }), {
      code: 'TESSERA_SESSION_OPTIONS',
    });
  });

  it('refuses a listPageSize that is not a positive whole number', () => {
    const sessions = new MemorySessionStore();
    assert.throws(() => new TesseraExpressStore(sessions, { listPageSize: 0 }), {
      code: 'TESSERA_SESSION_OPTIONS',
    });
  });
});
