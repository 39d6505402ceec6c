/**
 * The registered front-end servers: where they answer, when they last said they
 * were alive, their state, and the fingerprint of the session settings they run
 * (Service Center compares fingerprints to flag drift between servers).
 */
import { type FarmFingerprint, formatFarmFingerprint, parseFarmFingerprint } from '../../config/index.ts';
import { notFound } from '../errors.ts';
import type { FrontendState } from '../schema.ts';
import { Repository } from './repository.ts';

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

/** What one front-end server runs of one module. */
export interface DeploymentRecord {
  readonly frontendId: number;
  readonly frontend: string;
  readonly moduleId: number;
  readonly module: string;
  readonly version: number;
  readonly settingsRevision: number;
  readonly operationId: number | null;
  readonly deployedAtMs: number;
  /** The settings its artifact was written from; null when not recorded (or not understood). */
  readonly settingsFingerprint: FarmFingerprint | null;
}

export class FrontendsRepository extends Repository {
  /** Registers the server, or updates it when its name is known (a restart); returns its id. */
  async register(report: FrontendReport): Promise<number> {
    const now = Date.now();
    const row = await this.db
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
    const result = await this.db
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
    let query = this.db.selectFrom('frontends').selectAll().orderBy('name');
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

  /**
   * Records that the front-end now runs `versionId` of the module, with an artifact
   * of `settingsRevision` written from the settings `settingsFingerprint` (when not
   * given, the one recorded before is kept).
   */
  async recordDeployment(deployment: {
    readonly frontendId: number;
    readonly moduleId: number;
    readonly versionId: number;
    readonly settingsRevision: number;
    readonly operationId: number | null;
    readonly settingsFingerprint?: FarmFingerprint;
  }): Promise<void> {
    const values = {
      module_version_id: deployment.versionId,
      settings_revision: deployment.settingsRevision,
      operation_id: deployment.operationId,
      deployed_at_ms: Date.now(),
      ...(deployment.settingsFingerprint === undefined
        ? {}
        : { settings_fingerprint: formatFarmFingerprint(deployment.settingsFingerprint) }),
    };
    await this.db
      .insertInto('frontend_modules')
      .values({ frontend_id: deployment.frontendId, module_id: deployment.moduleId, ...values })
      .onConflict((oc) => oc.columns(['frontend_id', 'module_id']).doUpdateSet(values))
      .execute();
  }

  /** What every front-end runs (or only `frontendId`), by front-end then module name. */
  async deployments(frontendId?: number): Promise<DeploymentRecord[]> {
    let query = this.db
      .selectFrom('frontend_modules')
      .innerJoin('frontends', 'frontends.id', 'frontend_modules.frontend_id')
      .innerJoin('modules', 'modules.id', 'frontend_modules.module_id')
      .innerJoin('module_versions', 'module_versions.id', 'frontend_modules.module_version_id')
      .select([
        'frontend_modules.frontend_id as frontendId',
        'frontends.name as frontend',
        'frontend_modules.module_id as moduleId',
        'modules.name as module',
        'module_versions.version as version',
        'frontend_modules.settings_revision as settingsRevision',
        'frontend_modules.operation_id as operationId',
        'frontend_modules.deployed_at_ms as deployedAtMs',
        'frontend_modules.settings_fingerprint as settingsFingerprint',
      ])
      .orderBy('frontends.name')
      .orderBy('modules.name');
    if (frontendId !== undefined) query = query.where('frontend_modules.frontend_id', '=', frontendId);
    const rows = await query.execute();
    return rows.map((row) => ({
      ...row,
      frontendId: Number(row.frontendId),
      moduleId: Number(row.moduleId),
      operationId: row.operationId === null ? null : Number(row.operationId),
      deployedAtMs: Number(row.deployedAtMs),
      settingsFingerprint:
        row.settingsFingerprint === null ? null : parseFarmFingerprint(row.settingsFingerprint),
    }));
  }

  async remove(name: string): Promise<void> {
    await this.db.deleteFrom('frontends').where('name', '=', name).execute();
  }
}
