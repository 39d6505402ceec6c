/**
 * The server configuration file, version 2 (see versions.ts for the versions): its JSON form (validated with zod)
 * and the in-memory form the rest of Tessera reads.
 *
 * ```json
 * {
 *   "version": 2,
 *   "session": {
 *     "provider": "redis",
 *     "redis": {
 *       "hosts": ["redis1.example.com:6380", "redis2.example.com:6380"],
 *       "password": { "$encrypted": "v1:…" },
 *       "useSsl": true,
 *       "sslHost": "redis.example.com"
 *     }
 *   }
 * }
 * ```
 *
 * `"platformDatabase"` (optional) says where the platform database is:
 * `{ "provider": "sqlite", "path": "/var/lib/tessera/platform.db" }` or
 * `{ "provider": "postgres", "host": "db.example.com", "port": 5432, "database":
 * "tessera", "user": "tessera", "password": { "$encrypted": "v1:…" }, "ssl": true }`.
 *
 * Every field is documented in docs/configuration-tool.md. Unknown fields are
 * refused (a misspelt field would otherwise be silently ignored). The Redis
 * settings are kept when the provider is switched away from Redis, so switching
 * back restores them.
 */
import { z } from 'zod';
import { type FrontendSettings, frontendFileSchema } from './frontend-settings.ts';
import { PLATFORM_DATABASE_SETTING_SPECS } from './platform-database-setting-table.ts';
import { REDIS_SETTING_SPECS } from './redis-setting-table.ts';
import type { Secret } from './secret.ts';
import { settingsShape } from './setting-table.ts';

export type { StoredSecret } from './setting-table.ts';

/** Narrows a table to the settings of one provider, keeping their literal types. */
function isFor<P extends string>(provider: P) {
  return <S extends { readonly provider: string }>(spec: S): spec is Extract<S, { readonly provider: P }> =>
    spec.provider === provider;
}

/** The version of the file this Tessera writes; versions.ts upgrades every older one to it. */
export const CONFIG_VERSION = 2;

/** Where this front-end server keeps its users' session state. */
export const SESSION_PROVIDERS = ['memory', 'database', 'redis'] as const;
export type SessionProviderName = (typeof SESSION_PROVIDERS)[number];

/** The names the Configuration Tool shows for each provider. */
export const SESSION_PROVIDER_LABELS = {
  memory: 'In-memory',
  database: 'Database',
  redis: 'Redis',
} as const satisfies Record<SessionProviderName, string>;

/** The Redis session settings, as the rest of Tessera reads them. */
export interface RedisSessionSettings {
  /** `host:port` endpoints (`[::1]:6380` for IPv6), in connection string order. */
  readonly hosts: readonly string[];
  readonly password?: Secret;
  /** ACL user (Redis 6+). Absent: the `default` user. */
  readonly user?: string;
  readonly useSsl: boolean;
  /** Name sent as SNI and checked in the server certificate. Absent: each host's own name. */
  readonly sslHost?: string;
  readonly connectTimeoutMs?: number;
  readonly syncTimeoutMs?: number;
  readonly asyncTimeoutMs?: number;
  readonly defaultDatabase?: number;
  readonly connectRetry?: number;
  readonly keepAliveSeconds?: number;
  readonly abortConnect?: boolean;
  readonly allowAdmin?: boolean;
  readonly clientName?: string;
  readonly serviceName?: string;
  readonly sslProtocols?: string;
  /**
   * Options of the connection string accepted with no effect here (`version`,
   * `setlib`…), by key: kept so that the connection string is written back as given,
   * and listed by the tools as "accepted, no effect here".
   */
  readonly noEffectOptions?: Readonly<Record<string, string>>;
}

export interface SessionSettings {
  readonly provider: SessionProviderName;
  /** Kept when another provider is chosen, so switching back restores them. */
  readonly redis?: RedisSessionSettings;
}

/** What `tessera config apply` recorded the last time it applied the settings. */
export interface AppliedRecord {
  /** 1 for the first apply, then one more each time. */
  readonly revision: number;
  /** ISO 8601 time of the apply. */
  readonly at: string;
  readonly provider: SessionProviderName;
  /** The provider the modules used before this apply (the previous apply's, else the default, memory). */
  readonly providerBefore: SessionProviderName;
  /** HMAC-SHA256 (keyed with the private key) of the applied session settings: tells whether they changed since. */
  readonly settingsHash: string;
  /** What the operator had to do in Service Center after this apply. */
  readonly serviceCenterStep: ServiceCenterStep;
  /** True when applied with `--force` although Test Connection failed. */
  readonly forced?: boolean;
}

/**
 * What the operator must do in Service Center after an apply, per the user's
 * document (step 3): nothing, **Apply Settings** (the provider stayed Redis: the
 * modules only need the new connection string), or **Republish** (the session
 * provider changed: the modules must be rebuilt).
 */
export const SERVICE_CENTER_STEPS = ['none', 'apply-settings', 'republish'] as const;
export type ServiceCenterStep = (typeof SERVICE_CENTER_STEPS)[number];

/** The engines the platform database runs on. */
export const PLATFORM_DATABASE_PROVIDERS = ['sqlite', 'postgres'] as const;
export type PlatformDatabaseProvider = (typeof PLATFORM_DATABASE_PROVIDERS)[number];

/** The file name of the default platform database, in the folder of the configuration file. */
export const DEFAULT_SQLITE_FILE_NAME = 'platform.db';

/**
 * Where the platform database is. SQLite: one file (absent `path`: `platform.db` in
 * the folder of the configuration file). PostgreSQL: a server of a farm.
 */
export type PlatformDatabaseSettings =
  | { readonly provider: 'sqlite'; readonly path?: string }
  | {
      readonly provider: 'postgres';
      readonly host: string;
      readonly port: number;
      readonly database: string;
      readonly user: string;
      /** Absent: none (PGPASSWORD is then read when connecting). */
      readonly password?: Secret;
      /** Connect over TLS, verifying the server certificate against the default roots. */
      readonly ssl: boolean;
    };

export interface ServerConfiguration {
  readonly version: typeof CONFIG_VERSION;
  readonly session: SessionSettings;
  /** Absent: SQLite, in the folder of the configuration file. */
  readonly platformDatabase?: PlatformDatabaseSettings;
  /** Absent: every front-end setting at its default (frontend-settings.ts). */
  readonly frontend?: FrontendSettings;
  readonly applied?: AppliedRecord;
}

/** The configuration of a server that has no configuration file yet. */
export const DEFAULT_CONFIGURATION: ServerConfiguration = Object.freeze({
  version: CONFIG_VERSION,
  session: Object.freeze({ provider: 'memory' as const }),
});

// ---------------------------------------------------------------------------
// The JSON form

const nonEmpty = z.string().min(1);
const integer = (min: number) => z.int().min(min);

// The settings' fields come from their tables (setting-table.ts); only what no one sets by hand is added here.
const redisFileSchema = z.strictObject({
  ...settingsShape(REDIS_SETTING_SPECS),
  noEffectOptions: z.record(z.string(), z.string()).optional(),
});

const appliedFileSchema = z.strictObject({
  revision: integer(1),
  at: z.iso.datetime({ offset: true }),
  provider: z.enum(SESSION_PROVIDERS),
  providerBefore: z.enum(SESSION_PROVIDERS),
  settingsHash: nonEmpty,
  serviceCenterStep: z.enum(SERVICE_CENTER_STEPS),
  forced: z.boolean().optional(),
});

const platformDatabaseFileSchema = z.discriminatedUnion('provider', [
  z.strictObject({
    provider: z.literal('sqlite'),
    ...settingsShape(PLATFORM_DATABASE_SETTING_SPECS.filter(isFor('sqlite'))),
  }),
  z.strictObject({
    provider: z.literal('postgres'),
    ...settingsShape(PLATFORM_DATABASE_SETTING_SPECS.filter(isFor('postgres'))),
  }),
]);

export const configurationFileSchema = z.strictObject({
  version: z.literal(CONFIG_VERSION),
  session: z
    .strictObject({
      provider: z.enum(SESSION_PROVIDERS),
      redis: redisFileSchema.optional(),
    })
    .refine((session) => session.provider !== 'redis' || session.redis !== undefined, {
      message: 'the redis provider needs its settings: add "redis": { "hosts": ["host:port"] }',
      path: ['redis'],
    }),
  platformDatabase: platformDatabaseFileSchema.optional(),
  frontend: frontendFileSchema.optional(),
  applied: appliedFileSchema.optional(),
});

export type PlatformDatabaseFileSettings = z.infer<typeof platformDatabaseFileSchema>;
export type RedisFileSettings = z.infer<typeof redisFileSchema>;
export type ConfigurationFile = z.infer<typeof configurationFileSchema>;

/** Every field name the file knows, for "did you mean" hints on a misspelt field. */
export const KNOWN_FIELDS = {
  '': ['version', 'session', 'platformDatabase', 'frontend', 'applied'],
  session: ['provider', 'redis'],
  'session.redis': Object.keys(redisFileSchema.shape),
  platformDatabase: [
    ...new Set(platformDatabaseFileSchema.options.flatMap((option) => Object.keys(option.shape))),
  ],
  frontend: Object.keys(frontendFileSchema.shape),
  applied: Object.keys(appliedFileSchema.shape),
} as const satisfies Record<string, readonly string[]>;
