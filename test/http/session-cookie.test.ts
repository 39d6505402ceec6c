/**
 * `req.session.cookie`: a persistent ("remember me") cookie whose lifetime is the
 * session's timeout, per-session attributes kept with the session, and the
 * `__Host-` / `__Secure-` name rules checked when the middleware starts.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type RequestWithSession, type SessionMiddlewareOptions, sessionMiddleware } from 'tessera';
import { MemorySessionStore } from '../../src/session/index.ts';
import { CookieClient, listen, type RunningServer } from './http-helpers.ts';

const DAY_MS = 86_400_000;

function app(options: Omit<SessionMiddlewareOptions, 'store'>, store: MemorySessionStore) {
  const handle = sessionMiddleware({ store, ...options });
  return async (req: IncomingMessage, res: ServerResponse) => {
    await handle(req, res);
    if (res.writableEnded) return;
    const { session } = req as RequestWithSession;
    const url = new URL(req.url!, 'http://x');
    try {
      if (url.pathname === '/login') {
        session.user = 'alice';
        if (url.searchParams.has('remember')) session.cookie.maxAge = 7 * DAY_MS;
      }
      if (url.pathname === '/forget') session.cookie.maxAge = null;
      if (url.pathname === '/strict') session.cookie.sameSite = 'Strict';
      if (url.pathname === '/until') session.cookie.expires = new Date(Date.now() + 2 * DAY_MS);
      if (url.pathname === '/path') session.cookie.path = '/shop';
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          timeout: session.timeout,
          maxAge: session.cookie.maxAge,
          sameSite: session.cookie.sameSite,
          keys: Object.keys(session),
        }),
      );
    } catch (error) {
      res.statusCode = 500;
      res.end(String((error as { code?: string }).code));
    }
  };
}

describe('req.session.cookie', () => {
  const store = new MemorySessionStore();
  let server: RunningServer;
  let host: RunningServer;

  before(async () => {
    server = await listen(app({}, store));
    host = await listen(app({ name: '__Host-sid', cookie: { secure: true } }, store));
  });
  after(async () => {
    await server.close();
    await host.close();
    await store.close();
  });

  it('"remember me": maxAge makes the cookie persistent and the session last as long, both sliding', async () => {
    const client = new CookieClient(server.url);
    const login = await client.get('/login?remember');
    assert.deepEqual(JSON.parse(login.body), {
      timeout: 7 * 24 * 60,
      maxAge: 7 * DAY_MS,
      sameSite: 'Lax',
      keys: ['user'],
    });
    assert.match(login.setCookies[0]!, /; Max-Age=604800; Expires=[^;]+ GMT$/);
    const stored = await store.provider.peek({ appKey: 'app', id: client.cookie! });
    assert.equal(
      stored.state === 'loaded' && stored.session.timeoutMinutes,
      7 * 24 * 60,
      'the store keeps it 7 days',
    );

    const next = await client.get('/');
    assert.match(
      next.setCookies[0] ?? '',
      /^tessera\.sid=[\w-]+; .*Max-Age=604800/,
      'sent again: the expiry slides',
    );
    assert.equal(JSON.parse(next.body).maxAge, 7 * DAY_MS, 'kept by the session');
  });

  it('maxAge null goes back to a browser-session cookie and the configured timeout', async () => {
    const client = new CookieClient(server.url);
    await client.get('/login?remember');
    const forget = await client.get('/forget');
    assert.deepEqual(JSON.parse(forget.body).timeout, 20);
    assert.equal(JSON.parse(forget.body).maxAge, null);
    assert.doesNotMatch(forget.setCookies[0]!, /Max-Age|Expires/);
    assert.deepEqual((await client.get('/')).setCookies, [], 'a browser-session cookie is sent once');
  });

  it('expires sets the lifetime from a date', async () => {
    const client = new CookieClient(server.url);
    await client.get('/login');
    const reply = JSON.parse((await client.get('/until')).body);
    assert.ok(Math.abs(reply.maxAge - 2 * DAY_MS) < 5_000, String(reply.maxAge));
    assert.ok(Math.abs(reply.timeout - 2 * 24 * 60) < 0.1);
  });

  it('keeps an attribute changed for one session, and sends the cookie with it', async () => {
    const client = new CookieClient(server.url);
    await client.get('/login');
    const strict = await client.get('/strict');
    assert.match(strict.setCookies[0]!, /; SameSite=Strict/);
    assert.equal(JSON.parse((await client.get('/')).body).sameSite, 'Strict');
    const other = new CookieClient(server.url);
    assert.equal(
      JSON.parse((await other.get('/login')).body).sameSite,
      'Lax',
      'other sessions keep the default',
    );
  });

  it('a __Host- cookie refuses a path other than "/" for one session', async () => {
    const client = new CookieClient(host.url, '__Host-sid');
    const login = await client.get('/login');
    assert.match(login.setCookies[0]!, /^__Host-sid=[\w-]+; Path=\/; HttpOnly; SameSite=Lax; Secure$/);
    const reply = await client.get('/path');
    assert.equal(reply.status, 500);
    assert.equal(reply.body, 'TESSERA_SESSION_OPTIONS');
  });
});

describe('cookie options', () => {
  const store = new MemorySessionStore();
  after(() => store.close());

  it('checks __Host- and __Secure- names against their rules at start', () => {
    const refused: [SessionMiddlewareOptions['cookie'], string, RegExp][] = [
      [{}, '__Host-sid', /cookie\.secure must be true for the cookie name "__Host-sid"/],
      [{ secure: 'auto' }, '__Secure-sid', /cookie\.secure must be true for the cookie name "__Secure-sid"/],
      [{ secure: true, path: '/app' }, '__Host-sid', /cookie\.path must be "\/" and cookie\.domain unset/],
      [{ secure: true, domain: 'example.com' }, '__Host-sid', /cookie\.domain unset/],
    ];
    for (const [cookie, name, message] of refused)
      assert.throws(() => sessionMiddleware({ store, name, cookie }), {
        code: 'TESSERA_SESSION_OPTIONS',
        message,
      });
    sessionMiddleware({ store, name: '__Host-sid', cookie: { secure: true } });
    sessionMiddleware({
      store,
      name: '__Secure-sid',
      cookie: { secure: true, domain: 'example.com', path: '/app' },
    });
  });

  it('a default maxAge is the session timeout; a timeoutMinutes that disagrees is refused', async () => {
    assert.throws(() => sessionMiddleware({ store, timeoutMinutes: 20, cookie: { maxAge: DAY_MS } }), {
      code: 'TESSERA_SESSION_OPTIONS',
      message: /cookie\.maxAge \(86400000 ms\) and timeoutMinutes \(20\) disagree/,
    });
    assert.throws(() => sessionMiddleware({ store, cookie: { maxAge: 10 } }), {
      code: 'TESSERA_SESSION_OPTIONS',
      message: /cookie\.maxAge must be a number of milliseconds from 1000/,
    });
    const server = await listen(app({ cookie: { maxAge: DAY_MS, partitioned: true } }, store));
    try {
      const client = new CookieClient(server.url);
      const login = await client.get('/login');
      assert.equal(JSON.parse(login.body).timeout, 24 * 60);
      assert.match(login.setCookies[0]!, /; HttpOnly; SameSite=Lax; Secure; Partitioned; Max-Age=86400; /);
    } finally {
      await server.close();
    }
  });
});
