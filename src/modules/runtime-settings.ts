/**
 * A module's runtime settings: what its configuration artifact carries from the
 * front-end's applied server configuration to the module (session provider,
 * connection string, timeout, mode) and the revision they came from.
 */
import {
  type ConfigLocation,
  connectionStringFor,
  platformDatabaseOf,
  type ServerConfiguration,
} from '../config/index.ts';
import { describeDatabase, parseDatabaseUrl } from '../platform/index.ts';
import { parseConnectionString, redactConnectionString } from '../redis/index.ts';
import { SESSION_DEFAULTS, SESSION_MODES, type SessionMode } from '../session/index.ts';

export const MODULE_SESSION_PROVIDERS = ['memory', 'redis', 'database'] as const;
export type ModuleSessionProvider = (typeof MODULE_SESSION_PROVIDERS)[number];

export interface ModuleRuntimeSettings {
  readonly provider: ModuleSessionProvider;
  /**
   * Redis: the connection string (StackExchange.Redis syntax); database: the
   * platform database address (`sqlite:/…`, `postgres://…`). It holds the password
   * in clear: it lives only in memory, and is encrypted in the artifact.
   */
  readonly connectionString?: string;
  /** Sliding expiry of the application's sessions, in minutes. */
  readonly timeoutMinutes: number;
  readonly mode: SessionMode;
  /** The revision of the applied server configuration these settings came from. */
  readonly revision: string;
}

/** The settings a module sees in `context.settings`: the same, the connection string replaced by its label. */
export interface PublicRuntimeSettings {
  readonly provider: ModuleSessionProvider;
  /** `redis1:6380,password=*****,ssl=true`, `PostgreSQL tessera@db:5432/tessera`, absent for memory. */
  readonly connection?: string;
  readonly timeoutMinutes: number;
  readonly mode: SessionMode;
  readonly revision: string;
}

/** The server configuration as read (`readConfiguration`), or its configuration and where it is. */
export interface ServerConfigurationSource {
  readonly configuration: ServerConfiguration;
  readonly location: Pick<ConfigLocation, 'path'>;
}

/**
 * The runtime settings of the modules of a front-end server whose applied server
 * configuration is `config`. Timeout and mode are the session defaults until the
 * server configuration holds them (`session.timeoutMinutes`, `session.mode`).
 */
export function runtimeSettingsFromServerConfiguration(
  config: ServerConfigurationSource,
): ModuleRuntimeSettings {
  const { configuration, location } = config;
  const session = configuration.session as ServerConfiguration['session'] & {
    readonly timeoutMinutes?: number;
    readonly mode?: SessionMode;
  };
  const common = {
    timeoutMinutes: session.timeoutMinutes ?? SESSION_DEFAULTS.timeoutMinutes,
    mode: session.mode ?? SESSION_DEFAULTS.mode,
    revision: String(configuration.applied?.revision ?? 0),
  };
  switch (session.provider) {
    case 'memory':
      return Object.freeze({ provider: 'memory', ...common });
    case 'redis':
      return Object.freeze({
        provider: 'redis',
        connectionString: connectionStringFor(configuration, location.path),
        ...common,
      });
    case 'database':
      return Object.freeze({
        provider: 'database',
        connectionString: platformDatabaseAddress(configuration, location),
        ...common,
      });
  }
}

/** The platform database of the configuration as an address, password in clear. */
function platformDatabaseAddress(
  configuration: ServerConfiguration,
  location: Pick<ConfigLocation, 'path'>,
): string {
  const settings = platformDatabaseOf(configuration, location);
  if (settings.provider === 'sqlite') return `sqlite:${settings.path}`;
  const password =
    settings.password === undefined ? '' : `:${encodeURIComponent(settings.password.reveal())}`;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return (
    `postgres://${encodeURIComponent(settings.user)}${password}@${host}:${settings.port}/` +
    `${encodeURIComponent(settings.database)}${settings.ssl ? '?ssl=true' : ''}`
  );
}

/** `settings` without the secret: what a module and its logs may see. */
export function publicRuntimeSettings(settings: ModuleRuntimeSettings): PublicRuntimeSettings {
  const { provider, timeoutMinutes, mode, revision } = settings;
  const connection = connectionLabel(settings);
  return Object.freeze({
    provider,
    ...(connection === undefined ? {} : { connection }),
    timeoutMinutes,
    mode,
    revision,
  });
}

function connectionLabel(settings: ModuleRuntimeSettings): string | undefined {
  if (settings.connectionString === undefined) return undefined;
  try {
    if (settings.provider === 'redis')
      return redactConnectionString(parseConnectionString(settings.connectionString));
    if (settings.provider === 'database')
      return describeDatabase(parseDatabaseUrl(settings.connectionString));
  } catch {
    return '(not readable)';
  }
  return undefined;
}

/** Why `settings` cannot be a module's runtime settings, or `undefined`. Never quotes the connection string. */
export function runtimeSettingsProblem(settings: unknown): string | undefined {
  if (typeof settings !== 'object' || settings === null) return 'must be an object';
  const { provider, connectionString, timeoutMinutes, mode, revision } = settings as Record<string, unknown>;
  if (!MODULE_SESSION_PROVIDERS.includes(provider as ModuleSessionProvider))
    return `provider must be one of ${MODULE_SESSION_PROVIDERS.join(', ')}`;
  if (provider !== 'memory' && (typeof connectionString !== 'string' || connectionString === ''))
    return `the ${provider} provider needs its connection string`;
  if (typeof timeoutMinutes !== 'number' || !Number.isFinite(timeoutMinutes) || timeoutMinutes <= 0)
    return 'timeoutMinutes must be a number of minutes above 0';
  if (!SESSION_MODES.includes(mode as SessionMode)) return `mode must be one of ${SESSION_MODES.join(', ')}`;
  if (typeof revision !== 'string' || revision === '') return 'revision must be a non-empty string';
  return undefined;
}
