/**
 * The supervisor of a front-end server's workers (`node:cluster` primary). Workers
 * come in generations: the first is started by `start`, and every `reload` starts
 * a whole new generation on a new plan, waits until each of its workers has loaded
 * every module and listens, and only then drains the previous generation. A new
 * generation that fails to load aborts the reload: its workers are stopped and the
 * previous generation keeps serving, untouched.
 *
 * A worker of the serving generation that exits without being asked is replaced
 * after a back-off (`RESTART_BACKOFF_MS`, reset once a worker has lived
 * `STABLE_AFTER_MS`), and logged.
 */
import cluster, { type Worker } from 'node:cluster';
import { type AddressInfo, createServer } from 'node:net';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FrontendError, moduleLoadFailed } from './errors.ts';
import type { Logger } from './logger.ts';
import type { PlannedModule, SupervisorMessage, WorkerMessage, WorkerPlan } from './messages.ts';
import { SessionRelay } from './session-relay.ts';

export const SUPERVISOR_DEFAULTS = {
  /** How long draining workers may finish their requests before they are stopped. */
  drainTimeoutMs: 30_000,
  /** How long a new worker may take to load its modules and listen. */
  loadTimeoutMs: 60_000,
} as const;

/** Waits before replacing a crashed worker: the nth crash in a row waits the nth entry (the last one after). */
const RESTART_BACKOFF_MS = [100, 500, 1_000, 2_000, 5_000, 10_000] as const;
const STABLE_AFTER_MS = 30_000;

export interface SupervisorOptions {
  readonly frontend: string;
  readonly host: string;
  readonly port: number;
  readonly workers: number;
  readonly configPath: string;
  readonly privateKeyPath: string;
  readonly pretty: boolean;
  readonly log: Logger;
  readonly drainTimeoutMs?: number;
  readonly loadTimeoutMs?: number;
}

interface Generation {
  readonly plan: WorkerPlan;
  readonly workers: Set<Worker>;
  retiring: boolean;
}

export class Supervisor {
  #options: SupervisorOptions & { readonly drainTimeoutMs: number; readonly loadTimeoutMs: number };
  readonly #relay = new SessionRelay();
  readonly #draining = new Set<Promise<void>>();
  #current: Generation | undefined;
  #generations = 0;
  #crashes = 0;
  #stopping = false;
  /** The port the workers listen on (the configured one, or the one chosen for port 0). */
  port = 0;

  constructor(options: SupervisorOptions) {
    this.#options = { ...SUPERVISOR_DEFAULTS, ...options };
    const exec = fileURLToPath(
      new URL(`./worker-main${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
    );
    cluster.setupPrimary({ exec, execArgv: workerExecArgv(process.execArgv), serialization: 'advanced' });
  }

  /** The modules the serving workers run. */
  get modules(): readonly PlannedModule[] {
    return this.#current?.plan.modules ?? [];
  }

  /** Starts the first generation. Rejects (with every worker stopped) when it cannot load or listen. */
  async start(modules: readonly PlannedModule[]): Promise<void> {
    // Port 0 is chosen once: a worker replacing the only one of its generation, and every later
    // generation, must listen on the same port.
    if (this.#options.port === 0)
      this.#options = { ...this.#options, port: await freePort(this.#options.host) };
    this.#current = await this.#startGeneration(modules);
  }

  /**
   * Serves `modules` with no failed request: a new generation, then the old one
   * drained. Resolves once the new generation serves (the old one may still be
   * finishing its requests). Rejects with `TESSERA_FRONTEND_MODULE_LOAD` when the
   * new generation cannot load; the old one then keeps serving.
   */
  async reload(modules: readonly PlannedModule[]): Promise<void> {
    const next = await this.#startGeneration(modules);
    const previous = this.#current;
    this.#current = next;
    if (previous) this.#retire(previous);
  }

  /** Drains every worker (bounded by the drain timeout); resolves when all have exited. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#current) this.#retire(this.#current);
    this.#current = undefined;
    while (this.#draining.size > 0) await Promise.all([...this.#draining]);
    await this.#relay.close();
  }

  /** Stops every worker at once (a second signal). */
  kill(): void {
    this.#stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
  }

  async #startGeneration(modules: readonly PlannedModule[]): Promise<Generation> {
    const o = this.#options;
    this.#generations += 1;
    const generation: Generation = {
      plan: {
        frontend: o.frontend,
        generation: this.#generations,
        host: o.host,
        port: o.port,
        configPath: o.configPath,
        privateKeyPath: o.privateKeyPath,
        pretty: o.pretty,
        modules,
      },
      workers: new Set(),
      retiring: false,
    };
    const started = Array.from({ length: o.workers }, () => this.#fork(generation));
    const outcomes = await Promise.allSettled(started);
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) {
      for (const worker of generation.workers) worker.process.kill('SIGKILL');
      throw failed.reason;
    }
    for (const worker of generation.workers) this.#watchCrash(generation, worker);
    o.log.info(
      { generation: generation.plan.generation, modules: modules.map((m) => `${m.name}@${m.version}`) },
      'workers ready',
    );
    return generation;
  }

  /** Forks one worker of `generation`; resolves once it serves, rejects when it cannot load. */
  #fork(generation: Generation): Promise<Worker> {
    const o = this.#options;
    const worker = cluster.fork({ TESSERA_FRONTEND_WORKER: '1' });
    generation.workers.add(worker);
    this.#relay.serve(worker);
    return new Promise<Worker>((resolve, reject) => {
      const timer = setTimeout(
        () => fail(undefined, `the worker did not load its modules within ${o.loadTimeoutMs} ms.`),
        o.loadTimeoutMs,
      );
      const fail = (module: string | undefined, message: string, code?: string) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        generation.workers.delete(worker);
        worker.process.kill('SIGKILL');
        reject(
          code === 'TESSERA_FRONTEND_LISTEN'
            ? new FrontendError(code, message)
            : moduleLoadFailed(o.frontend, module, message),
        );
      };
      const onMessage = (message: WorkerMessage) => {
        if (message?.type === 'listening') {
          worker.send({ type: 'plan', plan: generation.plan } satisfies SupervisorMessage);
        } else if (message?.type === 'ready') {
          clearTimeout(timer);
          worker.off('message', onMessage);
          worker.off('exit', onExit);
          this.port = message.port;
          resolve(worker);
        } else if (message?.type === 'load-failed') fail(message.module, message.message, message.code);
      };
      const onExit = (code: number | null, signal: string | null) =>
        fail(undefined, `the worker exited while loading (code ${code}, signal ${signal}).`);
      worker.on('message', onMessage);
      worker.on('exit', onExit);
    });
  }

  #watchCrash(generation: Generation, worker: Worker): void {
    const startedAt = Date.now();
    worker.once('exit', (code, signal) => {
      generation.workers.delete(worker);
      if (generation.retiring || this.#stopping || generation !== this.#current) return;
      if (Date.now() - startedAt >= STABLE_AFTER_MS) this.#crashes = 0;
      const delayMs = RESTART_BACKOFF_MS[Math.min(this.#crashes, RESTART_BACKOFF_MS.length - 1)]!;
      this.#crashes += 1;
      this.#options.log.error(
        {
          pid: worker.process.pid,
          generation: generation.plan.generation,
          code,
          signal,
          restartInMs: delayMs,
          crashesInARow: this.#crashes,
        },
        'worker exited unexpectedly; replacing it',
      );
      setTimeout(() => this.#replace(generation), delayMs);
    });
  }

  #replace(generation: Generation): void {
    if (generation.retiring || this.#stopping || generation !== this.#current) return;
    this.#fork(generation).then(
      (worker) => this.#watchCrash(generation, worker),
      (error: unknown) => {
        this.#options.log.error({ err: error }, 'replacement worker failed to start');
        const delayMs = RESTART_BACKOFF_MS[Math.min(this.#crashes++, RESTART_BACKOFF_MS.length - 1)]!;
        setTimeout(() => this.#replace(generation), delayMs);
      },
    );
  }

  /** Tells the generation's workers to drain, and stops those still there after the drain timeout. */
  #retire(generation: Generation): void {
    generation.retiring = true;
    const timeoutMs = this.#options.drainTimeoutMs;
    const exits = [...generation.workers].map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.isDead()) return resolve();
          const kill = setTimeout(() => worker.process.kill('SIGKILL'), timeoutMs + 5_000);
          worker.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          if (worker.isConnected()) worker.send({ type: 'drain', timeoutMs } satisfies SupervisorMessage);
          else worker.process.kill('SIGTERM');
        }),
    );
    const drained = Promise.all(exits).then(() => {
      this.#draining.delete(drained);
      this.#options.log.info({ generation: generation.plan.generation }, 'workers drained');
    });
    this.#draining.add(drained);
  }
}

/** The supervisor's Node options for its workers, less a script given with `-e`/`-p` (the workers run worker-main). */
function workerExecArgv(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const option = execArgv[i]!;
    if (['-e', '--eval', '-p', '--print'].includes(option)) i += 1;
    else if (!/^(--eval|--print|--input-type)=/.test(option) && option !== '--input-type') kept.push(option);
    else if (option === '--input-type') i += 1;
  }
  return kept;
}

/** A port free on `host` now. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
