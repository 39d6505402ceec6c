import { layerError } from '../errors.ts';

/** Stable codes of the session layer. Listed in docs/errors.md. */
export const SESSION_ERROR_CODES = [
  'TESSERA_SESSION_OPTIONS',
  'TESSERA_SESSION_STORE_UNAVAILABLE',
  'TESSERA_SESSION_ITEM_NOT_SERIALIZABLE',
  'TESSERA_SESSION_ITEM_CORRUPT',
  'TESSERA_SESSION_ITEM_NAME',
  'TESSERA_SESSION_READ_ONLY',
  'TESSERA_SESSION_TOO_MANY_WAITERS',
  'TESSERA_SESSION_LOCK_WAIT_TIMEOUT',
  'TESSERA_SESSION_LOCK_LOST',
  'TESSERA_SESSION_MEMORY_LIMIT',
  'TESSERA_SESSION_ABANDONED',
  'TESSERA_SESSION_ID_COLLISION',
  'TESSERA_SESSION_TOO_LARGE',
  'TESSERA_SESSION_OUTCOME_UNKNOWN',
  'TESSERA_SESSION_PRINCIPAL',
] as const;
export type SessionErrorCode = (typeof SESSION_ERROR_CODES)[number];

/** Codes that mean "the store cannot serve now, try again shortly" (HTTP 503). */
export const SESSION_RETRYABLE_CODES: readonly SessionErrorCode[] = [
  'TESSERA_SESSION_STORE_UNAVAILABLE',
  'TESSERA_SESSION_TOO_MANY_WAITERS',
  'TESSERA_SESSION_LOCK_WAIT_TIMEOUT',
];

/**
 * A problem with a session: the store cannot be reached, an item cannot be written
 * or read back, a lock cannot be had. Messages name the item and the setting, never
 * a session id or a value.
 */
export class SessionError extends layerError<SessionErrorCode>('SessionError') {
  /** True when the request may succeed if retried shortly (store down, lock contention). */
  get retryable(): boolean {
    return SESSION_RETRYABLE_CODES.includes(this.code);
  }
}

/**
 * Wraps a failure of the store's transport (connection refused, not connected) as
 * `STORE_UNAVAILABLE`: the store never received the operation, so nothing was
 * written and the request can be retried as it is.
 */
export function storeUnavailable(provider: string, operation: string, cause: unknown): SessionError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new SessionError(
    'TESSERA_SESSION_STORE_UNAVAILABLE',
    `The ${provider} session store could not ${operation}: ${reason} Nothing was written; the request can be retried once the store serves again.`,
    { cause },
  );
}

/**
 * Whether a store call changes the session: a write whose answer is lost has an
 * unknown outcome (`outcomeUnknown`); a read's is only unavailable.
 */
export interface Effect {
  readonly writes: boolean;
}
export const READS: Effect = { writes: false };
export const WRITES: Effect = { writes: true };

/**
 * A write that was sent but never answered (timeout, connection cut mid-reply) as
 * `OUTCOME_UNKNOWN`: the store may have applied it, or may still. Retrying the
 * request blindly could apply its change twice.
 */
export function outcomeUnknown(provider: string, operation: string, cause: unknown): SessionError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new SessionError(
    'TESSERA_SESSION_OUTCOME_UNKNOWN',
    `The ${provider} session store did not answer when asked to ${operation} (${reason}): it may or may not have done it. Before repeating a change that must not happen twice, load the session again (a new request) and check whether it is there.`,
    { cause },
  );
}

/** A request in mode `readonly` tried to `action` (change its session). */
export function readOnlySession(action: string): SessionError {
  return new SessionError(
    'TESSERA_SESSION_READ_ONLY',
    `This request uses its session in mode "readonly" and cannot ${action}. Use mode "exclusive" or "none" for requests that change the session.`,
  );
}

/** A request tried to `action` after it abandoned its session. */
export function sessionAbandoned(action: string): SessionError {
  return new SessionError(
    'TESSERA_SESSION_ABANDONED',
    `The session was abandoned; this request cannot ${action}. The next request starts a new session.`,
  );
}

/** A request held the lock past `requestTimeoutMs` and another took it over before it could `action`. */
export function lockLost(action: string, requestTimeoutMs: number): SessionError {
  return new SessionError(
    'TESSERA_SESSION_LOCK_LOST',
    `Could not ${action}: this request held the session's lock longer than requestTimeoutMs (${requestTimeoutMs} ms) and another request took it over. Nothing was written. Make the request faster or raise requestTimeoutMs.`,
  );
}

/** Three new session ids in a row were taken already. */
export function idCollision(): SessionError {
  return new SessionError(
    'TESSERA_SESSION_ID_COLLISION',
    'A newly generated session id was already in use, three times in a row. The random source is not random; check the platform CSPRNG.',
  );
}
