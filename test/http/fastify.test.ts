import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { fastifySession } from '../../src/http/index.ts';
import { MemorySessionStore, SESSION_CHANNELS, SessionEngine } from '../../src/session/index.ts';
import { CookieClient, get } from './http-helpers.ts';

describe('the Fastify plugin', () => {
  const store = new MemorySessionStore();
  let app: FastifyInstance;
  let url: string;

  before(async () => {
    app = Fastify();
    await app.register(fastifySession, { store });
    app.get('/count', async (request) => {
      const count = ((request.session.count as number | undefined) ?? 0) + 1;
      request.session.count = count;
      return { count };
    });
    app.get('/peek', async (request) => ({ count: request.session.count ?? null }));
    app.get('/login', async (request) => {
      await request.session.regenerate();
      return { id: request.session.id };
    });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await app.close();
    await store.close();
  });

  it('gives request.session, kept across requests, with the same cookie attributes', async () => {
    const client = new CookieClient(url);
    const first = await client.get('/count');
    assert.match(first.setCookies[0]!, /^tessera\.sid=[A-Za-z0-9_-]{24}; Path=\/; HttpOnly; SameSite=Lax$/);
    assert.deepEqual(JSON.parse((await client.get('/count')).body), { count: 2 });
  });

  it('uses the session of a cookie sent twice, the stale one first', async () => {
    const client = new CookieClient(url);
    await client.get('/count');
    const reply = await get(`${url}/count`, {
      cookie: `tessera.sid=AAAAAAAAAAAAAAAAAAAAAAAA; tessera.sid=${client.cookie}`,
    });
    assert.deepEqual(JSON.parse(reply.body), { count: 2 });
    assert.deepEqual(reply.setCookies, []);
  });

  it('sends no cookie when the session is not used', async () => {
    assert.deepEqual((await get(`${url}/peek`)).setCookies, []);
  });

  it('serializes concurrent requests of one session', async () => {
    const client = new CookieClient(url);
    await client.get('/count');
    await Promise.all(Array.from({ length: 29 }, () => client.get('/count')));
    assert.deepEqual(JSON.parse((await client.get('/peek')).body), { count: 30 });
  });

  it('regenerates the id, keeping the items', async () => {
    const client = new CookieClient(url);
    await client.get('/count');
    const before = client.cookie;
    await client.get('/login');
    assert.notEqual(client.cookie, before);
    assert.deepEqual(JSON.parse((await client.get('/peek')).body), { count: 1 });
  });
});

describe('the Fastify plugin, when a client leaves while its request waits for the lock', () => {
  it('ends quietly (no error handler, no error log) and counts it on tessera:session:client-gone', {
    timeout: 10_000,
  }, async () => {
    const store = new MemorySessionStore();
    const app = Fastify();
    const errors: unknown[] = [];
    app.setErrorHandler((error, _request, reply) => {
      errors.push(error);
      return reply.code(500).send();
    });
    await app.register(fastifySession, { store, appKey: 'gone' });
    app.get('/', async () => 'ok');
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const gone: unknown[] = [];
    const onGone = (event: unknown) => gone.push(event);
    subscribe(SESSION_CHANNELS.clientGone, onGone);
    try {
      const sessions = new SessionEngine(store.provider, { appKey: 'gone' });
      const seed = await sessions.open(undefined);
      seed.set('n', 1);
      await seed.commit();
      const holder = await sessions.open(seed.id);
      const queued = nextMessage(SESSION_CHANNELS.lockQueued);
      const client = new AbortController();
      const request = get(url, { cookie: `tessera.gone.sid=${seed.id}` }, client.signal);
      await queued;
      const counted = nextMessage(SESSION_CHANNELS.clientGone);
      client.abort();
      await assert.rejects(request, { name: 'AbortError' });
      await counted;
      assert.deepEqual(gone, [{ provider: 'memory', code: 'ABORT_ERR' }]);
      assert.deepEqual(errors, []);
      await holder.commit();
      assert.equal((await get(url, { cookie: `tessera.gone.sid=${seed.id}` })).body, 'ok', 'not left locked');
    } finally {
      unsubscribe(SESSION_CHANNELS.clientGone, onGone);
      await app.close();
      await store.close();
    }
  });
});

/** The next message published on a diagnostics channel. */
function nextMessage(name: string): Promise<unknown> {
  return new Promise((resolve) => {
    const listener = (message: unknown) => {
      unsubscribe(name, listener);
      resolve(message);
    };
    subscribe(name, listener);
  });
}
