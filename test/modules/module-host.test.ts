/**
 * Loading modules and serving them: sync and async factories, errors naming the
 * file; the host routes `/<module>/…`, gives each module `req.session` with its
 * application's settings, shares sessions between the modules of one application
 * and isolates applications, over the memory store and Redis over mutual TLS;
 * closing drains the lock releases an outage left waiting.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import {
  applicationKey,
  createModuleHost,
  createSessionStoreForModule,
  loadModule,
  type ModuleContext,
  type ModuleHost,
  type ModuleRuntimeSettings,
  sessionCookieName,
} from '../../src/modules/index.ts';
import { RedisSessionStore, resolveSessionOptions, SessionEngine } from '../../src/session/index.ts';
import { rejectsWithCode } from '../config/helpers.ts';
import { CookieClient, get, listen, type RunningServer } from '../http/http-helpers.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { startTlsRedis, type TlsRedisServer } from '../support/tls-redis.ts';
import { writeModule } from './module-fixtures.ts';

const log = pino({ level: 'silent' });
const MEMORY: ModuleRuntimeSettings = Object.freeze({
  provider: 'memory',
  timeoutMinutes: 20,
  mode: 'exclusive',
  revision: '1',
});

function contextFor(name: string): ModuleContext {
  return {
    name,
    application: name,
    basePath: `/${name}/`,
    settings: { provider: 'memory', timeoutMinutes: 20, mode: 'exclusive', revision: '1' },
    log,
    frontend: { name: 'fe-test' },
  };
}

/** Answers with what the module saw: its URL, the original URL, the session's visits, the front-end. */
const ECHO_ENTRY = `export default async function createModule(context) {
  await new Promise((resolve) => setTimeout(resolve, 5));
  return (req, res) => {
    req.session.visits = (req.session.visits ?? 0) + 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({
      module: context.name,
      application: context.application,
      basePath: context.basePath,
      url: req.url,
      originalUrl: req.originalUrl,
      visits: req.session.visits,
      frontend: context.frontend.name,
      provider: context.settings.provider,
    }));
  };
}
`;

describe('loadModule', () => {
  it('calls a synchronous factory with the context and returns its listener', async () => {
    const folder = writeModule('sync', {
      entry: 'export default (context) => (req, res) => res.end("hello from " + context.frontend.name);\n',
    });
    const listener = await loadModule({ folder, context: contextFor('sync') });
    const server = await listen(listener);
    try {
      assert.equal((await get(`${server.url}/`)).body, 'hello from fe-test');
    } finally {
      await server.close();
    }
  });

  it('awaits an asynchronous factory', async () => {
    const folder = writeModule('async', { entry: ECHO_ENTRY });
    assert.equal(typeof (await loadModule({ folder, context: contextFor('async') })), 'function');
  });

  it('loads a CommonJS entry compiled from TypeScript (exports.default)', async () => {
    const folder = writeModule('compiled', {
      entry:
        'Object.defineProperty(exports, "__esModule", { value: true });\nexports.default = () => (req, res) => res.end("ok");\n',
    });
    const manifest = JSON.stringify({ name: 'compiled' });
    (await import('node:fs')).writeFileSync(`${folder}/package.json`, manifest);
    assert.equal(typeof (await loadModule({ folder, context: contextFor('compiled') })), 'function');
  });

  it('names the file when createModule throws', async () => {
    const folder = writeModule('throws', {
      entry: 'export default async () => { throw new Error("SHOP_DB is not set"); };\n',
    });
    const error = await rejectsWithCode(
      loadModule({ folder, context: contextFor('throws') }),
      'TESSERA_MODULE_ENTRY_FAILED',
    );
    assert.match(
      error.message,
      /^Module throws: createModule in .*index\.js failed \(Error: SHOP_DB is not set\)\. Fix the module and publish a new version\./,
    );
  });

  it('refuses a factory that returns no request listener', async () => {
    const folder = writeModule('nolistener', { entry: 'export default () => ({ listen() {} });\n' });
    const error = await rejectsWithCode(
      loadModule({ folder, context: contextFor('nolistener') }),
      'TESSERA_MODULE_NO_FACTORY',
    );
    assert.match(error.message, /returned object, not a request listener.*app\.routing/);
  });

  it('gives up on a createModule that never returns', async () => {
    const folder = writeModule('hangs', { entry: 'export default () => new Promise(() => {});\n' });
    const error = await rejectsWithCode(
      loadModule({ folder, context: contextFor('hangs'), timeoutMs: 200 }),
      'TESSERA_MODULE_LOAD_TIMEOUT',
    );
    assert.match(error.message, /had not returned from createModule after 200 ms/);
  });

  it('names the file when the entry throws at import', async () => {
    const folder = writeModule('importfails', { entry: 'throw new TypeError("boom");\n' });
    const error = await rejectsWithCode(
      loadModule({ folder, context: contextFor('importfails') }),
      'TESSERA_MODULE_ENTRY_FAILED',
    );
    assert.match(
      error.message,
      /^Module importfails: .*index\.js throws when it is imported \(TypeError: boom\)/,
    );
  });
});

describe('applicationKey and sessionCookieName', () => {
  it('keeps letters, digits and "-", and escapes everything else one-to-one', () => {
    assert.equal(applicationKey('Shop'), 'Shop');
    assert.equal(applicationKey('Web Shop'), 'Web.20Shop');
    assert.equal(applicationKey('web_shop'), 'web.5fshop');
    assert.equal(applicationKey('a.b'), 'a.2eb');
    assert.equal(applicationKey('Café'), 'Caf.c3.a9');
    const names = ['a b', 'a.20b', 'a_b', 'a-b', 'A b', 'a  b', 'a.b', 'a/b'];
    assert.equal(new Set(names.map(applicationKey)).size, names.length, 'no two names share a key');
  });

  it('makes keys of at most 100 characters that never share a long prefix', () => {
    const long = 'Ü'.repeat(80);
    const key = applicationKey(long);
    assert.ok(key.length <= 100, key);
    assert.match(key, /^[A-Za-z0-9.-]+$/);
    assert.notEqual(applicationKey(`${long}1`), applicationKey(`${long}2`));
    assert.equal(applicationKey(long), key, 'stable');
    assert.equal(resolveSessionOptions({ appKey: key }).appKey, key, 'a valid appKey');
  });

  it('names the cookie after the key, tessera.sid for the default appKey', () => {
    assert.equal(sessionCookieName('Shop'), 'tessera.Shop.sid');
    assert.equal(sessionCookieName(applicationKey('Web Shop')), 'tessera.Web.20Shop.sid');
    assert.equal(sessionCookieName('app'), 'tessera.sid');
  });

  it('refuses an empty application name', async () => {
    assert.throws(() => applicationKey(' '), { code: 'TESSERA_MODULE_APPLICATION' });
  });
});

/** Two applications: Shop (modules shop and cart) and Admin (module admin). */
function threeModules(settings: ModuleRuntimeSettings) {
  return [
    {
      name: 'shop',
      application: 'Web Shop',
      version: 1,
      folder: writeModule('shop', { entry: ECHO_ENTRY }),
      settings,
    },
    {
      name: 'cart',
      application: 'Web Shop',
      version: 4,
      folder: writeModule('cart', { entry: ECHO_ENTRY }),
      settings,
    },
    {
      name: 'admin',
      application: 'Admin',
      version: 2,
      folder: writeModule('admin', { entry: ECHO_ENTRY }),
      settings,
    },
  ];
}

const SHOP_COOKIE = 'tessera.Web.20Shop.sid';
const ADMIN_COOKIE = 'tessera.Admin.sid';

interface Hosted {
  readonly host: ModuleHost;
  readonly server: RunningServer;
}

async function hostOn(
  settings: ModuleRuntimeSettings,
  storeFor?: Parameters<typeof createModuleHost>[0]['storeFor'],
): Promise<Hosted> {
  const host = await createModuleHost({
    modules: threeModules(settings),
    frontend: { name: 'fe-1' },
    log,
    ...(storeFor ? { storeFor } : {}),
  });
  return { host, server: await listen(host.listener) };
}

async function json(client: CookieClient, path: string) {
  const reply = await client.get(path);
  assert.equal(reply.status, 200, reply.body);
  return JSON.parse(reply.body) as Record<string, unknown>;
}

/** The same checks on every store: sharing within an application, isolation between applications. */
function hostSuite(
  name: string,
  setup: () => Promise<{
    settings: ModuleRuntimeSettings;
    storeFor?: Parameters<typeof createModuleHost>[0]['storeFor'];
  }>,
) {
  describe(`the module host on ${name}`, () => {
    let hosted: Hosted;
    before(async () => {
      const { settings, storeFor } = await setup();
      hosted = await hostOn(settings, storeFor);
    });
    after(async () => {
      await hosted?.server.close();
      await hosted?.host.close();
    });

    it('serves /<module>/ with the prefix taken off req.url and kept on req.originalUrl', async () => {
      const body = await json(new CookieClient(hosted.server.url, SHOP_COOKIE), '/cart/items/3?sort=price');
      assert.equal(body.module, 'cart');
      assert.equal(body.url, '/items/3?sort=price');
      assert.equal(body.originalUrl, '/cart/items/3?sort=price');
      assert.equal(body.basePath, '/cart/');
      assert.equal(body.frontend, 'fe-1');
      assert.equal(body.provider, name === 'memory' ? 'memory' : 'redis');
    });

    it('lists the modules with their versions and settings revision', () => {
      assert.deepEqual(
        hosted.host.modules.map((m) => `${m.name}@${m.version}/${m.revision}`),
        ['admin@2/1', 'cart@4/1', 'shop@1/1'],
      );
    });

    it("shares a user's session between the modules of one application, under one cookie", async () => {
      const client = new CookieClient(hosted.server.url, SHOP_COOKIE);
      const first = await client.get('/shop/');
      assert.deepEqual(
        first.setCookies.map((line) => line.split('=')[0]),
        [SHOP_COOKIE],
      );
      assert.match(first.setCookies[0]!, /Path=\//);
      assert.equal((await json(client, '/cart/')).visits, 2);
      assert.equal((await json(client, '/shop/again')).visits, 3);
    });

    it('never shows one application the sessions of another, even with its session id', async () => {
      const shopper = new CookieClient(hosted.server.url, SHOP_COOKIE);
      await shopper.get('/shop/');
      await shopper.get('/shop/');
      // The Shop session id, sent as the Admin cookie: Admin's store does not know it.
      const thief = new CookieClient(hosted.server.url, ADMIN_COOKIE);
      thief.cookie = shopper.cookie;
      const admin = await json(thief, '/admin/');
      assert.equal(admin.visits, 1, 'a new Admin session');
      assert.notEqual(thief.cookie, shopper.cookie, 'the unknown id was not adopted');
      // Both cookies in one request (one browser): each application reads its own.
      const both = await get(`${hosted.server.url}/admin/`, {
        cookie: `${SHOP_COOKIE}=${shopper.cookie}; ${ADMIN_COOKIE}=${thief.cookie}`,
      });
      assert.equal(JSON.parse(both.body).visits, 2);
      assert.equal((await json(shopper, '/cart/')).visits, 3);
    });

    it('answers 404 for a path naming no module, and redirects /<module> to /<module>/', async () => {
      assert.equal((await get(`${hosted.server.url}/nothing/`)).status, 404);
      assert.equal((await get(`${hosted.server.url}/`)).status, 404);
      const redirect = await fetch(`${hosted.server.url}/shop?x=1`, { redirect: 'manual' });
      assert.equal(redirect.status, 308);
      assert.equal(redirect.headers.get('location'), '/shop/?x=1');
    });
  });
}

hostSuite('memory', async () => ({ settings: MEMORY }));

let redis: TlsRedisServer | undefined;
after(async () => {
  await redis?.stop();
});
hostSuite('Redis over mutual TLS', async () => {
  redis ??= await startTlsRedis();
  const target = redis;
  const settings: ModuleRuntimeSettings = {
    ...MEMORY,
    provider: 'redis',
    connectionString: target.connectionString,
  };
  return { settings, storeFor: (s) => createSessionStoreForModule(s, { env: target.env }) };
});

describe('the module host over Redis: two workers', () => {
  it('serves a session stored by one worker from another (the farm case)', async () => {
    redis ??= await startTlsRedis();
    const target = redis;
    const settings: ModuleRuntimeSettings = {
      ...MEMORY,
      provider: 'redis',
      connectionString: target.connectionString,
    };
    const storeFor = (s: ModuleRuntimeSettings) => createSessionStoreForModule(s, { env: target.env });
    const [one, two] = [await hostOn(settings, storeFor), await hostOn(settings, storeFor)];
    try {
      const client = new CookieClient(one.server.url, SHOP_COOKIE);
      await client.get('/shop/');
      const onTwo = new CookieClient(two.server.url, SHOP_COOKIE);
      onTwo.cookie = client.cookie;
      assert.equal((await json(onTwo, '/cart/')).visits, 2);
    } finally {
      for (const hosted of [one, two]) {
        await hosted.server.close();
        await hosted.host.close();
      }
    }
  });
});

describe('closing the host during a Redis outage', () => {
  it('releases the locks the outage left waiting before it closes the store', async () => {
    redis ??= await startTlsRedis();
    const target = redis;
    const proxy = await startTcpProxy('127.0.0.1', target.server.tlsPort);
    const viaProxy = target.connectionString.replace(
      `127.0.0.1:${target.server.tlsPort}`,
      `127.0.0.1:${proxy.port}`,
    );
    let openGate = () => {};
    let onHolding = () => {};
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const holding = new Promise<void>((resolve) => (onHolding = resolve));
    Object.assign(globalThis, { tesseraTestGate: gate, tesseraTestHolding: onHolding });
    const folder = writeModule('locker', {
      entry: `export default () => async (req, res) => {
  if (req.url === '/hold') {
    req.session.n = 2;
    globalThis.tesseraTestHolding();
    await globalThis.tesseraTestGate;
  } else req.session.n = 1;
  res.end('n=' + req.session.n);
};
`,
    });
    const settings: ModuleRuntimeSettings = { ...MEMORY, provider: 'redis', connectionString: viaProxy };
    const host = await createModuleHost({
      modules: [{ name: 'locker', application: 'Locker', version: 1, folder, settings }],
      frontend: { name: 'fe-outage' },
      log,
      storeFor: (s) => createSessionStoreForModule(s, { env: target.env }),
    });
    const server = await listen(host.listener);
    const direct = await RedisSessionStore.connect(target.connectionString, { env: target.env });
    try {
      const client = new CookieClient(server.url, 'tessera.Locker.sid');
      assert.equal((await client.get('/locker/')).body, 'n=1');
      const held = client.get('/locker/hold');
      await holding;
      await proxy.stop();
      openGate();
      const failed = await held;
      assert.ok([503, 504].includes(failed.status), `${failed.status} ${failed.body}`);
      // The worker is drained during the outage; Redis comes back while its store closes.
      const closed = host.close();
      await proxy.start();
      await closed;
      const sessions = new SessionEngine(direct.provider, { appKey: 'Locker', requestTimeoutMs: 8000 });
      const started = Date.now();
      const next = await sessions.open(client.cookie);
      assert.ok(Date.now() - started < 1000, `the lock was still held for ${Date.now() - started} ms`);
      assert.equal(next.get('n'), 1, 'the failed save wrote nothing');
      await next.commit();
    } finally {
      await server.close();
      await host.close();
      await direct.close();
      await proxy.stop();
    }
  });
});
