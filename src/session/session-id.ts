import { randomBytes } from 'node:crypto';

/** Bytes of CSPRNG output in a session id: 144 bits, 24 base64url characters. */
const SESSION_ID_BYTES = 18;
const SESSION_ID = /^[A-Za-z0-9_-]{24}$/;

/** A new session id: 144 bits from the operating system's CSPRNG, base64url. */
export function newSessionId(): string {
  return randomBytes(SESSION_ID_BYTES).toString('base64url');
}

/** True when `value` has the shape of an id this engine issues (a cookie is checked before any store call). */
export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID.test(value);
}

/** A random lock token (128 bits): proves which request holds a session's lock. */
export function newLockToken(): string {
  return randomBytes(16).toString('base64url');
}
