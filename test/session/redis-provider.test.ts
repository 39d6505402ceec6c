/** What only the Redis provider promises: its key layout, round trips, scripts, and cross-server wake-ups. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LuaScript, RedisArgument, RedisConnection } from '../../src/redis/connection.ts';
import { RedisProvider, SessionEngine } from '../../src/session/index.ts';
import { type RedisServer, startRedisServer } from '../support/redis-server.ts';
import { PlainRedisConnection } from './plain-redis-connection.ts';

/** Counts the calls a provider makes (each is one round trip). */
function counting(connection: RedisConnection) {
  const calls: string[] = [];
  const counted: RedisConnection = Object.create(connection, {
    command: {
      value: (args: readonly RedisArgument[]) => {
        calls.push(String(args[0]));
        return connection.command(args);
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

describe('the Redis provider', () => {
  let redis: RedisServer;
  const connections: PlainRedisConnection[] = [];
  const connect = async () => {
    const connection = await PlainRedisConnection.connect(redis.port);
    connections.push(connection);
    return connection;
  };

  before(async () => {
    redis = await startRedisServer();
  });
  after(async () => {
    await Promise.allSettled(connections.map((connection) => connection.close()));
    await redis.stop();
  });

  it('keeps a session in three keys with one hash tag, expiring together', async () => {
    const sessions = new SessionEngine(new RedisProvider(await connect()), {
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
    const { counted, calls } = counting(await connect());
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
  });

  it('falls back to EVAL when Redis forgot the scripts', async () => {
    const sessions = new SessionEngine(new RedisProvider(await connect()), { appKey: 'flush' });
    const session = await sessions.open(undefined);
    session.set('n', 1);
    await session.commit();
    await redis.cli('script', 'flush');
    assert.equal((await sessions.open(session.id, { mode: 'readonly' })).get('n'), 1);
  });

  it('wakes a request waiting on another front-end server by pub/sub, not by polling', async () => {
    const serverA = new SessionEngine(new RedisProvider(await connect()), {
      appKey: 'farm',
      lockPollMs: 10_000,
    });
    const serverB = new SessionEngine(new RedisProvider(await connect()), {
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
});
