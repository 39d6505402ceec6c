/**
 * Service Center's one service layer: every action of the console, the JSON API
 * and the `tessera` commands is a method here, so that the three behave alike.
 * Changes take an `Actor` (who, from where) and are written to the audit log;
 * reads take none. Operations are carried out by the front-end servers; this
 * layer records them (through `OperationStarter`) and follows them.
 */
import type { Logger } from 'pino';
import { quoteInput } from '../errors.ts';
import type { OperationKind, PlatformDatabase } from '../platform/index.ts';
import { ALL_MODULES_SOLUTION, type SolutionRecord } from '../platform/index.ts';
import { badInput, emptySolution, noFrontend, operationRunning } from './errors.ts';
import { type FactoryView, factoryView } from './factory-view.ts';
import { type FarmView, type FrontendNotes, farmView } from './farm-view.ts';
import { isOpen, type NameLookup, type OperationView, operationView } from './operation-view.ts';
import { OperationsService, type PublishStarted } from './operations-service.ts';

/** Who asks for a change, and from where (an address, or `command line on <host>`). */
export interface Actor {
  readonly user: string;
  readonly from: string;
}

/** Starts an operation on the modules named; returns its id. */
export interface OperationStarter {
  start(request: {
    readonly kind: Exclude<OperationKind, 'publish'>;
    /** The solution it was asked for on; null for modules named directly. */
    readonly solutionId: number | null;
    readonly modules: readonly string[];
    readonly requestedBy: string;
  }): Promise<number>;
  /** Validates the module package at `source` (a folder or a `.tgz`), stores it as the running version and deploys it. */
  publish(source: string, options: { readonly requestedBy: string }): Promise<PublishStarted>;
}

export interface SolutionView {
  readonly name: string;
  readonly modules: readonly {
    readonly name: string;
    readonly application: string;
    readonly runningVersion: number | null;
  }[];
  /** Its most recent operations, newest first. */
  readonly operations: readonly OperationView[];
}

/** Something that needs the operator, shown as the banner of every page. */
export interface Attention {
  readonly kind: 'settings-pending' | 'drift' | 'failed-operation' | 'certificate' | 'heartbeat';
  readonly message: string;
  /** The console page that shows it. */
  readonly page: string;
}

export const SOLUTION_NAME_MAX_CHARS = 100;

export class ServiceCenter {
  readonly #database: PlatformDatabase;
  readonly #starter: OperationStarter;
  readonly #log: Logger | undefined;

  constructor(options: {
    readonly database: PlatformDatabase;
    readonly starter?: OperationStarter;
    readonly logger?: Logger;
  }) {
    this.#database = options.database;
    this.#starter = options.starter ?? recordingStarter(options.database);
    this.#log = options.logger;
  }

  get database(): PlatformDatabase {
    return this.#database;
  }

  // --- reading ------------------------------------------------------------

  async factory(): Promise<FactoryView> {
    const db = this.#database;
    const [modules, frontends] = await Promise.all([db.factory.listModules(), db.frontends.list()]);
    const versions = await Promise.all(modules.map((module) => db.factory.listVersions(module.name)));
    return factoryView({
      modules,
      versions: versions.flat(),
      frontends,
      deployments: await db.frontends.deployments(),
    });
  }

  async farm(nowMs = Date.now()): Promise<{ view: FarmView; notes: ReadonlyMap<string, FrontendNotes> }> {
    return farmView(await this.#database.frontends.list(), nowMs);
  }

  async solutions(): Promise<{ readonly name: string; readonly modules: readonly string[] }[]> {
    const solutions = await this.#database.solutions.listSolutions();
    return solutions.map((solution) => ({ name: solution.name, modules: solution.modules }));
  }

  async solution(name: string): Promise<SolutionView> {
    const db = this.#database;
    const solution = await db.solutions.getSolution(name);
    const modules = await db.factory.listModules();
    const operations = (await db.operations.recent(200)).filter((op) => op.solutionId === solution.id);
    const names = await this.#names();
    return {
      name: solution.name,
      modules: solution.modules.map((moduleName) => {
        const module = modules.find((m) => m.name === moduleName);
        return {
          name: moduleName,
          application: module?.application ?? moduleName,
          runningVersion: module?.runningVersion ?? null,
        };
      }),
      operations: operations.slice(0, 10).map((op) => operationView(op, names)),
    };
  }

  async operation(id: number): Promise<OperationView> {
    const operation = await this.#database.operations.get(id);
    return operationView(operation, await this.#names());
  }

  async operations(limit = 50): Promise<OperationView[]> {
    const [operations, names] = await Promise.all([this.#database.operations.recent(limit), this.#names()]);
    return operations.map((op) => operationView(op, names));
  }

  async auditLog(limit = 100) {
    return (await this.#database.users.auditLog(limit)).map((entry) => ({
      at: new Date(entry.atMs).toISOString(),
      user: entry.userName,
      action: entry.action,
      target: entry.target,
      detail: entry.detail,
    }));
  }

  /** What needs the operator now: settings pending, drift, a failed operation, certificates, heartbeats. */
  async attention(nowMs = Date.now()): Promise<Attention[]> {
    const [factory, farm, recent] = await Promise.all([
      this.factory(),
      this.farm(nowMs),
      this.#database.operations.recent(1),
    ]);
    const items: Attention[] = [];
    const pending = factory.modules.filter((module) => module.frontends.some((fe) => fe.settingsPending));
    if (pending.length > 0)
      items.push({
        kind: 'settings-pending',
        message: `Settings pending on ${pending.length} module${pending.length === 1 ? '' : 's'} (${pending.map((m) => m.name).join(', ')}): open their solution and click Apply Settings (or Republish when the session provider changed).`,
        page: 'factory/modules',
      });
    const drifting = farm.view.frontends.filter((fe) => fe.drift.length > 0);
    if (drifting.length > 0)
      items.push({
        kind: 'drift',
        // One front-end's sentences say it all; the others' say the same from their side.
        message: `The front-end servers are not configured alike: ${drifting[0]!.drift.join('; ')}. Make the configuration the same on every front-end server.`,
        page: 'monitoring/frontends',
      });
    const last = recent[0];
    if (last !== undefined && last.state === 'failed')
      items.push({
        kind: 'failed-operation',
        message: `The last operation (${last.id}, ${last.kind}) failed: open it to see the front-end, the module and what to do.`,
        page: `operations/${last.id}`,
      });
    for (const [, notes] of farm.notes)
      for (const warning of notes.warnings)
        items.push({
          kind: warning.includes('certificate') ? 'certificate' : 'heartbeat',
          message: warning,
          page: 'monitoring/frontends',
        });
    return items;
  }

  // --- changing -----------------------------------------------------------

  async createSolution(
    actor: Actor,
    request: { readonly name?: unknown; readonly allModules?: unknown; readonly modules?: unknown },
  ): Promise<SolutionView> {
    const name = solutionName(request.name, 'name');
    const allModules = optionalBoolean(request.allModules, 'allModules');
    const modules = request.modules === undefined ? [] : moduleNames(request.modules, 'modules');
    const chosen = allModules ? (await this.#database.factory.listModules()).map((m) => m.name) : modules;
    await this.#database.solutions.createSolution(name, chosen);
    return this.#solutionChanged(
      actor,
      'solution.create',
      name,
      chosen.length ? modulesDetail(chosen) : null,
    );
  }

  async renameSolution(
    actor: Actor,
    name: string,
    request: { readonly name?: unknown },
  ): Promise<SolutionView> {
    const newName = solutionName(request.name, 'name');
    await this.#database.solutions.renameSolution(name, newName);
    return this.#solutionChanged(actor, 'solution.rename', name, `new name: ${newName}`, newName);
  }

  async deleteSolution(actor: Actor, name: string): Promise<void> {
    await this.#database.solutions.deleteSolution(name);
    await this.#audit(actor, 'solution.delete', name, null);
  }

  async addModules(
    actor: Actor,
    name: string,
    request: { readonly modules?: unknown },
  ): Promise<SolutionView> {
    const modules = moduleNames(request.modules, 'modules');
    await this.#database.solutions.addModules(name, modules);
    return this.#solutionChanged(actor, 'solution.add-modules', name, modulesDetail(modules));
  }

  async removeModules(
    actor: Actor,
    name: string,
    request: { readonly modules?: unknown },
  ): Promise<SolutionView> {
    const modules = moduleNames(request.modules, 'modules');
    const solution = await this.#database.solutions.getSolution(name);
    const absent = modules.find((module) => !solution.modules.includes(module));
    if (absent !== undefined)
      throw badInput('modules', `the solution ${quoteInput(name)} has no module ${quoteInput(absent)}.`);
    await this.#database.solutions.removeModules(name, modules);
    return this.#solutionChanged(actor, 'solution.remove-modules', name, modulesDetail(modules));
  }

  /** Adds every module of the factory to the solution (the "all modules" solution of step 3). */
  async associateAllModules(actor: Actor, name: string): Promise<SolutionView> {
    const all = (await this.#database.factory.listModules()).map((m) => m.name);
    if (name === ALL_MODULES_SOLUTION) await this.#database.solutions.ensureAllModules();
    else await this.#database.solutions.addModules(name, all);
    return this.#solutionChanged(actor, 'solution.associate-all-modules', name, modulesDetail(all));
  }

  /**
   * Publishes the module package at `source` (a `.tgz` or a folder): validated
   * (a bad one throws its `TESSERA_MODULE_*` error and nothing is stored), stored as
   * the module's next version, made its running version, and deployed to the
   * front-end servers that are up (none up: each deploys it when it starts).
   */
  async publishModule(actor: Actor, source: string): Promise<PublishStarted> {
    const started = await this.#starter.publish(source, { requestedBy: actor.user });
    await this.#audit(
      actor,
      'module.publish',
      started.module,
      `operation ${started.operationId}; version ${started.version}`,
    );
    this.#log?.info(
      { operation: started.operationId, module: started.module, version: started.version, user: actor.user },
      'module published',
    );
    return started;
  }

  /** Apply Settings to the solution's modules; refused while an operation runs on any of them. */
  applySettings(actor: Actor, name: string): Promise<OperationView> {
    return this.#startOperation(actor, 'apply-settings', { solution: name });
  }

  /** Republish the solution's modules (their running versions). */
  republish(actor: Actor, name: string): Promise<OperationView> {
    return this.#startOperation(actor, 'republish', { solution: name });
  }

  /**
   * Apply Settings or Republish on modules named directly, outside any solution
   * (`tessera module apply-settings|republish`), or on every published module: the
   * same checks as on a solution, audited as `module.apply-settings` or
   * `module.republish`.
   */
  startOnModules(
    actor: Actor,
    kind: Exclude<OperationKind, 'publish'>,
    modules: readonly string[] | 'all',
  ): Promise<OperationView> {
    return this.#startOperation(actor, kind, { modules });
  }

  async #startOperation(
    actor: Actor,
    kind: Exclude<OperationKind, 'publish'>,
    on: { readonly solution: string } | { readonly modules: readonly string[] | 'all' },
  ): Promise<OperationView> {
    const db = this.#database;
    let solution: SolutionRecord | null = null;
    let modules: readonly string[];
    if ('solution' in on) {
      solution = await db.solutions.getSolution(on.solution);
      modules = solution.modules;
      if (modules.length === 0) throw emptySolution(solution.name);
    } else modules = await this.#publishedModules(on.modules);
    const running = await this.#runningOn(modules);
    if (running !== null)
      throw operationRunning(
        solution === null ? { modules } : { solution: solution.name },
        running.id,
        running.kind,
      );
    // An operation needs a front-end to carry it out; one addressed to none would never end.
    const up = farmView(await db.frontends.list(), Date.now()).view.frontends.filter(
      (fe) => fe.state === 'up' || fe.state === 'starting',
    );
    if (up.length === 0) throw noFrontend();
    const id = await this.#starter.start({
      kind,
      solutionId: solution?.id ?? null,
      modules,
      requestedBy: actor.user,
    });
    if (solution !== null)
      await this.#audit(
        actor,
        `solution.${kind}`,
        solution.name,
        `operation ${id}; ${modulesDetail(modules)}`,
      );
    else await this.#audit(actor, `module.${kind}`, modules.join(', '), `operation ${id}`);
    this.#log?.info(
      { operation: id, kind, solution: solution?.name, modules, user: actor.user },
      'operation started',
    );
    return this.operation(id);
  }

  /** The modules named (each published), or every published module. */
  async #publishedModules(names: readonly string[] | 'all'): Promise<string[]> {
    const published = (await this.#database.factory.listModules())
      .filter((m) => m.runningVersion !== null)
      .map((m) => m.name);
    if (names === 'all') {
      if (published.length === 0)
        throw badInput('modules', 'no module is published yet: tessera module publish <folder>.');
      return published;
    }
    const chosen = moduleNames([...names], 'modules');
    const unknown = chosen.find((name) => !published.includes(name));
    if (unknown !== undefined)
      throw badInput(
        'modules',
        `no published module is named ${quoteInput(unknown)}: see tessera module list.`,
      );
    return chosen;
  }

  /** An open operation touching any of `modules`, or null. */
  async #runningOn(modules: readonly string[]): Promise<{ id: number; kind: OperationKind } | null> {
    const db = this.#database;
    const ids = new Set(
      (await db.factory.listModules()).filter((m) => modules.includes(m.name)).map((m) => m.id),
    );
    for (const operation of await db.operations.recent(100)) {
      if (!isOpen(operation.state)) continue;
      if (operation.progress.some((step) => ids.has(step.moduleId)))
        return { id: operation.id, kind: operation.kind };
    }
    return null;
  }

  async #names(): Promise<NameLookup> {
    const db = this.#database;
    const [frontends, modules, solutions] = await Promise.all([
      db.frontends.list(),
      db.factory.listModules(),
      db.db.selectFrom('solutions').select(['id', 'name']).execute(),
    ]);
    return {
      frontends: new Map(frontends.map((fe) => [fe.id, fe.name])),
      modules: new Map(modules.map((m) => [m.id, m.name])),
      solutions: new Map(solutions.map((s) => [s.id, s.name])),
    };
  }

  /** Audits a change of the solution `target` and answers with the solution (`shown`: its name now). */
  async #solutionChanged(
    actor: Actor,
    action: string,
    target: string,
    detail: string | null,
    shown = target,
  ): Promise<SolutionView> {
    await this.#audit(actor, action, target, detail);
    return this.solution(shown);
  }

  async #audit(actor: Actor, action: string, target: string, detail: string | null): Promise<void> {
    await this.#database.users.audit({
      userName: actor.user,
      action,
      target,
      detail: detail === null ? `from ${actor.from}` : `from ${actor.from}; ${detail}`,
    });
    this.#log?.info({ user: actor.user, from: actor.from, action, target }, 'Service Center change');
  }
}

/**
 * The part of the front-end servers' operations service (`OperationsService`) that
 * publishes a module and starts Apply Settings and Republish for a list of modules.
 */
export interface ModuleOperations {
  publishModule(source: string, options: { readonly requestedBy: string }): Promise<PublishStarted>;
  applySettings(
    moduleNames: readonly string[],
    options: { readonly requestedBy: string },
  ): Promise<{ readonly operationId: number }>;
  republish(
    moduleNames: readonly string[],
    options: { readonly requestedBy: string },
  ): Promise<{ readonly operationId: number }>;
}

/**
 * Starts operations through the front-end servers' operations service (which
 * addresses them to the front-ends that are up and wakes them), then records the
 * solution they were asked for on, for the solution's history.
 */
export function operationsStarter(
  operations: ModuleOperations,
  database: PlatformDatabase,
): OperationStarter {
  return {
    async start(request) {
      const options = { requestedBy: request.requestedBy };
      const { operationId } =
        request.kind === 'apply-settings'
          ? await operations.applySettings(request.modules, options)
          : await operations.republish(request.modules, options);
      if (request.solutionId !== null)
        await database.operations.attachSolution(operationId, request.solutionId);
      return operationId;
    },
    publish: (source, options) => operations.publishModule(source, options),
  };
}

/**
 * The starter used when no operations service is given (tests of this layer): records the operation, pending on every registered front-end that is
 * not stopped for each module; the front-ends take their pending targets. Publishing
 * goes through the operations service, which validates and stores the package.
 */
function recordingStarter(database: PlatformDatabase): OperationStarter {
  return {
    async start(request) {
      const frontends = (await database.frontends.list()).filter((fe) => fe.state !== 'stopped');
      const modules = (await database.factory.listModules()).filter((m) => request.modules.includes(m.name));
      return database.operations.start({
        kind: request.kind,
        solutionId: request.solutionId,
        requestedBy: request.requestedBy,
        targets: frontends.flatMap((fe) => modules.map((m) => ({ frontendId: fe.id, moduleId: m.id }))),
      });
    },
    publish: (source, options) => new OperationsService(database).publishModule(source, options),
  };
}

function solutionName(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw badInput(field, 'give the solution a name (text, not empty).');
  const name = value.trim();
  if (Array.from(name).length > SOLUTION_NAME_MAX_CHARS)
    throw badInput(field, `a solution name has at most ${SOLUTION_NAME_MAX_CHARS} characters.`);
  if (/[\u0000-\u001f\u007f]/.test(name))
    throw badInput(field, 'a solution name cannot hold control characters.');
  return name;
}

function moduleNames(value: unknown, field: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((m) => typeof m === 'string' && m.trim() !== '')
  )
    throw badInput(field, 'give a list of module names, e.g. ["shop", "catalog"].');
  return [...new Set(list.map((m: string) => m.trim()))];
}

function optionalBoolean(value: unknown, field: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw badInput(field, 'true or false.');
  return value;
}

/** The modules of a solution change, as the audit log shows them. */
function modulesDetail(modules: readonly string[]): string {
  return `modules: ${modules.join(', ')}`;
}
