/**
 * Moving an express-session application to Tessera without logging its users out.
 * With the `legacy` option, a request that has no Tessera session but carries
 * express-session's signed cookie (`connect.sid=s:<id>.<signature>`) has the
 * signature checked against the old `secret`s (cookie-signature's HMAC-SHA256,
 * compared in constant time), its session read from the store it was in, and its
 * properties moved into a new Tessera session: Tessera's cookie is set, and once the
 * new session is stored the old one is deleted and its cookie cleared. Each old
 * session moves once, on its user's first request; nothing has to run beforehand.
 *
 * ```js
 * sessionMiddleware({ store, legacy: { secret: process.env.OLD_SESSION_SECRET,
 *   source: connectRedisSource(oldRedisClient) } });
 * ```
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type ActiveSession, SessionError } from '../session/index.ts';
import { type CookieAttributes, clearedCookie, isCookieName, maxAgeProblem, readCookies } from './cookies.ts';
import { COOKIE_ITEM } from './session-cookie.ts';

/** Where the old sessions are: read one, delete one. */
export interface LegacySessionSource {
  /** The session's properties (express-session's JSON, `cookie` included), or `null`. */
  load(id: string): Promise<Record<string, unknown> | null>;
  /** Deletes it (after it was moved). */
  destroy(id: string): Promise<void>;
}

export interface LegacySessionOptions {
  /** express-session's `secret`: one, or several (the first signs, every one verifies there). */
  readonly secret: string | readonly string[];
  /** express-session's cookie name (default `connect.sid`). */
  readonly name?: string;
  /** express-session's cookie path, to clear the old cookie (default `/`). */
  readonly path?: string;
  readonly source: LegacySessionSource;
}

/** The subset of a Redis client (node-redis 4/5, ioredis) that `connectRedisSource` uses. */
export interface LegacyRedisClient {
  get(key: string): Promise<string | null>;
  del(key: string): Promise<unknown>;
}

/**
 * The sessions connect-redis stored: the key `<prefix><id>` (default prefix
 * `sess:`), the session's JSON. Give the client the old application used.
 */
export function connectRedisSource(
  client: LegacyRedisClient,
  options: { readonly prefix?: string } = {},
): LegacySessionSource {
  const prefix = options.prefix ?? 'sess:';
  return {
    async load(id) {
      const json = await client.get(`${prefix}${id}`);
      if (json === null) return null;
      const data: unknown = JSON.parse(json);
      return typeof data === 'object' && data !== null && !Array.isArray(data)
        ? (data as Record<string, unknown>)
        : null;
    },
    async destroy(id) {
      await client.del(`${prefix}${id}`);
    },
  };
}

/**
 * The id of an express-session cookie value (`s:<id>.<signature>`, URL-encoded as
 * express-session sends it) when one of `secrets` signed it, else `undefined`.
 */
export function unsignLegacyCookie(value: string, secrets: readonly string[]): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return undefined;
  }
  if (!decoded.startsWith('s:')) return undefined;
  const signed = decoded.slice(2);
  const dot = signed.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const id = signed.slice(0, dot);
  const given = Buffer.from(signed.slice(dot + 1));
  for (const secret of secrets) {
    const expected = Buffer.from(createHmac('sha256', secret).update(id).digest('base64').replace(/=+$/, ''));
    if (expected.length === given.length && timingSafeEqual(expected, given)) return id;
  }
  return undefined;
}

export interface ResolvedLegacy {
  readonly name: string;
  readonly path: string;
  readonly secrets: readonly string[];
  readonly source: LegacySessionSource;
}

export function resolveLegacyOptions(legacy: LegacySessionOptions | undefined): ResolvedLegacy | undefined {
  if (legacy === undefined) return undefined;
  const fail = (message: string): never => {
    throw new SessionError('TESSERA_SESSION_OPTIONS', `Session middleware option legacy.${message}`);
  };
  if (typeof legacy !== 'object' || legacy === null)
    fail('must be an object: { secret, source, name?, path? }.');
  const secrets = typeof legacy.secret === 'string' ? [legacy.secret] : legacy.secret;
  if (
    !Array.isArray(secrets) ||
    secrets.length === 0 ||
    !secrets.every((s) => typeof s === 'string' && s !== '')
  )
    fail('secret must be the express-session secret (a non-empty string, or an array of them).');
  const name = legacy.name ?? 'connect.sid';
  if (!isCookieName(name)) fail(`name "${name}" is not a valid cookie name.`);
  const path = legacy.path ?? '/';
  if (!path.startsWith('/') || /[;\s]/.test(path))
    fail(`path "${path}" must start with "/" and contain no ";" or space.`);
  const { source } = legacy;
  if (typeof source?.load !== 'function' || typeof source.destroy !== 'function')
    fail('source must have load(id) and destroy(id), e.g. connectRedisSource(redisClient).');
  return Object.freeze({ name, path, secrets: Object.freeze([...secrets]), source });
}

/** A session being moved by this request: what to do once the new session is stored. */
export interface LegacyMove {
  /** The `Set-Cookie` value that clears the old cookie. */
  clearCookie(attributes: CookieAttributes, secureRequest: boolean): string;
  /** Deletes the old session: call once the new one is stored. */
  finish(): Promise<void>;
}

/**
 * For a request whose session is new: moves the old session its legacy cookie
 * names, if the signature holds and the source still has it, into `active`.
 */
export async function adoptLegacySession(
  req: IncomingMessage,
  active: ActiveSession,
  legacy: ResolvedLegacy,
): Promise<LegacyMove | undefined> {
  if (!active.isNew || active.mode === 'readonly') return undefined;
  let id: string | undefined;
  for (const value of readCookies(req.headers.cookie, legacy.name)) {
    id = unsignLegacyCookie(value, legacy.secrets);
    if (id !== undefined) break;
  }
  if (id === undefined) return undefined;
  const data = await legacy.source.load(id);
  const move: LegacyMove = {
    clearCookie: (attributes, secure) =>
      clearedCookie(legacy.name, { ...attributes, path: legacy.path, domain: undefined }, secure),
    finish: () => legacy.source.destroy(id),
  };
  if (data === null) return move;
  for (const [name, value] of Object.entries(data)) {
    if (name !== COOKIE_ITEM) active.set(name, value);
  }
  // A persistent ("remember me") cookie stays one, for the time it was given.
  const cookie = data.cookie as { originalMaxAge?: unknown } | undefined;
  const maxAge = cookie?.originalMaxAge;
  if (typeof maxAge === 'number' && maxAgeProblem(maxAge) === undefined) {
    active.set(COOKIE_ITEM, { maxAge });
    active.timeoutMinutes = maxAge / 60_000;
  }
  await active.save();
  return move;
}
