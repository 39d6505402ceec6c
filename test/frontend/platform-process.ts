/**
 * Real `tessera start` processes (from the sources) for the front-end server tests,
 * each with its own server configuration in a fresh folder, and `tessera` commands
 * run against one of them. Every process started here is killed when the test
 * process exits, even when a test fails before its `after` hook runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { freshFolder } from '../config/helpers.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = resolve(import.meta.dirname, 'tessera-cli.ts');
const START_TIMEOUT_MS = 60_000;
export const MODULES = resolve(import.meta.dirname, 'modules');

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function tessera(args: readonly string[], env: Readonly<Record<string, string>>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=tessera-source', CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** The platform database every front-end of a test names. */
export type PlatformDatabaseSetting =
  | { readonly provider: 'sqlite'; readonly path: string }
  | {
      readonly provider: 'postgres';
      readonly host: string;
      readonly port: number;
      readonly database: string;
      readonly user: string;
    };

/** A server configuration in a fresh folder: its path. */
export function serverConfiguration(options: {
  readonly name: string;
  readonly database: PlatformDatabaseSetting;
  readonly provider?: 'memory' | 'database';
  /** The whole `session` section (the Redis provider's settings), instead of `provider`. */
  readonly session?: Record<string, unknown>;
  readonly workers?: number;
}): string {
  const folder = freshFolder();
  mkdirSync(folder, { recursive: true });
  const path = join(folder, 'server.json');
  writeFileSync(
    path,
    JSON.stringify({
      version: 2,
      session: options.session ?? { provider: options.provider ?? 'memory' },
      platformDatabase: options.database,
      frontend: { name: options.name, port: 0, workers: options.workers ?? 1 },
    }),
  );
  return path;
}

export interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `tessera …` with `configPath` as its server configuration (and `env`, e.g. the `SERedis_*` variables). */
export async function runTessera(
  configPath: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<Outcome> {
  const child = tessera(args, { ...env, TESSERA_CONFIG: configPath });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

export interface LogEvent {
  readonly msg?: string;
  readonly [field: string]: unknown;
}

export interface RunningFrontend {
  readonly name: string;
  readonly configPath: string;
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  readonly child: ChildProcess;
  readonly logs: LogEvent[];
  /** Resolves with the first log event (past or to come) that `matches`. */
  log(matches: (event: LogEvent) => boolean, timeoutMs?: number): Promise<LogEvent>;
  /** Sends `signal` and resolves with the exit code (SIGKILL after 20 s). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `tessera start` on `configPath`; resolves once it printed its ready line. */
export async function startFrontend(
  name: string,
  configPath: string,
  env: Readonly<Record<string, string>> = {},
): Promise<RunningFrontend> {
  const child = tessera(['start'], { ...env, TESSERA_CONFIG: configPath });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = `${stderr}${chunk}`.slice(-4000);
  });
  const logs: LogEvent[] = [];
  const listeners = new Set<(line: string, event: LogEvent | undefined) => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let event: LogEvent | undefined;
    try {
      event = JSON.parse(line) as LogEvent;
      logs.push(event);
    } catch {
      event = undefined;
    }
    for (const listener of listeners) listener(line, event);
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);

  const waitFor = <T>(
    pick: (line: string, event: LogEvent | undefined) => T | undefined,
    timeoutMs: number,
  ) =>
    new Promise<T>((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`front-end ${name}: not seen within ${timeoutMs} ms:\n${stderr}`));
      }, timeoutMs);
      const listener = (line: string, event: LogEvent | undefined) => {
        const found = pick(line, event);
        if (found === undefined) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolvePromise(found);
      };
      listeners.add(listener);
      exited.then((code) => {
        clearTimeout(timer);
        listeners.delete(listener);
        reject(new Error(`front-end ${name} exited (${code}):\n${stderr}`));
      });
    });

  const log = (matches: (event: LogEvent) => boolean, timeoutMs = 30_000) => {
    const found = logs.find(matches);
    if (found) return Promise.resolve(found);
    return waitFor((_line, event) => (event && matches(event) ? event : undefined), timeoutMs);
  };

  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };

  try {
    const url = await waitFor((line) => {
      const match = /^Front-end server (\S+) ready at (http:\/\/\S+)$/.exec(line);
      return match?.[1] === name ? match[2] : undefined;
    }, START_TIMEOUT_MS);
    return { name, configPath, url: url!, child, logs, log, stop };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A browser of one user: one cookie jar for every front-end (a load balancer with no affinity). */
export class Browser {
  cookie: string | undefined;
  readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  get(url: string): Promise<Reply> {
    return new Promise((resolvePromise, reject) => {
      const req = request(
        url,
        { agent: this.agent, headers: this.cookie ? { cookie: this.cookie } : {} },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () => {
            const set = res.headers['set-cookie'];
            if (set?.[0]) this.cookie = set[0].split(';')[0];
            resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface LoadReport {
  requests: number;
  failed: number;
  /** Connections that broke (reset, closed with no reply). */
  dropped: number;
  /** A visit count that was not one more than the user's previous one. */
  lostUpdates: number;
  errors: string[];
  servedBy: Set<string>;
}

/**
 * Users that each send requests one after the other until `stop()`, each checking
 * that its visit count grows by one every time: with `alternate`, each request to
 * the next front-end (shared sessions); without, each user keeps to one front-end
 * (memory sessions are per front-end).
 */
export function steadyLoad(
  frontends: readonly string[],
  options: { readonly users: number; readonly path: string; readonly alternate: boolean },
) {
  const { users, path } = options;
  const report: LoadReport = {
    requests: 0,
    failed: 0,
    dropped: 0,
    lostUpdates: 0,
    errors: [],
    servedBy: new Set(),
  };
  let stopped = false;
  const loops = Array.from({ length: users }, async (_, user) => {
    const browser = new Browser();
    let expected = 1;
    let turn = user;
    try {
      while (!stopped) {
        const target = frontends[options.alternate ? turn++ % frontends.length : user % frontends.length]!;
        try {
          const reply = await browser.get(new URL(path, target).toString());
          report.requests += 1;
          if (reply.status !== 200) {
            report.failed += 1;
            report.errors.push(`${reply.status} ${reply.body.slice(0, 200)}`);
            continue;
          }
          const json = JSON.parse(reply.body) as {
            visits: number;
            pid: number;
            marker: string;
            revision: string;
          };
          report.servedBy.add(`${json.pid}`);
          if (json.visits !== expected) {
            report.lostUpdates += 1;
            report.errors.push(`user ${user}: visit ${json.visits}, expected ${expected}`);
          }
          expected = json.visits + 1;
        } catch (error) {
          report.requests += 1;
          report.dropped += 1;
          report.errors.push(`user ${user}: ${(error as Error).message}`);
        }
      }
    } finally {
      browser.close();
    }
  });
  return {
    report,
    async stop(): Promise<LoadReport> {
      stopped = true;
      await Promise.all(loops);
      return report;
    },
  };
}
