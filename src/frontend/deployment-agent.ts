/**
 * The front-end server's deployment agent (in the supervisor): it takes the
 * operations addressed to this front-end (publish, Apply Settings, republish),
 * one at a time in the order they were requested, and carries each out:
 *
 *   1. reports its targets running;
 *   2. for each module: publish and republish unpack the module's running version
 *      (once per content); every kind writes a new configuration artifact from the
 *      server configuration as it is now on disk (its applied settings);
 *   3. reloads the workers (new ones load everything, then the old ones drain);
 *   4. reports each target succeeded, or failed with the module, the front-end and
 *      the error (the old workers then keep serving).
 *
 * Operations are found by polling on SQLite (`SQLITE_POLL_MS`) and by PostgreSQL's
 * LISTEN/NOTIFY (with a slow poll behind it, in case a notification is lost with
 * its connection). At start, `catchUp` brings the front-end to what the farm runs:
 * every module's running version, and a new artifact for a module any operation
 * touched since this front-end last carried one out.
 */
import {
  type FarmFingerprint,
  loadOrCreatePrivateKey,
  type PrivateKey,
  readConfiguration,
  resolveConfigLocation,
  type ServerConfiguration,
} from '../config/index.ts';
import { runtimeSettingsFromServerConfiguration } from '../modules/index.ts';
import type { ModuleRecord, PlatformDatabase } from '../platform/index.ts';
import type { DeployedModule, DeploymentFolder } from './deployment-folder.ts';
import { deployFailed } from './errors.ts';
import type { Logger } from './logger.ts';
import type { Supervisor } from './supervisor.ts';

export const DEPLOYMENT_AGENT_DEFAULTS = {
  /** How often a front-end on SQLite looks for operations. */
  sqlitePollMs: 200,
  /** How often a front-end on PostgreSQL looks, besides the notifications. */
  postgresPollMs: 2_000,
} as const;

export interface DeploymentAgentOptions {
  readonly database: PlatformDatabase;
  readonly frontendId: number;
  readonly frontend: string;
  readonly folder: DeploymentFolder;
  readonly supervisor: Supervisor;
  /** The server configuration file (re-read for every artifact). */
  readonly configPath: string;
  /** The farm fingerprint of `configuration`'s settings, recorded with each artifact written from it. */
  readonly fingerprintOf?: (configuration: ServerConfiguration) => FarmFingerprint;
  readonly log: Logger;
  readonly pollMs?: number;
}

export class DeploymentAgent {
  readonly #o: DeploymentAgentOptions;
  #deployed: DeployedModule[] = [];
  #busy: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #stopped = false;

  constructor(options: DeploymentAgentOptions) {
    this.#o = options;
  }

  /** What the serving workers run. */
  get deployed(): readonly DeployedModule[] {
    return this.#deployed;
  }

  /**
   * Starts the workers on what the farm runs now (see the file's comment). When
   * that cannot load, starts on what this front-end ran before, then on nothing,
   * and reports the failure on the operations it was catching up with.
   */
  async catchUp(): Promise<void> {
    const { database, frontendId, folder, supervisor, log } = this.#o;
    const before = await folder.readState();
    const pending = await database.operations.pendingFor(frontendId);
    const latest = await database.operations.latestByModule();
    const mine = new Map((await database.frontends.deployments(frontendId)).map((d) => [d.moduleId, d]));
    const local = new Map(before.map((m) => [m.moduleId, m]));
    const { configuration, key } = await this.#configuration();
    const next: DeployedModule[] = [];
    const failures = new Map<number, string>();
    for (const module of await database.factory.listModules()) {
      if (module.runningVersion === null) continue;
      const here = local.get(module.id);
      const recorded = mine.get(module.id);
      const current =
        here !== undefined &&
        here.version === module.runningVersion &&
        recorded?.version === module.runningVersion &&
        (latest.get(module.id) ?? 0) <= (recorded.operationId ?? 0) &&
        !pending.some((p) => p.moduleId === module.id);
      if (current) {
        next.push(here);
        continue;
      }
      try {
        next.push(await this.#deploy(module, 'publish', here, configuration, key));
      } catch (error) {
        failures.set(module.id, (error as Error).message);
        log.error({ err: error, module: module.name }, 'module not deployed at start');
        if (here) next.push(here);
      }
    }
    let started = next;
    try {
      await supervisor.start(next);
    } catch (error) {
      log.error(
        { err: error },
        'the modules as the farm runs them do not load; starting on the previous ones',
      );
      for (const module of next)
        if (!before.includes(module)) failures.set(module.moduleId, (error as Error).message);
      started = before;
      try {
        await supervisor.start(before);
      } catch (second) {
        log.error({ err: second }, 'the previous modules do not load either; serving no module');
        started = [];
        await supervisor.start([]);
      }
    }
    this.#deployed = started;
    await folder.writeState(started);
    for (const module of started) {
      await database.frontends.recordDeployment({
        frontendId,
        moduleId: module.moduleId,
        versionId: module.versionId,
        settingsRevision: Number(module.revision),
        operationId: latest.get(module.moduleId) ?? null,
        ...this.#settingsOf(module, configuration),
      });
    }
    for (const target of pending) {
      const error = failures.get(target.moduleId);
      await database.operations.report(
        target.operationId,
        { frontendId, moduleId: target.moduleId },
        'running',
      );
      await database.operations.report(
        target.operationId,
        { frontendId, moduleId: target.moduleId },
        error === undefined ? 'succeeded' : 'failed',
        error ?? null,
      );
    }
    await folder.removeUnused(started);
  }

  /** Starts taking operations. */
  async start(): Promise<void> {
    const { database } = this.#o;
    const pollMs =
      this.#o.pollMs ??
      (database.engine === 'postgres'
        ? DEPLOYMENT_AGENT_DEFAULTS.postgresPollMs
        : DEPLOYMENT_AGENT_DEFAULTS.sqlitePollMs);
    const listening = database.listenOperations(() => this.wake());
    if (listening) this.#unlisten = await listening.catch(() => undefined);
    this.#timer = setInterval(() => this.wake(), pollMs);
    this.wake();
  }

  /** Looks for operations now (a notification, a poll). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = this.#work()
      .catch((error: unknown) => this.#o.log.error({ err: error }, 'taking operations failed; retrying'))
      .finally(() => {
        this.#busy = undefined;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  /** Stops taking operations, after the one under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#unlisten?.().catch(() => {});
    await this.#busy;
  }

  async #work(): Promise<void> {
    const { database, frontendId } = this.#o;
    const pending = await database.operations.pendingFor(frontendId);
    const operations = new Map<number, { kind: (typeof pending)[number]['kind']; moduleIds: number[] }>();
    for (const target of pending) {
      const operation = operations.get(target.operationId) ?? { kind: target.kind, moduleIds: [] };
      operation.moduleIds.push(target.moduleId);
      operations.set(target.operationId, operation);
    }
    for (const [operationId, operation] of operations) {
      if (this.#stopped) return;
      await this.#carryOut(operationId, operation.kind, operation.moduleIds);
    }
  }

  async #carryOut(
    operationId: number,
    kind: 'publish' | 'apply-settings' | 'republish',
    moduleIds: readonly number[],
  ): Promise<void> {
    const { database, frontendId, frontend, folder, supervisor, log } = this.#o;
    const started = Date.now();
    const report = (
      moduleId: number,
      state: 'running' | 'succeeded' | 'failed',
      error: string | null = null,
    ) => database.operations.report(operationId, { frontendId, moduleId }, state, error);
    for (const moduleId of moduleIds) await report(moduleId, 'running');
    const modules = new Map((await database.factory.listModules()).map((m) => [m.id, m]));
    const next = new Map(this.#deployed.map((m) => [m.moduleId, m]));
    const written: string[] = [];
    let configuration: ServerConfiguration | undefined;
    try {
      const read = await this.#configuration();
      configuration = read.configuration;
      const { key } = read;
      for (const moduleId of moduleIds) {
        const module = modules.get(moduleId);
        if (!module || module.runningVersion === null) continue;
        const deployed = await this.#deploy(module, kind, next.get(moduleId), configuration, key);
        written.push(deployed.artifact);
        next.set(moduleId, deployed);
      }
      await supervisor.reload([...next.values()]);
    } catch (error) {
      for (const artifact of written) await folder.removeArtifact(artifact).catch(() => {});
      const message = (error as Error).message ?? String(error);
      log.error(
        { err: error, operationId, kind },
        'operation failed; the workers already serving keep serving',
      );
      for (const moduleId of moduleIds) await report(moduleId, 'failed', message);
      return;
    }
    const previous = this.#deployed;
    this.#deployed = [...next.values()];
    await folder.writeState(this.#deployed);
    for (const moduleId of moduleIds) {
      const deployed = next.get(moduleId);
      if (deployed)
        await database.frontends.recordDeployment({
          frontendId,
          moduleId,
          versionId: deployed.versionId,
          settingsRevision: Number(deployed.revision),
          operationId,
          ...(configuration === undefined ? {} : this.#settingsOf(deployed, configuration)),
        });
      await report(moduleId, 'succeeded');
    }
    log.info(
      {
        operationId,
        kind,
        modules: moduleIds.map((id) => modules.get(id)?.name),
        frontend,
        reloadMs: Date.now() - started,
      },
      'operation carried out',
    );
    // The old workers may still be draining on `previous`: keep what they use too.
    await folder.removeUnused([...this.#deployed, ...previous]).catch(() => {});
  }

  /** The module deployed as `kind` asks: its running version (publish, republish) or as it is, with a new artifact. */
  async #deploy(
    module: ModuleRecord,
    kind: 'publish' | 'apply-settings' | 'republish',
    current: DeployedModule | undefined,
    configuration: ServerConfiguration,
    key: PrivateKey,
  ): Promise<DeployedModule> {
    const { database, folder, frontend } = this.#o;
    try {
      let base = current;
      if (kind !== 'apply-settings' || base === undefined || base.version !== module.runningVersion) {
        const version = (await database.factory.listVersions(module.name)).find(
          (v) => v.version === module.runningVersion,
        );
        if (!version) throw new Error(`version ${module.runningVersion} is not in the platform database.`);
        const unpacked = await folder.unpack(version.sha256, database.factory.readPackage(version.sha256));
        base = {
          moduleId: module.id,
          versionId: version.id,
          name: module.name,
          application: module.application,
          version: version.version,
          sha256: version.sha256,
          folder: unpacked,
          artifact: '',
          revision: '0',
        };
      }
      const settings = runtimeSettingsFromServerConfiguration({
        configuration,
        location: { path: this.#o.configPath },
      });
      const artifact = await folder.writeArtifact(module.name, base.version, settings, key);
      return { ...base, artifact, revision: settings.revision };
    } catch (error) {
      throw deployFailed(frontend, module.name, error);
    }
  }

  /**
   * The fingerprint to record with `module`'s artifact: that of `configuration` when
   * the artifact was written from its revision; else none (the one recorded stays).
   */
  #settingsOf(
    module: DeployedModule,
    configuration: ServerConfiguration,
  ): { settingsFingerprint?: FarmFingerprint } {
    const fingerprintOf = this.#o.fingerprintOf;
    if (fingerprintOf === undefined || module.revision !== String(configuration.applied?.revision ?? 0))
      return {};
    return { settingsFingerprint: fingerprintOf(configuration) };
  }

  async #configuration(): Promise<{ configuration: ServerConfiguration; key: PrivateKey }> {
    const location = resolveConfigLocation({ path: this.#o.configPath, env: process.env });
    const loaded = await readConfiguration(location);
    const key = await loadOrCreatePrivateKey(location.privateKeyPath);
    return { configuration: loaded.configuration, key };
  }
}
