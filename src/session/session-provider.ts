/**
 * The contract between the session engine and a store. The memory and Redis
 * providers implement it, the platform database provider will; nothing else of a
 * provider is visible to the engine.
 *
 * A session is three things under one key: its items (each serialized as JSON by
 * the engine; providers store strings and never parse them), its internal record
 * (timeout, creation time, absolute expiry, version) and its write lock (a random
 * token and the time it was taken). Every operation below is atomic: another
 * request, on this front-end server or another, sees the session either before or
 * after it, never half-way.
 *
 * Time: expiry and lock ages are measured on the store's clock (the Redis server's,
 * the database's, this process's for memory), never on the clocks of the front-end
 * servers, which may disagree.
 *
 * Failures: when the store cannot be reached or does not answer in time, every
 * method rejects with a `SessionError` whose code is `TESSERA_SESSION_STORE_UNAVAILABLE`
 * and writes nothing; it never waits for the store to come back. Outcomes that are
 * part of normal operation (missing, locked, lock lost) are results, not errors.
 */

/** Which session: the application's key and the session id. Neither contains `{` or `}`. */
export interface SessionKey {
  readonly appKey: string;
  readonly id: string;
}

/** A session as stored. */
export interface StoredSession {
  /** Each item's serialized JSON, by item name. */
  readonly items: ReadonlyMap<string, string>;
  /** Sliding expiry of this session, in minutes (may be fractional). */
  readonly timeoutMinutes: number;
  /** When the session was created, epoch ms on the store's clock. */
  readonly createdAtMs: number;
  /** When the session ends whatever its activity, epoch ms on the store's clock; `null`: never. */
  readonly absoluteExpiresAtMs: number | null;
  /** Starts at 1 and grows by one with every save; tells whether anyone saved since a load. */
  readonly version: number;
}

/** The outcome of `loadExclusive`. */
export type ExclusiveLoad =
  /** The lock is now held with the caller's token. `tookOverLockAgedMs`: the age of a stale lock taken over, else `null`. */
  | { readonly state: 'loaded'; readonly session: StoredSession; readonly tookOverLockAgedMs: number | null }
  /** Another token holds the lock; it is `lockAgeMs` old. Nothing changed. */
  | { readonly state: 'locked'; readonly lockAgeMs: number }
  /** No such session (never existed, expired or abandoned). Nothing changed. */
  | { readonly state: 'missing' };

/** The outcome of `loadReadOnly`. */
export type ReadOnlyLoad =
  | { readonly state: 'loaded'; readonly session: StoredSession }
  | { readonly state: 'missing' };

/**
 * Who a session belongs to, as the application named it (at sign-in), with where
 * that happened. The store keeps an index from each principal to its sessions.
 */
export interface SessionPrincipal {
  /** The application's name for the user (`alice`, an e-mail, a user id). */
  readonly name: string;
  /** The front-end server that served the request which set the principal. */
  readonly frontEnd: string | null;
  /** That request's `User-Agent`, when it had one. */
  readonly userAgent: string | null;
}

/** One session of a principal, as `listByPrincipal` returns it. */
export interface PrincipalSessionRecord {
  readonly id: string;
  /** Epoch ms on the store's clock. */
  readonly createdAtMs: number;
  /**
   * When the session was last used (loaded, saved or touched), epoch ms on the store's
   * clock, derived from its expiry; `null` once its absolute expiry caps the sliding one
   * (the last use can then no longer be told).
   */
  readonly lastAccessAtMs: number | null;
  /** When the session ends if unused, epoch ms on the store's clock. */
  readonly expiresAtMs: number;
  readonly frontEnd: string | null;
  readonly userAgent: string | null;
}

/** A session to create. */
export interface NewSession {
  readonly items: ReadonlyMap<string, string>;
  readonly timeoutMinutes: number;
  /** Lifetime from now (store clock) after which the session ends; `null`: none. */
  readonly absoluteLifetimeMs: number | null;
  /** The session's principal; absent or `null`: none. */
  readonly principal?: SessionPrincipal | null | undefined;
}

/** What a save changes; items not named are left as they are in the store. */
export interface SessionChanges {
  /** Items to write (added or changed), serialized. */
  readonly set: ReadonlyMap<string, string>;
  /** Items to delete. */
  readonly remove: readonly string[];
  /** A new sliding timeout to persist, when it changed. */
  readonly timeoutMinutes?: number | undefined;
  /** A new principal (`null`: the session no longer has one); absent: unchanged. */
  readonly principal?: SessionPrincipal | null | undefined;
}

/** When a save may happen and what it does to the lock. */
export interface SaveCondition {
  /**
   * The token the caller locked the session with, or `null` for a request that holds
   * no lock (mode `none`), which then writes only its changes over whatever is stored.
   */
  readonly lockToken: string | null;
  /**
   * With a `lockToken`: the version the caller loaded. When the caller's lock has
   * expired but nobody took it (the version is unchanged), the save still happens.
   */
  readonly expectedVersion: number | null;
  /** Release the lock in the same atomic step (the end of a request). */
  readonly releaseLock: boolean;
}

/** The outcome of `save`. */
export type SaveResult =
  | { readonly state: 'saved'; readonly version: number }
  /** The session no longer exists (abandoned or expired): nothing was written, and it stays gone. */
  | { readonly state: 'missing' }
  /** Another request took the lock over (or saved after the caller's lock expired): nothing was written. */
  | { readonly state: 'lock-lost' };

/**
 * The lock a `create` or `regenerate` takes with the session: held by `lockToken`
 * (`null`: a request that holds no lock, mode `none`) for at most `lockTimeoutMs`
 * on the store's clock, after which it ends by itself.
 */
export interface LockRequest {
  readonly lockToken: string | null;
  readonly lockTimeoutMs: number;
}

/** The outcome of `regenerate`. */
export type RegenerateResult = 'regenerated' | 'missing' | 'lock-lost' | 'exists';

/** Signals releases of one session's lock to one waiting request. */
export interface LockWatch {
  /**
   * Resolves when the lock was released (saved and released, released, abandoned)
   * since the watch was opened or since the previous `wait` resolved, or after
   * `timeoutMs` in any case. A release is signalled to one waiting request at a
   * time, the longest waiting first (all of them when the session is gone), and may
   * be signalled spuriously (another server's waiter got the lock first); the
   * caller loads again either way. Resolves with the session instead when a
   * request of this server handed its lock over to this watch (see `watchLock`):
   * the caller then holds the lock with its token, and need not load. Rejects with
   * the signal's reason when `signal` aborts.
   */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<StoredSession | undefined>;
  /**
   * Stops watching. Idempotent. Say `lockAcquired` when the caller took the lock:
   * otherwise a release signalled to this watch is passed on to the next waiter,
   * so that it is not lost with a caller that gave up.
   */
  close(options?: { readonly lockAcquired?: boolean }): void;
  /**
   * True when a release is sure to reach this watch without the caller loading
   * again first: other requests of this front-end server already waited when it
   * opened (a release since the caller's last load reached one of them, and each
   * passes a wake on when it leaves without the lock), or this server holds the
   * lock (its release wakes a waiter here). Absent: false.
   */
  readonly joined?: boolean;
}

export interface SessionProvider {
  /** A short name for messages and diagnostics (`memory`, `redis`, `database`). */
  readonly name: string;

  /**
   * In one atomic step: takes the session's lock with `lockToken` (for at most
   * `lockTimeoutMs` on the store's clock; the lock then ends by itself), slides the
   * expiry (the session now ends `timeoutMinutes` from now, or at its absolute
   * expiry if sooner) and returns the session. A lock held by another token is
   * taken over when it is at least `lockTimeoutMs` old. A session past its absolute
   * expiry is deleted and reported missing.
   */
  loadExclusive(
    key: SessionKey,
    lockToken: string,
    options: Pick<LockRequest, 'lockTimeoutMs'>,
  ): Promise<ExclusiveLoad>;

  /**
   * Returns the session without taking or waiting for its lock, and slides its
   * expiry (the only write a read-only request causes; items are never written).
   * While another request holds the lock, this returns the last saved state.
   */
  loadReadOnly(key: SessionKey): Promise<ReadOnlyLoad>;

  /**
   * Opens a watch on the session's lock, to wait for its release after
   * `loadExclusive` answered `locked`. Open the watch, then load again before the
   * first `wait`: a release between the two loads is then never missed.
   * Rejects with `TESSERA_SESSION_TOO_MANY_WAITERS` when the provider's cap of
   * waiting requests for this session is reached (on this front-end server).
   *
   * With `handOver` (the caller's lock token and lock timeout), the provider may
   * hand the lock over: a request of this server that releases the lock (saved or
   * not) gives it, in the same atomic step, to the longest waiting such watch, whose
   * `wait` then resolves with the session as that release left it. A provider that
   * does so bounds how many times in a row, so that other servers' waiters get
   * their turn.
   */
  watchLock(
    key: SessionKey,
    handOver?: { readonly lockToken: string; readonly lockTimeoutMs: number },
  ): Promise<LockWatch>;

  /**
   * Optional. True when this front-end server holds the session's lock with
   * another token than `lockToken` (a request reloading its session holds it
   * itself), or has requests waiting for it: a new request then opens its watch first and, when a
   * release is sure to reach it (`LockWatch.joined`), waits without loading (it
   * would find the session locked); it loads when woken, or at `lockPollMs`.
   */
  isBusy?(key: SessionKey, lockToken: string): boolean;

  /**
   * Creates the session if no session has this id, with version 1 and the
   * store's current time as creation time; with `lockToken`, the lock is taken too.
   * Returns `exists` (and writes nothing) when the id is taken.
   */
  create(
    key: SessionKey,
    session: NewSession,
    options: LockRequest,
  ): Promise<{ readonly state: 'created'; readonly version: number } | { readonly state: 'exists' }>;

  /**
   * Applies `changes` and slides the expiry, in one atomic step, only when the
   * session still exists and (with a lock token) the caller still holds its lock;
   * otherwise writes nothing. An abandoned session therefore stays abandoned, and a
   * request whose lock was taken over cannot overwrite the newer holder's work.
   * Bumps the version. With `releaseLock`, releases the lock and wakes its waiters.
   * Saving no change is allowed (it slides the expiry and bumps the version).
   */
  save(key: SessionKey, changes: SessionChanges, condition: SaveCondition): Promise<SaveResult>;

  /**
   * Releases the lock if `lockToken` still holds it, and wakes its waiters; otherwise
   * does nothing. Callers may release a token that never got the lock. When the
   * store cannot be reached, rejects with `TESSERA_SESSION_STORE_UNAVAILABLE`, and a
   * provider whose store outlives an outage (Redis) retries the release in the
   * background until the store answers: a lock left by a request that Redis went
   * away under then ends when Redis is back, not after the whole request timeout.
   */
  release(key: SessionKey, lockToken: string): Promise<void>;

  /** Slides the expiry without loading. False when the session does not exist. */
  touch(key: SessionKey): Promise<boolean>;

  /**
   * Deletes the session, its items and its lock for good, whoever holds the lock,
   * and wakes its waiters (who then find it missing). Later saves of requests that
   * loaded it find it missing and write nothing.
   */
  abandon(key: SessionKey): Promise<void>;

  /**
   * Moves the session to `newId`, keeping its items, principal, creation time,
   * absolute expiry and remaining lifetime, and removes the old id, so the old id never works again.
   * With `lockToken`, only while that token holds the old session's lock, and the
   * new session is locked with the same token. Other requests never see both ids
   * or a partial session under the new id. (A store that cannot change two keys in
   * one step — Redis Cluster puts them in different slots — removes the old id
   * first: a failure in between loses the session rather than keeping the old id.)
   */
  regenerate(key: SessionKey, newId: string, options: LockRequest): Promise<RegenerateResult>;

  /**
   * The ids of the application's sessions, in pages of about `pageSize` ids (a page
   * may be empty; a Redis page is one `SCAN … COUNT pageSize` on one primary). For
   * administration (express-session's `all`, `length`, `clear`), not for requests:
   * the cost grows with everything the store holds, not with the application's
   * sessions — memory walks every session of the process, Redis scans every key of
   * every primary (every node of a cluster), `pageSize` keys per round trip.
   *
   * Not atomic, not a snapshot: a session that exists for the whole walk is listed
   * at least once (it may be listed twice; Redis may miss one moved by a cluster
   * resharding during the walk); one created or ended during the walk may or may not
   * be. Expired sessions are not listed once the store has removed them. Abandoning
   * the listed sessions while walking is allowed. Changes nothing (no expiry slides). Only this application's sessions are listed: an
   * appKey never contains the `_` that separates it from the id.
   */
  listIds(appKey: string, options: { readonly pageSize: number }): AsyncIterable<readonly string[]>;

  /**
   * Returns the session as `loadReadOnly` does, but slides nothing: an
   * administrative read (listing every session) must not keep sessions alive.
   */
  peek(key: SessionKey): Promise<ReadOnlyLoad>;

  /**
   * The live sessions of this application whose principal is `principal` (as set
   * by `create` or `save`, and kept by `regenerate`), oldest first. Changes nothing
   * a session holds (no expiry slides).
   *
   * Complete: every session that had the principal before the call and still has it
   * is listed — so abandoning each listed session logs the principal out everywhere.
   * A session whose principal is set or cleared during the call may or may not be.
   * The index behind it may hold stale entries (sessions that ended, or whose
   * principal changed); they are never listed, and a provider whose index can go
   * stale (Redis) removes the ones it meets here.
   */
  listByPrincipal(appKey: string, principal: string): Promise<PrincipalSessionRecord[]>;

  /** Stops timers and closes connections the provider owns. */
  close(): Promise<void>;
}
