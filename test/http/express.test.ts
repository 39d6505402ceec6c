import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import session from 'express-session';
import { type HttpSession, MemorySessionStore, sessionMiddleware } from 'tessera';
import { TesseraExpressStore } from 'tessera/express-session';
import { CookieClient, listen, type RunningServer } from './http-helpers.ts';

describe('sessionMiddleware in Express 5', () => {
  const store = new MemorySessionStore();
  let server: RunningServer;

  before(async () => {
    const app = express();
    app.use(sessionMiddleware({ store }));
    app.get('/count', (req, res) => {
      const s = req.session as unknown as HttpSession<{ count?: number }>;
      s.count = (s.count ?? 0) + 1;
      res.json({ count: s.count });
    });
    app.get('/cart', (req, res) => {
      const s = req.session as unknown as HttpSession<{ cart?: { lines: string[] } }>;
      s.cart ??= { lines: [] };
      s.cart.lines.push(String(req.query.sku));
      res.json(s.cart);
    });
    app.get('/logout', async (req, res) => {
      await (req.session as unknown as HttpSession).destroy();
      res.send('bye');
    });
    server = await listen(app);
  });
  after(async () => {
    await server.close();
    await store.close();
  });

  it('gives each client its own session, kept across requests', async () => {
    const alice = new CookieClient(server.url);
    const bob = new CookieClient(server.url);
    await alice.get('/count');
    await alice.get('/count');
    assert.deepEqual(JSON.parse((await bob.get('/count')).body), { count: 1 });
    assert.deepEqual(JSON.parse((await alice.get('/count')).body), { count: 3 });
  });

  it('saves changes made deep inside an item', async () => {
    const client = new CookieClient(server.url);
    await client.get('/cart?sku=a');
    assert.deepEqual(JSON.parse((await client.get('/cart?sku=b')).body), { lines: ['a', 'b'] });
  });

  it('serializes concurrent requests: 30 increments end at 30', async () => {
    const client = new CookieClient(server.url);
    await client.get('/count');
    await Promise.all(Array.from({ length: 29 }, () => client.get('/count')));
    assert.deepEqual(JSON.parse((await client.get('/count')).body), { count: 31 });
  });

  it('destroy clears the cookie and the session', async () => {
    const client = new CookieClient(server.url);
    await client.get('/count');
    const reply = await client.get('/logout');
    assert.equal(reply.body, 'bye');
    assert.equal(client.cookie, undefined);
    assert.deepEqual(JSON.parse((await client.get('/count')).body), { count: 1 });
  });
});

describe('express-session with TesseraExpressStore', () => {
  const store = new MemorySessionStore();
  let server: RunningServer;

  before(async () => {
    const app = express();
    app.use(
      session({
        secret: 'test secret',
        resave: false,
        saveUninitialized: false,
        store: new TesseraExpressStore(store),
      }),
    );
    app.get('/count', (req, res) => {
      const s = req.session as unknown as { count?: number };
      s.count = (s.count ?? 0) + 1;
      res.json({ count: s.count });
    });
    app.get('/logout', (req, res) => {
      req.session.destroy(() => res.send('bye'));
    });
    app.get('/slow', async (req, res) => {
      loaded();
      await proceed;
      (req.session as unknown as { cart?: string }).cart = 'late';
      res.send('slow');
    });
    app.get('/pair', (req, res) => {
      Object.assign(req.session, { a: 0, b: 0 });
      res.send('pair');
    });
    app.get('/set-a-slowly', async (req, res) => {
      loaded();
      await proceed;
      (req.session as unknown as { a: number }).a = 1;
      res.send('a');
    });
    app.get('/set-b', (req, res) => {
      (req.session as unknown as { b: number }).b = 2;
      res.send('b');
    });
    // express-session hands a failed save to `next(err)`, after the response was sent.
    app.use((error: unknown, _req: express.Request, _res: express.Response, _next: express.NextFunction) => {
      saveErrors.push(error);
    });
    server = await listen(app);
  });
  after(async () => {
    await server.close();
    await store.close();
  });

  const saveErrors: unknown[] = [];
  let loaded: () => void = () => {};
  let proceed: Promise<void> = Promise.resolve();

  /** The next slow route signals once it has loaded its session, then waits for `go()`. */
  function holdNextSlowRequest() {
    let go = () => {};
    const hasLoaded = new Promise<void>((resolve) => (loaded = resolve));
    proceed = new Promise<void>((resolve) => (go = resolve));
    return { hasLoaded, go };
  }

  it('a slower request does not bring a destroyed session back, and its save fails', async () => {
    const client = new CookieClient(server.url, 'connect.sid');
    await client.get('/count');
    const sid = decodeURIComponent(client.cookie!).slice(2).split('.')[0]!;
    const { hasLoaded, go } = holdNextSlowRequest();
    const slow = client.get('/slow');
    await hasLoaded;
    await client.get('/logout');
    go();
    await slow;
    assert.equal((await store.provider.loadReadOnly({ appKey: 'app', id: sid })).state, 'missing');
    assert.deepEqual(
      saveErrors.splice(0).map((error) => (error as { code?: string }).code),
      ['TESSERA_SESSION_ABANDONED'],
    );
  });

  it('keeps both changes of two concurrent requests that change different properties', async () => {
    const client = new CookieClient(server.url, 'connect.sid');
    await client.get('/pair');
    const sid = decodeURIComponent(client.cookie!).slice(2).split('.')[0]!;
    const { hasLoaded, go } = holdNextSlowRequest();
    const slow = client.get('/set-a-slowly');
    await hasLoaded;
    await client.get('/set-b');
    go();
    await slow;
    const load = await store.provider.loadReadOnly({ appKey: 'app', id: sid });
    assert.equal(load.state, 'loaded');
    if (load.state === 'loaded') {
      assert.deepEqual([load.session.items.get('a'), load.session.items.get('b')], ['1', '2']);
    }
  });

  it('stores each property as an item and keeps the session across requests', async () => {
    const client = new CookieClient(server.url, 'connect.sid');
    for (let i = 1; i <= 3; i++)
      assert.deepEqual(JSON.parse((await client.get('/count')).body), { count: i });
    const sid = decodeURIComponent(client.cookie!).slice(2).split('.')[0]!;
    const load = await store.provider.loadReadOnly({ appKey: 'app', id: sid });
    assert.equal(load.state, 'loaded');
    if (load.state === 'loaded') {
      assert.equal(load.session.items.get('count'), '3');
      assert.ok(load.session.items.has('cookie'));
    }
  });

  it('destroys the session in the store', async () => {
    const client = new CookieClient(server.url, 'connect.sid');
    await client.get('/count');
    const sid = decodeURIComponent(client.cookie!).slice(2).split('.')[0]!;
    await client.get('/logout');
    assert.equal((await store.provider.loadReadOnly({ appKey: 'app', id: sid })).state, 'missing');
  });
});
