/**
 * What only the Redis provider promises: its key layout, round trips, scripts, and
 * cross-server wake-ups — over mutual TLS through the connection layer, on one
 * server and on a three-primary cluster.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LuaScript, RedisArgument, RedisConnection } from '../../src/redis/connection.ts';
import { connectRedis, parseConnectionString } from '../../src/redis/index.ts';
import {
  type ActiveSession,
  RedisProvider,
  RedisSessionStore,
  SESSION_CHANNELS,
  SessionEngine,
  type SessionError,
} from '../../src/session/index.ts';
import {
  startTlsRedis,
  startTlsRedisCluster,
  type TlsRedisCluster,
  type TlsRedisServer,
  type TlsRedisTarget,
} from '../support/tls-redis.ts';

/**
 * A save cut off by Redis going away: refused before it was sent (store
 * unavailable), or sent on a connection that closed before the answer (unknown).
 */
function cutOff(error: SessionError): boolean {
  assert.ok(
    error.code === 'TESSERA_SESSION_STORE_UNAVAILABLE' || error.code === 'TESSERA_SESSION_OUTCOME_UNKNOWN',
    error.code,
  );
  return true;
}

/** Counts the calls a provider makes (each is one round trip). */
function counting(connection: RedisConnection) {
  const calls: string[] = [];
  const counted: RedisConnection = Object.create(connection, {
    command: {
      value: (args: readonly RedisArgument[], options?: { readonly key?: string }) => {
        calls.push(String(args[0]));
        return connection.command(args, options);
      },
    },
    script: {
      value: (script: LuaScript, keys: readonly string[], args: readonly RedisArgument[]) => {
        calls.push('script');
        return connection.script(script, keys, args);
      },
    },
  });
  return { counted, calls };
}

let single: TlsRedisServer;
let cluster: TlsRedisCluster;
const connections: RedisConnection[] = [];

/** A connection as a front-end server opens it: the connection string and the `SERedis_*` variables. */
async function connect(target: TlsRedisTarget): Promise<RedisConnection> {
  const connection = await connectRedis(parseConnectionString(target.connectionString), { env: target.env });
  connections.push(connection);
  return connection;
}

before(async () => {
  [single, cluster] = await Promise.all([startTlsRedis(), startTlsRedisCluster()]);
});
after(async () => {
  await Promise.allSettled(connections.map((connection) => connection.close()));
  await Promise.allSettled([single?.stop(), cluster?.stop()]);
});

describe('the Redis provider', () => {
  it('keeps a session in three keys with one hash tag, expiring together', async () => {
    const redis = single.server;
    const sessions = new SessionEngine(new RedisProvider(await connect(single)), {
      appKey: 'shop',
      absoluteLifetimeMinutes: 60,
    });
    const session = await sessions.open(undefined);
    session.set('cart', { lines: 2 });
    await session.save();
    const tag = `{shop_${session.id}}`;
    assert.equal((await redis.cli('hget', `${tag}_Data`, 'cart')).trim(), '{"lines":2}');
    const internal = (await redis.cli('hgetall', `${tag}_Internal`)).trim().split('\n');
    assert.deepEqual(internal.filter((_, i) => i % 2 === 0).sort(), [
      'absolute',
      'created',
      'timeout',
      'version',
    ]);
    assert.match(
      await redis.cli('get', `${tag}_WriteLock`),
      /^[A-Za-z0-9_-]+\|\d{13}$/m,
      'token|acquired on the server clock',
    );
    const ttl = Number(await redis.cli('pttl', `${tag}_Data`));
    assert.ok(ttl > 19 * 60_000 && ttl <= 20 * 60_000, `ttl ${ttl}`);
    assert.equal(Number(await redis.cli('pttl', `${tag}_Internal`)) > 19 * 60_000, true);
    await session.commit();
    assert.equal((await redis.cli('exists', `${tag}_WriteLock`)).trim(), '0', 'released');
  });

  it('loads with one round trip and saves with at most one', async () => {
    const { counted, calls } = counting(await connect(single));
    const sessions = new SessionEngine(new RedisProvider(counted), { appKey: 'trips' });
    const first = await sessions.open(undefined);
    first.set('a', 1);
    await first.commit();
    assert.deepEqual(calls.splice(0), ['script'], 'create');
    const second = await sessions.open(first.id);
    assert.deepEqual(calls.splice(0), ['script'], 'lock + load + slide');
    second.set('a', 2);
    await second.commit();
    assert.deepEqual(calls.splice(0), ['script'], 'save + release');
    await (await sessions.open(first.id)).commit();
    assert.deepEqual(calls.splice(0), ['script', 'script'], 'load, then release only');
    await (await sessions.open([first.id, 'AAAAAAAAAAAAAAAAAAAAAAAA'])).commit();
    assert.deepEqual(calls.splice(0), ['script', 'script'], 'two cookies, the known one first: one load');
    const twice = await sessions.open(['AAAAAAAAAAAAAAAAAAAAAAAA', 'not-an-id', first.id]);
    assert.equal(twice.id, first.id);
    await twice.commit();
    assert.deepEqual(calls.splice(0), ['script', 'script', 'script'], 'the stale one costs one load more');
  });

  it('sends a session nobody changed since this server loaded it without its items, and a changed one whole', async () => {
    const replies: string[] = [];
    const connection = await connect(single);
    const watched: RedisConnection = Object.create(connection, {
      script: {
        value: async (script: LuaScript, keys: readonly string[], args: readonly RedisArgument[]) => {
          const reply = await connection.script(script, keys, args);
          if (Array.isArray(reply)) replies.push(String(reply[0]));
          return reply;
        },
      },
    });
    const serverA = new SessionEngine(new RedisProvider(watched), { appKey: 'copy' });
    const serverB = new SessionEngine(new RedisProvider(await connect(single)), { appKey: 'copy' });
    const seed = await serverA.open(undefined);
    seed.set('big', 'x'.repeat(50_000));
    seed.set('n', 1);
    await seed.commit();
    const read = await serverA.open(seed.id, { mode: 'readonly' });
    assert.equal(read.get('n'), 1);
    const locked = await serverA.open(seed.id);
    assert.equal((locked.get('big') as string).length, 50_000);
    locked.set('n', 2);
    await locked.commit();
    assert.deepEqual(replies.splice(0), ['created', 'unchanged', 'unchanged', 'saved']);
    const other = await serverB.open(seed.id);
    other.set('n', 3);
    await other.commit();
    const after = await serverA.open(seed.id, { mode: 'readonly' });
    assert.equal(after.get('n'), 3, "the other server's write");
    assert.equal((after.get('big') as string).length, 50_000);
    assert.deepEqual(replies.splice(0), ['loaded'], 'changed elsewhere: read whole');
    await (await serverA.open(seed.id)).commit();
    assert.deepEqual(replies.splice(0, 1), ['unchanged']);
  });

  it('slides the expiry on a read only once a tenth of the timeout has passed since the last slide', async () => {
    const redis = single.server;
    const timeoutMs = 12_000; // a read slides once 1.2 s have passed since the last slide
    const sessions = new SessionEngine(new RedisProvider(await connect(single)), {
      appKey: 'lazy',
      timeoutMinutes: timeoutMs / 60_000,
    });
    const seed = await sessions.open(undefined);
    seed.set('n', 1);
    await seed.commit();
    const pttl = async () => Number(await redis.cli('pttl', `{lazy_${seed.id}}_Internal`));
    await sleep(200);
    await (await sessions.open(seed.id)).commit();
    const early = await pttl();
    assert.ok(early <= timeoutMs - 200, `not slid 200 ms after the save: ${early} ms left`);
    await sleep(1_200);
    // Bounds from the clock, not from the sleeps: a loaded machine may take longer.
    const readAt = Date.now();
    await (await sessions.open(seed.id, { mode: 'readonly' })).commit();
    const late = await pttl();
    const sinceRead = Date.now() - readAt;
    assert.ok(late >= timeoutMs - sinceRead - 5, `slid ${sinceRead} ms ago at most: ${late} ms left`);
  });

  it('hands the lock to the requests of this server that wait for it: 20 concurrent increments of one session, about one round trip each', async () => {
    const { counted, calls } = counting(await connect(single));
    const sessions = new SessionEngine(new RedisProvider(counted), { appKey: 'queue', lockPollMs: 10_000 });
    const seed = await sessions.open(undefined);
    seed.set('n', 0);
    await seed.commit();
    calls.splice(0);
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const session = await sessions.open(seed.id);
        session.set('n', (session.get('n') as number) + 1);
        await session.commit();
      }),
    );
    assert.equal((await sessions.open(seed.id, { mode: 'readonly' })).get('n'), 20, 'no update lost');
    // The first request loads; the others wait for its outcome without loading, and
    // each save passes the lock and the saved session to the next one (one save each).
    // Every ninth time the lock is released instead, for other servers' waiters, and
    // the next one loads. (+1: the read above.)
    assert.ok(calls.length <= 1 + 20 + Math.ceil(20 / 9) + 1, `${calls.length} round trips`);
  });

  it('reloads a session whose lock it holds at once, while another request of this server waits for that lock', async () => {
    const sessions = new SessionEngine(new RedisProvider(await connect(single)), {
      appKey: 'reload',
      lockPollMs: 10_000,
    });
    const seed = await sessions.open(undefined);
    seed.set('n', 1);
    await seed.commit();
    const holder = await sessions.open(seed.id);
    const queued = new Promise<void>((resolve) => {
      const listener = () => {
        unsubscribe(SESSION_CHANNELS.lockQueued, listener);
        resolve();
      };
      subscribe(SESSION_CHANNELS.lockQueued, listener);
    });
    const waiter = sessions.open(seed.id);
    await queued;
    const started = Date.now();
    await holder.reload();
    assert.ok(Date.now() - started < 1000, `reloaded after ${Date.now() - started} ms`);
    holder.set('n', 2);
    await holder.commit();
    const next = await waiter;
    assert.equal(next.get('n'), 2);
    await next.commit();
  });

  it('falls back to EVAL when Redis forgot the scripts', async () => {
    const sessions = new SessionEngine(new RedisProvider(await connect(single)), { appKey: 'flush' });
    const session = await sessions.open(undefined);
    session.set('n', 1);
    await session.commit();
    await single.server.cli('script', 'flush');
    assert.equal((await sessions.open(session.id, { mode: 'readonly' })).get('n'), 1);
  });

  it('keeps every key of a session, and its release channel, in one cluster slot', async () => {
    const sessions = new SessionEngine(new RedisProvider(await connect(cluster)), { appKey: 'slots' });
    const session = await sessions.open(undefined);
    session.set('n', 1);
    await session.commit();
    const tag = `{slots_${session.id}}`;
    const node = cluster.cluster.nodes[0]!;
    const slots = await Promise.all(
      ['_Data', '_Internal', '_WriteLock', '_Released'].map(async (suffix) =>
        Number((await node.cli('cluster', 'keyslot', `${tag}${suffix}`)).trim()),
      ),
    );
    assert.equal(new Set(slots).size, 1, `slots ${slots}`);
    // The session's node holds both hashes; the other nodes hold none of its keys.
    const counts = await Promise.all(
      cluster.cluster.nodes.map(async (each) =>
        Number((await each.cli('cluster', 'countkeysinslot', String(slots[0]))).trim()),
      ),
    );
    assert.deepEqual(
      counts.filter((count) => count > 0),
      [2],
    );
  });

  for (const [topology, target] of [
    ['one server', () => single],
    ['a cluster (SPUBLISH from the script, SSUBSCRIBE on the node of the slot)', () => cluster],
  ] as const)
    it(`wakes a request waiting on another front-end server by pub/sub, not by polling, on ${topology}`, async () => {
      const serverA = new SessionEngine(new RedisProvider(await connect(target())), {
        appKey: 'farm',
        lockPollMs: 10_000,
      });
      const serverB = new SessionEngine(new RedisProvider(await connect(target())), {
        appKey: 'farm',
        lockPollMs: 10_000,
      });
      const seed = await serverA.open(undefined);
      seed.set('n', 0);
      await seed.commit();
      const holder = await serverA.open(seed.id);
      const started = Date.now();
      const waiter = serverB.open(seed.id);
      await sleep(100);
      holder.set('n', 1);
      await holder.commit();
      const woken = await waiter;
      assert.ok(Date.now() - started < 1000, `woken after ${Date.now() - started} ms`);
      assert.equal(woken.get('n'), 1);
      await woken.commit();
    });

  it('releases the lock of a request that Redis went away under once Redis is back, not after the request timeout', async () => {
    // This Redis keeps its data across the restart (append-only file, written before
    // each reply), as a production one does: the lock survives, as the session does.
    const persistent = await startTlsRedis({ extraArgs: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    const stores: RedisSessionStore[] = [];
    try {
      const open = async () => {
        const store = await RedisSessionStore.connect(persistent.connectionString, { env: persistent.env });
        stores.push(store);
        return store;
      };
      const [serverA, serverB] = [await open(), await open()];
      const sessionsA = new SessionEngine(serverA.provider, { appKey: 'outage' });
      // A short wait on B, so that a lock left for its whole lifetime fails the test quickly.
      const sessionsB = new SessionEngine(serverB.provider, { appKey: 'outage', requestTimeoutMs: 8000 });
      const seed = await sessionsA.open(undefined);
      seed.set('n', 1);
      await seed.commit();
      const holder = await sessionsA.open(seed.id);
      await persistent.server.stop();
      holder.set('n', 2);
      await assert.rejects(holder.commit(), cutOff);
      assert.equal(serverA.provider.pendingReleases, 1, 'the release waits for Redis');
      await persistent.server.restart();
      const started = Date.now();
      // The clients reconnect by themselves, with no event for it here: retry while they do.
      let next: ActiveSession | undefined;
      while (!next) {
        next = await sessionsB.open(seed.id).catch((error: SessionError) => {
          if (error.code !== 'TESSERA_SESSION_STORE_UNAVAILABLE' || Date.now() - started > 5000) throw error;
          return sleep(50).then(() => undefined);
        });
      }
      assert.ok(Date.now() - started < 5000, `had the lock after ${Date.now() - started} ms`);
      assert.equal(next.get('n'), 1, 'the failed save wrote nothing');
      await next.commit();
      assert.equal(serverA.provider.pendingReleases, 0);
    } finally {
      await Promise.allSettled(stores.map((store) => store.close()));
      await persistent.stop();
    }
  });

  it('drains the releases waiting for Redis before it closes, so no session stays locked after an outage', async () => {
    const persistent = await startTlsRedis({ extraArgs: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    const stores: RedisSessionStore[] = [];
    try {
      const open = async (options = {}) => {
        const store = await RedisSessionStore.connect(persistent.connectionString, {
          env: persistent.env,
          ...options,
        });
        stores.push(store);
        return store;
      };
      const closing = await open({ closeTimeoutMs: 20_000 });
      const other = await open();
      const sessionsA = new SessionEngine(closing.provider, { appKey: 'drain' });
      const sessionsB = new SessionEngine(other.provider, { appKey: 'drain', requestTimeoutMs: 8000 });
      const seed = await sessionsA.open(undefined);
      seed.set('n', 1);
      await seed.commit();
      const holder = await sessionsA.open(seed.id);
      await persistent.server.stop();
      holder.set('n', 2);
      await assert.rejects(holder.commit(), cutOff);
      assert.equal(closing.provider.pendingReleases, 1);
      // The front-end shuts down during the outage; Redis comes back while it closes.
      const closed = closing.close();
      await persistent.server.restart();
      await closed;
      assert.equal(closing.provider.pendingReleases, 0, 'released before the connection closed');
      const started = Date.now();
      let next: ActiveSession | undefined;
      while (!next) {
        next = await sessionsB.open(seed.id).catch((error: SessionError) => {
          if (error.code !== 'TESSERA_SESSION_STORE_UNAVAILABLE' || Date.now() - started > 5000) throw error;
          return sleep(50).then(() => undefined);
        });
      }
      assert.ok(Date.now() - started < 5000, `had the lock after ${Date.now() - started} ms`);
      assert.equal(next.get('n'), 1);
      await next.commit();
    } finally {
      await Promise.allSettled(stores.map((store) => store.close()));
      await persistent.stop();
    }
  });

  it('closes after closeTimeoutMs when Redis stays away, leaving those locks to expire', async () => {
    const gone = await startTlsRedis();
    const store = await RedisSessionStore.connect(gone.connectionString, {
      env: gone.env,
      closeTimeoutMs: 300,
    });
    try {
      const sessions = new SessionEngine(store.provider, { appKey: 'gone' });
      const seed = await sessions.open(undefined);
      seed.set('n', 1);
      await seed.commit();
      const holder = await sessions.open(seed.id);
      await gone.server.stop();
      holder.set('n', 2);
      await assert.rejects(holder.commit(), cutOff);
      const started = Date.now();
      await store.close();
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 250 && elapsed < 3000, `closed after ${elapsed} ms`);
    } finally {
      await store.close();
      await gone.stop();
    }
  });

  it('reports a save that Redis received but did not answer in time as an unknown outcome, not as "nothing was written"', async () => {
    const frozen = await startTlsRedis({ connectionOptions: 'syncTimeout=500' });
    const store = await RedisSessionStore.connect(frozen.connectionString, { env: frozen.env });
    const pid = Number(/process_id:(\d+)/.exec(await frozen.server.cli('info', 'server'))![1]);
    try {
      const sessions = new SessionEngine(store.provider, { appKey: 'frozen' });
      const seed = await sessions.open(undefined);
      seed.set('n', 0);
      await seed.commit();
      // One save first, so that Redis knows the save script (a first EVALSHA that
      // times out would have been answered NOSCRIPT: not applied).
      const first = await sessions.open(seed.id);
      first.set('n', 1);
      await first.commit();
      const holder = await sessions.open(seed.id);
      holder.set('n', 2);
      const reported = new Promise((resolve) => {
        const listener = (message: unknown) => {
          unsubscribe(SESSION_CHANNELS.storeUnavailable, listener);
          resolve(message);
        };
        subscribe(SESSION_CHANNELS.storeUnavailable, listener);
      });
      process.kill(pid, 'SIGSTOP');
      try {
        await assert.rejects(holder.commit(), (error: SessionError) => {
          assert.equal(error.code, 'TESSERA_SESSION_OUTCOME_UNKNOWN');
          assert.match(error.message, /did not answer when asked to save .*it may or may not have done it/);
          assert.doesNotMatch(error.message, /Nothing was written/);
          return true;
        });
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      assert.deepEqual(await reported, { provider: 'redis', code: 'TESSERA_SESSION_OUTCOME_UNKNOWN' });
      // Redis runs the save it had received as soon as it resumes: the outcome was indeed unknown.
      const started = Date.now();
      let next: ActiveSession | undefined;
      while (!next) {
        next = await sessions.open(seed.id, { mode: 'readonly' }).catch((error: SessionError) => {
          if (error.code !== 'TESSERA_SESSION_STORE_UNAVAILABLE' || Date.now() - started > 5000) throw error;
          return sleep(50).then(() => undefined);
        });
      }
      assert.equal(next.get('n'), 2, 'the save that timed out was applied');
    } finally {
      await store.close();
      await frozen.stop();
    }
  });
});
