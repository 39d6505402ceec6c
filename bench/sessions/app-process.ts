/**
 * The orchestrator's side of an application process: fork it (TypeScript through
 * tsx, the package resolved to its sources), wait for its port, ask its CPU time and
 * event-loop delay, stop it. Every process started here is killed when the orchestrator exits,
 * whatever the reason.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { AppSample, ChildMessage, ParentMessage } from './app-child.ts';
import {
  BENCH_DATABASES_VARIABLE,
  BENCH_REDIS_VARIABLE,
  type BenchDatabases,
  type BenchEngine,
  type BenchRedis,
} from './config.ts';

export const APP_NAMES = [
  'tessera',
  'tessera-get-readonly',
  'tessera-sqlite',
  'tessera-postgres',
  'connect-redis',
  'baseline',
] as const;
export type AppName = (typeof APP_NAMES)[number];

interface Program {
  readonly file: string;
  readonly args: readonly string[];
  /** The platform database the app keeps its sessions in (the others use the run's Redis or none). */
  readonly database?: BenchEngine;
  /** One line for `--help`. */
  readonly summary: string;
}

/** The program of each app, and its arguments: the variants of Tessera are one app with an option. */
export const PROGRAMS: Readonly<Record<AppName, Program>> = {
  tessera: { file: 'tessera.ts', args: [], summary: 'Tessera over Redis (mutual TLS), mode exclusive' },
  'tessera-get-readonly': {
    file: 'tessera.ts',
    args: ['--get-readonly'],
    summary: 'the same, GET and HEAD readonly',
  },
  'tessera-sqlite': {
    file: 'tessera-database.ts',
    args: ['--engine', 'sqlite'],
    database: 'sqlite',
    summary: 'Tessera over the platform database, a SQLite file (fresh for the run)',
  },
  'tessera-postgres': {
    file: 'tessera-database.ts',
    args: ['--engine', 'postgres'],
    database: 'postgres',
    summary:
      'Tessera over the platform database, PostgreSQL on 127.0.0.1:5432 (a database created for the run)',
  },
  'connect-redis': {
    file: 'connect-redis.ts',
    args: [],
    summary: 'express-session + connect-redis 9 over node-redis 5 (the anchor)',
  },
  baseline: { file: 'baseline.ts', args: [], summary: 'the same routes with no session' },
};

const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface StartOptions {
  readonly redis: BenchRedis;
  readonly databases: BenchDatabases;
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
      env: {
        ...process.env,
        [BENCH_REDIS_VARIABLE]: JSON.stringify(options.redis),
        [BENCH_DATABASES_VARIABLE]: JSON.stringify(options.databases),
      },
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

  /** The app's CPU time so far, and its event-loop delay since the previous sample (which this one starts over). */
  async sample(): Promise<AppSample> {
    const reply = new Promise<AppSample>((resolve) => {
      const onMessage = (message: ChildMessage) => {
        if (message.type !== 'sample') return;
        this.#child.off('message', onMessage);
        const { type: _, ...sample } = message;
        resolve(sample);
      };
      this.#child.on('message', onMessage);
    });
    this.#send({ type: 'sample' });
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
