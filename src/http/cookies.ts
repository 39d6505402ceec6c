/**
 * The session cookie: reading it from a `Cookie` header, writing `Set-Cookie`.
 * Only what the session needs (RFC 6265 name/value pairs), no dependency.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { SESSION_DEFAULTS } from '../session/index.ts';

export const SAME_SITE_VALUES = ['Lax', 'Strict', 'None'] as const;
export type SameSite = (typeof SAME_SITE_VALUES)[number];

export interface CookieSettings {
  readonly name: string;
  readonly path: string;
  readonly domain: string | undefined;
  readonly sameSite: SameSite;
  /** `auto`: when the request came over HTTPS (or a trusted proxy says it did). */
  readonly secure: boolean | 'auto';
  /** Trust `X-Forwarded-Proto` from the proxy in front of this server. */
  readonly trustProxy: boolean;
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

/** `Set-Cookie` value that gives the client session id `id` (a browser-session cookie: expiry is kept by the store). */
export function sessionCookie(settings: CookieSettings, id: string, secure: boolean): string {
  return [`${settings.name}=${id}`, ...attributes(settings, secure)].join('; ');
}

/** `Set-Cookie` value that removes the cookie (after abandon). */
export function clearedCookie(settings: CookieSettings, secure: boolean): string {
  return [
    `${settings.name}=`,
    ...attributes(settings, secure),
    'Expires=Thu, 01 Jan 1970 00:00:00 GMT',
    'Max-Age=0',
  ].join('; ');
}

function attributes(settings: CookieSettings, secure: boolean): string[] {
  const list = [`Path=${settings.path}`];
  if (settings.domain) list.push(`Domain=${settings.domain}`);
  list.push('HttpOnly', `SameSite=${settings.sameSite}`);
  // Browsers refuse SameSite=None without Secure.
  if (settings.secure === true || (settings.secure === 'auto' && secure) || settings.sameSite === 'None')
    list.push('Secure');
  return list;
}
