/**
 * The registered front-end servers: where they answer, when they last said they
 * were alive, their state, and the fingerprint of the session settings they run
 * (Service Center compares fingerprints to flag drift between servers).
 */
import type { Kysely } from 'kysely';
import { type FarmFingerprint, formatFarmFingerprint, parseFarmFingerprint } from '../../config/index.ts';
import { notFound } from '../errors.ts';
import type { FrontendState, PlatformSchema } from '../schema.ts';

export interface FrontendRecord {
  readonly id: number;
  readonly name: string;
  readonly address: string;
  readonly state: FrontendState;
  readonly lastHeartbeatAtMs: number;
  readonly settingsFingerprint: string;
  /** `settingsFingerprint` read; null when the server reported none that this version understands. */
  readonly fingerprint: FarmFingerprint | null;
  readonly registeredAtMs: number;
}

export interface FrontendReport {
  readonly name: string;
  readonly address: string;
  readonly state: FrontendState;
  /** The farm fingerprint of the settings it runs (stored as its JSON), or that JSON. */
  readonly settingsFingerprint: FarmFingerprint | string;
}

function storedFingerprint(fingerprint: FarmFingerprint | string): string {
  return typeof fingerprint === 'string' ? fingerprint : formatFarmFingerprint(fingerprint);
}

export class FrontendsRepository {
  readonly #db: Kysely<PlatformSchema>;

  constructor(db: Kysely<PlatformSchema>) {
    this.#db = db;
  }

  /** Registers the server, or updates it when its name is known (a restart); returns its id. */
  async register(report: FrontendReport): Promise<number> {
    const now = Date.now();
    const row = await this.#db
      .insertInto('frontends')
      .values({
        name: report.name,
        address: report.address,
        state: report.state,
        settings_fingerprint: storedFingerprint(report.settingsFingerprint),
        last_heartbeat_at_ms: now,
        registered_at_ms: now,
      })
      .onConflict((oc) =>
        oc.column('name').doUpdateSet({
          address: report.address,
          state: report.state,
          settings_fingerprint: storedFingerprint(report.settingsFingerprint),
          last_heartbeat_at_ms: now,
        }),
      )
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** Records that the server is alive, with its state and fingerprint now. */
  async heartbeat(
    name: string,
    state: FrontendState,
    settingsFingerprint: FarmFingerprint | string,
  ): Promise<void> {
    const result = await this.#db
      .updateTable('frontends')
      .set({
        state,
        settings_fingerprint: storedFingerprint(settingsFingerprint),
        last_heartbeat_at_ms: Date.now(),
      })
      .where('name', '=', name)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw notFound('front-end server', name);
  }

  /** Every server, or with `silentForMs` only those whose last heartbeat is older. */
  async list(options: { readonly silentForMs?: number } = {}): Promise<FrontendRecord[]> {
    let query = this.#db.selectFrom('frontends').selectAll().orderBy('name');
    if (options.silentForMs !== undefined)
      query = query.where('last_heartbeat_at_ms', '<', Date.now() - options.silentForMs);
    const rows = await query.execute();
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      address: row.address,
      state: row.state,
      lastHeartbeatAtMs: row.last_heartbeat_at_ms,
      settingsFingerprint: row.settings_fingerprint,
      fingerprint: parseFarmFingerprint(row.settings_fingerprint),
      registeredAtMs: row.registered_at_ms,
    }));
  }

  async remove(name: string): Promise<void> {
    await this.#db.deleteFrom('frontends').where('name', '=', name).execute();
  }
}
