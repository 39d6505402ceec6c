/**
 * The session cookie: reading it from a `Cookie` header, writing `Set-Cookie`.
 * Only what the session needs (RFC 6265 name/value pairs), no dependency.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { SESSION_DEFAULTS } from '../session/index.ts';

export const SAME_SITE_VALUES = ['Lax', 'Strict', 'None'] as const;
export type SameSite = (typeof SAME_SITE_VALUES)[number];

/**
 * The attributes of the session cookie. The middleware's options give the defaults;
 * one session may change them (`req.session.cookie`), and keeps the change.
 */
export interface CookieAttributes {
  readonly path: string;
  readonly domain: string | undefined;
  readonly sameSite: SameSite;
  /** `auto`: when the request came over HTTPS (or a trusted proxy says it did). */
  readonly secure: boolean | 'auto';
  readonly httpOnly: boolean;
  /** CHIPS: the browser keeps a separate cookie per top-level site (implies Secure). */
  readonly partitioned: boolean;
}

export interface CookieSettings extends CookieAttributes {
  readonly name: string;
  /** Trust `X-Forwarded-Proto` from the proxy in front of this server. */
  readonly trustProxy: boolean;
  /** `Max-Age` of a new session's cookie, ms; `null`: a browser-session cookie. */
  readonly maxAgeMs: number | null;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The default session cookie of the application with the default `appKey`. */
export const DEFAULT_COOKIE_NAME = 'tessera.sid';

/**
 * The session cookie of an application: `tessera.<appKey>.sid`, and `tessera.sid`
 * for the default `appKey` (`app`). Each application on a server gets its own
 * cookie, so two applications served by one host with `Path=/` never overwrite
 * each other's; an `appKey` (letters, digits, `.`, `-`) is always a valid cookie name.
 */
export function sessionCookieName(appKey: string): string {
  return appKey === SESSION_DEFAULTS.appKey ? DEFAULT_COOKIE_NAME : `tessera.${appKey}.sid`;
}

/** True when `name` may be a cookie name. */
export function isCookieName(name: string): boolean {
  return TOKEN.test(name);
}

/**
 * Every value of cookie `name` in a `Cookie` header, in the order sent. A browser
 * sends a cookie twice when two of that name match the request (a stale one with
 * a more specific `Path` or another `Domain`): it puts the most specific path
 * first, which is not necessarily the one the server knows. Never throws.
 */
export function readCookies(header: string | undefined, name: string): string[] {
  const values: string[] = [];
  if (typeof header !== 'string' || header === '') return values;
  for (const pair of header.split(';')) {
    const separator = pair.indexOf('=');
    if (separator < 0 || pair.slice(0, separator).trim() !== name) continue;
    let value = pair.slice(separator + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    values.push(value);
  }
  return values;
}

/** True when the request reached the client's view over HTTPS. */
export function isSecureRequest(req: IncomingMessage, trustProxy: boolean): boolean {
  if ((req.socket as TLSSocket).encrypted) return true;
  if (!trustProxy) return false;
  const header = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

/** Browsers cap a cookie's lifetime at 400 days (RFC 6265bis). */
export const MAX_COOKIE_AGE_MS = 400 * 24 * 60 * 60_000;

/** Why `ms` cannot be a cookie's `maxAge`, or `undefined`. */
export function maxAgeProblem(ms: unknown): string | undefined {
  if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 1000 && ms <= MAX_COOKIE_AGE_MS)
    return undefined;
  return `must be a number of milliseconds from 1000 (one second) to ${MAX_COOKIE_AGE_MS} (400 days, the longest a browser keeps a cookie), or null for a browser-session cookie (got ${String(ms)}).`;
}

/**
 * What is wrong with the session cookie's name and attributes, or `undefined`. The
 * name prefixes are browser rules: a `__Secure-` cookie must be Secure, a `__Host-`
 * cookie Secure, for `Path=/` and without `Domain`; a browser drops the cookie
 * otherwise, and every request would start a new session.
 */
export function cookieProblem(name: string, attributes: CookieAttributes): string | undefined {
  const { path, domain, sameSite, secure, httpOnly, partitioned } = attributes;
  if (typeof path !== 'string' || !path.startsWith('/') || /[;\s]/.test(path))
    return `cookie.path "${String(path)}" must start with "/" and contain no ";" or space.`;
  if (domain !== undefined && (typeof domain !== 'string' || !/^[A-Za-z0-9.-]+$/.test(domain)))
    return `cookie.domain "${String(domain)}" is not a host name.`;
  if (!SAME_SITE_VALUES.includes(sameSite))
    return `cookie.sameSite must be one of ${SAME_SITE_VALUES.join(', ')}.`;
  if (secure !== 'auto' && typeof secure !== 'boolean') return 'cookie.secure must be true, false or "auto".';
  if (typeof httpOnly !== 'boolean') return 'cookie.httpOnly must be true or false.';
  if (typeof partitioned !== 'boolean') return 'cookie.partitioned must be true or false.';
  const prefix = name.startsWith('__Host-')
    ? '__Host-'
    : name.startsWith('__Secure-')
      ? '__Secure-'
      : undefined;
  if (prefix === undefined) return undefined;
  if (secure !== true)
    return `cookie.secure must be true for the cookie name "${name}": browsers refuse a ${prefix} cookie that is not Secure (and "auto" omits Secure over plain HTTP). Set cookie.secure: true, or choose a name without the prefix.`;
  if (prefix === '__Host-' && (path !== '/' || domain !== undefined))
    return `cookie.path must be "/" and cookie.domain unset for the cookie name "${name}": browsers refuse a __Host- cookie otherwise. Remove the path and domain, or choose a name without the prefix.`;
  return undefined;
}

/**
 * `Set-Cookie` value that gives the client session id `id`: a browser-session
 * cookie, or with `maxAgeMs` a persistent one (`Max-Age` and `Expires`).
 */
export function sessionCookie(
  name: string,
  id: string,
  attributes: CookieAttributes,
  secureRequest: boolean,
  maxAgeMs: number | null,
): string {
  const list = [`${name}=${id}`, ...attributeList(attributes, secureRequest)];
  if (maxAgeMs !== null) {
    const seconds = Math.max(0, Math.floor(maxAgeMs / 1000));
    list.push(`Max-Age=${seconds}`, `Expires=${new Date(Date.now() + seconds * 1000).toUTCString()}`);
  }
  return list.join('; ');
}

/** `Set-Cookie` value that removes the cookie (after abandon). */
export function clearedCookie(name: string, attributes: CookieAttributes, secureRequest: boolean): string {
  return [
    `${name}=`,
    ...attributeList(attributes, secureRequest),
    'Expires=Thu, 01 Jan 1970 00:00:00 GMT',
    'Max-Age=0',
  ].join('; ');
}

function attributeList(attributes: CookieAttributes, secureRequest: boolean): string[] {
  const list = [`Path=${attributes.path}`];
  if (attributes.domain) list.push(`Domain=${attributes.domain}`);
  if (attributes.httpOnly) list.push('HttpOnly');
  list.push(`SameSite=${attributes.sameSite}`);
  // Browsers refuse SameSite=None and Partitioned without Secure.
  const { secure } = attributes;
  if (
    secure === true ||
    (secure === 'auto' && secureRequest) ||
    attributes.sameSite === 'None' ||
    attributes.partitioned
  )
    list.push('Secure');
  if (attributes.partitioned) list.push('Partitioned');
  return list;
}
