/**
 * The statements of the Database session provider, one per operation, each atomic
 * on its own (one round trip), over the `sessions` table the platform's migrations
 * create. A session is one row: its items as one JSON object of serialized strings
 * (a save sends only the changed items, as a merge patch in which `null` removes an
 * item), its internal record, and its lock. Times are epoch ms on the database's
 * clock (`{now}`), never a front-end's.
 *
 * The two engines differ only in the fragments of `DIALECTS`; every statement is
 * written once.
 *
 * Commits that do not wait for the disk. On PostgreSQL, a commit waits for its WAL
 * to be flushed (`synchronous_commit = on`), and a request commits twice: the lock
 * (with the load), then the save or the release. Two statements commit without
 * waiting (`commitWithoutFlush`), because losing them in a server crash (the last
 * few hundred ms of such commits, which the WAL writer had not flushed yet) loses
 * no session update:
 *
 * - `release` changes nothing but the lock. Lost, the session is still locked by
 *   a request that has finished: others wait until the lock expires (at most the
 *   lock timeout after the crash), as after a front-end crash.
 * - `loadExclusive`, when the session would stay live for the whole lock timeout
 *   even without the expiry slide it writes. Lost, the row is back as before the
 *   load: unlocked (or locked by an earlier, expired holder), same version, same
 *   items, the old expiry. The request that believed it held the lock then saves
 *   with its token and the version it loaded (`save`'s condition): its token is not
 *   there, so the save is applied only if the lock is free or expired AND the
 *   version is still the one it loaded, i.e. only if nobody saved in between,
 *   exactly as after its lock expired; if another request took the lock since, or
 *   saved, the save is refused (`lock-lost`), never applied over the other's work.
 *   The session is still live at that save (its old expiry is at least a lock
 *   timeout after the load); past its lock timeout, a request's save depends on
 *   the session still being live in any case.
 *
 * Every other write (create, a save, abandon, regenerate) waits for the flush, and
 * a flush writes the whole WAL up to its commit, so it also makes every earlier
 * commit durable, the unflushed locks and releases of the same row included (they
 * precede it in the WAL: a row is changed only after the previous change of it
 * committed). A standby promoted after a failover is such a crash too.
 */
import { LISTENED_CHANNEL_LOCK_CLASS, type SessionDatabase } from '../session-database.ts';
import { SLIDE_AFTER } from './provider-options.ts';

interface Dialect {
  /** Epoch ms now, the same value everywhere in one statement. */
  readonly now: string;
  /** The smaller of two values. */
  readonly least: string;
  /** `items` with the merge patch of parameter `patch` applied. */
  patch(patch: string): string;
  /**
   * An expression that notifies `channel` with `payload` when someone listens on it
   * (PostgreSQL), else NULL. A notification serialises the commits of every
   * transaction that sends one (they queue for one lock, held over the commit's
   * flush), so it is sent only to a channel that a waiter marked as listened to
   * (see `LISTENED_CHANNEL_LOCK_CLASS`). Trying the mark's lock when no one holds it
   * takes it until the commit: a waiter that starts listening meanwhile waits for
   * the commit, then loads the session again, and finds it released.
   */
  notify(channel: string, payload: string): string;
  /** Locks the selected row until the end of the transaction (SQLite: the transaction already holds the write lock). */
  readonly forUpdate: string;
  /**
   * A condition that always holds and, when `when` does, lets the statement's
   * transaction commit without waiting for its WAL to reach the disk (PostgreSQL's
   * `synchronous_commit = off` for this transaction alone, as `SET LOCAL` would set
   * it; SQLite under WAL with `synchronous = NORMAL` never waits at a commit). For
   * the statements whose loss in a server crash loses no session update (see the
   * top of this file).
   */
  commitWithoutFlush(when: string): string;
}

const DIALECTS: Record<SessionDatabase['dialect'], Dialect> = {
  sqlite: {
    now: "CAST(unixepoch('subsec') * 1000 AS INTEGER)",
    least: 'MIN',
    patch: (patch) => `json_patch(items, ${patch})`,
    notify: () => 'NULL',
    forUpdate: '',
    commitWithoutFlush: () => '1 = 1',
  },
  postgres: {
    now: 'CAST(EXTRACT(EPOCH FROM statement_timestamp()) * 1000 AS BIGINT)',
    least: 'LEAST',
    patch: (patch) => `CAST(jsonb_strip_nulls(CAST(items AS JSONB) || CAST(${patch} AS JSONB)) AS TEXT)`,
    notify: (channel, payload) =>
      `CASE WHEN pg_try_advisory_xact_lock(${LISTENED_CHANNEL_LOCK_CLASS}, hashtext(CAST(${channel} AS TEXT))) THEN NULL
        ELSE CAST(pg_notify(CAST(${channel} AS TEXT), ${payload}) AS TEXT) END`,
    forUpdate: 'FOR UPDATE',
    // Evaluated in the statement's WHERE on the row as it was before the statement,
    // once per row examined (one row, by primary key); a CASE so that `when` comes
    // first. A row that is not updated writes nothing, and has nothing to commit.
    commitWithoutFlush: (when) =>
      `(CASE WHEN ${when} THEN set_config('synchronous_commit', 'off', true) ELSE '' END) IS NOT NULL`,
  },
};

/** Whether a save releases the lock: asked to, and holding one. */
const releasing = 'CAST($7 AS INTEGER) = 1 AND CAST($5 AS TEXT) IS NOT NULL';
/** Whether a save sets (or clears) the principal. */
const principalSet = 'CAST($9 AS INTEGER) = 1';

export type SessionStatements = ReturnType<typeof sessionStatements>;

/** The statements in `dialect`. Parameters are listed above each. */
export function sessionStatements(dialect: SessionDatabase['dialect']) {
  const d = DIALECTS[dialect];
  const now = d.now;
  const key = 'app_key = $1 AND id = $2';
  const live = `expires_at_ms > ${now}`;
  /** When a session with sliding timeout `timeout` (minutes) ends if touched now. */
  const slide = (timeout: string) =>
    `CASE WHEN absolute_expires_at_ms IS NULL THEN ${now} + CAST(${timeout} * 60000 AS BIGINT)
      ELSE ${d.least}(${now} + CAST(${timeout} * 60000 AS BIGINT), absolute_expires_at_ms) END`;
  /**
   * The expiry a load leaves: slid only once `SLIDE_AFTER` of the timeout has passed
   * since the last slide, else unchanged, so that most loads do not change the
   * indexed `expires_at_ms` (PostgreSQL then updates the row in place, without new
   * index entries: a HOT update).
   */
  const lazySlide = `CASE WHEN ${slide('timeout_minutes')} - expires_at_ms
      >= ${d.least}(${SLIDE_AFTER.maxMs}, CAST(timeout_minutes * ${60_000 * SLIDE_AFTER.share} AS BIGINT))
    THEN ${slide('timeout_minutes')} ELSE expires_at_ms END`;
  const session = 'items, timeout_minutes, created_at_ms, absolute_expires_at_ms, version';
  const unlocked = 'lock_token = NULL, lock_acquired_at_ms = NULL, lock_expires_at_ms = NULL';

  return {
    /**
     * $1 app, $2 id, $3 token, $4 lock timeout ms. No row: locked by another token, or
     * missing. Commits without waiting for the disk when the session's expiry before
     * this load is at least the lock timeout away (see the top).
     */
    loadExclusive: `UPDATE sessions SET
        lock_took_over_age_ms = CASE WHEN lock_token IS NOT NULL AND lock_token <> $3 AND lock_expires_at_ms > ${now}
          THEN ${now} - lock_acquired_at_ms ELSE NULL END,
        lock_token = $3,
        lock_acquired_at_ms = ${now},
        lock_expires_at_ms = ${now} + CAST($4 AS BIGINT),
        expires_at_ms = ${lazySlide}
      WHERE ${key} AND ${live}
        AND (lock_token IS NULL OR lock_token = $3 OR lock_expires_at_ms <= ${now}
          OR ${now} - lock_acquired_at_ms >= CAST($4 AS BIGINT))
        AND ${d.commitWithoutFlush(`expires_at_ms - ${now} >= CAST($4 AS BIGINT)`)}
      RETURNING ${session}, lock_took_over_age_ms`,

    /** $1 app, $2 id. Why `loadExclusive` or `save` found no row: the live session's lock, or no row. */
    probe: `SELECT lock_token, ${now} - lock_acquired_at_ms AS lock_age_ms,
        CASE WHEN lock_expires_at_ms > ${now} THEN 1 ELSE 0 END AS lock_live
      FROM sessions WHERE ${key} AND ${live}`,

    /** $1 app, $2 id. Slides the expiry (lazily) and returns the session. */
    loadReadOnly: `UPDATE sessions SET expires_at_ms = ${lazySlide}
      WHERE ${key} AND ${live} RETURNING ${session}`,

    /** $1 app, $2 id. Returns the session without sliding its expiry (administration). */
    peek: `SELECT ${session} FROM sessions WHERE ${key} AND ${live}`,

    /**
     * $1 app, $2 the last id of the previous page ('' for the first), $3 page size.
     * Keyset pagination on the primary key: each page is one index range scan.
     */
    listIds: `SELECT id FROM sessions WHERE app_key = $1 AND id > $2 AND ${live}
      ORDER BY id LIMIT CAST($3 AS INTEGER)`,

    /** $1 app, $2 id. */
    touch: `UPDATE sessions SET expires_at_ms = ${slide('timeout_minutes')}
      WHERE ${key} AND ${live} RETURNING version`,

    /**
     * $1 app, $2 id, $3 items JSON, $4 timeout minutes, $5 absolute lifetime ms or
     * NULL, $6 lock token or NULL, $7 lock timeout ms, $8 principal, $9 its front
     * end, $10 its user agent (each or NULL). Replaces only an expired row; no row
     * returned: the id is taken.
     */
    create: `INSERT INTO sessions (app_key, id, items, timeout_minutes, created_at_ms, absolute_expires_at_ms,
        expires_at_ms, version, lock_token, lock_acquired_at_ms, lock_expires_at_ms, lock_took_over_age_ms,
        principal, principal_front_end, principal_user_agent)
      VALUES ($1, $2, CAST($3 AS TEXT), CAST($4 AS DOUBLE PRECISION), ${now}, ${now} + CAST($5 AS BIGINT),
        CASE WHEN CAST($5 AS BIGINT) IS NULL THEN ${now} + CAST(CAST($4 AS DOUBLE PRECISION) * 60000 AS BIGINT)
          ELSE ${d.least}(${now} + CAST(CAST($4 AS DOUBLE PRECISION) * 60000 AS BIGINT), ${now} + CAST($5 AS BIGINT)) END,
        1, CAST($6 AS TEXT),
        CASE WHEN CAST($6 AS TEXT) IS NULL THEN NULL ELSE ${now} END,
        CASE WHEN CAST($6 AS TEXT) IS NULL THEN NULL ELSE ${now} + CAST($7 AS BIGINT) END,
        NULL, CAST($8 AS TEXT), CAST($9 AS TEXT), CAST($10 AS TEXT))
      ON CONFLICT (app_key, id) DO UPDATE SET
        items = excluded.items, timeout_minutes = excluded.timeout_minutes,
        created_at_ms = excluded.created_at_ms, absolute_expires_at_ms = excluded.absolute_expires_at_ms,
        expires_at_ms = excluded.expires_at_ms, version = 1, lock_token = excluded.lock_token,
        lock_acquired_at_ms = excluded.lock_acquired_at_ms, lock_expires_at_ms = excluded.lock_expires_at_ms,
        lock_took_over_age_ms = NULL, principal = excluded.principal,
        principal_front_end = excluded.principal_front_end, principal_user_agent = excluded.principal_user_agent
      WHERE sessions.expires_at_ms <= ${now}
      RETURNING version`,

    /**
     * $1 app, $2 id, $3 merge patch JSON, $4 new timeout minutes or NULL, $5 lock
     * token or NULL, $6 expected version or NULL, $7 release (1/0), $8 channel,
     * $9 set the principal (1/0), $10 principal, $11 its front end, $12 its user
     * agent (each or NULL). No row: missing or lock lost (`probe` tells which).
     */
    save: `UPDATE sessions SET
        items = ${d.patch('CAST($3 AS TEXT)')},
        timeout_minutes = COALESCE(CAST($4 AS DOUBLE PRECISION), timeout_minutes),
        version = version + 1,
        expires_at_ms = ${slide('COALESCE(CAST($4 AS DOUBLE PRECISION), timeout_minutes)')},
        lock_token = CASE WHEN ${releasing} THEN NULL ELSE lock_token END,
        lock_acquired_at_ms = CASE WHEN ${releasing} THEN NULL ELSE lock_acquired_at_ms END,
        lock_expires_at_ms = CASE WHEN ${releasing} THEN NULL ELSE lock_expires_at_ms END,
        principal = CASE WHEN ${principalSet} THEN CAST($10 AS TEXT) ELSE principal END,
        principal_front_end = CASE WHEN ${principalSet} THEN CAST($11 AS TEXT) ELSE principal_front_end END,
        principal_user_agent = CASE WHEN ${principalSet} THEN CAST($12 AS TEXT) ELSE principal_user_agent END
      WHERE ${key} AND ${live}
        AND (CAST($5 AS TEXT) IS NULL
          OR (lock_token = $5 AND lock_expires_at_ms > ${now})
          OR ((lock_token IS NULL OR lock_expires_at_ms <= ${now}) AND version = CAST($6 AS INTEGER)))
      RETURNING version, CASE WHEN ${releasing} THEN ${d.notify('$8', "'released'")} END AS notified`,

    /** $1 app, $2 id, $3 token, $4 channel. Commits without waiting for the disk (see the top). */
    release: `UPDATE sessions SET ${unlocked}
      WHERE ${key} AND lock_token = $3 AND ${d.commitWithoutFlush('1 = 1')} RETURNING ${d.notify('$4', "'released'")} AS notified`,

    /** $1 app, $2 id, $3 channel. */
    abandon: `DELETE FROM sessions WHERE ${key} RETURNING ${d.notify('$3', "'gone'")} AS notified`,

    /** $1 app, $2 id (in a transaction, before `regenerateMove`). */
    regenerateRead: `SELECT lock_token FROM sessions WHERE ${key} AND ${live} ${d.forUpdate}`,
    /** $1 app, $2 id: removes an expired row that holds the new id; no row returned when a live session holds it. */
    regenerateClear: `DELETE FROM sessions WHERE ${key} AND expires_at_ms <= ${now}`,
    /** $1 app, $2 new id. */
    regenerateTaken: `SELECT 1 AS taken FROM sessions WHERE ${key}`,
    /** $1 app, $2 old id, $3 new id, $4 lock token or NULL, $5 lock timeout ms, $6 old channel. */
    regenerateMove: `UPDATE sessions SET id = $3,
        lock_token = CAST($4 AS TEXT),
        lock_acquired_at_ms = CASE WHEN CAST($4 AS TEXT) IS NULL THEN NULL ELSE ${now} END,
        lock_expires_at_ms = CASE WHEN CAST($4 AS TEXT) IS NULL THEN NULL ELSE ${now} + CAST($5 AS BIGINT) END,
        lock_took_over_age_ms = NULL
      WHERE ${key} RETURNING ${d.notify('$6', "'gone'")} AS notified`,

    /**
     * $1 app, $2 principal. The principal's live sessions, oldest first: one range
     * scan of the index `sessions_principal`.
     */
    listByPrincipal: `SELECT id, created_at_ms, expires_at_ms, timeout_minutes, absolute_expires_at_ms,
        principal_front_end, principal_user_agent
      FROM sessions WHERE app_key = $1 AND principal = $2 AND ${live}
      ORDER BY created_at_ms, id`,

    /** $1 batch size. Deletes at most that many expired sessions. */
    sweep: `DELETE FROM sessions WHERE (app_key, id) IN
        (SELECT app_key, id FROM sessions WHERE expires_at_ms <= ${now} LIMIT CAST($1 AS INTEGER))
      RETURNING app_key, id`,
  } as const;
}
