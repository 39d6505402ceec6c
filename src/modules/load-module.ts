/**
 * Loading a module in a worker: its entry imported, its factory called with the
 * module's context, and the request listener it returns checked. Each failure
 * names the file and what to change.
 */

import { lstat } from 'node:fs/promises';
import type { RequestListener } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { ModuleError } from './errors.ts';
import { describeExports, factoryOf } from './module-factory.ts';
import { readManifest } from './module-package.ts';
import type { PublicRuntimeSettings } from './runtime-settings.ts';

/** What `createModule(context)` receives. */
export interface ModuleContext {
  /** The module's name, from its package.json. */
  readonly name: string;
  /** The application it belongs to (its modules share their users' sessions). */
  readonly application: string;
  /** Where it is served: `/<name>/` (the listener sees `req.url` without it; `req.originalUrl` keeps it). */
  readonly basePath: string;
  /** Its runtime settings, the connection string replaced by a label without the password. */
  readonly settings: PublicRuntimeSettings;
  /** A pino logger whose lines carry the module's name. */
  readonly log: Logger;
  /** The front-end server running it. */
  readonly frontend: { readonly name: string };
}

export const LOAD_MODULE_DEFAULTS = { timeoutMs: 30_000 } as const;

/**
 * Imports the entry of the module in `folder` (its package.json's `main`), calls
 * its factory with `context` (sync or async) and returns the request listener.
 * Throws `TESSERA_MODULE_PACKAGE_JSON`, `_ENTRY_MISSING`, `_ENTRY_FAILED`,
 * `_NO_FACTORY` or `_LOAD_TIMEOUT`.
 */
export async function loadModule(options: {
  readonly folder: string;
  readonly context: ModuleContext;
  readonly timeoutMs?: number;
}): Promise<RequestListener> {
  const { folder, context } = options;
  const timeoutMs = options.timeoutMs ?? LOAD_MODULE_DEFAULTS.timeoutMs;
  const manifest = await readManifest(folder, join(folder, 'package.json'));
  const entry = join(folder, manifest.main);
  if (!(await lstat(entry).catch(() => undefined))?.isFile()) {
    throw new ModuleError(
      'TESSERA_MODULE_ENTRY_MISSING',
      `Module ${context.name}: the entry ${entry} does not exist. Publish the module again (its package was checked at publish; this deployment is damaged).`,
      { file: entry },
    );
  }
  let namespace: Record<string, unknown>;
  try {
    namespace = await withTimeout(
      import(pathToFileURL(entry).href),
      timeoutMs,
      entry,
      'was still being imported',
    );
  } catch (error) {
    if (error instanceof ModuleError) throw error;
    throw new ModuleError(
      'TESSERA_MODULE_ENTRY_FAILED',
      `Module ${context.name}: ${entry} throws when it is imported (${describe(error)}). Fix the module and publish a new version.`,
      { cause: error, file: entry },
    );
  }
  const factory = factoryOf(namespace);
  if (factory === undefined) {
    throw new ModuleError(
      'TESSERA_MODULE_NO_FACTORY',
      `Module ${context.name}: ${entry} exports ${describeExports(namespace)}, not a factory. Default-export createModule(context), which returns the request listener.`,
      { file: entry },
    );
  }
  let listener: unknown;
  try {
    listener = await withTimeout(
      Promise.resolve().then(() => factory(context)),
      timeoutMs,
      `Module ${context.name}: ${entry}`,
      'had not returned from createModule',
    );
  } catch (error) {
    if (error instanceof ModuleError) throw error;
    throw new ModuleError(
      'TESSERA_MODULE_ENTRY_FAILED',
      `Module ${context.name}: createModule in ${entry} failed (${describe(error)}). Fix the module and publish a new version.`,
      { cause: error, file: entry },
    );
  }
  if (typeof listener !== 'function') {
    throw new ModuleError(
      'TESSERA_MODULE_NO_FACTORY',
      `Module ${context.name}: createModule in ${entry} returned ${listener === null ? 'null' : typeof listener}, not a request listener. ` +
        'Return a function (req, res) => { … }: an Express app is one; for Fastify, `await app.ready()` and return (req, res) => app.routing(req, res).',
      { file: entry },
    );
  }
  return listener as RequestListener;
}

async function withTimeout<T>(
  work: Promise<T>,
  timeoutMs: number,
  subject: string,
  what: string,
): Promise<T> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      work,
      sleep(timeoutMs, undefined, { signal: timer.signal }).then(() => {
        throw new ModuleError(
          'TESSERA_MODULE_LOAD_TIMEOUT',
          `${subject} ${what} after ${timeoutMs} ms. Make createModule return once the module is ready, without waiting for anything that may never come.`,
        );
      }),
    ]);
  } finally {
    timer.abort();
  }
}

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
