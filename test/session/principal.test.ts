/**
 * A session's principal, on every provider: the store lists a principal's sessions
 * and logs them out everywhere, or everywhere but the current one; the index follows
 * regenerate, sign-out and a change of user; ended sessions are never listed. Then
 * what only Redis needs (its index is in other Cluster slots than the sessions):
 * stale entries are removed when listed. Then the lifecycle events.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { TesseraExpressStore } from 'tessera/express-session';
import {
  type ActiveSession,
  MemoryProvider,
  MemorySessionStore,
  PrincipalSessions,
  principalOf,
  RedisSessionStore,
  SESSION_CHANNELS,
  SessionEngine,
  type SessionLifecycleEvent,
  type SessionOptions,
  type SessionProvider,
  sessionEvents,
} from '../../src/session/index.ts';
import { startTlsRedis, startTlsRedisCluster, type TlsRedisTarget } from '../support/tls-redis.ts';
import { PROVIDERS } from './providers.ts';

const storeOf = (provider: SessionProvider) => ({ provider, close: () => provider.close() });

/** Opens a new session, names its principal, stores it; returns it committed. */
async function signIn(
  engine: SessionEngine,
  name: string,
  userAgent = 'test-agent/1.0',
): Promise<ActiveSession> {
  const session = await engine.open(undefined);
  session.set('cart', [name]);
  session.setPrincipal(principalOf(name, userAgent));
  await session.commit();
  return session;
}

/** True when the store still knows session `id` (a read that changes nothing). */
async function exists(engine: SessionEngine, id: string): Promise<boolean> {
  return (await engine.provider.peek({ appKey: engine.options.appKey, id })).state === 'loaded';
}

for (const factory of PROVIDERS) {
  describe(`principal sessions: ${factory.name}`, () => {
    let provider: SessionProvider;
    let appCount = 0;
    const app = (options: Partial<SessionOptions> = {}) => {
      const engine = new SessionEngine(provider, { appKey: `p${++appCount}`, ...options });
      return {
        engine,
        sessions: new PrincipalSessions(storeOf(provider), { appKey: engine.options.appKey }),
      };
    };

    before(async () => {
      await factory.setup();
      provider = await factory.create();
    });
    after(async () => {
      await provider.close();
      await factory.teardown();
    });

    it("lists a principal's sessions with when and where they signed in, and no one else's", async () => {
      const { engine, sessions } = app();
      const startedAt = Date.now();
      const first = await signIn(engine, 'alice', 'Firefox/140');
      const second = await signIn(engine, 'alice', 'Safari/18');
      await signIn(engine, 'bob');
      await signIn(new SessionEngine(provider, { appKey: `p${++appCount}` }), 'alice');
      const listed = await sessions.list('alice');
      // Oldest first; two sign-ins in the same millisecond may come in either order.
      assert.deepEqual(
        new Map(listed.map((s) => [s.id, s.userAgent])),
        new Map([
          [first.id, 'Firefox/140'],
          [second.id, 'Safari/18'],
        ]),
      );
      assert.ok(listed[0]!.createdAt <= listed[1]!.createdAt);
      for (const session of listed) {
        assert.equal(session.frontEnd, hostname());
        // The store's clock, not this process's: allow the two to differ a little.
        assert.ok(Math.abs(session.createdAt.getTime() - startedAt) < 10_000);
        assert.ok(session.lastAccessAt);
        assert.ok(Math.abs(session.lastAccessAt.getTime() - startedAt) < 10_000);
        const left = session.expiresAt.getTime() - session.lastAccessAt.getTime();
        assert.ok(Math.abs(left - 20 * 60_000) < 1000, `expires 20 minutes after the last use (${left} ms)`);
      }
      assert.deepEqual(await sessions.list('carol'), []);
    });

    it('logs a principal out everywhere: every session is gone, the cookie of each finds nothing', async () => {
      const { engine, sessions } = app();
      const alice = [
        await signIn(engine, 'alice'),
        await signIn(engine, 'alice'),
        await signIn(engine, 'alice'),
      ];
      const bob = await signIn(engine, 'bob');
      assert.equal(await sessions.logOutEverywhere('alice'), 3);
      for (const session of alice) {
        assert.equal(await exists(engine, session.id), false);
        const reopened = await engine.open(session.id);
        assert.equal(reopened.isNew, true);
        await reopened.commit();
      }
      assert.deepEqual(await sessions.list('alice'), []);
      assert.equal(await exists(engine, bob.id), true);
      assert.deepEqual(
        (await sessions.list('bob')).map((s) => s.id),
        [bob.id],
      );
    });

    it('logs out the other sessions and keeps the current one', async () => {
      const { engine, sessions } = app();
      const phone = await signIn(engine, 'alice');
      const laptop = await signIn(engine, 'alice');
      const tablet = await signIn(engine, 'alice');
      assert.equal(await sessions.logOutOthers('alice', laptop.id), 2);
      assert.equal(await exists(engine, phone.id), false);
      assert.equal(await exists(engine, tablet.id), false);
      const current = await engine.open(laptop.id);
      assert.deepEqual(current.get('cart'), ['alice']);
      await current.commit();
      assert.deepEqual(
        (await sessions.list('alice')).map((s) => s.id),
        [laptop.id],
      );
    });

    it('follows the session to its new id on changeId, and the old id is never listed', async () => {
      const { engine, sessions } = app();
      const signedIn = await signIn(engine, 'alice', 'Edge/130');
      const oldId = signedIn.id;
      const session = await engine.open(oldId);
      await session.changeId();
      await session.commit();
      assert.notEqual(session.id, oldId);
      const listed = await sessions.list('alice');
      assert.deepEqual(
        listed.map((s) => s.id),
        [session.id],
      );
      assert.equal(listed[0]?.userAgent, 'Edge/130');
      assert.equal(await sessions.logOutEverywhere('alice'), 1);
      assert.equal(await exists(engine, session.id), false);
    });

    it('drops a session from the list at sign-out, and moves it when another user signs in on it', async () => {
      const { engine, sessions } = app();
      const shared = await signIn(engine, 'alice');
      const other = await signIn(engine, 'alice');
      const signOut = await engine.open(other.id);
      signOut.setPrincipal(null);
      await signOut.commit();
      assert.deepEqual(
        (await sessions.list('alice')).map((s) => s.id),
        [shared.id],
      );
      const switchUser = await engine.open(shared.id);
      switchUser.setPrincipal(principalOf('bob', undefined));
      await switchUser.commit();
      assert.deepEqual(await sessions.list('alice'), []);
      const bob = await sessions.list('bob');
      assert.deepEqual(
        bob.map((s) => s.id),
        [shared.id],
      );
      assert.equal(bob[0]?.userAgent, null);
      // Signing out kept the session itself (only the principal went).
      assert.equal(await exists(engine, other.id), true);
    });

    it('sets the principal in modes exclusive and none, even on a session with no items yet', async () => {
      const { engine, sessions } = app();
      const empty = await engine.open(undefined);
      empty.setPrincipal(principalOf('alice', 'ua'));
      await empty.commit();
      assert.equal(empty.isNew, false, 'a principal alone stores the session');
      const seeded = await signIn(engine, 'nobody');
      const lockFree = await engine.open(seeded.id, { mode: 'none' });
      lockFree.setPrincipal(principalOf('alice', 'ua'));
      await lockFree.commit();
      assert.deepEqual((await sessions.list('alice')).map((s) => s.id).sort(), [empty.id, seeded.id].sort());
    });

    it('never lists an abandoned or expired session', async () => {
      const { engine, sessions } = app({ timeoutMinutes: 0.005 });
      const abandoned = await signIn(engine, 'alice');
      const expiring = await signIn(engine, 'alice');
      const kept = await engine.open(undefined);
      kept.timeoutMinutes = 20;
      kept.setPrincipal(principalOf('alice', null));
      await kept.commit();
      const ending = await engine.open(abandoned.id);
      await ending.abandon();
      await ending.commit();
      // Expiry is on the store's clock: wait until the store itself no longer has the session.
      while (await exists(engine, expiring.id)) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(
        (await sessions.list('alice')).map((s) => s.id),
        [kept.id],
      );
    });

    it('refuses a principal that is not a name, saying what it must be', async () => {
      const { engine, sessions } = app();
      const session = await engine.open(undefined);
      for (const bad of ['', 'x'.repeat(257), 42, undefined]) {
        assert.throws(
          () => session.setPrincipal(principalOf(bad as string, null)),
          (error: Error & { code: string }) =>
            error.code === 'TESSERA_SESSION_PRINCIPAL' && /1 to 256 characters/.test(error.message),
        );
      }
      await assert.rejects(sessions.list(''), { code: 'TESSERA_SESSION_PRINCIPAL' });
      await session.commit();
    });
  });
}

/** Redis's index lives in other slots than the sessions: what keeps it consistent. */
for (const [name, start] of [
  ['single', () => startTlsRedis()],
  ['three-primary cluster', () => startTlsRedisCluster()],
] as const) {
  describe(`principal index on Redis (${name}, mutual TLS)`, () => {
    let target: TlsRedisTarget;
    let store: RedisSessionStore;
    let appCount = 0;
    before(async () => {
      target = await start();
      store = await RedisSessionStore.connect(target.connectionString, {
        env: target.env,
        principalStaleGraceMs: 0,
      });
    });
    after(async () => {
      await store?.close();
      await target?.stop();
    });

    const indexOf = async (appKey: string, principal: string) => {
      const { createHash } = await import('node:crypto');
      const key = `{${appKey}:principal:${createHash('sha256').update(principal).digest('hex').slice(0, 32)}}_Sessions`;
      const members = (await store.connection.command(['ZRANGE', key, '0', '-1'], { key })) as string[];
      const ttl = Number(await store.connection.command(['PTTL', key], { key }));
      return { members: members.map(String).sort(), ttl };
    };

    it('removes the entries of ended sessions when it lists them, and the index disappears once empty', async () => {
      const appKey = `r${++appCount}`;
      const engine = new SessionEngine(store.provider, { appKey });
      const sessions = new PrincipalSessions(store, { appKey });
      const gone = await signIn(engine, 'alice');
      const kept = await signIn(engine, 'alice');
      // The index is no session: listing every session of the application skips it.
      const everyId: string[] = [];
      for await (const page of store.provider.listIds(appKey, { pageSize: 100 })) everyId.push(...page);
      assert.deepEqual(everyId.sort(), [gone.id, kept.id].sort());
      // Abandoned behind the index's back (the session scripts never touch the index).
      await store.provider.abandon({ appKey, id: gone.id });
      assert.deepEqual((await indexOf(appKey, 'alice')).members, [gone.id, kept.id].sort());
      assert.deepEqual(
        (await sessions.list('alice')).map((s) => s.id),
        [kept.id],
      );
      assert.deepEqual((await indexOf(appKey, 'alice')).members, [kept.id]);
      assert.equal(await sessions.logOutEverywhere('alice'), 1);
      assert.deepEqual(await sessions.list('alice'), []);
      assert.deepEqual((await indexOf(appKey, 'alice')).members, []);
      assert.equal((await indexOf(appKey, 'alice')).ttl, -2, 'no key left');
    });

    it('never lists a session whose index entry outlived a change of principal', async () => {
      const appKey = `r${++appCount}`;
      const engine = new SessionEngine(store.provider, { appKey });
      const sessions = new PrincipalSessions(store, { appKey });
      const session = await signIn(engine, 'alice');
      // An entry added before a sign-in whose field was then never written (a failure in between).
      await store.connection.script(
        (await import('../../src/session/providers/redis-principal-scripts.ts')).INDEX_ADD.lua,
        [
          `{${appKey}:principal:${(await import('node:crypto')).createHash('sha256').update('mallory').digest('hex').slice(0, 32)}}_Sessions`,
        ],
        [session.id, ''],
      );
      assert.deepEqual(await sessions.list('mallory'), []);
      assert.deepEqual((await indexOf(appKey, 'mallory')).members, []);
      assert.deepEqual(
        (await sessions.list('alice')).map((s) => s.id),
        [session.id],
      );
    });

    it('lets the index expire by itself when every session in it has an absolute lifetime', async () => {
      const appKey = `r${++appCount}`;
      const bounded = new SessionEngine(store.provider, { appKey, absoluteLifetimeMinutes: 60 });
      await signIn(bounded, 'alice');
      const { ttl } = await indexOf(appKey, 'alice');
      assert.ok(ttl > 60 * 60_000 && ttl <= 61 * 60_000 + 1000, `expires after the session (${ttl} ms)`);
      const sliding = new SessionEngine(store.provider, { appKey });
      await signIn(sliding, 'alice');
      assert.equal((await indexOf(appKey, 'alice')).ttl, -1, 'a sliding-only session makes it persistent');
    });
  });
}

describe('session lifecycle events', () => {
  const lifecycle = ['created', 'regenerated', 'destroyed', 'expired'] as const;

  /** Runs `action` while collecting the diagnostics messages of the four lifecycle channels. */
  async function published(action: () => Promise<void>) {
    const seen: [string, SessionLifecycleEvent][] = [];
    const listeners = lifecycle.map((kind) => {
      const listener = (message: unknown) => seen.push([kind, message as SessionLifecycleEvent]);
      subscribe(SESSION_CHANNELS[kind], listener);
      return [kind, listener] as const;
    });
    try {
      await action();
    } finally {
      for (const [kind, listener] of listeners) unsubscribe(SESSION_CHANNELS[kind], listener);
    }
    return seen;
  }

  it('publishes created, regenerated and destroyed with no session id, and tells the store with ids', async () => {
    const provider = new MemoryProvider();
    const store = storeOf(provider);
    const engine = new SessionEngine(provider, { appKey: 'events' });
    const told: [string, unknown][] = [];
    const events = sessionEvents(store);
    for (const kind of lifecycle) events.on(kind, (event: unknown) => told.push([kind, event]));
    let ids: string[] = [];
    const seen = await published(async () => {
      const session = await signIn(engine, 'alice');
      const created = session.id;
      const again = await engine.open(created);
      await again.changeId();
      await again.commit();
      const other = await signIn(engine, 'alice');
      assert.equal(
        await new PrincipalSessions(store, { appKey: 'events' }).logOutOthers('alice', other.id),
        1,
      );
      const last = await engine.open(other.id);
      await last.abandon();
      await last.commit();
      ids = [created, again.id, other.id];
    });
    const [created, regenerated, other] = ids;
    assert.deepEqual(
      seen.map(([kind, event]) => [kind, event]),
      [
        ['created', { provider: 'memory', appKey: 'events', cause: undefined }],
        ['regenerated', { provider: 'memory', appKey: 'events', cause: undefined }],
        ['created', { provider: 'memory', appKey: 'events', cause: undefined }],
        ['destroyed', { provider: 'memory', appKey: 'events', cause: 'log-out-others' }],
        ['destroyed', { provider: 'memory', appKey: 'events', cause: 'abandon' }],
      ],
    );
    assert.deepEqual(told, [
      ['created', { appKey: 'events', id: created }],
      ['regenerated', { appKey: 'events', id: regenerated, previousId: created }],
      ['created', { appKey: 'events', id: other }],
      ['destroyed', { appKey: 'events', id: regenerated, cause: 'log-out-others' }],
      ['destroyed', { appKey: 'events', id: other, cause: 'abandon' }],
    ]);
    assert.equal(sessionEvents(store), sessionEvents(provider), 'one emitter per store');
    await provider.close();
  });

  it("tells the express-session store's destroy as destroyed", async () => {
    const store = new MemorySessionStore();
    const express = new TesseraExpressStore(store, { appKey: 'express' });
    const destroyed = once(sessionEvents(store), 'destroyed');
    await express.set('AAAAAAAAAAAAAAAAAAAAAAAA', { cookie: { originalMaxAge: null } } as never);
    await express.destroy('AAAAAAAAAAAAAAAAAAAAAAAA');
    assert.deepEqual((await destroyed)[0], {
      appKey: 'express',
      id: 'AAAAAAAAAAAAAAAAAAAAAAAA',
      cause: 'abandon',
    });
    await store.close();
  });

  it('tells when the memory store sweeps an expired session away', async () => {
    const provider = new MemoryProvider({ sweepIntervalMs: 20 });
    // The sweep's timer never keeps a process alive; this test's must, until the event.
    const keepAlive = setInterval(() => {}, 1000);
    try {
      const engine = new SessionEngine(provider, { appKey: 'expiry', timeoutMinutes: 0.002 });
      const expired = once(sessionEvents(provider), 'expired');
      const seen = published(() => expired.then(() => {}));
      const session = await signIn(engine, 'alice');
      const [event] = await expired;
      assert.deepEqual(event, { appKey: 'expiry', id: session.id });
      assert.deepEqual(
        (await seen).map(([kind]) => kind),
        ['created', 'expired'],
      );
    } finally {
      clearInterval(keepAlive);
      await provider.close();
    }
  });

  for (const factory of PROVIDERS.filter((f) => f.name.startsWith('database'))) {
    it(`tells when the ${factory.name} sweep deletes an expired session`, async () => {
      await factory.setup();
      const provider = (await factory.create()) as SessionProvider & { sweep(): Promise<void> };
      try {
        const engine = new SessionEngine(provider, { appKey: 'expiry', timeoutMinutes: 0.002 });
        const session = await signIn(engine, 'alice');
        while (await exists(engine, session.id)) await new Promise((resolve) => setTimeout(resolve, 20));
        const expired = once(sessionEvents(provider), 'expired');
        await provider.sweep();
        assert.deepEqual((await expired)[0], { appKey: 'expiry', id: session.id });
      } finally {
        await provider.close();
        await factory.teardown();
      }
    });
  }
});
