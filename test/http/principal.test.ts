/**
 * "Where am I signed in?" and "log out my other sessions" as an application writes
 * them: two front-end servers (node:http with `sessionMiddleware`, and Fastify),
 * each with its own store on one Redis Cluster over mutual TLS, and three browsers.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { type RequestWithSession, sessionMiddleware } from 'tessera';
import { fastifySession } from 'tessera/fastify';
import { PrincipalSessions, RedisSessionStore } from '../../src/session/index.ts';
import { startTlsRedisCluster, type TlsRedisCluster } from '../support/tls-redis.ts';
import { CookieClient, listen, type RunningServer } from './http-helpers.ts';

/** The cookie of the application `shop` (one cookie per application). */
const COOKIE = 'tessera.shop.sid';

describe('principal sessions over HTTP, two front-ends on one Redis Cluster', () => {
  let cluster: TlsRedisCluster;
  const stores: RedisSessionStore[] = [];
  let plain: RunningServer;
  let fastify: FastifyInstance;
  let fastifyUrl: string;

  before(async () => {
    cluster = await startTlsRedisCluster();
    for (let i = 0; i < 2; i++)
      stores.push(await RedisSessionStore.connect(cluster.connectionString, { env: cluster.env }));
    const handle = sessionMiddleware({ store: stores[0]!, appKey: 'shop' });
    const sessions = new PrincipalSessions(stores[0]!, { appKey: 'shop' });
    plain = await listen(async (req: IncomingMessage, res: ServerResponse) => {
      await handle(req, res);
      if (res.writableEnded) return;
      const session = (req as RequestWithSession).session;
      const url = new URL(req.url ?? '/', 'http://localhost');
      const user = url.searchParams.get('user') ?? '';
      let body: unknown = null;
      if (url.pathname === '/login') {
        await session.changeId();
        session.user = user;
        session.setPrincipal(user);
      } else if (url.pathname === '/devices') {
        body = (await sessions.list(session.user as string)).map((s) => ({
          current: s.id === session.id,
          userAgent: s.userAgent,
        }));
      } else if (url.pathname === '/logout-others') {
        body = await sessions.logOutOthers(session.user as string, session.id);
      } else if (url.pathname === '/me') {
        body = session.user ?? null;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    });
    fastify = Fastify();
    await fastify.register(fastifySession, { store: stores[1]!, appKey: 'shop' });
    fastify.get('/login', async (request) => {
      const { user } = request.query as { user: string };
      request.session.user = user;
      request.session.setPrincipal(user);
      return null;
    });
    fastify.get('/me', async (request) => JSON.stringify(request.session.user ?? null));
    fastifyUrl = await fastify.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await plain?.close();
    await fastify?.close();
    for (const store of stores) await store.close();
    await cluster?.stop();
  });

  it('lists the devices a user signed in on, on either front-end, and logs out all but this one', async () => {
    const laptop = new CookieClient(plain.url, COOKIE);
    const phone = new CookieClient(fastifyUrl, COOKIE);
    const tablet = new CookieClient(plain.url, COOKIE);
    const bob = new CookieClient(fastifyUrl, COOKIE);
    await laptop.get('/login?user=alice', { 'user-agent': 'Laptop/1' });
    await phone.get('/login?user=alice', { 'user-agent': 'Phone/2' });
    await tablet.get('/login?user=alice', { 'user-agent': 'Tablet/3' });
    await bob.get('/login?user=bob', { 'user-agent': 'Bob/1' });

    const devices = JSON.parse((await laptop.get('/devices')).body) as {
      current: boolean;
      userAgent: string;
    }[];
    assert.deepEqual(
      devices.map((d) => [d.userAgent, d.current]),
      [
        ['Laptop/1', true],
        ['Phone/2', false],
        ['Tablet/3', false],
      ],
    );

    assert.equal((await laptop.get('/logout-others')).body, '2');
    assert.equal((await laptop.get('/me')).body, '"alice"');
    assert.equal((await phone.get('/me')).body, 'null', 'the phone is signed out (on the other front-end)');
    assert.equal((await tablet.get('/me')).body, 'null');
    assert.equal((await bob.get('/me')).body, '"bob"');
    assert.deepEqual(
      (JSON.parse((await laptop.get('/devices')).body) as { userAgent: string }[]).map((d) => d.userAgent),
      ['Laptop/1'],
    );
  });

  it('refuses setPrincipal as an item name', async () => {
    const client = new CookieClient(plain.url, COOKIE);
    await client.get('/me');
    const handle = sessionMiddleware({ store: stores[0]!, appKey: 'shop' });
    const server = await listen(async (req, res) => {
      await handle(req, res);
      try {
        (req as RequestWithSession).session.setPrincipal = 'x' as never;
        res.end('assigned');
      } catch (error) {
        res.end((error as { code: string }).code);
      }
    });
    try {
      assert.equal((await new CookieClient(server.url).get('/')).body, 'TESSERA_SESSION_ITEM_NAME');
    } finally {
      await server.close();
    }
  });
});
