/**
 * A session's principal: the name under which the application knows its user, set
 * at sign-in (`req.session.setPrincipal('alice')`). Every provider keeps an index
 * from a principal to its sessions, so an application can list them and log the
 * user out everywhere (`PrincipalSessions`).
 */
import { hostname } from 'node:os';
import { SessionError } from './errors.ts';
import type { SessionPrincipal } from './session-provider.ts';

/** The longest principal name, in characters. */
export const MAX_PRINCIPAL_LENGTH = 256;
/** The longest `User-Agent` kept with a principal; a longer one is cut. */
export const MAX_USER_AGENT_LENGTH = 512;

/** `name` checked: a string of 1 to `MAX_PRINCIPAL_LENGTH` characters (`TESSERA_SESSION_PRINCIPAL`). */
export function checkPrincipalName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_PRINCIPAL_LENGTH) {
    const got = typeof name === 'string' ? `a string of ${name.length} characters` : typeof name;
    throw new SessionError(
      'TESSERA_SESSION_PRINCIPAL',
      `A session's principal must be a string of 1 to ${MAX_PRINCIPAL_LENGTH} characters naming the user (a user name, an e-mail, an id); it received ${got}. Pass the signed-in user's name, or null to clear it.`,
    );
  }
  return name;
}

/** The principal set by a request served here, with this front-end server's name and the request's user agent. */
export function principalOf(name: string, userAgent: string | undefined | null): SessionPrincipal {
  return {
    name: checkPrincipalName(name),
    frontEnd: hostname(),
    userAgent: userAgent ? userAgent.slice(0, MAX_USER_AGENT_LENGTH) : null,
  };
}

/**
 * When a session was last used, from when it ends if unused: its sliding expiry
 * minus its timeout, unless its absolute expiry ends it sooner (then unknown).
 */
export function lastAccessAtMs(
  expiresAtMs: number,
  timeoutMinutes: number,
  absoluteExpiresAtMs: number | null,
): number | null {
  if (absoluteExpiresAtMs !== null && expiresAtMs >= absoluteExpiresAtMs) return null;
  return Math.round(expiresAtMs - timeoutMinutes * 60_000);
}
