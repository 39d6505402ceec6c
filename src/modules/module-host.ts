/**
 * The module host: what a front-end worker serves. Each module at `/<name>/`, its
 * listener seeing `req.url` without the prefix (`req.originalUrl` keeps it) and
 * `req.session` already loaded with its application's session settings. The
 * modules of one application share one store, one session key and one cookie;
 * two applications never see each other's sessions (their keys differ in the
 * store, and so do their cookies).
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { type SessionHandler, sessionCookieName, sessionMiddleware } from '../http/index.ts';
import type { SessionStore } from '../session/index.ts';
import { ModuleError } from './errors.ts';
import { loadModule } from './load-module.ts';
import { applicationKey, moduleNameProblem } from './names.ts';
import { type ModuleRuntimeSettings, publicRuntimeSettings } from './runtime-settings.ts';
import { createSessionStoreForModule } from './store-factory.ts';

/** A module version deployed on this front-end: where it is unpacked and the settings of its artifact. */
export interface HostedModule {
  readonly name: string;
  readonly application: string;
  readonly version: number;
  readonly folder: string;
  readonly settings: ModuleRuntimeSettings;
}

export interface ModuleHostOptions {
  readonly modules: readonly HostedModule[];
  readonly frontend: { readonly name: string };
  readonly log: Logger;
  /**
   * Opens an application's store (default `createSessionStoreForModule`). The
   * front-end server passes its own for the memory provider, to keep sessions
   * across reloads.
   */
  readonly storeFor?: (settings: ModuleRuntimeSettings, applicationKey: string) => Promise<SessionStore>;
  /** How long a module's import and createModule may take (default 30 s). */
  readonly loadTimeoutMs?: number;
  /** Trust `X-Forwarded-Proto` from the load balancer in front (for the cookie's `Secure`); default false. */
  readonly trustProxy?: boolean;
}

export interface ModuleHost {
  /** Serves every module; answers 404 for a path that names none. */
  readonly listener: RequestListener;
  readonly modules: ReadonlyArray<{
    readonly name: string;
    readonly version: number;
    readonly revision: string;
  }>;
  /** Waits for the requests in flight, then closes the stores (each first releases the locks an outage left waiting). */
  close(): Promise<void>;
}

interface ServedModule {
  readonly name: string;
  readonly listener: RequestListener;
  readonly session: SessionHandler;
  readonly log: Logger;
}

/** `req.originalUrl`, as Express names it: the URL before the host took the module's prefix away. */
export interface HostedRequest extends IncomingMessage {
  originalUrl?: string;
}

/**
 * Opens the stores and loads every module. Rejects, with nothing left open, when
 * a module fails to load (the error names it and its file) or a store cannot be
 * opened; `TESSERA_MODULE_HOST` for a list of modules that cannot be served
 * together (a name twice, a reserved name).
 */
export async function createModuleHost(options: ModuleHostOptions): Promise<ModuleHost> {
  const { frontend, log } = options;
  const storeFor = options.storeFor ?? ((settings) => createSessionStoreForModule(settings));
  const modules = [...options.modules].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  checkModules(modules);

  const applications = new Map<string, HostedModule[]>();
  for (const module of modules) {
    const key = applicationKey(module.application);
    applications.set(key, [...(applications.get(key) ?? []), module]);
  }
  const stores = new Map<string, SessionStore>();
  const closeStores = () => Promise.allSettled([...stores.values()].map((store) => store.close()));
  try {
    await Promise.all(
      [...applications].map(async ([key, members]) => {
        const first = members[0]!;
        const differing = members.filter((m) => !sameStore(m.settings, first.settings));
        if (differing.length > 0) {
          log.warn(
            { application: first.application, modules: members.map((m) => m.name) },
            `The modules of application ${first.application} have different session providers; all use the settings of ${first.name} (revision ${first.settings.revision}). Apply Settings to all of them.`,
          );
        }
        stores.set(key, await storeFor(first.settings, key));
      }),
    );
    const served = await Promise.all(
      modules.map(async (module): Promise<ServedModule> => {
        const key = applicationKey(module.application);
        const moduleLog = log.child({
          module: module.name,
          application: module.application,
          version: module.version,
        });
        const listener = await loadModule({
          folder: module.folder,
          context: Object.freeze({
            name: module.name,
            application: module.application,
            basePath: `/${module.name}/`,
            settings: publicRuntimeSettings(module.settings),
            log: moduleLog,
            frontend: Object.freeze({ name: frontend.name }),
          }),
          ...(options.loadTimeoutMs === undefined ? {} : { timeoutMs: options.loadTimeoutMs }),
        });
        const session = sessionMiddleware({
          store: stores.get(key)!,
          appKey: key,
          name: sessionCookieName(key),
          timeoutMinutes: module.settings.timeoutMinutes,
          mode: module.settings.mode,
          trustProxy: options.trustProxy ?? false,
          onError: (error, req) => moduleLog.error({ err: error, url: req.url }, 'session error'),
        });
        return { name: module.name, listener, session, log: moduleLog };
      }),
    );
    return serve(
      new Map(served.map((module) => [module.name, module])),
      modules.map((m) => Object.freeze({ name: m.name, version: m.version, revision: m.settings.revision })),
      closeStores,
    );
  } catch (error) {
    await closeStores();
    throw error;
  }
}

function serve(
  served: ReadonlyMap<string, ServedModule>,
  modules: ModuleHost['modules'],
  closeStores: () => Promise<unknown>,
): ModuleHost {
  let inFlight = 0;
  let closing: Promise<void> | undefined;
  let idle: (() => void) | undefined;
  const finished = () => {
    inFlight -= 1;
    if (inFlight === 0) idle?.();
  };

  const listener: RequestListener = (req, res) => {
    const url = req.url ?? '/';
    const match = /^\/([^/?#]*)(.*)$/s.exec(url);
    const module = match ? served.get(match[1]!) : undefined;
    if (!match || !module) return plain(res, 404, 'Not Found: no module is served at this path.\n');
    const rest = match[2]!;
    if (!rest.startsWith('/')) {
      // `/shop` and `/shop?x=1`: the module's relative links need the trailing slash.
      res.writeHead(308, { location: `/${module.name}/${rest}` }).end();
      return;
    }
    if (closing)
      return plain(res, 503, 'Service Unavailable: this worker is stopping.\n', { 'retry-after': '1' });
    inFlight += 1;
    res.once('close', finished);
    const request = req as HostedRequest;
    request.originalUrl ??= url;
    req.url = rest;
    void handle(module, req, res);
  };

  const close = async () => {
    if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
    await closeStores();
  };
  return {
    listener,
    modules,
    close: () => {
      closing ??= close();
      return closing;
    },
  };

  async function handle(module: ServedModule, req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await module.session(req, res);
      if (res.writableEnded || res.destroyed) return;
      await module.listener(req, res);
    } catch (error) {
      module.log.error(
        { err: error, url: (req as HostedRequest).originalUrl },
        'the module failed a request',
      );
      if (!res.headersSent) plain(res, 500, 'Internal Server Error\n');
      else res.destroy();
    }
  }
}

function plain(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

function sameStore(a: ModuleRuntimeSettings, b: ModuleRuntimeSettings): boolean {
  return a.provider === b.provider && a.connectionString === b.connectionString;
}

function checkModules(modules: readonly HostedModule[]): void {
  const seen = new Set<string>();
  for (const module of modules) {
    const problem = moduleNameProblem(module.name);
    if (problem !== undefined)
      throw new ModuleError('TESSERA_MODULE_HOST', `The module name ${problem}; it cannot be served.`);
    if (seen.has(module.name))
      throw new ModuleError(
        'TESSERA_MODULE_HOST',
        `Module ${module.name} is listed twice; a front-end serves one version of each module.`,
      );
    seen.add(module.name);
  }
}
