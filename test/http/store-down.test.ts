import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { RedisSessionStore, type RequestWithSession, sessionMiddleware } from 'tessera';
import { fastifySession } from 'tessera/fastify';
import { SessionEngine } from '../../src/session/index.ts';
import { startTlsRedis, type TlsRedisServer } from '../support/tls-redis.ts';
import { CookieClient, get, listen, type RunningServer } from './http-helpers.ts';

/** Retries until the store answers again: reconnection is Redis's and the client's, with no event for it here. */
async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe('when the Redis store (mutual TLS) is unreachable', () => {
  let redis: TlsRedisServer;
  let store: RedisSessionStore;
  let server: RunningServer;
  let fastify: FastifyInstance;
  let fastifyUrl: string;
  /** What each middleware's onError heard. */
  const heard: unknown[] = [];
  const heardByFastify: unknown[] = [];

  before(async () => {
    redis = await startTlsRedis();
    store = await RedisSessionStore.connect(redis.connectionString, { env: redis.env });
    const handle = sessionMiddleware({ store, retryAfterSeconds: 3, onError: (error) => heard.push(error) });
    server = await listen(async (req: IncomingMessage, res: ServerResponse) => {
      await handle(req, res);
      if (res.writableEnded) return;
      const session = (req as RequestWithSession).session;
      session.count = ((session.count as number | undefined) ?? 0) + 1;
      res.end(String(session.count));
    });
    fastify = Fastify();
    await fastify.register(fastifySession, {
      store,
      retryAfterSeconds: 3,
      onError: (error) => heardByFastify.push(error),
    });
    fastify.get('/', async (request) => {
      request.session.count = ((request.session.count as number | undefined) ?? 0) + 1;
      return String(request.session.count);
    });
    fastifyUrl = await fastify.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await server.close();
    await fastify.close();
    await store.close();
    await redis.stop();
  });

  it('answers 503 with Retry-After at once, and recovers by itself when Redis is back', async () => {
    const client = new CookieClient(server.url);
    const fastifyClient = new CookieClient(fastifyUrl);
    assert.equal((await client.get('/')).body, '1');
    assert.equal((await fastifyClient.get('/')).body, '1');
    await redis.server.stop();
    try {
      for (const reply of [
        await client.get('/'),
        await get(`${server.url}/`),
        await fastifyClient.get('/'),
        await get(fastifyUrl),
      ]) {
        assert.equal(reply.status, 503);
        assert.match(reply.body, /TESSERA_SESSION_STORE_UNAVAILABLE/);
        assert.ok(reply.elapsedMs < 1000, `answered in ${reply.elapsedMs} ms`);
        assert.deepEqual(reply.setCookies, [], 'no cookie for a session that was not stored');
      }
      assert.equal((await client.get('/')).headers.get('retry-after'), '3');
      assert.equal((await fastifyClient.get('/')).headers.get('retry-after'), '3');
      // Every failure the middleware answered itself reached onError, loads included.
      const codes = (errors: unknown[]) => errors.map((error) => (error as { code: string }).code);
      assert.ok(heard.length >= 3, `onError heard ${heard.length} failures`);
      assert.ok(heardByFastify.length >= 3, `the plugin's onError heard ${heardByFastify.length} failures`);
      for (const code of [...codes(heard), ...codes(heardByFastify)])
        assert.equal(code, 'TESSERA_SESSION_STORE_UNAVAILABLE');
    } finally {
      await redis.server.restart();
    }
    await until(async () => (await get(`${server.url}/`)).status === 200);
    // This test server keeps nothing on disk, so the old session is gone: a new one starts.
    assert.equal((await client.get('/')).status, 200);
    assert.equal((await fastifyClient.get('/')).status, 200);
    assert.equal((await client.get('/')).body, '2');
  });
});

describe('RedisSessionStore.connect', () => {
  let redis: TlsRedisServer;
  before(async () => {
    redis = await startTlsRedis();
  });
  after(async () => {
    await redis.stop();
  });

  it('connects with a connection string over mutual TLS and serves sessions', async () => {
    const store = await RedisSessionStore.connect(redis.connectionString, { env: redis.env });
    const handle = sessionMiddleware({ store });
    const server = await listen(async (req: IncomingMessage, res: ServerResponse) => {
      await handle(req, res);
      if (res.writableEnded) return;
      const session = (req as RequestWithSession).session;
      session.count = ((session.count as number | undefined) ?? 0) + 1;
      res.end(String(session.count));
    });
    try {
      const client = new CookieClient(server.url);
      await client.get('/');
      assert.equal((await client.get('/')).body, '2');
      assert.match(await redis.server.cli('keys', '{app_*}_Data'), /\{app_[A-Za-z0-9_-]{24}\}_Data/);
    } finally {
      await server.close();
      await store.close();
    }
  });
});

describe('when Redis (mutual TLS) freezes while a request saves', () => {
  it('answers 504 naming the unknown outcome, without Retry-After, and the client can see what was stored', async () => {
    const redis = await startTlsRedis({ connectionOptions: 'syncTimeout=500' });
    const store = await RedisSessionStore.connect(redis.connectionString, { env: redis.env });
    const pid = Number(/process_id:(\d+)/.exec(await redis.server.cli('info', 'server'))![1]);
    const handle = sessionMiddleware({ store });
    let freeze = false;
    const server = await listen(async (req: IncomingMessage, res: ServerResponse) => {
      await handle(req, res);
      if (res.writableEnded) return;
      const session = (req as RequestWithSession).session;
      session.count = ((session.count as number | undefined) ?? 0) + 1;
      // Redis stops between the load and the save of this request.
      if (freeze) process.kill(pid, 'SIGSTOP');
      res.end(String(session.count));
    });
    try {
      const client = new CookieClient(server.url);
      assert.equal((await client.get('/')).body, '1');
      assert.equal((await client.get('/')).body, '2', 'the save script is known to Redis');
      freeze = true;
      let reply: Awaited<ReturnType<CookieClient['get']>>;
      try {
        reply = await client.get('/');
      } finally {
        freeze = false;
        process.kill(pid, 'SIGCONT');
      }
      assert.equal(reply.status, 504);
      assert.match(reply.body, /TESSERA_SESSION_OUTCOME_UNKNOWN/);
      assert.doesNotMatch(reply.body, /Retry in/);
      assert.equal(reply.headers.get('retry-after'), null);
      // The save that got no answer was applied once Redis resumed: the client reloads and sees 3.
      const sessions = new SessionEngine(store.provider);
      let stored: unknown;
      await until(async () => {
        const session = await sessions.open(client.cookie, { mode: 'readonly' }).catch(() => undefined);
        stored = session?.get('count');
        return session !== undefined;
      });
      assert.equal(stored, 3);
    } finally {
      await server.close();
      await store.close();
      await redis.stop();
    }
  });
});
