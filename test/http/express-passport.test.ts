/**
 * The most common flow of an express-session application, with `TesseraExpressStore`
 * as its store, then with Tessera's own `sessionMiddleware` in place of
 * express-session: Passport 0.7 (`passport-local`) login after earlier visits,
 * logout, and login again, against every provider. Passport's `req.login`
 * regenerates the session, writes the user into the new one and saves it;
 * `req.logout` saves the session without the user, then regenerates it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { sessionMiddleware } from 'tessera';
import { TesseraExpressStore } from 'tessera/express-session';
import type { SessionProvider } from '../../src/session/index.ts';
import { PROVIDERS } from '../session/providers.ts';
import { listen, type RunningServer } from './http-helpers.ts';

interface User {
  readonly id: string;
  readonly name: string;
  readonly password: string;
}

const USERS: readonly User[] = [{ id: 'u1', name: 'ann', password: 'correct horse' }];

/** A browser: keeps the `connect.sid` cookie the server sets, sends GET and form POST requests. */
class Browser {
  cookie: string | undefined;
  readonly #base: string;

  constructor(base: string) {
    this.#base = base;
  }

  async request(method: 'GET' | 'POST', path: string, form?: Record<string, string>) {
    const response = await fetch(`${this.#base}${path}`, {
      method,
      headers: {
        ...(this.cookie ? { cookie: `connect.sid=${this.cookie}` } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const separator = pair!.indexOf('=');
      if (pair!.slice(0, separator) === 'connect.sid') this.cookie = pair!.slice(separator + 1);
    }
    return { status: response.status, body: await response.text() };
  }

  login(password = 'correct horse') {
    return this.request('POST', '/login', { username: 'ann', password });
  }
}

type SessionLayer = express.RequestHandler;

function app(sessions: SessionLayer, errors: unknown[]) {
  const authenticator = new passport.Passport();
  authenticator.use(
    new LocalStrategy((username, password, done) => {
      const user = USERS.find((candidate) => candidate.name === username);
      done(null, user && user.password === password ? user : false);
    }),
  );
  authenticator.serializeUser((user, done) => done(null, (user as User).id));
  authenticator.deserializeUser((id: string, done) =>
    done(null, USERS.find((user) => user.id === id) ?? false),
  );

  const application = express();
  application.use(express.urlencoded({ extended: false }));
  application.use(sessions);
  application.use(authenticator.session());
  application.get('/visit', (req, res) => {
    const data = req.session as unknown as { visits?: number };
    data.visits = (data.visits ?? 0) + 1;
    res.json({ visits: data.visits });
  });
  application.post('/login', authenticator.authenticate('local', { failWithError: true }), (req, res) => {
    res.json({ user: (req.user as User).name });
  });
  application.get('/me', (req, res) => {
    if (!req.user) return void res.status(401).send('anonymous');
    res.json({ user: (req.user as User).name });
  });
  application.post('/note', (req, res) => {
    (req.session as unknown as Record<string, unknown>).note = `private note of ${(req.user as User).name}`;
    res.send('noted');
  });
  application.get('/items', (req, res) => {
    res.json(Object.keys(req.session as object).filter((name) => name !== 'cookie'));
  });
  application.post('/logout', (req, res, next) => {
    req.logout((error) => (error ? next(error) : res.send('bye')));
  });
  application.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: number }).status ?? 500;
    if (status === 500) errors.push(error);
    res.status(status).send(String((error as { code?: string }).code ?? status));
  });
  return application;
}

for (const factory of PROVIDERS) {
  describe(`Passport 0.7 login over TesseraExpressStore: ${factory.name}`, () => {
    let provider: SessionProvider;

    before(async () => {
      await factory.setup();
      provider = await factory.create();
    });
    after(async () => {
      await provider?.close();
      await factory.teardown();
    });

    for (const saveUninitialized of [true, false]) {
      describe(`saveUninitialized: ${saveUninitialized}`, () => {
        let server: RunningServer;
        const errors: unknown[] = [];

        before(async () => {
          const store = new TesseraExpressStore(
            { provider, close: async () => {} },
            { appKey: `passport${saveUninitialized ? 1 : 2}` },
          );
          const sessions = session({ secret: 'test secret', resave: false, saveUninitialized, store });
          server = await listen(app(sessions, errors) as never);
        });
        after(async () => {
          await server?.close();
          assert.deepEqual(errors, [], 'no request failed');
        });

        it('a visitor with a stored session logs in, and the next request knows the user', async () => {
          const browser = new Browser(server.url);
          await browser.request('GET', '/visit');
          assert.equal((await browser.request('GET', '/visit')).body, '{"visits":2}');
          const beforeLogin = browser.cookie;
          assert.deepEqual(await browser.login(), { status: 200, body: '{"user":"ann"}' });
          assert.notEqual(browser.cookie, beforeLogin, 'login regenerates the session id');
          assert.deepEqual(await browser.request('GET', '/me'), { status: 200, body: '{"user":"ann"}' });
          assert.deepEqual(await browser.request('GET', '/me'), { status: 200, body: '{"user":"ann"}' });

          // The id from before the login no longer works (no session fixation).
          const attacker = new Browser(server.url);
          attacker.cookie = beforeLogin;
          assert.equal((await attacker.request('GET', '/me')).status, 401);
        });

        it('a first request that logs in at once is remembered', async () => {
          const browser = new Browser(server.url);
          assert.equal((await browser.login()).status, 200);
          assert.deepEqual(await browser.request('GET', '/me'), { status: 200, body: '{"user":"ann"}' });
        });

        it('logs out, leaving the old cookie useless, and logs in again', async () => {
          const browser = new Browser(server.url);
          await browser.request('GET', '/visit');
          await browser.login();
          const loggedIn = browser.cookie;
          assert.deepEqual(await browser.request('POST', '/logout'), { status: 200, body: 'bye' });
          assert.equal((await browser.request('GET', '/me')).status, 401);

          const replay = new Browser(server.url);
          replay.cookie = loggedIn;
          assert.equal((await replay.request('GET', '/me')).status, 401);

          assert.deepEqual(await browser.login(), { status: 200, body: '{"user":"ann"}' });
          assert.deepEqual(await browser.request('GET', '/me'), { status: 200, body: '{"user":"ann"}' });
          await browser.request('GET', '/visit');
          assert.deepEqual(await browser.request('GET', '/me'), { status: 200, body: '{"user":"ann"}' });
        });

        it('a wrong password leaves the visitor anonymous', async () => {
          const browser = new Browser(server.url);
          await browser.request('GET', '/visit');
          assert.equal((await browser.login('wrong')).status, 401);
          assert.equal((await browser.request('GET', '/me')).status, 401);
        });
      });
    }
  });
}

for (const factory of PROVIDERS) {
  describe(`Passport 0.7 login over sessionMiddleware (no express-session): ${factory.name}`, () => {
    let provider: SessionProvider;
    let server: RunningServer;
    const errors: unknown[] = [];

    before(async () => {
      await factory.setup();
      provider = await factory.create();
      const sessions = sessionMiddleware({
        store: { provider, close: async () => {} },
        appKey: 'passport3',
        name: 'connect.sid',
      });
      server = await listen(app(sessions as SessionLayer, errors) as never);
    });
    after(async () => {
      await server?.close();
      await provider?.close();
      await factory.teardown();
      assert.deepEqual(errors, [], 'no request failed');
    });

    /** Every item stored under the application's sessions, by session id. */
    async function storedItems(): Promise<Map<string, string[]>> {
      const all = new Map<string, string[]>();
      for await (const page of provider.listIds('passport3', { pageSize: 100 }))
        for (const id of page) {
          const load = await provider.peek({ appKey: 'passport3', id });
          if (load.state === 'loaded') all.set(id, [...load.session.items.keys()].sort());
        }
      return all;
    }

    it('logs in under a new id: the visitor’s items are not carried over, the old id is deleted', async () => {
      const browser = new Browser(server.url);
      await browser.request('GET', '/visit');
      const anonymous = browser.cookie!;
      assert.deepEqual(await browser.login(), { status: 200, body: '{"user":"ann"}' });
      assert.notEqual(browser.cookie, anonymous);
      assert.deepEqual(JSON.parse((await browser.request('GET', '/items')).body), ['passport']);
      assert.equal((await storedItems()).has(anonymous), false, 'the anonymous session is gone');
      assert.deepEqual(await browser.request('GET', '/me'), { status: 200, body: '{"user":"ann"}' });
    });

    it('logs out: every item of the logged-in session is gone, from the request and from the store', async () => {
      const browser = new Browser(server.url);
      await browser.login();
      await browser.request('POST', '/note');
      const loggedIn = browser.cookie!;
      assert.deepEqual((await storedItems()).get(loggedIn), ['note', 'passport']);

      assert.deepEqual(await browser.request('POST', '/logout'), { status: 200, body: 'bye' });
      assert.equal(browser.cookie, '', 'nothing is left to store: the cookie is cleared');
      const stored = await storedItems();
      assert.equal(stored.has(loggedIn), false, 'the logged-in session is deleted');
      for (const items of stored.values()) assert.ok(!items.includes('note'), 'no session holds the note');

      const replay = new Browser(server.url);
      replay.cookie = loggedIn;
      assert.equal((await replay.request('GET', '/me')).status, 401);
      assert.deepEqual(JSON.parse((await replay.request('GET', '/items')).body), []);

      assert.deepEqual(await browser.login(), { status: 200, body: '{"user":"ann"}' });
      assert.deepEqual(JSON.parse((await browser.request('GET', '/items')).body), ['passport']);
    });

    it('a wrong password leaves the visitor anonymous, with its items', async () => {
      const browser = new Browser(server.url);
      await browser.request('GET', '/visit');
      assert.equal((await browser.login('wrong')).status, 401);
      assert.equal((await browser.request('GET', '/me')).status, 401);
      assert.equal((await browser.request('GET', '/visit')).body, '{"visits":2}');
    });
  });
}
