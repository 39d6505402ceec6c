/**
 * Failed Service Center logins, counted per subject (`ip:<address>`, `user:<name>`)
 * in the platform database, so that every worker of every front-end server counts
 * the same failures: the login throttle's limit holds for the whole farm. What a
 * count means (how many are free, how long to wait) is the throttle's business
 * (`servicecenter/login-throttle.ts`); this repository reads and writes the counts
 * atomically.
 */
import type { Kysely } from 'kysely';
import type { DatabaseEngine } from '../database-url.ts';
import type { PlatformSchema } from '../schema.ts';
import { Repository } from './repository.ts';

/** The failures of one subject; a subject with none reads `{ failures: 0, lastFailureAtMs: 0 }`. */
export interface LoginFailures {
  readonly subject: string;
  readonly failures: number;
  readonly lastFailureAtMs: number;
}

/** What `update` decides from the failures it read: write new counts, or leave them as they are. */
export type LoginFailuresDecision<T> =
  | { readonly write: readonly LoginFailures[]; readonly result: T }
  | { readonly write: null; readonly result: T };

export class LoginFailuresRepository extends Repository {
  readonly #engine: DatabaseEngine;

  constructor(db: Kysely<PlatformSchema>, engine: DatabaseEngine) {
    super(db);
    this.#engine = engine;
  }

  /**
   * Reads the failures of `subjects` and writes what `decide` returns, in one
   * transaction that holds their rows from the read to the write: two logins for
   * the same subject, on any front-end server, never both read the count before the
   * other's write. (PostgreSQL: the rows are taken in the subjects' order, so two
   * attempts sharing two subjects cannot wait for each other; SQLite: the
   * transaction holds the file's write lock.)
   */
  async update<T>(
    subjects: readonly string[],
    decide: (current: readonly LoginFailures[]) => LoginFailuresDecision<T>,
  ): Promise<T> {
    const sorted = [...new Set(subjects)].sort();
    if (sorted.length === 0) return decide([]).result;
    return this.db.transaction().execute(async (trx) => {
      // A row for each subject, taken: new subjects start at no failure.
      await trx
        .insertInto('login_failures')
        .values(sorted.map((subject) => ({ subject, failures: 0, last_failure_at_ms: 0 })))
        .onConflict((oc) =>
          oc.column('subject').doUpdateSet((eb) => ({ failures: eb.ref('login_failures.failures') })),
        )
        .execute();
      const rows = await trx
        .selectFrom('login_failures')
        .selectAll()
        .where('subject', 'in', sorted)
        .orderBy('subject')
        .execute();
      const decision = decide(
        rows.map((row) => ({
          subject: row.subject,
          failures: row.failures,
          lastFailureAtMs: row.last_failure_at_ms,
        })),
      );
      for (const entry of decision.write ?? [])
        await trx
          .updateTable('login_failures')
          .set({ failures: entry.failures, last_failure_at_ms: entry.lastFailureAtMs })
          .where('subject', '=', entry.subject)
          .execute();
      return decision.result;
    });
  }

  /** Moves the last failure of `subjects` to `atMs` (when later): an attempt counted earlier has now failed. */
  async stamp(subjects: readonly string[], atMs: number): Promise<void> {
    if (subjects.length === 0) return;
    await this.db
      .updateTable('login_failures')
      .set({ last_failure_at_ms: atMs })
      .where('subject', 'in', [...subjects])
      .where('last_failure_at_ms', '<', atMs)
      .execute();
  }

  /** Forgets the failures of `subjects` (a login succeeded). */
  async forget(subjects: readonly string[]): Promise<void> {
    if (subjects.length === 0) return;
    await this.db
      .deleteFrom('login_failures')
      .where('subject', 'in', [...subjects])
      .execute();
  }

  /**
   * Removes the subjects whose last failure is older than `beforeMs`, except those
   * a login is counting now (on PostgreSQL they are skipped rather than waited for,
   * so this never waits for, or deadlocks with, an `update`). Returns how many.
   */
  async prune(beforeMs: number): Promise<number> {
    let stale = this.db
      .selectFrom('login_failures')
      .select('subject')
      .where('last_failure_at_ms', '<', beforeMs);
    if (this.#engine === 'postgres') stale = stale.forUpdate().skipLocked();
    const result = await this.db
      .deleteFrom('login_failures')
      .where('subject', 'in', stale)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
