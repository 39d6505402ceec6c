/**
 * The file's settings to the configuration the server uses: each secret decoded
 * (plain text as written, or decrypted with the private key file), every setting's
 * own rules checked, the result frozen. A secret that cannot be decrypted is a
 * `ConfigError` naming the field and what to do (secret-fields.ts).
 */
import { ConfigError } from './errors.ts';
import { frontendProblems } from './frontend-settings.ts';
import type { ConfigLocation } from './location.ts';
import { platformDatabaseProblems } from './platform-database-settings.ts';
import { readPrivateKey } from './private-key.ts';
import { redisSettingsProblems, type SettingProblem } from './redis-settings.ts';
import {
  type AppliedRecord,
  CONFIG_VERSION,
  type ConfigurationFile,
  type PlatformDatabaseFileSettings,
  type PlatformDatabaseSettings,
  type RedisFileSettings,
  type RedisSessionSettings,
  type ServerConfiguration,
  type StoredSecret,
} from './schema.ts';
import { Secret } from './secret.ts';
import { decryptSecret, parseEncryptedValue } from './secret-encryption.ts';
import { SECRET_FIELD_NAMES, type SecretField, secretRemedy, valueAt, withValueAt } from './secret-fields.ts';

/**
 * The configuration of `file`, its secrets decoded except those in `replacing`
 * (left without a value, for the caller to set), and the secret fields found in
 * plain text. Throws `TESSERA_CONFIG_INVALID` or a private key error.
 */
export async function decodeConfiguration(
  file: ConfigurationFile,
  location: ConfigLocation,
  replacing: readonly SecretField[],
): Promise<{ configuration: ServerConfiguration; plainTextSecrets: string[] }> {
  const plainTextSecrets: string[] = [];
  // The secrets first, each by its path; the sections are then read without them.
  let withoutSecrets = file;
  const secrets = new Map<SecretField, Secret>();
  for (const field of SECRET_FIELD_NAMES) {
    const stored = valueAt(file, field) as StoredSecret | undefined;
    if (stored === undefined) continue;
    withoutSecrets = withValueAt(withoutSecrets, field, undefined);
    if (replacing.includes(field)) continue;
    const secret = await decodeSecret(stored, field, location, plainTextSecrets);
    if (secret !== undefined) secrets.set(field, secret);
  }
  const { session, platformDatabase, frontend, applied } = withoutSecrets;
  let configuration: ServerConfiguration = {
    version: CONFIG_VERSION,
    session: {
      provider: session.provider,
      ...(session.redis !== undefined ? { redis: fromFileRedis(session.redis) } : {}),
    },
    ...(platformDatabase !== undefined
      ? { platformDatabase: fromFilePlatformDatabase(platformDatabase) }
      : {}),
    ...(frontend !== undefined ? { frontend } : {}),
    ...(applied !== undefined ? { applied: applied as AppliedRecord } : {}),
  };
  for (const [field, secret] of secrets) configuration = withValueAt(configuration, field, secret);
  const problems = settingProblems(configuration);
  if (problems.length > 0) {
    throw new ConfigError(
      'TESSERA_CONFIG_INVALID',
      `${location.path}: ${problems.map((p) => `${p.field}: ${p.problem}`).join(' ')} ` +
        `Correct the file, or set the settings again with \`${commandOf(problems[0]!.field)}\`.`,
      { path: location.path, field: problems[0]!.field },
    );
  }
  return { configuration: deepFreeze(configuration), plainTextSecrets };
}

/** The command that sets `field` (a full path). */
function commandOf(field: string): string {
  if (field.startsWith('session.')) return 'tessera config session';
  if (field.startsWith('frontend.')) return 'tessera config frontend';
  return 'tessera config database';
}

/** Every problem of the settings of `configuration`, by its field's full path. */
export function settingProblems(configuration: ServerConfiguration): SettingProblem[] {
  const { redis } = configuration.session;
  const within = (section: string, problems: readonly SettingProblem[]) =>
    problems.map((p) => ({ field: `${section}.${p.field}`, problem: p.problem }));
  return [
    ...(redis !== undefined ? within('session.redis', redisSettingsProblems(redis)) : []),
    ...(configuration.platformDatabase !== undefined
      ? within('platformDatabase', platformDatabaseProblems(configuration.platformDatabase))
      : []),
    ...(configuration.frontend !== undefined
      ? within('frontend', frontendProblems(configuration.frontend))
      : []),
  ];
}

async function decodeSecret(
  stored: StoredSecret | undefined,
  field: SecretField,
  location: ConfigLocation,
  plainTextSecrets: string[],
): Promise<Secret | undefined> {
  if (stored === undefined) return undefined;
  if (typeof stored === 'string') {
    plainTextSecrets.push(field);
    return new Secret(stored);
  }
  try {
    const value = parseEncryptedValue(stored.$encrypted);
    if (value === null) {
      throw new ConfigError(
        'TESSERA_CONFIG_INVALID',
        `${field}.$encrypted in ${location.path} is not an encrypted value written by Tessera (expected "v1:…"). ` +
          'To set the secret by hand, write it in plain text ("password": "…"): it is encrypted on the next save.',
        { path: location.path, field: `${field}.$encrypted` },
      );
    }
    const key = await readPrivateKey(location.privateKeyPath);
    if (key === null) {
      throw new ConfigError(
        'TESSERA_CONFIG_PRIVATE_KEY_MISSING',
        `${field} in ${location.path} is encrypted, but the private key file ${location.privateKeyPath} does not exist` +
          `${location.privateKeySource === 'environment' ? ' (TESSERA_PRIVATE_KEY names it)' : ''}.`,
        { path: location.path, field },
      );
    }
    return decryptSecret(value, key, field, location.path);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(error.code, `${error.message} ${secretRemedy(field, location, error.code)}`, {
      cause: error.cause,
      path: location.path,
      field: error.field ?? field,
    });
  }
}

/** The Redis settings of the file, its password left out (set by the caller). */
function fromFileRedis(stored: RedisFileSettings): RedisSessionSettings {
  const { password: _password, useSsl, ...rest } = stored;
  return { ...rest, useSsl: useSsl ?? false };
}

/** The platform database settings of the file, its password left out (set by the caller). */
function fromFilePlatformDatabase(stored: PlatformDatabaseFileSettings): PlatformDatabaseSettings {
  if (stored.provider === 'sqlite') return stored;
  const { password: _password, ssl, ...rest } = stored;
  return { ...rest, ssl: ssl ?? false };
}

/** A copy of `configuration` that shares nothing mutable with it (secrets are immutable and kept). */
export function structuredCloneConfiguration(configuration: ServerConfiguration): ServerConfiguration {
  // Secrets are objects with private fields: copy the plain parts, keep the Secret instances.
  const { redis } = configuration.session;
  return {
    version: configuration.version,
    session: {
      provider: configuration.session.provider,
      ...(redis ? { redis: { ...redis, hosts: [...redis.hosts] } } : {}),
    },
    ...(configuration.platformDatabase ? { platformDatabase: { ...configuration.platformDatabase } } : {}),
    ...(configuration.frontend ? { frontend: { ...configuration.frontend } } : {}),
    ...(configuration.applied ? { applied: { ...configuration.applied } } : {}),
  };
}

/** `value` and everything in it frozen (secrets are immutable already). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !(value instanceof Secret) && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
