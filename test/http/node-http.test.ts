import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type RequestWithSession, sessionMiddleware } from '../../src/http/index.ts';
import {
  type ClientGoneEvent,
  MemorySessionStore,
  SESSION_CHANNELS,
  SessionEngine,
} from '../../src/session/index.ts';
import { CookieClient, get, listen, type RunningServer } from './http-helpers.ts';

/** A plain node:http app: /count increments, /peek reads, /login regenerates, /logout abandons. */
function app(handle: ReturnType<typeof sessionMiddleware>) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    await handle(req, res);
    if (res.writableEnded) return;
    const session = (req as RequestWithSession).session;
    const send = (body: unknown) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    try {
      switch (req.url) {
        case '/count': {
          const count = ((session.count as number | undefined) ?? 0) + 1;
          session.count = count;
          return send({ count });
        }
        case '/peek':
          return send({ count: session.count ?? null });
        case '/login':
          await session.regenerate();
          session.user = 'alice';
          return send({ id: session.id });
        case '/logout':
          await session.abandon();
          return send({ ok: true });
        case '/reserved': {
          const codes: unknown[] = [];
          for (const name of ['id', 'save', 'isNew']) {
            try {
              (session as Record<string, unknown>)[name] = 'x';
            } catch (error) {
              codes.push((error as { code?: unknown }).code);
            }
          }
          return send({ codes, id: session.id });
        }
        case '/bad':
          session.handler = () => 1;
          return send({ ok: true });
        default:
          res.statusCode = 404;
          return res.end();
      }
    } catch (error) {
      res.statusCode = 500;
      res.end(String(error));
    }
  };
}

describe('sessionMiddleware on node:http', () => {
  const store = new MemorySessionStore();
  let server: RunningServer;
  let proxied: RunningServer;

  before(async () => {
    server = await listen(app(sessionMiddleware({ store })));
    proxied = await listen(app(sessionMiddleware({ store, trustProxy: true, name: 'app.sid' })));
  });
  after(async () => {
    await server.close();
    await proxied.close();
    await store.close();
  });

  it('sets an HttpOnly, SameSite=Lax, Path=/ cookie, without Secure over plain HTTP', async () => {
    const reply = await get(`${server.url}/count`);
    assert.equal(reply.setCookies.length, 1);
    const [cookie] = reply.setCookies;
    assert.match(cookie!, /^tessera\.sid=[A-Za-z0-9_-]{24}; Path=\/; HttpOnly; SameSite=Lax$/);
  });

  it('marks the cookie Secure behind a trusted proxy that says HTTPS, and uses the configured name', async () => {
    const reply = await get(`${proxied.url}/count`, { 'x-forwarded-proto': 'https' });
    assert.match(reply.setCookies[0]!, /^app\.sid=.*; Secure$/);
    const direct = await get(`${server.url}/count`, { 'x-forwarded-proto': 'https' });
    assert.doesNotMatch(direct.setCookies[0]!, /Secure/, 'an untrusted X-Forwarded-Proto is ignored');
  });

  it('sends no cookie to a request that never used its session', async () => {
    const reply = await get(`${server.url}/peek`);
    assert.deepEqual(reply.setCookies, []);
    assert.deepEqual(JSON.parse(reply.body), { count: null });
  });

  it('keeps the session across requests; the save is done before the response arrives', async () => {
    const client = new CookieClient(server.url);
    for (let i = 1; i <= 3; i++)
      assert.deepEqual(JSON.parse((await client.get('/count')).body), { count: i });
    assert.equal((await client.get('/count')).setCookies.length, 0, 'no cookie again for a known session');
  });

  it('never adopts an unknown id sent by the client', async () => {
    const forged = 'ZZZZZZZZZZZZZZZZZZZZZZZZ';
    const reply = await get(`${server.url}/count`, { cookie: `tessera.sid=${forged}` });
    const issued = reply.setCookies[0]!.split(';')[0]!.split('=')[1];
    assert.notEqual(issued, forged);
    assert.deepEqual(
      JSON.parse((await get(`${server.url}/peek`, { cookie: `tessera.sid=${forged}` })).body),
      { count: null },
    );
  });

  it('uses the session of a cookie sent twice, whichever comes first, and keeps the stale one unadopted', async () => {
    const client = new CookieClient(server.url);
    await client.get('/count');
    const stale = 'AAAAAAAAAAAAAAAAAAAAAAAA';
    for (const [i, cookie] of [
      `tessera.sid=${stale}; tessera.sid=${client.cookie}`,
      `tessera.sid=${client.cookie}; tessera.sid=${stale}`,
      `tessera.sid=not-an-id; other=1; tessera.sid="${client.cookie}"`,
    ].entries()) {
      const reply = await get(`${server.url}/count`, { cookie });
      assert.deepEqual(JSON.parse(reply.body), { count: i + 2 }, cookie);
      assert.deepEqual(reply.setCookies, [], 'the known session is kept: no new cookie');
    }
  });

  it('serializes 50 concurrent requests of one session', async () => {
    const client = new CookieClient(server.url);
    await client.get('/count');
    await Promise.all(Array.from({ length: 49 }, () => client.get('/count')));
    assert.deepEqual(JSON.parse((await client.get('/peek')).body), { count: 50 });
  });

  it('regenerates the id at login and the old id stops working; logout clears the cookie', async () => {
    const client = new CookieClient(server.url);
    await client.get('/count');
    const before = client.cookie;
    const login = await client.get('/login');
    assert.notEqual(client.cookie, before);
    assert.equal(JSON.parse(login.body).id, client.cookie);
    assert.deepEqual(
      JSON.parse((await get(`${server.url}/peek`, { cookie: `tessera.sid=${before}` })).body),
      { count: null },
    );
    assert.deepEqual(JSON.parse((await client.get('/peek')).body), { count: 1 }, 'items kept');
    const logout = await client.get('/logout');
    assert.match(logout.setCookies[0]!, /^tessera\.sid=; .*Max-Age=0/);
    assert.equal(client.cookie, undefined);
  });

  it('refuses item names that belong to req.session itself (TESSERA_SESSION_ITEM_NAME)', async () => {
    const reply = JSON.parse((await get(`${server.url}/reserved`)).body);
    assert.deepEqual(reply.codes, Array(3).fill('TESSERA_SESSION_ITEM_NAME'));
    assert.match(reply.id, /^[A-Za-z0-9_-]{24}$/, 'the id is untouched');
  });

  it('answers 500 naming the item when a value cannot be stored', async () => {
    const reply = await get(`${server.url}/bad`);
    assert.equal(reply.status, 500);
    assert.match(reply.body, /TESSERA_SESSION_ITEM_NOT_SERIALIZABLE/);
    assert.deepEqual(reply.setCookies, []);
  });
});

describe('a client that leaves while its request waits for the lock', () => {
  const store = new MemorySessionStore();
  after(() => store.close());

  it('ends quietly (no next(error), no stack trace) and is counted on tessera:session:client-gone', async () => {
    const errors: unknown[] = [];
    let onNextError: (error: unknown) => void = () => {};
    const nextError = new Promise((resolve) => {
      onNextError = resolve;
    });
    const handle = sessionMiddleware({ store, appKey: 'gone' });
    const server = await listen((req, res) => {
      void handle(req, res, (error?: unknown) => {
        if (error === undefined) return res.end('ok');
        errors.push(error);
        onNextError(error);
      });
    });
    const gone: ClientGoneEvent[] = [];
    const onGone = (event: unknown) => gone.push(event as ClientGoneEvent);
    subscribe(SESSION_CHANNELS.clientGone, onGone);
    try {
      const sessions = new SessionEngine(store.provider, { appKey: 'gone' });
      const seed = await sessions.open(undefined);
      seed.set('n', 1);
      await seed.commit();
      const holder = await sessions.open(seed.id);
      const queued = nextMessage(SESSION_CHANNELS.lockQueued);
      const client = new AbortController();
      const request = get(`${server.url}/`, { cookie: `tessera.gone.sid=${seed.id}` }, client.signal);
      await queued;
      const counted = nextMessage(SESSION_CHANNELS.clientGone);
      client.abort();
      await assert.rejects(request, { name: 'AbortError' });
      await Promise.race([counted, nextError]);
      assert.deepEqual(gone, [{ provider: 'memory', code: 'ABORT_ERR' }]);
      assert.deepEqual(errors, [], 'next was never called with the abort');
      await holder.commit();
      const after = await get(`${server.url}/`, { cookie: `tessera.gone.sid=${seed.id}` });
      assert.equal(after.body, 'ok', 'the session is not left locked');
    } finally {
      unsubscribe(SESSION_CHANNELS.clientGone, onGone);
      await server.close();
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
