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

/**
 * 128 random bits drawn once per process: every lock token of this process starts
 * with them, so no other process can produce or guess one.
 */
const LOCK_TOKEN_PREFIX = randomBytes(16).toString('base64url');
let lockTokens = 0;

/**
 * A lock token: proves which request holds a session's lock. The per-process random
 * prefix and a counter make it unique and unguessable, as a lock owner's token needs
 * to be (it is never shown to a client), without drawing random bytes per request.
 */
export function newLockToken(): string {
  lockTokens += 1;
  return `${LOCK_TOKEN_PREFIX}${lockTokens.toString(36)}`;
}
