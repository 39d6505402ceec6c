/**
 * The orchestrator's side of an application process: fork it (TypeScript through
 * tsx, the package resolved to its sources), wait for its port, ask its CPU time,
 * stop it. Every process started here is killed when the orchestrator exits,
 * whatever the reason.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { ChildMessage, ParentMessage } from './app-child.ts';
import { BENCH_REDIS_VARIABLE, type BenchRedis } from './config.ts';

export const APP_NAMES = ['tessera', 'tessera-get-readonly', 'connect-redis', 'baseline'] as const;
export type AppName = (typeof APP_NAMES)[number];

/** The program of each app, and its arguments: the GET-readonly variant is the Tessera app with one option. */
const PROGRAMS: Readonly<Record<AppName, { readonly file: string; readonly args: readonly string[] }>> = {
  tessera: { file: 'tessera.ts', args: [] },
  'tessera-get-readonly': { file: 'tessera.ts', args: ['--get-readonly'] },
  'connect-redis': { file: 'connect-redis.ts', args: [] },
  baseline: { file: 'baseline.ts', args: [] },
};

const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface StartOptions {
  readonly redis: BenchRedis;
  /** Write a V8 CPU profile of this app into this folder (written when it stops). */
  readonly cpuProfileDir?: string | undefined;
}

export class AppProcess {
  readonly name: AppName;
  readonly url: string;
  readonly #child: ChildProcess;

  private constructor(name: AppName, child: ChildProcess, port: number) {
    this.name = name;
    this.#child = child;
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(name: AppName, options: StartOptions): Promise<AppProcess> {
    const execArgv = ['--conditions=tessera-source', '--import', 'tsx'];
    if (options.cpuProfileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`);
    const program = PROGRAMS[name];
    const child = fork(join(import.meta.dirname, 'apps', program.file), [...program.args], {
      execArgv,
      env: { ...process.env, [BENCH_REDIS_VARIABLE]: JSON.stringify(options.redis) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    running.add(child);
    child.once('exit', () => running.delete(child));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`The ${name} app did not start within ${STARTUP_TIMEOUT_MS} ms.`));
      }, STARTUP_TIMEOUT_MS);
      child.on('message', (message: ChildMessage) => {
        if (message.type !== 'ready') return;
        clearTimeout(timer);
        resolve(message.port);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(`The ${name} app exited (${signal ?? code}) before it was ready; its output is above.`),
        );
      });
    });
    return new AppProcess(name, child, port);
  }

  /** CPU time (user + system) the app has used since it started, in microseconds. */
  async cpuMicros(): Promise<number> {
    const reply = new Promise<number>((resolve) => {
      const onMessage = (message: ChildMessage) => {
        if (message.type !== 'cpu') return;
        this.#child.off('message', onMessage);
        resolve(message.micros);
      };
      this.#child.on('message', onMessage);
    });
    this.#send({ type: 'cpu' });
    return reply;
  }

  /** Asks the app to close its server and store and exit; kills it if it does not. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    this.#send({ type: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  #send(message: ParentMessage): void {
    this.#child.send(message);
  }
}
