/**
 * The secrets of a console's browser session: random tokens, their constant-time
 * comparison, the CSRF header every change carries, and reading a cookie. Both
 * consoles (the Configuration Tool and Service Center) decide access with these.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_BYTES = 32;

/** The header in which a page sends its CSRF token with every change. */
export const CSRF_HEADER = 'x-tessera-csrf';

/** A fresh secret: 32 random bytes, base64url. */
export function randomToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** A nonce for a page's Content-Security-Policy (one per response). */
export function pageNonce(): string {
  return randomBytes(16).toString('base64');
}

/** Compares two secrets in constant time (for equal lengths). */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The first value of a header that may be repeated. */
export function headerValue(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}

/** The value of cookie `name` in a `Cookie` header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}
