/**
 * `tessera start`: one front-end server. Reads the server configuration, opens the
 * platform database (migrating it), registers the server, catches up with what the
 * farm runs, starts its workers, heartbeats, and takes operations. `stop` drains.
 */
import { dirname, join } from 'node:path';
import {
  farmFingerprint,
  frontendOf,
  loadOrCreatePrivateKey,
  readConfiguration,
  resolveConfigLocation,
  type ServerConfiguration,
} from '../config/index.ts';
import { hasErrorCode } from '../errors.ts';
import { type DatabaseSettings, databaseSettingsOf, PlatformDatabase } from '../platform/index.ts';
import { ensureFirstAdministrator } from '../servicecenter/index.ts';
import { TlsMaterial } from '../tls/index.ts';
import { packageVersion } from '../version.ts';
import { DeploymentAgent } from './deployment-agent.ts';
import { DeploymentFolder } from './deployment-folder.ts';
import { createLogger, type Logger } from './logger.ts';
import { SERVICE_CENTER_PATH } from './service-center-mount.ts';
import { Supervisor } from './supervisor.ts';

export const FRONTEND_SERVER_DEFAULTS = {
  heartbeatMs: 2_000,
} as const;

export interface FrontendServerOptions {
  /** `--config`; absent: `TESSERA_CONFIG`, then the default location. */
  readonly configPath?: string | undefined;
  readonly pretty?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly drainTimeoutMs?: number;
}

export interface FrontendServer {
  readonly name: string;
  /** `http://<address>:<port>/` */
  readonly url: string;
  readonly log: Logger;
  /** Drains the workers and leaves the farm (the server is recorded as stopped). */
  stop(): Promise<void>;
  /** Stops every worker at once. */
  kill(): void;
  /**
   * Service Center's first administrator when this start created it (the farm had no
   * user): its password, to print once. It is stored only as a scrypt hash.
   */
  readonly firstAdministrator: { readonly name: string; readonly password: string } | null;
}

export async function startFrontendServer(options: FrontendServerOptions = {}): Promise<FrontendServer> {
  const env = options.env ?? process.env;
  const location = resolveConfigLocation({ path: options.configPath, env });
  const loaded = await readConfiguration(location);
  const settings = frontendOf(loaded.configuration);
  const log = createLogger({ name: settings.name, pretty: options.pretty ?? false });
  await loadOrCreatePrivateKey(location.privateKeyPath);
  const database = await openPlatformDatabase(databaseSettingsOf(loaded), env);
  const supervisor = new Supervisor({
    frontend: settings.name,
    host: settings.host,
    port: settings.port,
    workers: settings.workers,
    configPath: location.path,
    privateKeyPath: location.privateKeyPath,
    pretty: options.pretty ?? false,
    log,
    ...(options.drainTimeoutMs !== undefined ? { drainTimeoutMs: options.drainTimeoutMs } : {}),
  });
  let state: 'starting' | 'ready' | 'draining' | 'stopped' = 'starting';
  const fingerprintOf = (configuration: ServerConfiguration) =>
    farmFingerprint(configuration, {
      tls: usesSsl(configuration) ? TlsMaterial.fromEnvironment(env).report() : null,
      version: packageVersion(),
    });
  let fingerprint = fingerprintOf(loaded.configuration);
  // `tessera config apply` on this server while it runs: the farm sees the settings it
  // applied (and the modules whose artifacts are older have settings pending).
  const refreshFingerprint = async () => {
    const { configuration } = await readConfiguration(location);
    if ((configuration.applied?.revision ?? 0) !== fingerprint.revision)
      fingerprint = fingerprintOf(configuration);
  };
  let firstAdministrator: FrontendServer['firstAdministrator'] = null;
  const addressOf = (port: number) =>
    `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${port}/`;
  let heartbeat: NodeJS.Timeout | undefined;
  let agent: DeploymentAgent | undefined;
  try {
    const frontendId = await database.frontends.register({
      name: settings.name,
      address: addressOf(settings.port),
      state,
      settingsFingerprint: fingerprint,
    });
    agent = new DeploymentAgent({
      database,
      frontendId,
      frontend: settings.name,
      folder: new DeploymentFolder(join(dirname(location.path), 'deployments')),
      supervisor,
      configPath: location.path,
      fingerprintOf,
      log,
    });
    await agent.catchUp();
    firstAdministrator = await ensureFirstAdministrator(database);
    state = 'ready';
    await database.frontends.register({
      name: settings.name,
      address: addressOf(supervisor.port),
      state,
      settingsFingerprint: fingerprint,
    });
    heartbeat = setInterval(() => {
      refreshFingerprint()
        .catch((error: unknown) => log.warn({ err: error }, 'the server configuration cannot be read'))
        .then(() => database.frontends.heartbeat(settings.name, state, fingerprint))
        .catch((error: unknown) => log.warn({ err: error }, 'heartbeat failed'));
    }, FRONTEND_SERVER_DEFAULTS.heartbeatMs);
    await agent.start();
  } catch (error) {
    clearInterval(heartbeat);
    await agent?.stop();
    await supervisor.stop().catch(() => {});
    await database.close();
    throw error;
  }
  const url = addressOf(supervisor.port);
  log.info({ url, modules: agent.deployed.map((m) => `${m.name}@${m.version}`) }, 'front-end server ready');
  let stopping: Promise<void> | undefined;
  return {
    name: settings.name,
    url,
    log,
    firstAdministrator,
    kill: () => supervisor.kill(),
    stop() {
      stopping ??= (async () => {
        state = 'draining';
        log.info('draining');
        await database.frontends.heartbeat(settings.name, state, fingerprint).catch(() => {});
        await agent.stop();
        await supervisor.stop();
        clearInterval(heartbeat);
        state = 'stopped';
        await database.frontends.heartbeat(settings.name, state, fingerprint).catch(() => {});
        await database.close();
        log.info('stopped');
      })();
      return stopping;
    },
  };
}

/**
 * Opens (and migrates) the platform database. Front-end servers starting at the same
 * moment on a new SQLite file can find it busy while another one creates the schema
 * or switches it to WAL: they try again, a few times, before giving up.
 */
async function openPlatformDatabase(
  settings: DatabaseSettings,
  env: NodeJS.ProcessEnv,
): Promise<PlatformDatabase> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await PlatformDatabase.open(settings, { env });
    } catch (error) {
      if (!hasErrorCode(error, 'TESSERA_PLATFORM_BUSY') || attempt >= OPEN_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt + Math.random() * 200));
    }
  }
}

const OPEN_ATTEMPTS = 5;

/** Whether the server's sessions go to Redis over TLS: its fingerprint then names the client certificate. */
function usesSsl(configuration: ServerConfiguration): boolean {
  return configuration.session.provider === 'redis' && configuration.session.redis?.useSsl === true;
}

/** Service Center's address on a front-end at `url`. */
export function serviceCenterUrl(url: string): string {
  return new URL(SERVICE_CENTER_PATH, url).toString();
}
