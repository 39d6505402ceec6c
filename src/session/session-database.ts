/**
 * The part of the platform database the Database session provider uses, typed
 * structurally (as `RedisConnection` is for Redis): the platform layer owns the
 * real connection, the schema and its migrations, and hands the provider an object
 * of this shape. The provider brings its own statements (`database-statements.ts`),
 * as the Redis provider brings its Lua scripts.
 *
 * Failures: a database that cannot serve now (unreachable, read-only, full, locked
 * beyond its busy timeout, a schema newer than this Tessera) rejects with an error
 * whose `code` starts with `TESSERA_PLATFORM_`; the statement was then not applied,
 * and the provider answers `TESSERA_SESSION_STORE_UNAVAILABLE`. The one exception is
 * `TESSERA_PLATFORM_NO_ANSWER`: the statement was sent and the connection ended
 * before its answer came, so it may have been applied; a write that fails so is
 * `TESSERA_SESSION_OUTCOME_UNKNOWN`. Anything else is a bug and passes through.
 */

/**
 * The first key of the advisory locks that mark a notification channel as listened
 * to (the second is `hashtext(channel)`); a number of its own, so that these locks
 * never meet another use of two-key advisory locks.
 */
export const LISTENED_CHANNEL_LOCK_CLASS = 0x7e55e4a;

/** A value bound to a statement parameter. */
export type SqlValue = string | number | null;

/** One row of a result, by column name. Integers arrive as numbers on both engines. */
export type SqlRow = Readonly<Record<string, unknown>>;

/** Runs one statement; `$1`, `$2`… are its parameters (a number may appear several times). */
export type SqlQuery = (sql: string, params: readonly SqlValue[]) => Promise<readonly SqlRow[]>;

export interface SessionDatabase {
  /** Which SQL the statements must be written in. */
  readonly dialect: 'sqlite' | 'postgres';
  /** Names the database for messages (a file path, or user@host:port/database), never a password. */
  readonly description: string;
  /** One statement in its own transaction: one round trip. */
  readonly query: SqlQuery;
  /**
   * Runs `work` in one write transaction: on SQLite `BEGIN IMMEDIATE` (the write
   * lock is taken first, so two processes never deadlock upgrading a read), on
   * PostgreSQL `READ COMMITTED` with row locks taken by the statements. Commits when
   * `work` resolves, rolls back when it rejects.
   */
  transaction<T>(work: (query: SqlQuery) => Promise<T>): Promise<T>;
  /**
   * PostgreSQL only: listens on a notification channel (`pg_notify`); resolves, once
   * listening, to a function that stops. Rejects when the listening connection
   * cannot be had; the caller then relies on its own polling.
   *
   * While it listens, the channel is marked as listened to: the listening
   * connection holds the shared advisory lock (`LISTENED_CHANNEL_LOCK_CLASS`,
   * `hashtext(channel)`), taken after LISTEN and dropped before UNLISTEN (and with
   * the connection), so that a statement can notify only when someone listens.
   */
  readonly listen?: (channel: string, onNotify: (payload: string) => void) => Promise<() => Promise<void>>;
}
