/**
 * Moving a running express-session + connect-redis application to Tessera with its
 * users' sessions alive: the old app stores sessions in Redis (mutual TLS, the test
 * PKI) under connect-redis's `sess:<id>` keys; the new app, on the same Redis,
 * accepts the old signed cookie, moves each session into Tessera on its user's
 * first request, and deletes the old one.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { connectRedisSource, type HttpSession, sessionMiddleware } from 'tessera';
import { unsignLegacyCookie } from '../../src/http/legacy-session.ts';
import { RedisSessionStore } from '../../src/session/index.ts';
import { startTlsRedis, type TlsRedisServer } from '../support/tls-redis.ts';
import { listen, type RunningServer } from './http-helpers.ts';

const OLD_SECRET = 'the old express-session secret';
const WEEK_MS = 7 * 86_400_000;

/** A browser's cookie jar for one host: every cookie the servers set, cleared ones removed. */
class Browser {
  readonly jar = new Map<string, string>();

  async get(url: string) {
    const cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { headers: cookie ? { cookie } : {} });
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair] = line.split(';');
      const separator = pair!.indexOf('=');
      const name = pair!.slice(0, separator);
      if (/Max-Age=0/i.test(line)) this.jar.delete(name);
      else this.jar.set(name, pair!.slice(separator + 1));
    }
    return { status: response.status, body: await response.text(), setCookies };
  }

  /** The express-session id in the old cookie. */
  get oldId(): string {
    return decodeURIComponent(this.jar.get('connect.sid')!).slice(2).split('.')[0]!;
  }
}

describe('moving an express-session + connect-redis application to Tessera, sessions alive', () => {
  let redis: TlsRedisServer;
  let client: ReturnType<typeof createClient>;
  let store: RedisSessionStore;
  let oldApp: RunningServer;
  let newApp: RunningServer;

  before(async () => {
    redis = await startTlsRedis();
    client = createClient({
      socket: {
        host: '127.0.0.1',
        port: redis.server.tlsPort,
        tls: true,
        servername: 'redis.test',
        ca: readFileSync(redis.pki.issuerBundle),
        cert: readFileSync(redis.pki.client.cert),
        key: readFileSync(redis.pki.client.key),
        reconnectStrategy: false,
      },
    });
    await client.connect();

    const old = express();
    old.use(
      session({
        secret: OLD_SECRET,
        resave: false,
        saveUninitialized: false,
        store: new RedisStore({ client }),
      }),
    );
    old.get('/visit', (req, res) => {
      const data = req.session as unknown as { visits?: number };
      data.visits = (data.visits ?? 0) + 1;
      res.json({ visits: data.visits });
    });
    old.get('/login', (req, res) => {
      (req.session as unknown as { user: string }).user = 'ann';
      if (req.query.remember !== undefined) req.session.cookie.maxAge = WEEK_MS;
      res.send('in');
    });
    oldApp = await listen(old);

    store = await RedisSessionStore.connect(redis.connectionString, { env: redis.env });
    const current = express();
    current.use(
      sessionMiddleware({
        store,
        legacy: { secret: ['a newer secret', OLD_SECRET], source: connectRedisSource(client) },
      }),
    );
    current.get('/visit', (req, res) => {
      const data = req.session as unknown as HttpSession<{ visits?: number; user?: string }>;
      data.visits = (data.visits ?? 0) + 1;
      res.json({ visits: data.visits, user: data.user ?? null });
    });
    newApp = await listen(current);
  });
  after(async () => {
    await oldApp?.close();
    await newApp?.close();
    await store?.close();
    await client?.quit().catch(() => {});
    await redis?.stop();
  });

  it('a logged-in user with a "remember me" cookie keeps the session, which moves into Tessera', async () => {
    const ann = new Browser();
    await ann.get(`${oldApp.url}/visit`);
    await ann.get(`${oldApp.url}/login?remember`);
    const oldId = ann.oldId;
    assert.ok(await client.get(`sess:${oldId}`), 'connect-redis holds the session');

    const first = await ann.get(`${newApp.url}/visit`);
    assert.deepEqual(JSON.parse(first.body), { visits: 2, user: 'ann' });
    assert.equal(ann.jar.has('connect.sid'), false, 'the old cookie is cleared');
    assert.match(
      first.setCookies.find((line) => line.startsWith('tessera.sid='))!,
      /Max-Age=604800/,
      'still a one-week cookie',
    );
    assert.equal(await client.get(`sess:${oldId}`), null, 'the old session is deleted');

    assert.deepEqual(JSON.parse((await ann.get(`${newApp.url}/visit`)).body), { visits: 3, user: 'ann' });
  });

  it('a visitor with a browser-session cookie keeps its items too, and the old cookie no longer works', async () => {
    const bob = new Browser();
    await bob.get(`${oldApp.url}/visit`);
    const oldCookie = bob.jar.get('connect.sid')!;
    const moved = await bob.get(`${newApp.url}/visit`);
    assert.deepEqual(JSON.parse(moved.body), { visits: 2, user: null });
    assert.doesNotMatch(moved.setCookies.find((line) => line.startsWith('tessera.sid='))!, /Max-Age/);

    const replay = new Browser();
    replay.jar.set('connect.sid', oldCookie);
    assert.deepEqual(JSON.parse((await replay.get(`${newApp.url}/visit`)).body), { visits: 1, user: null });
  });

  it('refuses a cookie whose signature does not verify, and leaves that session where it is', async () => {
    const eve = new Browser();
    await eve.get(`${oldApp.url}/visit`);
    const oldId = eve.oldId;
    const forged = `s:${oldId}.${createHmac('sha256', 'a guess').update(oldId).digest('base64').replace(/=+$/, '')}`;
    eve.jar.set('connect.sid', encodeURIComponent(forged));
    assert.deepEqual(JSON.parse((await eve.get(`${newApp.url}/visit`)).body), { visits: 1, user: null });
    assert.ok(await client.get(`sess:${oldId}`), 'not moved');
  });
});

describe('unsignLegacyCookie', () => {
  it('verifies cookie-signature values, URL-encoded or not, against every secret', () => {
    const sign = (id: string, secret: string) =>
      `s:${id}.${createHmac('sha256', secret).update(id).digest('base64').replace(/=+$/, '')}`;
    const value = sign('abc-DEF_123', 'old');
    assert.equal(unsignLegacyCookie(value, ['old']), 'abc-DEF_123');
    assert.equal(unsignLegacyCookie(encodeURIComponent(value), ['new', 'old']), 'abc-DEF_123');
    assert.equal(unsignLegacyCookie(value, ['new']), undefined);
    assert.equal(unsignLegacyCookie(`${value}x`, ['old']), undefined);
    assert.equal(unsignLegacyCookie(value.slice(2), ['old']), undefined, 'an unsigned value is refused');
    assert.equal(unsignLegacyCookie('%E0%A4%A', ['old']), undefined, 'bad encoding is no error');
  });
});
