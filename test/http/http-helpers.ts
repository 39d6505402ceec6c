/** Real HTTP servers on ephemeral ports and a small cookie-keeping client for the http/ tests. */
import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function listen(handler: RequestListener | Server): Promise<RunningServer> {
  const server = typeof handler === 'function' ? createServer(handler) : handler;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export interface Reply {
  readonly status: number;
  readonly body: string;
  readonly headers: Headers;
  readonly setCookies: string[];
  readonly elapsedMs: number;
}

export async function get(
  url: string,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Reply> {
  const started = Date.now();
  const response = await fetch(url, { headers, ...(signal ? { signal } : {}) });
  const body = await response.text();
  return {
    status: response.status,
    body,
    headers: response.headers,
    setCookies: response.headers.getSetCookie(),
    elapsedMs: Date.now() - started,
  };
}

/** A browser-like client: keeps the cookie the server sets, clears it when told to. */
export class CookieClient {
  readonly #base: string;
  readonly #name: string;
  cookie: string | undefined;

  constructor(base: string, name = 'tessera.sid') {
    this.#base = base;
    this.#name = name;
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
    const reply = await get(`${this.#base}${path}`, {
      ...headers,
      ...(this.cookie ? { cookie: `${this.#name}=${this.cookie}` } : {}),
    });
    for (const line of reply.setCookies) {
      const [pair] = line.split(';');
      const [name, value] = pair!.split('=');
      if (name !== this.#name) continue;
      this.cookie = /Max-Age=0/i.test(line) ? undefined : value;
    }
    return reply;
  }
}
