/**
 * The operations of the farm as the front-end servers carry them out: publish a
 * module version, Apply Settings, Republish, wait for an operation. Service
 * Center's service layer (`ServiceCenter`, through `operationsStarter`) starts them
 * for the console, the API and the `tessera` commands. UI-free.
 *
 * An operation is addressed to every front-end server that is up (a heartbeat in
 * the last `FRONTEND_SILENT_AFTER_MS`), one progress row per front-end and module;
 * the front-ends take it from the platform database (see
 * src/frontend/deployment-agent.ts). A front-end that is down then catches up when
 * it starts.
 */
import { readModulePackage } from '../modules/index.ts';
import type { FrontendRecord, OperationKind, OperationRecord, PlatformDatabase } from '../platform/index.ts';

export const OPERATIONS_DEFAULTS = {
  /** A front-end silent for longer is not up: operations skip it, and one it had begun fails. */
  frontendSilentAfterMs: 10_000,
  /** How often `waitForOperation` looks. */
  waitPollMs: 100,
  /** How long `waitForOperation` waits at most. */
  waitTimeoutMs: 300_000,
} as const;

export interface OperationStarted {
  readonly operationId: number;
  readonly kind: OperationKind;
  readonly modules: readonly string[];
  /** The front-ends it was addressed to (those up). */
  readonly frontends: readonly string[];
}

export interface PublishStarted extends OperationStarted {
  readonly module: string;
  readonly application: string;
  readonly version: number;
}

export interface FrontendOutcome {
  readonly frontend: string;
  readonly state: 'succeeded' | 'failed' | 'pending' | 'running';
  /** The first error, naming the module. */
  readonly error: string | null;
  readonly modules: readonly {
    readonly module: string;
    readonly state: string;
    readonly error: string | null;
  }[];
  /** From the operation's request to this front-end's last module done. */
  readonly durationMs: number | null;
}

export interface OperationOutcome {
  readonly operationId: number;
  readonly kind: OperationKind;
  readonly state: OperationRecord['state'];
  readonly frontends: readonly FrontendOutcome[];
}

export class OperationsService {
  readonly #database: PlatformDatabase;
  readonly #o: typeof OPERATIONS_DEFAULTS;

  constructor(database: PlatformDatabase, options: Partial<typeof OPERATIONS_DEFAULTS> = {}) {
    this.#database = database;
    this.#o = { ...OPERATIONS_DEFAULTS, ...options };
  }

  /**
   * Validates the module at `source` (a folder or a `.tgz`), stores it as the
   * module's next version, makes it the running version, and deploys it to every
   * front-end that is up.
   */
  async publishModule(source: string, options: { readonly requestedBy: string }): Promise<PublishStarted> {
    const pkg = await readModulePackage(source);
    const factory = this.#database.factory;
    const existing = (await factory.listModules()).find((m) => m.name === pkg.name);
    if (!existing) await factory.createModule(pkg.name, pkg.application);
    const version = await factory.publishVersion(pkg.name, [pkg.bytes], options.requestedBy);
    await factory.setRunningVersion(pkg.name, version.version);
    const started = await this.#start('publish', [pkg.name], options.requestedBy);
    return {
      ...started,
      module: pkg.name,
      application: existing?.application ?? pkg.application,
      version: version.version,
    };
  }

  /** Apply Settings: each front-end writes the modules' artifacts from its applied server configuration and reloads. */
  applySettings(moduleNames: readonly string[] | 'all', options: { readonly requestedBy: string }) {
    return this.#start('apply-settings', moduleNames, options.requestedBy);
  }

  /** Republish: each front-end redeploys the modules' running versions (unpack, artifacts, reload). */
  republish(moduleNames: readonly string[] | 'all', options: { readonly requestedBy: string }) {
    return this.#start('republish', moduleNames, options.requestedBy);
  }

  /**
   * Waits until every front-end has carried out the operation (or failed, or
   * stopped answering: its targets are then failed naming it), and returns how it
   * went. A publish that failed on every front-end gives the module back the
   * version they still run.
   */
  async waitForOperation(
    operationId: number,
    options: { readonly timeoutMs?: number; readonly onProgress?: (outcome: OperationOutcome) => void } = {},
  ): Promise<OperationOutcome> {
    const deadline = Date.now() + (options.timeoutMs ?? this.#o.waitTimeoutMs);
    for (;;) {
      const outcome = await this.#outcome(operationId);
      options.onProgress?.(outcome);
      if (outcome.state === 'succeeded' || outcome.state === 'failed' || outcome.frontends.length === 0) {
        if (outcome.kind === 'publish' && outcome.state === 'failed')
          await this.#restoreRunningVersion(operationId);
        return outcome;
      }
      if (Date.now() > deadline) return outcome;
      await this.#failSilentFrontends(operationId);
      await new Promise((resolve) => setTimeout(resolve, this.#o.waitPollMs));
    }
  }

  /** The front-end servers that are up now. */
  async frontendsUp(): Promise<FrontendRecord[]> {
    const silent = new Set(
      (await this.#database.frontends.list({ silentForMs: this.#o.frontendSilentAfterMs })).map((f) => f.id),
    );
    return (await this.#database.frontends.list()).filter(
      (f) => !silent.has(f.id) && (f.state === 'ready' || f.state === 'starting'),
    );
  }

  async #start(
    kind: OperationKind,
    moduleNames: readonly string[] | 'all',
    requestedBy: string,
  ): Promise<OperationStarted> {
    const modules = (await this.#database.factory.listModules()).filter((m) => m.runningVersion !== null);
    const chosen =
      moduleNames === 'all'
        ? modules
        : moduleNames.map((name) => {
            const found = modules.find((m) => m.name === name);
            if (!found)
              throw new Error(
                `No published module is named ${JSON.stringify(name)}: see \`tessera module list\`.`,
              );
            return found;
          });
    const frontends = await this.frontendsUp();
    const operationId = await this.#database.operations.start({
      kind,
      solutionId: null,
      requestedBy,
      targets: frontends.flatMap((f) => chosen.map((m) => ({ frontendId: f.id, moduleId: m.id }))),
    });
    await this.#database.notifyOperations();
    return { operationId, kind, modules: chosen.map((m) => m.name), frontends: frontends.map((f) => f.name) };
  }

  async #outcome(operationId: number): Promise<OperationOutcome> {
    const operation = await this.#database.operations.get(operationId);
    const frontends = new Map((await this.#database.frontends.list()).map((f) => [f.id, f.name]));
    const modules = new Map((await this.#database.factory.listModules()).map((m) => [m.id, m.name]));
    const byFrontend = new Map<number, (typeof operation.progress)[number][]>();
    for (const row of operation.progress)
      byFrontend.set(row.frontendId, [...(byFrontend.get(row.frontendId) ?? []), row]);
    return {
      operationId,
      kind: operation.kind,
      state: operation.state,
      frontends: [...byFrontend]
        .map(([frontendId, rows]): FrontendOutcome => {
          const failed = rows.find((r) => r.state === 'failed');
          const open = rows.some((r) => r.state === 'pending' || r.state === 'running');
          const finished = rows.map((r) => r.finishedAtMs ?? 0);
          return {
            frontend: frontends.get(frontendId) ?? `#${frontendId}`,
            state: failed
              ? 'failed'
              : open
                ? rows.some((r) => r.state === 'running')
                  ? 'running'
                  : 'pending'
                : 'succeeded',
            error: failed?.error ?? null,
            modules: rows.map((r) => ({
              module: modules.get(r.moduleId) ?? `#${r.moduleId}`,
              state: r.state,
              error: r.error,
            })),
            durationMs: open ? null : Math.max(...finished) - operation.requestedAtMs,
          };
        })
        .sort((x, y) => (x.frontend < y.frontend ? -1 : x.frontend > y.frontend ? 1 : 0)),
    };
  }

  async #failSilentFrontends(operationId: number): Promise<void> {
    const silent = await this.#database.frontends.list({ silentForMs: this.#o.frontendSilentAfterMs });
    if (silent.length === 0) return;
    const operation = await this.#database.operations.get(operationId);
    for (const row of operation.progress) {
      const frontend = silent.find((f) => f.id === row.frontendId);
      if (!frontend || (row.state !== 'pending' && row.state !== 'running')) continue;
      await this.#database.operations.report(
        operationId,
        row,
        'failed',
        `Front-end server ${frontend.name} stopped answering (no heartbeat for ${this.#o.frontendSilentAfterMs / 1000} s) before it finished. It catches up when it starts again; see its logs.`,
      );
    }
  }

  async #restoreRunningVersion(operationId: number): Promise<void> {
    const operation = await this.#database.operations.get(operationId);
    if (operation.progress.some((r) => r.state === 'succeeded')) return;
    const deployments = await this.#database.frontends.deployments();
    for (const module of await this.#database.factory.listModules()) {
      if (!operation.progress.some((r) => r.moduleId === module.id)) continue;
      const running = deployments.find((d) => d.moduleId === module.id);
      if (running && running.version !== module.runningVersion)
        await this.#database.factory.setRunningVersion(module.name, running.version);
    }
  }
}
