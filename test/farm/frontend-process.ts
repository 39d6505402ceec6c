/**
 * Front-end server processes for the farm test (`frontend.ts`, each its own Node
 * process with its own store), and a browser-like client whose one cookie goes to
 * any front-end. Every process started here is killed when the test process exits,
 * even when a test fails before its `after` hook runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { get, type Reply } from '../http/http-helpers.ts';
import type { TlsRedisTarget } from '../support/tls-redis.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const APP = resolve(import.meta.dirname, 'frontend.ts');
/** How long a front-end may take to start (tsx, TLS material, connect). */
const START_TIMEOUT_MS = 30_000;

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface FrontendEvent {
  readonly event: string;
  readonly [field: string]: unknown;
}

export interface Frontend {
  readonly name: string;
  readonly url: string;
  /** Resolves with the first event (already printed, or to come) that `matches`. */
  event(matches: (event: FrontendEvent) => boolean, timeoutMs?: number): Promise<FrontendEvent>;
  /** SIGTERM (the app closes its server and store), SIGKILL if it has not exited within 5 s. */
  stop(): Promise<void>;
}

/**
 * Starts `frontend.ts` in its own process against `redis`, or against the
 * platform database its `env` names (`FARM_DATABASE_URL`, with `NO_REDIS`); resolves once it listens.
 */
export async function startFrontend(
  name: string,
  redis: Pick<TlsRedisTarget, 'connectionString' | 'env'>,
  env: Readonly<Record<string, string>> = {},
): Promise<Frontend> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=tessera-source', APP], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...redis.env,
      ...env,
      FARM_NAME: name,
      FARM_CONNECTION_STRING: redis.connectionString,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const exited = once(child, 'exit').then(() => running.delete(child));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = `${stderr}${chunk}`.slice(-4000);
  });

  const events: FrontendEvent[] = [];
  const listeners = new Set<(event: FrontendEvent) => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let event: FrontendEvent;
    try {
      event = JSON.parse(line) as FrontendEvent;
    } catch {
      return; // not one of the app's event lines
    }
    events.push(event);
    for (const listener of listeners) listener(event);
  });

  const event = (matches: (e: FrontendEvent) => boolean, timeoutMs = 10_000) =>
    new Promise<FrontendEvent>((resolvePromise, reject) => {
      const found = events.find(matches);
      if (found) return resolvePromise(found);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(listener);
        child.off('exit', onExit);
      };
      const listener = (e: FrontendEvent) => {
        if (!matches(e)) return;
        done();
        resolvePromise(e);
      };
      const onExit = (code: number | null) => {
        done();
        reject(new Error(`front-end ${name} exited (${code}):\n${stderr}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`front-end ${name}: no such event within ${timeoutMs} ms:\n${stderr}`));
      }, timeoutMs);
      listeners.add(listener);
      child.once('exit', onExit);
    });

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  try {
    const { port } = await event((e) => e.event === 'listening', START_TIMEOUT_MS);
    return { name, url: `http://127.0.0.1:${port}`, event, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What `startFrontend` takes instead of a Redis server for a farm over the platform database. */
export const NO_REDIS = { connectionString: '', env: {} } as unknown as Pick<
  TlsRedisTarget,
  'connectionString' | 'env'
>;

/** A reply of the farm app, with its JSON body. */
export interface FarmReply extends Reply {
  readonly json: Record<string, unknown>;
  /** When the request was sent (`performance.now()`). */
  readonly startedAt: number;
}

/** A browser: one cookie jar, whichever front-end it talks to (the load balancer's choice). */
export class FarmClient {
  cookie: string | undefined;

  async get(frontend: Frontend, path: string, options: { signal?: AbortSignal } = {}): Promise<FarmReply> {
    const startedAt = performance.now();
    const reply = await get(
      `${frontend.url}${path}`,
      this.cookie ? { cookie: `tessera.sid=${this.cookie}` } : {},
      options.signal,
    );
    for (const line of reply.setCookies) {
      const [pair] = line.split(';');
      const [cookieName, value] = pair!.split('=');
      if (cookieName !== 'tessera.sid') continue;
      this.cookie = /Max-Age=0/i.test(line) ? undefined : value;
    }
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(reply.body) as Record<string, unknown>;
    } catch {
      // A 503 of the session middleware is plain text.
    }
    return { ...reply, json, startedAt };
  }
}
