/**
 * express-session applications get a user's sessions too: `TesseraExpressStore`'s
 * `principal` option reads it from the session (Passport's `passport.user`), against
 * every provider. Log in from two browsers, list them, log out the other one, log out.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { TesseraExpressStore } from 'tessera/express-session';
import { PrincipalSessions, type SessionProvider } from '../../src/session/index.ts';
import { PROVIDERS } from '../session/providers.ts';
import { listen, type RunningServer } from './http-helpers.ts';

/** A browser with its own `User-Agent`, keeping the `connect.sid` cookie. */
class Browser {
  cookie: string | undefined;
  constructor(
    readonly base: string,
    readonly agent: string,
  ) {}

  async request(method: 'GET' | 'POST', path: string, form?: Record<string, string>) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        'user-agent': this.agent,
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
}

function app(store: TesseraExpressStore, sessions: PrincipalSessions) {
  const authenticator = new passport.Passport();
  authenticator.use(
    new LocalStrategy((username, password, done) =>
      done(null, password === 'secret' ? { id: username } : false),
    ),
  );
  authenticator.serializeUser((user, done) => done(null, (user as { id: string }).id));
  authenticator.deserializeUser((id: string, done) => done(null, { id }));
  const application = express();
  application.use(express.urlencoded({ extended: false }));
  application.use(session({ secret: 'test secret', resave: false, saveUninitialized: false, store }));
  application.use(authenticator.session());
  const user = (req: express.Request) => (req.user as { id: string } | undefined)?.id;
  application.post('/login', authenticator.authenticate('local'), (_req, res) => void res.send('ok'));
  application.get('/me', (req, res) => void res.send(user(req) ?? 'anonymous'));
  application.get('/devices', async (req, res) => {
    const listed = await sessions.list(user(req)!);
    res.json(listed.map((s) => [s.userAgent, s.id === req.sessionID]));
  });
  application.post('/logout-others', async (req, res) => {
    res.json(await sessions.logOutOthers(user(req)!, req.sessionID));
  });
  application.post('/logout', (req, res, next) => {
    req.logout((error) => (error ? next(error) : res.send('bye')));
  });
  return application;
}

for (const factory of PROVIDERS) {
  describe(`a user's sessions with express-session and Passport: ${factory.name}`, () => {
    let provider: SessionProvider;
    let server: RunningServer;
    let sessions: PrincipalSessions;

    before(async () => {
      await factory.setup();
      provider = await factory.create();
      const store = { provider, close: async () => {} };
      sessions = new PrincipalSessions(store, { appKey: 'passport' });
      const expressStore = new TesseraExpressStore(store, {
        appKey: 'passport',
        principal: (data) => (data as { passport?: { user?: string } }).passport?.user,
      });
      server = await listen(app(expressStore, sessions) as never);
    });
    after(async () => {
      await server?.close();
      await provider?.close();
      await factory.teardown();
    });

    it('lists the browsers a user logged in from, logs out the other, then this one', async () => {
      const laptop = new Browser(server.url, 'Laptop/1');
      const phone = new Browser(server.url, 'Phone/2');
      for (const browser of [laptop, phone])
        assert.equal(
          (await browser.request('POST', '/login', { username: 'ann', password: 'secret' })).body,
          'ok',
        );
      const devices = JSON.parse((await laptop.request('GET', '/devices')).body) as [string, boolean][];
      assert.deepEqual(devices.sort(), [
        ['Laptop/1', true],
        ['Phone/2', false],
      ]);
      assert.equal((await laptop.request('POST', '/logout-others')).body, '1');
      assert.equal((await phone.request('GET', '/me')).body, 'anonymous');
      assert.equal((await laptop.request('GET', '/me')).body, 'ann');
      assert.equal((await laptop.request('POST', '/logout')).body, 'bye');
      assert.deepEqual(await sessions.list('ann'), []);
    });
  });
}

describe('TesseraExpressStore option principal', () => {
  it('must be a function, and says so', () => {
    assert.throws(
      () =>
        new TesseraExpressStore(
          { provider: {} as SessionProvider, close: async () => {} },
          {
            principal: 'passport.user' as never,
          },
        ),
      {
        code: 'TESSERA_SESSION_OPTIONS',
        message: /option principal must be a function of the session.*\(got string\)/,
      },
    );
  });
});
