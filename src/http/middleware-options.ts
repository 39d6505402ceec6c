/** Options of `sessionMiddleware` and the Fastify plugin: one defaults table, validated, frozen. */
import type { IncomingMessage } from 'node:http';
import {
  SessionEngine,
  SessionError,
  type SessionMode,
  type SessionOptions,
  type SessionStore,
} from '../session/index.ts';
import {
  type CookieSettings,
  isCookieName,
  SAME_SITE_VALUES,
  type SameSite,
  sessionCookieName,
} from './cookies.ts';

export interface SessionMiddlewareOptions extends Partial<Omit<SessionOptions, 'mode'>> {
  /** Where sessions live: `MemorySessionStore`, `RedisSessionStore`. */
  readonly store: SessionStore;
  /** The application's mode, or a function choosing it per request (e.g. `readonly` for GET). */
  readonly mode?: SessionMode | ((req: IncomingMessage) => SessionMode);
  /**
   * The cookie's name. Default: derived from `appKey` (`tessera.<appKey>.sid`; `tessera.sid`
   * for the default `appKey`), so that each application has its own cookie.
   */
  readonly name?: string;
  readonly cookie?: {
    readonly path?: string;
    readonly domain?: string;
    readonly sameSite?: SameSite;
    /** `auto` (default): Secure when the request is HTTPS, directly or through a trusted proxy. */
    readonly secure?: boolean | 'auto';
  };
  /** Trust `X-Forwarded-Proto` from the reverse proxy in front of this server (default false). */
  readonly trustProxy?: boolean;
  /** `Retry-After` of the 503 answered when the store is unreachable (default 5). */
  readonly retryAfterSeconds?: number;
  /**
   * Called with session errors that happen after the application handled the
   * request (at save); the response is then a 500/503, or is cut when its headers
   * were already sent. Default: none (the error is on the response only).
   */
  readonly onError?: (error: unknown, req: IncomingMessage) => void;
}

export const HTTP_SESSION_DEFAULTS = {
  path: '/',
  sameSite: 'Lax',
  secure: 'auto',
  trustProxy: false,
  retryAfterSeconds: 5,
} as const;

export interface ResolvedMiddlewareOptions {
  readonly engine: SessionEngine;
  readonly mode: (req: IncomingMessage) => SessionMode;
  readonly cookie: CookieSettings;
  readonly retryAfterSeconds: number;
  readonly onError: ((error: unknown, req: IncomingMessage) => void) | undefined;
}

export function resolveMiddlewareOptions(
  options: SessionMiddlewareOptions,
): Readonly<ResolvedMiddlewareOptions> {
  const { store, mode, name, cookie, trustProxy, retryAfterSeconds, onError, ...engineOptions } =
    options ?? {};
  if (!store || typeof store !== 'object' || !('provider' in store)) {
    fail(
      'store is required: pass a MemorySessionStore or a RedisSessionStore (e.g. await RedisSessionStore.connect(connectionString)).',
    );
  }
  if (mode !== undefined && typeof mode !== 'string' && typeof mode !== 'function')
    fail('mode must be a mode name or a function of the request that returns one.');
  if (cookie !== undefined && (typeof cookie !== 'object' || cookie === null))
    fail('cookie must be an object (path, domain, sameSite, secure).');
  if (trustProxy !== undefined && typeof trustProxy !== 'boolean') fail('trustProxy must be true or false.');
  const engine = new SessionEngine(store.provider, {
    ...engineOptions,
    mode: typeof mode === 'string' ? mode : undefined,
  });
  const settings: CookieSettings = Object.freeze({
    name: name ?? sessionCookieName(engine.options.appKey),
    path: cookie?.path ?? HTTP_SESSION_DEFAULTS.path,
    domain: cookie?.domain,
    sameSite: cookie?.sameSite ?? HTTP_SESSION_DEFAULTS.sameSite,
    secure: cookie?.secure ?? HTTP_SESSION_DEFAULTS.secure,
    trustProxy: trustProxy ?? HTTP_SESSION_DEFAULTS.trustProxy,
  });
  if (!isCookieName(settings.name))
    fail(`name "${settings.name}" is not a valid cookie name (letters, digits and !#$%&'*+-.^_\`|~).`);
  if (!settings.path.startsWith('/') || /[;\s]/.test(settings.path))
    fail(`cookie.path "${settings.path}" must start with "/" and contain no ";" or space.`);
  if (settings.domain !== undefined && !/^[A-Za-z0-9.-]+$/.test(settings.domain))
    fail(`cookie.domain "${settings.domain}" is not a host name.`);
  if (!SAME_SITE_VALUES.includes(settings.sameSite))
    fail(`cookie.sameSite must be one of ${SAME_SITE_VALUES.join(', ')}.`);
  if (settings.secure !== 'auto' && typeof settings.secure !== 'boolean')
    fail('cookie.secure must be true, false or "auto".');
  const retryAfter = retryAfterSeconds ?? HTTP_SESSION_DEFAULTS.retryAfterSeconds;
  if (!Number.isInteger(retryAfter) || retryAfter < 0)
    fail('retryAfterSeconds must be a whole number of seconds, 0 or more.');
  if (onError !== undefined && typeof onError !== 'function') fail('onError must be a function.');
  const defaultMode = engine.options.mode;
  return Object.freeze({
    engine,
    mode: typeof mode === 'function' ? mode : () => defaultMode,
    cookie: settings,
    retryAfterSeconds: retryAfter,
    onError,
  });
}

function fail(message: string): never {
  throw new SessionError('TESSERA_SESSION_OPTIONS', `Session middleware option ${message}`);
}
