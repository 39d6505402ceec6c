import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { MemorySessionStore, SESSION_CHANNELS } from 'tessera';
import { fastifySession } from 'tessera/fastify';
import { SessionEngine } from '../../src/session/index.ts';
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
      await request.session.changeId();
      return { id: request.session.id };
    });
    app.get('/logout', async (request) => {
      await request.session.regenerate();
      return { items: Object.keys(request.session) };
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

  it('changes the id at login, keeping the items', async () => {
    const client = new CookieClient(url);
    await client.get('/count');
    const before = client.cookie;
    await client.get('/login');
    assert.notEqual(client.cookie, before);
    assert.deepEqual(JSON.parse((await client.get('/peek')).body), { count: 1 });
  });

  it('regenerates as express-session: the old session is deleted, the new one empty, the cookie cleared', async () => {
    const client = new CookieClient(url);
    await client.get('/count');
    const before = client.cookie;
    const logout = await client.get('/logout');
    assert.deepEqual(JSON.parse(logout.body), { items: [] });
    assert.match(
      logout.setCookies[0]!,
      /^tessera\.sid=; .*Max-Age=0/,
      'nothing stored: the cookie is cleared',
    );
    assert.deepEqual(
      JSON.parse((await get(`${url}/peek`, { cookie: `tessera.sid=${before}` })).body),
      { count: null },
      'the old id finds nothing',
    );
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

describe('the Fastify plugin, sessions only on the routes that need them', () => {
  const store = new MemorySessionStore();
  const calls: string[] = [];
  // Counts every call the plugin makes to the store.
  const provider = new Proxy(store.provider, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return value.apply(target, args);
      };
    },
  });
  const counted = { provider, close: async () => {} };
  let all: FastifyInstance;
  let declared: FastifyInstance;
  let allUrl: string;
  let declaredUrl: string;

  before(async () => {
    all = Fastify();
    await all.register(fastifySession, { store: counted });
    all.get('/count', async (request) => {
      request.session.count = ((request.session.count as number | undefined) ?? 0) + 1;
      return { count: request.session.count };
    });
    all.get('/static', { config: { session: false } }, async (request) => ({ session: request.session }));
    all.get('/read', { config: { session: 'readonly' } }, async (request, reply) => {
      try {
        request.session.count = 0;
        return 'written';
      } catch (error) {
        return reply.code(500).send((error as { code: string }).code);
      }
    });
    allUrl = await all.listen({ port: 0, host: '127.0.0.1' });

    declared = Fastify();
    await declared.register(fastifySession, { store: counted, routes: 'declared' });
    declared.get('/plain', async (request) => ({ session: request.session }));
    declared.get('/count', { config: { session: true } }, async (request) => {
      request.session.count = ((request.session.count as number | undefined) ?? 0) + 1;
      return { count: request.session.count };
    });
    declaredUrl = await declared.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await all.close();
    await declared.close();
    await store.close();
  });

  it('a route with config session: false reads no cookie, calls no store, sends no cookie', async () => {
    const client = new CookieClient(allUrl);
    await client.get('/count');
    calls.length = 0;
    const reply = await client.get('/static');
    assert.deepEqual(JSON.parse(reply.body), { session: null });
    assert.deepEqual(reply.setCookies, []);
    assert.deepEqual(calls, [], 'no store call');
    assert.deepEqual(JSON.parse((await client.get('/count')).body), { count: 2 }, 'the session is untouched');
  });

  it('a route chooses its mode: config session: "readonly" cannot write', async () => {
    const client = new CookieClient(allUrl);
    await client.get('/count');
    assert.equal((await client.get('/read')).body, 'TESSERA_SESSION_READ_ONLY');
  });

  it('with routes: "declared", only routes that ask for a session have one', async () => {
    const client = new CookieClient(declaredUrl);
    assert.deepEqual(JSON.parse((await client.get('/count')).body), { count: 1 });
    calls.length = 0;
    assert.deepEqual(JSON.parse((await client.get('/plain')).body), { session: null });
    assert.deepEqual(calls, []);
    assert.deepEqual(JSON.parse((await client.get('/count')).body), { count: 2 });
  });

  it('refuses a route whose config.session is not a boolean or a mode, naming the route', async () => {
    const app = Fastify();
    await app.register(fastifySession, { store });
    assert.throws(() => app.get('/x', { config: { session: 'sometimes' as never } }, async () => 'x'), {
      code: 'TESSERA_SESSION_OPTIONS',
      message: /Route GET \/x: config\.session must be true, false or one of exclusive, readonly, none/,
    });
    await app.close();
  });
});

describe('the Fastify plugin, when a client leaves while its request runs', () => {
  it('releases the session lock at once, as the middleware does', async () => {
    const store = new MemorySessionStore();
    const app = Fastify();
    let release: () => void = () => {};
    const running = new Promise<void>((resolve) => {
      app.get('/slow', async (request) => {
        request.session.touched = true;
        resolve();
        await new Promise<void>((done) => {
          release = done;
        });
        return 'late';
      });
    });
    await app.register(fastifySession, { store, appKey: 'leave' });
    app.get('/', async () => 'ok');
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const sessions = new SessionEngine(store.provider, { appKey: 'leave' });
      const seed = await sessions.open(undefined);
      seed.set('n', 1);
      await seed.commit();
      const client = new AbortController();
      const slow = get(`${url}/slow`, { cookie: `tessera.sid=${seed.id}` }, client.signal);
      await running;
      client.abort();
      await assert.rejects(slow, { name: 'AbortError' });
      // The slow handler still runs; the next request of the session need not wait for it.
      const next = await get(url, { cookie: `tessera.sid=${seed.id}` });
      assert.equal(next.body, 'ok');
      release();
    } finally {
      release();
      await app.close();
      await store.close();
    }
  });
});
