/**
 * Sessions in the platform database (SQLite or PostgreSQL), over a `SessionDatabase`
 * the platform layer hands in. Each operation is one statement of
 * `database-statements.ts`: loading locks, reads and slides the expiry in one round
 * trip; saving sends only the changed items and releases the lock in one more.
 * Regenerating an id is one short transaction.
 *
 * Waiting requests are woken at once by this process's own releases; releases by
 * other processes arrive as PostgreSQL notifications (`pg_notify` in the releasing
 * statement itself, sent only when a waiter marks the channel: see
 * `SessionDatabase.listen`), or, on SQLite, which has none, by re-reading the lock every
 * `crossProcessPollMs` while someone waits. Expired sessions are deleted by a
 * periodic sweep in bounded batches, one statement each, so requests are never
 * queued behind a long delete.
 */
import { createHash } from 'node:crypto';
import { hasErrorCode } from '../../errors.ts';
import { type Effect, READS, WRITES } from '../errors.ts';
import { LockWaiters, type ReleaseKind } from '../lock-waiters.ts';
import { optionTable, type ResolvedOptions, resolveOptions, wholeNumber } from '../option-checks.ts';
import { PendingReleases } from '../pending-releases.ts';
import { lastAccessAtMs } from '../principal.ts';
import type { SessionDatabase, SqlQuery, SqlRow, SqlValue } from '../session-database.ts';
import { emitSessionEvent } from '../session-events.ts';
import type {
  ExclusiveLoad,
  LockRequest,
  LockWatch,
  NewSession,
  PrincipalSessionRecord,
  ReadOnlyLoad,
  RegenerateResult,
  SaveCondition,
  SaveResult,
  SessionChanges,
  SessionKey,
  SessionProvider,
  StoredSession,
} from '../session-provider.ts';
import { type SessionStatements, sessionStatements } from './database-statements.ts';
import { SHARED_PROVIDER_OPTIONS, type SharedProviderOptions } from './provider-options.ts';
import { isStoreUnavailable, StoreCalls, type TransportFailures } from './store-calls.ts';

/** Options of the Database provider; an absent or `undefined` one takes its default. */
export interface DatabaseProviderOptions
  extends Pick<SharedProviderOptions, 'maxWaitersPerSession' | 'sweepIntervalMs' | 'closeTimeoutMs'> {
  /** The most sessions one sweep statement deletes (default 500); a sweep runs batches until none is left. */
  readonly sweepBatchSize?: number | undefined;
  /** SQLite: how often a waiting request re-reads the lock to see releases by other processes (default 50 ms). */
  readonly crossProcessPollMs?: number | undefined;
  /** Called with the connection's owner when the provider closes (the store closes the database). */
  readonly onClose?: (() => Promise<void>) | undefined;
}

/** The options a caller sets as values (`onClose` is the owner's hook, not a setting). */
export type DatabaseProviderSettings = Omit<DatabaseProviderOptions, 'onClose'>;

const DATABASE_PROVIDER_OPTIONS = optionTable({
  maxWaitersPerSession: SHARED_PROVIDER_OPTIONS.maxWaitersPerSession,
  sweepIntervalMs: SHARED_PROVIDER_OPTIONS.sweepIntervalMs,
  sweepBatchSize: { default: 500, kind: wholeNumber(1, 100_000, '') },
  crossProcessPollMs: { default: 50, kind: wholeNumber(1, 60_000, ' of milliseconds') },
  closeTimeoutMs: SHARED_PROVIDER_OPTIONS.closeTimeoutMs,
});
export const DATABASE_PROVIDER_DEFAULTS =
  DATABASE_PROVIDER_OPTIONS.defaults satisfies DatabaseProviderSettings;
export const DATABASE_PROVIDER_KINDS = DATABASE_PROVIDER_OPTIONS.kinds;

/** A lock found gone between a load that saw it and the probe: load again, at most this often. */
const LOAD_ATTEMPTS = 3;

export class DatabaseProvider implements SessionProvider {
  readonly name = 'database';
  readonly #database: SessionDatabase;
  readonly #calls: StoreCalls;
  readonly #sql: SessionStatements;
  readonly #waiters: LockWaiters;
  readonly #settings: ResolvedOptions<DatabaseProviderSettings>;
  readonly #onClose: (() => Promise<void>) | undefined;
  readonly #sweepTimer: NodeJS.Timeout;
  /** Locks whose release could not reach the database: released once it can be. */
  readonly #pendingReleases = new PendingReleases({
    release: (key, lockToken) => this.#release(key, lockToken),
    isAway: isStoreUnavailable,
  });
  #sweeping: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #closed = false;

  constructor(database: SessionDatabase, options: DatabaseProviderOptions = {}) {
    this.#database = database;
    this.#calls = new StoreCalls(`${this.name} (${database.description})`, DATABASE_FAILURES);
    this.#sql = sessionStatements(database.dialect);
    // `onClose` is the owner's hook; the rest are settings, checked (a non-object is refused there).
    const isObject = typeof options === 'object' && options !== null;
    const { onClose, ...settings } = isObject ? options : {};
    const defaults: ResolvedOptions<DatabaseProviderSettings> = DATABASE_PROVIDER_DEFAULTS;
    this.#settings = resolveOptions(
      'The Database session store',
      defaults,
      DATABASE_PROVIDER_KINDS,
      isObject ? settings : options,
    );
    this.#onClose = onClose;
    this.#waiters = new LockWaiters({
      maxPerSession: this.#settings.maxWaitersPerSession,
      listen: (tag, onRelease) => this.#listen(tag, onRelease),
    });
    this.#sweepTimer = setInterval(() => void this.sweep().catch(() => {}), this.#settings.sweepIntervalMs);
    this.#sweepTimer.unref();
  }

  async loadExclusive(
    key: SessionKey,
    lockToken: string,
    options: Pick<LockRequest, 'lockTimeoutMs'>,
  ): Promise<ExclusiveLoad> {
    for (let attempt = 1; ; attempt++) {
      const [row] = await this.#query('load', this.#sql.loadExclusive, [
        key.appKey,
        key.id,
        lockToken,
        Math.ceil(options.lockTimeoutMs),
      ]).catch((error: unknown) => {
        // The statement may have taken the lock and only its answer been lost:
        // release what the token may hold rather than leave the session locked for
        // the request timeout. Not when the statement was refused.
        if (this.#calls.mayHaveRun(error)) this.release(key, lockToken).catch(() => {});
        throw error;
      });
      if (row) {
        const took = row.lock_took_over_age_ms;
        return {
          state: 'loaded',
          session: toSession(row),
          tookOverLockAgedMs: took == null ? null : Number(took),
        };
      }
      const [probe] = await this.#query('load', this.#sql.probe, [key.appKey, key.id]);
      if (!probe) return { state: 'missing' };
      const lockedByOther =
        probe.lock_token !== null && probe.lock_token !== lockToken && Number(probe.lock_live) === 1;
      // The lock was released between the two statements: load again.
      if (lockedByOther || attempt === LOAD_ATTEMPTS)
        return { state: 'locked', lockAgeMs: Math.max(0, Number(probe.lock_age_ms ?? 0)) };
    }
  }

  async loadReadOnly(key: SessionKey): Promise<ReadOnlyLoad> {
    const [row] = await this.#query('load', this.#sql.loadReadOnly, [key.appKey, key.id]);
    return row ? { state: 'loaded', session: toSession(row) } : { state: 'missing' };
  }

  async peek(key: SessionKey): Promise<ReadOnlyLoad> {
    const [row] = await this.#query('read the session', this.#sql.peek, [key.appKey, key.id]);
    return row ? { state: 'loaded', session: toSession(row) } : { state: 'missing' };
  }

  /** Pages of `pageSize` ids in id order, each one indexed statement; only this application's rows are read. */
  async *listIds(appKey: string, options: { readonly pageSize: number }): AsyncIterable<readonly string[]> {
    let after = '';
    while (true) {
      const rows = await this.#query('list the sessions', this.#sql.listIds, [
        appKey,
        after,
        options.pageSize,
      ]);
      const ids = rows.map((row) => String(row.id));
      if (ids.length > 0) yield ids;
      if (ids.length < options.pageSize) return;
      after = ids[ids.length - 1]!;
    }
  }

  async listByPrincipal(appKey: string, principal: string): Promise<PrincipalSessionRecord[]> {
    const rows = await this.#query('list the principal', this.#sql.listByPrincipal, [appKey, principal]);
    return rows.map((row) => {
      const expiresAtMs = Number(row.expires_at_ms);
      const absolute = row.absolute_expires_at_ms == null ? null : Number(row.absolute_expires_at_ms);
      return {
        id: String(row.id),
        createdAtMs: Number(row.created_at_ms),
        lastAccessAtMs: lastAccessAtMs(expiresAtMs, Number(row.timeout_minutes), absolute),
        expiresAtMs,
        frontEnd: row.principal_front_end == null ? null : String(row.principal_front_end),
        userAgent: row.principal_user_agent == null ? null : String(row.principal_user_agent),
      };
    });
  }

  watchLock(key: SessionKey): Promise<LockWatch> {
    return this.#waiters.watch(tagOf(key));
  }

  async create(
    key: SessionKey,
    session: NewSession,
    options: LockRequest,
  ): Promise<{ state: 'created'; version: number } | { state: 'exists' }> {
    const rows = await this.#query(
      'create the session',
      this.#sql.create,
      [
        key.appKey,
        key.id,
        JSON.stringify(Object.fromEntries(session.items)),
        session.timeoutMinutes,
        session.absoluteLifetimeMs === null ? null : Math.round(session.absoluteLifetimeMs),
        options.lockToken,
        Math.ceil(options.lockTimeoutMs),
        session.principal?.name ?? null,
        session.principal?.frontEnd ?? null,
        session.principal?.userAgent ?? null,
      ],
      WRITES,
    );
    return rows[0] ? { state: 'created', version: Number(rows[0].version) } : { state: 'exists' };
  }

  async save(key: SessionKey, changes: SessionChanges, condition: SaveCondition): Promise<SaveResult> {
    const patch: Record<string, string | null> = Object.fromEntries(changes.set);
    for (const name of changes.remove) if (!changes.set.has(name)) patch[name] = null;
    const [row] = await this.#query(
      'save',
      this.#sql.save,
      [
        key.appKey,
        key.id,
        JSON.stringify(patch),
        changes.timeoutMinutes ?? null,
        condition.lockToken,
        condition.expectedVersion,
        condition.releaseLock ? 1 : 0,
        channelOf(key),
        changes.principal === undefined ? 0 : 1,
        changes.principal?.name ?? null,
        changes.principal?.frontEnd ?? null,
        changes.principal?.userAgent ?? null,
      ],
      WRITES,
    );
    if (row) {
      if (condition.releaseLock && condition.lockToken !== null) this.#waiters.wake(tagOf(key));
      return { state: 'saved', version: Number(row.version) };
    }
    const [probe] = await this.#query('save', this.#sql.probe, [key.appKey, key.id]);
    return { state: probe ? 'lock-lost' : 'missing' };
  }

  /**
   * Releases the lock. When the database cannot be reached (it went away while the
   * request held the lock), the release is also kept and retried in the background
   * until it answers: a lock left behind by an outage would otherwise block its
   * session for the whole request timeout after the database is back. Retrying is
   * safe: the statement releases only a lock that this token still holds.
   */
  async release(key: SessionKey, lockToken: string): Promise<void> {
    try {
      await this.#release(key, lockToken);
    } catch (error) {
      if (isStoreUnavailable(error)) this.#pendingReleases.add(key, lockToken);
      throw error;
    }
  }

  async #release(key: SessionKey, lockToken: string): Promise<void> {
    const rows = await this.#query('release the lock', this.#sql.release, [
      key.appKey,
      key.id,
      lockToken,
      channelOf(key),
    ]);
    if (rows.length > 0) this.#waiters.wake(tagOf(key));
  }

  async touch(key: SessionKey): Promise<boolean> {
    const rows = await this.#query('touch', this.#sql.touch, [key.appKey, key.id]);
    return rows.length > 0;
  }

  /** Locks whose release is waiting for the database to come back (for tests and diagnostics). */
  get pendingReleases(): number {
    return this.#pendingReleases.size;
  }

  async abandon(key: SessionKey): Promise<void> {
    await this.#query('abandon the session', this.#sql.abandon, [key.appKey, key.id, channelOf(key)], WRITES);
    this.#waiters.wakeAll(tagOf(key));
  }

  async regenerate(key: SessionKey, newId: string, options: LockRequest): Promise<RegenerateResult> {
    const sql = this.#sql;
    const result = await this.#calls.run(
      'regenerate the id',
      () =>
        this.#database.transaction(async (query: SqlQuery): Promise<RegenerateResult> => {
          const [old] = await query(sql.regenerateRead, [key.appKey, key.id]);
          if (!old) return 'missing';
          if (options.lockToken !== null && old.lock_token !== options.lockToken) return 'lock-lost';
          await query(sql.regenerateClear, [key.appKey, newId]);
          if ((await query(sql.regenerateTaken, [key.appKey, newId])).length > 0) return 'exists';
          await query(sql.regenerateMove, [
            key.appKey,
            key.id,
            newId,
            options.lockToken,
            Math.ceil(options.lockTimeoutMs),
            channelOf(key),
          ]);
          return 'regenerated';
        }),
      WRITES,
    );
    if (result === 'regenerated') this.#waiters.wakeAll(tagOf(key));
    return result;
  }

  /**
   * Deletes expired sessions, `sweepBatchSize` per statement, until none is left.
   * Runs by itself every `sweepIntervalMs`; one sweep at a time.
   */
  sweep(): Promise<void> {
    this.#sweeping ??= (async () => {
      try {
        const batch = this.#settings.sweepBatchSize;
        while (!this.#closed) {
          const deleted = await this.#query('sweep expired sessions', this.#sql.sweep, [batch]);
          for (const row of deleted)
            emitSessionEvent(this, 'expired', { appKey: String(row.app_key), id: String(row.id) });
          if (deleted.length < batch) break;
          // Let waiting requests' statements run between batches.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      } finally {
        this.#sweeping = undefined;
      }
    })();
    return this.#sweeping;
  }

  /**
   * Stops the sweep, releases the locks still waiting for the database (for at most
   * `closeTimeoutMs`), then calls `onClose` (the store closes the database). A lock
   * dropped here would keep its session locked until the request timeout after the
   * database is back. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweepTimer);
    await this.#sweeping?.catch(() => {});
    await this.#pendingReleases.close(this.#settings.closeTimeoutMs);
    await this.#onClose?.();
  }

  /** Remote releases: PostgreSQL notifications, or on SQLite a poll of the lock while someone waits. */
  #listen(tag: string, onRelease: (kind: ReleaseKind) => void): Promise<() => Promise<void>> {
    const listen = this.#database.listen;
    if (listen) {
      return this.#calls.run('watch the lock', () =>
        listen(channelOfTag(tag), (payload) => onRelease(payload === 'gone' ? 'gone' : 'released')),
      );
    }
    const [appKey, id] = splitTag(tag);
    let lastHeld = true;
    const timer = setInterval(() => {
      this.#query('watch the lock', this.#sql.probe, [appKey, id]).then(
        ([row]) => {
          const held = row !== undefined && row.lock_token !== null && Number(row.lock_live) === 1;
          if (!row) onRelease('gone');
          else if (!held && lastHeld) onRelease('released');
          lastHeld = held;
        },
        () => {
          // The store is down: the waiter's next load fails the request.
        },
      );
    }, this.#settings.crossProcessPollMs);
    timer.unref();
    return Promise.resolve(async () => clearInterval(timer));
  }

  #query(
    operation: string,
    sql: string,
    params: readonly SqlValue[],
    effect: Effect = READS,
  ): Promise<readonly SqlRow[]> {
    return this.#calls.run(operation, () => this.#database.query(sql, params), effect);
  }
}

/**
 * How a call to the platform database fails: any of its errors (`TESSERA_PLATFORM_*`)
 * is an outage (the statement was refused: nothing applied), except that a statement
 * sent whose connection ended before its answer (`TESSERA_PLATFORM_NO_ANSWER`) may
 * have been applied.
 */
const DATABASE_FAILURES: TransportFailures = {
  isOutage: (error) => {
    const code = (error as { code?: unknown } | null)?.code;
    return typeof code === 'string' && code.startsWith('TESSERA_PLATFORM_');
  },
  answerLost: (error) => hasErrorCode(error, 'TESSERA_PLATFORM_NO_ANSWER'),
};

function toSession(row: SqlRow): StoredSession {
  const items = JSON.parse(String(row.items)) as Record<string, string>;
  return {
    items: new Map(Object.entries(items)),
    timeoutMinutes: Number(row.timeout_minutes),
    createdAtMs: Number(row.created_at_ms),
    absoluteExpiresAtMs: row.absolute_expires_at_ms == null ? null : Number(row.absolute_expires_at_ms),
    version: Number(row.version),
  };
}

/** The waiters' key of a session: the app key and id, which never contain a NUL. */
function tagOf(key: SessionKey): string {
  return `${key.appKey}\u0000${key.id}`;
}

function splitTag(tag: string): [string, string] {
  const at = tag.indexOf('\u0000');
  return [tag.slice(0, at), tag.slice(at + 1)];
}

/** The notification channel of one session: an identifier of at most 63 bytes, as PostgreSQL wants. */
function channelOfTag(tag: string): string {
  return `tessera_session_${createHash('sha256').update(tag).digest('hex').slice(0, 40)}`;
}

function channelOf(key: SessionKey): string {
  return channelOfTag(tagOf(key));
}
