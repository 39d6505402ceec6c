/**
 * The server configuration of one front-end server: where the file is, its schema,
 * reading and writing it (atomically, refusing lost updates), its secrets
 * encrypted with the server's private key file, and the Redis connection string
 * it is the single source of. See docs/configuration-tool.md.
 */
import { readConfiguration } from './config-file.ts';
import { resolveConfigLocation } from './location.ts';
import { connectionStringFor } from './redis-settings.ts';

export {
  type AppliedState,
  appliedState,
  serviceCenterStep,
  settingsFingerprint,
  withApplied,
} from './applied.ts';
export { CONFIG_FILE_LIMITS } from './bounded-file.ts';
export {
  type FileSnapshot,
  type LoadedConfiguration,
  type ReadOptions,
  readConfiguration,
  refuseIfChanged,
  saveConfiguration,
} from './config-file.ts';
export { hasSecrets } from './config-format.ts';
export { CONFIG_ERROR_CODES, ConfigError, type ConfigErrorCode } from './errors.ts';
export {
  type ClientCertificateFingerprint,
  FARM_FINGERPRINT_FIELDS,
  type FarmFingerprint,
  type FarmFingerprintField,
  farmFingerprint,
  formatFarmFingerprint,
  parseFarmFingerprint,
} from './farm-fingerprint.ts';
export {
  defaultFrontendName,
  FRONTEND_DEFAULTS,
  FRONTEND_MAX_WORKERS,
  type FrontendSettings,
  type FrontendSettingsInUse,
  frontendOf,
  frontendProblems,
} from './frontend-settings.ts';
export {
  CONFIG_FILE_NAME,
  type ConfigLocation,
  type ConfigSource,
  defaultConfigPath,
  describeSource,
  type LocationOptions,
  PRIVATE_KEY_FILE_NAME,
  resolveConfigLocation,
  SYSTEM_CONFIG_PATH,
} from './location.ts';
export {
  PLATFORM_DATABASE_SETTINGS,
  POSTGRES_DEFAULT_PORT,
  settingsOfProvider,
} from './platform-database-setting-table.ts';
export {
  defaultSqlitePath,
  platformDatabaseOf,
  platformDatabaseProblems,
} from './platform-database-settings.ts';
export { loadOrCreatePrivateKey, PRIVATE_KEY_BYTES, type PrivateKey, readPrivateKey } from './private-key.ts';
export {
  REDIS_ADVANCED_OPTION_NAMES,
  REDIS_ADVANCED_SETTINGS,
  REDIS_SETTINGS,
  type RedisAdvancedOption,
} from './redis-setting-table.ts';
export {
  certificateNamesChecked,
  connectionStringFor,
  hostProblem,
  redactedConnectionString,
  redisSettingsFromConnectionString,
  redisSettingsProblems,
  type SettingProblem,
} from './redis-settings.ts';
export {
  type AppliedRecord,
  CONFIG_VERSION,
  DEFAULT_CONFIGURATION,
  DEFAULT_SQLITE_FILE_NAME,
  PLATFORM_DATABASE_PROVIDERS,
  type PlatformDatabaseProvider,
  type PlatformDatabaseSettings,
  type RedisSessionSettings,
  SERVICE_CENTER_STEPS,
  SESSION_PROVIDER_LABELS,
  SESSION_PROVIDERS,
  type ServerConfiguration,
  type ServiceCenterStep,
  type SessionProviderName,
  type SessionSettings,
} from './schema.ts';
export { Secret } from './secret.ts';
export { decryptSecret, encryptSecret, parseEncryptedValue } from './secret-encryption.ts';
export { SECRET_FIELD_NAMES, SECRET_FIELDS, type SecretField, shellWord } from './secret-fields.ts';
export { SETTING_GROUPS } from './setting-groups.ts';
export {
  docsRows,
  expects,
  flagHelp,
  flagOf,
  flagSyntax,
  kebab,
  readSettingText,
  SETTING_KINDS,
  type SettingGroup,
  type SettingKind,
  type SettingSpec,
  shownDefault,
  specOf,
} from './setting-table.ts';

/**
 * The Redis connection string of this server's configuration, for
 * `tessera config test-connection` without `--connection-string` and for the
 * front-end server at start.
 *
 * `configPath` is the `--config` option (undefined: `TESSERA_CONFIG`, then the
 * default location; `env` defaults to `process.env`). The string holds the
 * password in clear: print it only through the Redis layer's redaction. Throws a
 * `ConfigError`: `TESSERA_CONFIG_NOT_REDIS` when the provider is not Redis (also
 * when the file does not exist: the default is in-memory), or the error of a
 * file that cannot be read (syntax, unknown field, private key…).
 */
export async function loadConnectionStringFromConfig(
  configPath?: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const location = resolveConfigLocation({ path: configPath, env });
  const loaded = await readConfiguration(location);
  return connectionStringFor(loaded.configuration, location.path);
}
export { CONFIG_UPGRADES, type ConfigUpgrade } from './versions.ts';
