// Who may use `tessera config ui`'s server, route by route: every route the server
// registered (read from the server, so a new route is covered without editing this
// file) refuses a request that lacks the page's session cookie or CSRF token, or
// comes from another origin or site, however its path is spelled. Only the page
// itself answers without them, and it checks its own token or cookie.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import {
  CONFIG_VERSION,
  type ConfigLocation,
  readConfiguration,
  redisSettingsFromConnectionString,
  saveConfiguration,
} from '../../src/config/index.ts';
import type { ConfigToolServer, RouteInfo } from '../../src/configtool/ui/ui-server.ts';
import { freshLocation } from '../config/helpers.ts';
import { pathSpellings } from '../support/raw-http.ts';
import {
  type Answer,
  type BrowserSession,
  openPage,
  pageHeaders,
  postJson,
  send,
  sessionForm,
  startUiServer,
} from './ui-http.ts';

const PASSWORD = 'stored-Redis-pass-9f2';

async function withStoredPassword(): Promise<ConfigLocation> {
  const location = freshLocation();
  const loaded = await readConfiguration(location);
  const redis = redisSettingsFromConnectionString(`redis1.example.com:6380,password=${PASSWORD},ssl=true`);
  await saveConfiguration(loaded, { version: CONFIG_VERSION, session: { provider: 'redis', redis } });
  return location;
}

/**
 * Ways to write `url` that a router or a proxy may take for it (or for nothing):
 * percent-encoded letters, an encoded slash, doubled slashes, a trailing slash,
 * another case, dot segments, the absolute form of the request target.
 */

/** Each way a request from outside the page differs from the page's own requests. */
const REFUSALS: readonly {
  readonly name: string;
  readonly headers: (server: ConfigToolServer, session: BrowserSession) => Record<string, string>;
}[] = [
  {
    name: 'no session cookie (no token was exchanged)',
    headers: (server, session) => {
      const { cookie: _cookie, ...rest } = pageHeaders(server, session);
      return rest;
    },
  },
  {
    name: 'no CSRF header',
    headers: (server, session) => {
      const { 'x-tessera-csrf': _csrf, ...rest } = pageHeaders(server, session);
      return rest;
    },
  },
  {
    name: 'a wrong CSRF header',
    headers: (server, session) => ({ ...pageHeaders(server, session), 'x-tessera-csrf': 'A'.repeat(43) }),
  },
  {
    name: 'a foreign Origin',
    headers: (server, session) => ({ ...pageHeaders(server, session), origin: 'http://evil.example' }),
  },
  {
    name: 'a foreign Origin on the same host, another port',
    headers: (server, session) => ({
      ...pageHeaders(server, session),
      origin: `http://127.0.0.1:${server.port + 1}`,
    }),
  },
  {
    name: 'Sec-Fetch-Site: cross-site',
    headers: (server, session) => ({ ...pageHeaders(server, session), 'sec-fetch-site': 'cross-site' }),
  },
];

/** A body that does something if it gets through: for Apply, apply (forced) another provider. */
function bodyFor(route: RouteInfo): string | undefined {
  if (route.method === 'GET' || route.method === 'HEAD') return undefined;
  return JSON.stringify({
    ...sessionForm({ provider: 'memory' }),
    form: sessionForm({ provider: 'memory' }),
    force: true,
  });
}

function request(
  server: ConfigToolServer,
  route: RouteInfo,
  path: string,
  headers: Record<string, string>,
): Promise<Answer> {
  const body = bodyFor(route);
  return send(server, {
    method: route.method,
    path,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body,
  });
}

describe('tessera config ui: every route but the page needs the page’s session', () => {
  it('lists its routes: the page, and the API behind it', async () => {
    const server = await startUiServer();
    const routes = server.routes.map((route) => `${route.method} ${route.url} ${route.access}`);
    assert.ok(routes.includes('GET / page'), routes.join('\n'));
    for (const api of [
      'GET /api/certificates',
      'POST /api/validate',
      'POST /api/test-connection',
      'POST /api/database/validate',
      'POST /api/database/test-connection',
      'POST /api/apply',
    ]) {
      assert.ok(routes.includes(`${api} api`), `${api} is an API route:\n${routes.join('\n')}`);
    }
    const pages = server.routes.filter((route) => route.access === 'page');
    assert.deepEqual(
      pages.map((route) => route.url),
      pages.map(() => '/'),
      'the page is the only route that does not need the page’s session',
    );
  });

  for (const refusal of REFUSALS) {
    it(`refuses every API route with ${refusal.name}, however its path is spelled`, async () => {
      const location = await withStoredPassword();
      const before = readFileSync(location.path);
      const server = await startUiServer(location);
      const session = await openPage(server);
      const headers = refusal.headers(server, session);
      const api = server.routes.filter((route) => route.access !== 'page');
      assert.ok(api.length >= 4);
      let requests = 0;
      for (const route of api) {
        for (const path of pathSpellings(route.url, server.port)) {
          const answer = await request(server, route, path, headers);
          assert.equal(
            answer.status,
            403,
            `${route.method} ${path}: ${answer.status} ${answer.body.slice(0, 200)}`,
          );
          assert.doesNotMatch(answer.body, /"html"|"type"|"errors":\[\{/, `${route.method} ${path}`);
          requests += 1;
        }
      }
      assert.ok(requests > 50);
      assert.deepEqual(readFileSync(location.path), before, 'the file is left as it was');
      const still = await postJson(server, session, '/api/validate', sessionForm());
      assert.equal(still.status, 200, 'the tool keeps running');
    });
  }

  it('refuses a path that names no route too, unless the request comes from the page', async () => {
    const server = await startUiServer();
    const session = await openPage(server);
    for (const path of ['/api/nothing', '/%61pi/nothing', '/favicon.ico', '/..', '/api']) {
      const outside = await send(server, { path });
      assert.equal(outside.status, 403, path);
      const inside = await send(server, { path, headers: pageHeaders(server, session) });
      assert.equal(inside.status, 404, path);
    }
  });

  it('reaches each API route by the spellings its router decodes, with the page’s session only', async () => {
    const server = await startUiServer();
    const session = await openPage(server);
    const reached = new Set<string>();
    for (const route of server.routes.filter((r) => r.access !== 'page')) {
      for (const path of pathSpellings(route.url, server.port)) {
        // An empty JSON object: reaches the handler, which refuses it as not the form (nothing runs).
        const answer = await send(server, {
          method: route.method,
          path,
          headers: {
            ...pageHeaders(server, session),
            ...(route.method === 'POST' ? { 'content-type': 'application/json' } : {}),
          },
          body: route.method === 'POST' ? '{}' : undefined,
        });
        assert.notEqual(answer.status, 403, `${route.method} ${path}: ${answer.body}`);
        if (answer.status !== 404) reached.add(path.replace(String(server.port), 'PORT'));
      }
    }
    // The spellings that went around the old check (a prefix test on the raw URL) do reach the routes.
    for (const path of ['/%61pi/certificates', '/%61pi/apply', 'http://127.0.0.1:PORT/api/apply']) {
      assert.ok(reached.has(path), `${path} reaches its route: ${[...reached].join(' ')}`);
    }
  });

  it('serves the page without the API’s checks, but only to the session that spent the token', async () => {
    const server = await startUiServer();
    const pages = server.routes.filter((route) => route.access === 'page');
    for (const route of pages) {
      for (const path of ['/', '*', '/?x=1', `http://127.0.0.1:${server.port}/`]) {
        const answer = await send(server, { method: route.method, path });
        assert.equal(answer.status, 403, `${route.method} ${path}`);
        assert.doesNotMatch(answer.body, /csrf-token/);
      }
    }
  });
});

describe('tessera config ui: the attacks of a local process', () => {
  let listener: Server | undefined;
  after(() => listener?.close());

  it('cannot make Test Connection send the stored password to a port it listens on', async () => {
    const location = await withStoredPassword();
    const server = await startUiServer(location);
    const session = await openPage(server);
    const sockets: Socket[] = [];
    listener = createServer((socket) => {
      sockets.push(socket);
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener!.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as { port: number }).port;
    const attack = JSON.stringify(
      sessionForm({ hosts: `127.0.0.1:${port}`, useSsl: false, password: { action: 'keep' } }),
    );
    for (const path of [
      '/%61pi/test-connection',
      '/api/test-%63onnection',
      `http://127.0.0.1:${server.port}/api/test-connection`,
      '/api/test-connection',
    ]) {
      const answer = await send(server, {
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json' },
        body: attack,
      });
      assert.equal(answer.status, 403, `${path}: ${answer.body}`);
    }
    // Test Connection streams until its checks are done: each refusal was final.
    assert.equal(sockets.length, 0, 'no connection reached the listener');

    // The same request from the page does connect there: the refusals above are what stopped it.
    const fromPage = await postJson(
      server,
      session,
      '/api/test-connection',
      JSON.parse(attack) as Record<string, unknown>,
    );
    assert.equal(fromPage.status, 200);
    assert.ok(sockets.length > 0, 'the page’s own Test Connection reaches the listener');
    assert.ok(!fromPage.body.includes(PASSWORD));
  });

  it('cannot rewrite and apply the configuration with a forced apply', async () => {
    const location = await withStoredPassword();
    const before = readFileSync(location.path);
    const server = await startUiServer(location);
    const attack = JSON.stringify({ form: sessionForm({ provider: 'memory' }), force: true });
    for (const path of ['/%61pi/apply', '/api/%61pply', `http://127.0.0.1:${server.port}/api/apply`]) {
      const answer = await send(server, {
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', origin: `http://127.0.0.1:${server.port}` },
        body: attack,
      });
      assert.equal(answer.status, 403, `${path}: ${answer.body}`);
    }
    assert.deepEqual(readFileSync(location.path), before, 'nothing was written');
    const session = await openPage(server);
    assert.match(
      session.page.body,
      /A password is set/,
      'the tool still runs, with the settings as they were',
    );
  });
});
