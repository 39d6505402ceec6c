// How the Configuration Tool shows a server configuration, as text for people and as
// JSON for scripts. Secrets are shown only as "set" or "not set".
import {
  type AppliedState,
  appliedState,
  CONFIG_VERSION,
  certificateNamesChecked,
  describeSource,
  frontendOf,
  type LoadedConfiguration,
  PLATFORM_DATABASE_SETTINGS,
  type PrivateKey,
  platformDatabaseOf,
  REDIS_ADVANCED_OPTION_NAMES,
  REDIS_SETTINGS,
  type RedisAdvancedOption,
  type RedisSessionSettings,
  readPrivateKey,
  redactedConnectionString,
  SESSION_PROVIDER_LABELS,
  type SecretField,
  specOf,
} from '../config/index.ts';
import { describeNoEffectOptions } from '../redis/index.ts';

/** Reads what the report needs beside the configuration: the private key (for the applied state). */
export async function reportContextOf(loaded: LoadedConfiguration): Promise<ReportContext> {
  let key: PrivateKey | null = null;
  let privateKeyExists = false;
  try {
    key = await readPrivateKey(loaded.location.privateKeyPath);
    privateKeyExists = key !== null;
  } catch {
    // A damaged key file with no encrypted secret: the report still shows; the applied state is unknown.
    privateKeyExists = true;
  }
  return { loaded, privateKeyExists, appliedState: appliedState(loaded.configuration, key) };
}

export interface ReportContext {
  readonly loaded: LoadedConfiguration;
  readonly privateKeyExists: boolean;
  readonly appliedState: AppliedState;
}

const LABEL_WIDTH = 22;

/** The whole configuration: where it is, the Session tab, the last apply. */
export function formatConfigurationReport(context: ReportContext): string {
  const { loaded, privateKeyExists } = context;
  const { location } = loaded;
  const lines = [
    row('Server configuration', `${location.path} (${describeSource(location)})`),
    ...(loaded.exists
      ? []
      : [row('', 'does not exist yet: these are the defaults. `tessera config session` creates it.')]),
    row(
      'Private key file',
      `${location.privateKeyPath}${location.privateKeySource === 'environment' ? ' (from TESSERA_PRIVATE_KEY)' : ''}` +
        (privateKeyExists ? '' : ' (not created yet: created when a secret is first saved)'),
    ),
    '',
    formatSessionSettings(loaded),
    formatPlatformDatabase(loaded),
    formatFrontend(loaded),
    formatApplied(context),
  ];
  for (const field of loaded.plainTextSecrets) {
    lines.push(
      `Note: ${field} is written in plain text in the file; it is encrypted on the next save ` +
        '(e.g. `tessera config apply`).',
    );
  }
  if (loaded.upgradedFrom !== undefined) {
    lines.push(
      `Note: the file is version ${loaded.upgradedFrom}; it is read as version ${CONFIG_VERSION}, and the next save ` +
        `writes version ${CONFIG_VERSION} after keeping it as ${loaded.location.path}.v${loaded.upgradedFrom}.bak.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** After a save that upgraded the file's version: where the old file was kept (else nothing). */
export function keptBackup(before: LoadedConfiguration, saved: LoadedConfiguration): string {
  if (saved.backup === undefined) return '';
  return ` The version ${before.upgradedFrom} file was kept as ${saved.backup}.`;
}

/** The Session tab: provider, then the Redis settings (marked when kept but not in use). */
export function formatSessionSettings(loaded: LoadedConfiguration): string {
  const { provider, redis } = loaded.configuration.session;
  const lines = ['Session', row('  Session Provider', `${SESSION_PROVIDER_LABELS[provider]} (${provider})`)];
  if (provider === 'memory') {
    lines.push(row('', 'in-memory sessions are not shared: use it only with a single front-end server'));
  }
  if (redis !== undefined) {
    if (provider !== 'redis')
      lines.push('  Redis settings (kept, not in use while the provider is not Redis):');
    lines.push(...redisLines(redis, loaded.plainTextSecrets));
  }
  return `${lines.join('\n')}\n`;
}

/** The Platform Database tab: SQLite's file, or the PostgreSQL server; the password only as set or not. */
export function formatPlatformDatabase(loaded: LoadedConfiguration): string {
  const configured = loaded.configuration.platformDatabase;
  const settings = platformDatabaseOf(loaded.configuration, loaded.location);
  const lines = ['Platform Database'];
  if (settings.provider === 'sqlite') {
    lines.push(
      row('  Provider', 'SQLite (sqlite)'),
      row(
        `  ${databaseLabel('path')}`,
        `${settings.path}${configured?.provider === 'sqlite' && configured.path !== undefined ? '' : ' (the default: beside the configuration file)'}`,
      ),
    );
  } else {
    lines.push(
      row('  Provider', 'PostgreSQL (postgres)'),
      row(`  ${databaseLabel('host')}`, settings.host),
      row(`  ${databaseLabel('port')}`, String(settings.port)),
      row(`  ${databaseLabel('database')}`, settings.database),
      row(`  ${databaseLabel('user')}`, settings.user),
      row(
        `  ${databaseLabel('password')}`,
        secretState(
          settings.password !== undefined,
          'platformDatabase.password',
          loaded.plainTextSecrets,
          ' (PGPASSWORD is used, if set)',
        ),
      ),
      row(`  ${databaseLabel('ssl')}`, settings.ssl ? 'yes (the server certificate is verified)' : 'no'),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The front-end server settings (`tessera config frontend`), each marked when it is the default. */
export function formatFrontend(loaded: LoadedConfiguration): string {
  const configured = loaded.configuration.frontend ?? {};
  const settings = frontendOf(loaded.configuration);
  const shown = (field: keyof typeof settings, value: string) =>
    `${value}${configured[field] === undefined ? ' (the default)' : ''}`;
  return `${[
    'Front-end Server',
    row('  Name', shown('name', settings.name)),
    row('  Listens on', `${shown('host', settings.host)}, port ${shown('port', String(settings.port))}`),
    row('  Workers', shown('workers', String(settings.workers))),
  ].join('\n')}\n`;
}

/** The same, for `--json`: the password only as `{ set, stored }`. */
function platformDatabaseJson(loaded: LoadedConfiguration) {
  const configured = loaded.configuration.platformDatabase;
  const settings = platformDatabaseOf(loaded.configuration, loaded.location);
  if (settings.provider === 'sqlite') {
    return {
      provider: 'sqlite',
      path: settings.path,
      isDefault: !(configured?.provider === 'sqlite' && configured.path !== undefined),
    };
  }
  const { password, ...rest } = settings;
  return {
    ...rest,
    password: secretJson(password !== undefined, 'platformDatabase.password', loaded.plainTextSecrets),
  };
}

function redisLines(redis: RedisSessionSettings, plainTextSecrets: readonly string[]): string[] {
  const names = certificateNamesChecked(redis);
  const lines = [
    row(`  ${redisLabel('hosts')}`, redis.hosts.join(', ')),
    row(
      `  ${redisLabel('password')}`,
      secretState(redis.password !== undefined, 'session.redis.password', plainTextSecrets),
    ),
    row(`  ${redisLabel('user')}`, redis.user ?? '(none: the default user)'),
    row(`  ${redisLabel('useSsl')}`, redis.useSsl ? 'yes' : 'no'),
    row(
      `  ${redisLabel('sslHost')}`,
      redis.sslHost ??
        `(empty: each host's own name is checked${redis.useSsl ? `: ${names.join(', ')}` : ''})`,
    ),
  ];
  const advanced = REDIS_ADVANCED_OPTION_NAMES.map((name) => {
    const { value, isDefault } = advancedValue(redis, name);
    return `${name} ${value}${isDefault ? ' (default)' : ''}`;
  });
  lines.push(row('  Advanced', advanced.slice(0, 3).join(', ')));
  for (let i = 3; i < advanced.length; i += 3) lines.push(row('', advanced.slice(i, i + 3).join(', ')));
  for (const [index, option] of describeNoEffectOptions(redis.noEffectOptions).entries()) {
    lines.push(row(index === 0 ? '  Other options' : '', `accepted, no effect here: ${option}`));
  }
  lines.push(row('  Connection string', redactedConnectionString(redis)));
  return lines;
}

function formatApplied(context: ReportContext): string {
  const { applied } = context.loaded.configuration;
  if (applied === undefined) {
    return `${row('Applied', 'never: run `tessera config apply` to apply these settings')}\n`;
  }
  const state: Record<AppliedState, string> = {
    never: '',
    current: 'the settings have not changed since',
    changed: 'the settings changed since: run `tessera config apply`',
    unknown: 'cannot tell whether the settings changed since (the private key file is missing)',
  };
  return (
    `${row('Applied', `revision ${applied.revision} at ${applied.at}, provider ${applied.provider}${applied.forced ? ' (forced: Test Connection had failed)' : ''}`)}\n` +
    `${row('', state[context.appliedState])}\n`
  );
}

/** The same, for `--json`. Secrets are `{ "set": true, "stored": "encrypted" }`, never their value. */
export function configurationReportJson(context: ReportContext): unknown {
  const { loaded } = context;
  const { location, configuration } = loaded;
  const { redis, provider } = configuration.session;
  return {
    configuration: { path: location.path, source: location.source, exists: loaded.exists },
    privateKey: {
      path: location.privateKeyPath,
      source: location.privateKeySource,
      exists: context.privateKeyExists,
    },
    session: {
      provider,
      redis:
        redis === undefined
          ? null
          : {
              inUse: provider === 'redis',
              hosts: redis.hosts,
              password: secretJson(
                redis.password !== undefined,
                'session.redis.password',
                loaded.plainTextSecrets,
              ),
              user: redis.user ?? null,
              useSsl: redis.useSsl,
              sslHost: redis.sslHost ?? null,
              certificateNames: certificateNamesChecked(redis),
              advanced: Object.fromEntries(
                REDIS_ADVANCED_OPTION_NAMES.map((name) => [name, redis[name] ?? defaultOf(name) ?? null]),
              ),
              noEffectOptions: redis.noEffectOptions ?? {},
              connectionString: redactedConnectionString(redis),
            },
    },
    platformDatabase: platformDatabaseJson(loaded),
    frontend: frontendOf(loaded.configuration),
    applied:
      configuration.applied === undefined ? null : { ...configuration.applied, state: context.appliedState },
    plainTextSecrets: loaded.plainTextSecrets,
  };
}

/** A secret as the report shows it: set or not, and how it is stored; never its value. */
function secretState(
  set: boolean,
  field: SecretField,
  plainTextSecrets: readonly string[],
  unset = '',
): string {
  if (!set) return `not set${unset}`;
  return plainTextSecrets.includes(field)
    ? 'set (plain text in the file: encrypted on the next save)'
    : 'set (encrypted)';
}

function secretJson(set: boolean, field: SecretField, plainTextSecrets: readonly string[]) {
  if (!set) return { set: false };
  return { set: true, stored: plainTextSecrets.includes(field) ? 'plain-text' : 'encrypted' };
}

function advancedValue(
  redis: RedisSessionSettings,
  name: RedisAdvancedOption,
): { value: string; isDefault: boolean } {
  const value = redis[name];
  if (value !== undefined) return { value: String(value), isDefault: false };
  const fallback = defaultOf(name);
  return { value: fallback === undefined ? '(unset)' : String(fallback), isDefault: fallback !== undefined };
}

/** The default of an advanced option when it is a value (not a description such as "Node's defaults"). */
function defaultOf(name: RedisAdvancedOption): number | boolean | undefined {
  const fallback = specOf(REDIS_SETTINGS, name).default;
  return typeof fallback === 'string' ? undefined : fallback;
}

/** The labels of the settings, as the Configuration Tool shows them (from their tables). */
function redisLabel(field: string): string {
  return specOf(REDIS_SETTINGS, field).label;
}

function databaseLabel(field: string): string {
  return specOf(PLATFORM_DATABASE_SETTINGS, field).label;
}

function row(label: string, value: string): string {
  return `${label.padEnd(LABEL_WIDTH)}  ${value}`.trimEnd();
}
