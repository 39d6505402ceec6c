/**
 * Who may use the browser tool: only the person who started it.
 *
 * - The server listens on 127.0.0.1 only.
 * - Every request must name this server in its `Host` header (`127.0.0.1:PORT` or
 *   `localhost:PORT`), so that a web page whose host name is re-bound to
 *   127.0.0.1 (DNS rebinding) cannot reach it.
 * - The printed URL carries a one-time token (32 random bytes). The first page
 *   load exchanges it for a session cookie (HttpOnly, SameSite=Strict, named with
 *   the port: cookies do not tell ports apart); the token is then spent.
 * - Every request but one for the page itself carries the session's cookie and its
 *   CSRF token in a header, which only a page served by this server can know;
 *   requests from another origin are refused too (`Origin`, `Sec-Fetch-Site`).
 *   This is decided on the route the request matched, never on the spelling of its
 *   path (`/%61pi/apply` and `http://127.0.0.1:PORT/api/apply` are the Apply
 *   route too), and it is the default: a route is the page only when it says so,
 *   and a path that matches no route needs the session as well.
 */
import { CSRF_HEADER, headerValue, randomToken, readCookie, sameSecret } from '../../web/index.ts';

/**
 * Who may call a route: `page`, anyone who names this server (the page's handler
 * checks the token or the cookie itself, and refuses with a page that says what to
 * do); `api` (the default), only the page's own requests.
 */
export type RouteAccess = 'page' | 'api';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Absent: `api`. Set `page` on the page's route only. */
    readonly access?: RouteAccess;
  }
}

/** The access of a route from its config; anything but an explicit `page` is `api`. */
export function routeAccess(config: { readonly access?: unknown } | undefined): RouteAccess {
  return config?.access === 'page' ? 'page' : 'api';
}

export interface BrowserSession {
  readonly id: string;
  readonly csrf: string;
}

/** The access state of one running tool: its port, the token until spent, and the one browser session. */
export class AccessControl {
  readonly #port: number;
  #token: string | null;
  #session: BrowserSession | null = null;

  constructor(port: number, token: string = randomToken()) {
    this.#port = port;
    this.#token = token;
  }

  /** The token for the printed URL; null once spent. */
  get token(): string | null {
    return this.#token;
  }

  get cookieName(): string {
    return `tessera_config_tool_${this.#port}`;
  }

  /** The origins the page is served from. */
  get origins(): readonly string[] {
    return [`http://127.0.0.1:${this.#port}`, `http://localhost:${this.#port}`];
  }

  /** Whether the `Host` header names this server (DNS rebinding defence). */
  hostAllowed(host: string | undefined): boolean {
    return host === `127.0.0.1:${this.#port}` || host === `localhost:${this.#port}`;
  }

  /** Spends the token if `given` is it, opening the browser session. */
  exchange(given: string): BrowserSession | null {
    if (this.#token === null || !sameSecret(given, this.#token)) return null;
    this.#token = null;
    this.#session = { id: randomToken(), csrf: randomToken() };
    return this.#session;
  }

  /** The session named by the request's cookies, or null. */
  sessionOf(cookieHeader: string | undefined): BrowserSession | null {
    const session = this.#session;
    if (session === null || cookieHeader === undefined) return null;
    const value = readCookie(cookieHeader, this.cookieName);
    return value !== undefined && sameSecret(value, session.id) ? session : null;
  }

  setCookie(session: BrowserSession): string {
    return `${this.cookieName}=${session.id}; Path=/; HttpOnly; SameSite=Strict`;
  }

  /**
   * Why a request to an `api` route is refused, or null when it may go on: it must
   * come from the page (session cookie, CSRF header) of this server's origin.
   */
  apiRefusal(headers: Readonly<Record<string, string | string[] | undefined>>): string | null {
    const session = this.sessionOf(headerValue(headers.cookie));
    if (session === null) return 'No session: open the address printed by `tessera config ui`.';
    if (!sameSecret(headerValue(headers[CSRF_HEADER]), session.csrf)) {
      return 'The request does not carry the page’s CSRF token. Reload the page.';
    }
    const origin = headerValue(headers.origin);
    if (origin !== undefined && !this.origins.includes(origin))
      return 'Requests from another origin are refused.';
    const site = headerValue(headers['sec-fetch-site']);
    if (site !== undefined && site !== 'same-origin') return 'Requests from another site are refused.';
    return null;
  }
}
