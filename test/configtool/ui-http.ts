// An HTTP client for the tests of `tessera config ui`'s server: raw requests with
// exactly the headers given (Host included, and any spelling of the path), and the
// browser's way in (token → cookie → page → CSRF token).
import assert from 'node:assert/strict';
import { after } from 'node:test';
import type { ConfigLocation } from '../../src/config/index.ts';
import {
  type ConfigToolServer,
  type ConfigToolServerOptions,
  startConfigToolServer,
} from '../../src/configtool/ui/ui-server.ts';
import { freshLocation } from '../config/helpers.ts';
import { type Answer, rawRequest } from '../support/raw-http.ts';

export type { Answer };

const servers: ConfigToolServer[] = [];
after(async () => {
  for (const server of servers) await server.close().catch(() => {});
});

/** Starts a server on a free port, with no SERedis_* variables; closed after the file's tests. */
export async function startUiServer(
  location: ConfigLocation = freshLocation(),
  options: Partial<ConfigToolServerOptions> = {},
): Promise<ConfigToolServer> {
  const server = await startConfigToolServer({ location, env: {}, ...options });
  servers.push(server);
  return server;
}

/**
 * One HTTP request with exactly the headers given (Host included: fetch cannot set
 * it) and `path` sent as it is written (fetch would normalise it).
 */
export function send(
  server: ConfigToolServer,
  options: Parameters<typeof rawRequest>[1] = {},
): Promise<Answer> {
  return rawRequest(server.port, options);
}

export interface BrowserSession {
  readonly cookie: string;
  readonly csrf: string;
  /** The id of the page load, which Apply and Exit sends back. */
  readonly pageId: string;
  readonly page: Answer;
}

/** Opens the printed URL as the browser does: token → cookie → the page and its CSRF token. */
export async function openPage(server: ConfigToolServer): Promise<BrowserSession> {
  const url = new URL(server.url);
  const exchange = await send(server, { path: url.pathname + url.search });
  assert.equal(exchange.status, 303);
  const cookie = String(exchange.headers['set-cookie']).split(';')[0]!;
  return reloadPage(server, cookie);
}

/** Loads the page again with the session's cookie: a new page id, the file read anew. */
export async function reloadPage(server: ConfigToolServer, cookie: string): Promise<BrowserSession> {
  const page = await send(server, { headers: { cookie } });
  assert.equal(page.status, 200, page.body);
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page.body)?.[1];
  assert.ok(csrf, 'the page carries a CSRF token');
  const state = /<script type="application\/json" id="initial-state">([^<]*)<\/script>/.exec(page.body)?.[1];
  assert.ok(state, 'the page carries its initial state');
  const pageId = (JSON.parse(state) as { pageId?: unknown }).pageId;
  assert.equal(typeof pageId, 'string', 'the page carries its id');
  return { cookie, csrf, pageId: pageId as string, page };
}

/** The headers of an API request from the page: its cookie, CSRF token and origin. */
export function pageHeaders(server: ConfigToolServer, session: BrowserSession): Record<string, string> {
  return {
    cookie: session.cookie,
    'x-tessera-csrf': session.csrf,
    origin: `http://127.0.0.1:${server.port}`,
    'sec-fetch-site': 'same-origin',
  };
}

export function postJson(
  server: ConfigToolServer,
  session: BrowserSession,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return send(server, {
    method: 'POST',
    path,
    headers: {
      cookie: session.cookie,
      'x-tessera-csrf': session.csrf,
      'content-type': 'application/json',
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

/** Apply and Exit from `session`'s page. */
export function postApply(
  server: ConfigToolServer,
  session: BrowserSession,
  form: unknown,
  options: { force?: boolean; database?: unknown } = {},
): Promise<Answer> {
  return postJson(server, session, '/api/apply', {
    form,
    ...(options.database !== undefined ? { database: options.database } : {}),
    force: options.force === true,
    pageId: session.pageId,
  });
}

/** The Session form as the page posts it, with `overrides`. */
export function sessionForm(overrides: Record<string, unknown> = {}) {
  return {
    provider: 'redis',
    hosts: 'redis1.example.com:6380',
    password: { action: 'keep' },
    user: '',
    useSsl: true,
    sslHost: '',
    advanced: {},
    ...overrides,
  };
}

/** The Platform Database form as the page posts it, with `overrides`. */
export function databaseForm(overrides: Record<string, unknown> = {}) {
  return {
    provider: 'sqlite',
    path: '',
    host: '',
    port: '',
    database: '',
    user: '',
    password: { action: 'keep' },
    ssl: false,
    ...overrides,
  };
}

/** The events of a newline-delimited JSON answer. */
export function eventsOf(answer: Answer): Record<string, unknown>[] {
  return answer.body
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
