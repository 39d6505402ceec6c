/**
 * `tessera config database`: the Platform Database tab of the Configuration Tool,
 * from the command line. Chooses SQLite (one file) or PostgreSQL (a server of the
 * farm), validates the settings as a whole, and only then saves them (the
 * password encrypted). Options not given keep their stored value.
 */
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import {
  ConfigError,
  expects,
  flagOf,
  kebab,
  PLATFORM_DATABASE_PROVIDERS,
  PLATFORM_DATABASE_SETTINGS,
  type PlatformDatabaseProvider,
  type PlatformDatabaseSettings,
  POSTGRES_DEFAULT_PORT,
  platformDatabaseProblems,
  readSettingText,
  type ServerConfiguration,
  saveConfiguration,
  settingsOfProvider,
  specOf,
} from '../config/index.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import {
  addConfigOption,
  locationOf,
  readToChange,
  refuseBoth,
  requireChange,
  saveCommand,
  UsageError,
} from './config-action.ts';
import { readPasswordFromStdin } from './read-secret.ts';
import { addSettingOptions, optionProperty } from './setting-options.ts';
import { formatPlatformDatabase, keptBackup } from './settings-report.ts';

interface DatabaseOptions {
  config?: string;
  provider?: PlatformDatabaseProvider;
  path?: string;
  host?: string;
  port?: string;
  database?: string;
  user?: string;
  passwordStdin?: boolean;
  clearPassword?: boolean;
  ssl?: boolean;
}

/** The command line option of each setting, for messages. */
const OPTION_OF: Readonly<Record<string, string>> = Object.fromEntries(
  PLATFORM_DATABASE_SETTINGS.settings.map((spec) => [spec.field, flagOf(spec)]),
);

const POSTGRES_SETTINGS = settingsOfProvider('postgres');
/** The options that set PostgreSQL settings, as commander names their values. */
const POSTGRES_OPTIONS = POSTGRES_SETTINGS.flatMap((spec) => [
  optionProperty(flagOf(spec)),
  ...(spec.kind === 'secret' ? [optionProperty(`--clear-${spec.field}`)] : []),
]) as (keyof DatabaseOptions)[];
/** The PostgreSQL settings given as text that have no default. */
const REQUIRED_FOR_POSTGRES = POSTGRES_SETTINGS.filter((spec) => spec.required && spec.kind === 'text').map(
  (spec) => spec.field,
) as ('host' | 'database' | 'user')[];
const PORT = specOf(PLATFORM_DATABASE_SETTINGS, 'port');

export function registerDatabaseCommand(config: Command): void {
  const command = addConfigOption(
    config
      .command('database')
      .description(
        'choose the platform database: SQLite (one file, one machine) or PostgreSQL (a farm)\n' +
          '(the Platform Database tab of the Configuration Tool)',
      ),
  ).addOption(
    new Option('--provider <name>', 'sqlite (the default) or postgres').choices(PLATFORM_DATABASE_PROVIDERS),
  );
  for (const spec of PLATFORM_DATABASE_SETTINGS.settings) addSettingOptions(command, spec, 'PostgreSQL');
  saveCommand(
    command,
    [
      'Examples:',
      '  tessera config database --provider sqlite --path /var/lib/tessera/platform.db',
      '  tessera config database --provider postgres --host db.example.com --port 5432 \\',
      '      --database tessera --user tessera --ssl --password-stdin < password.txt',
      '  tessera config database --password-stdin < password.txt   (a new password; the rest is kept)',
      '',
      'With no setting, the platform database is SQLite: platform.db beside the configuration file.',
      'Every front-end server of a farm must name the same PostgreSQL database.',
      '',
      'Then: tessera config test-connection --database, and tessera config apply (creates or migrates',
      'the schema). See docs/platform-database.md.',
    ],
    runDatabaseCommand,
  );
}

async function runDatabaseCommand(options: DatabaseOptions): Promise<number> {
  refuseConflicts(options);
  const location = locationOf(options);
  // Nor is a password decrypted that is dropped with the PostgreSQL settings.
  const dropsPostgres = options.provider === 'sqlite';
  const replacing = options.passwordStdin === true || options.clearPassword === true || dropsPostgres;
  const loaded = await readToChange(location, 'platformDatabase.password', replacing);
  const current = loaded.configuration;
  const before = current.platformDatabase?.provider ?? 'sqlite';
  const provider = options.provider ?? before;

  let settings: PlatformDatabaseSettings;
  if (provider === 'sqlite') {
    const given = POSTGRES_OPTIONS.filter((name) => options[name] !== undefined);
    if (given.length > 0) {
      throw new UsageError(
        `${given.map((name) => `--${kebab(name)}`).join(', ')} set${given.length === 1 ? 's' : ''} the postgres provider, but the provider is sqlite. ` +
          'Add --provider postgres to choose PostgreSQL.',
      );
    }
    const path =
      options.path ??
      (current.platformDatabase?.provider === 'sqlite' ? current.platformDatabase.path : undefined);
    settings =
      path === undefined || path === ''
        ? { provider: 'sqlite' }
        : { provider: 'sqlite', path: resolve(path) };
  } else {
    if (options.path !== undefined) {
      throw new UsageError(
        '--path sets the sqlite provider, but the provider is postgres. Add --provider sqlite.',
      );
    }
    settings = await postgresSettings(current, options);
  }
  const problems = platformDatabaseProblems(settings);
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new ConfigError(
      'TESSERA_CONFIG_INVALID',
      `Not saved: ${problems.map((p) => `${OPTION_OF[p.field as keyof typeof OPTION_OF] ?? p.field}: ${p.problem}`).join(' ')}`,
      { path: location.path, field: `platformDatabase.${first.field}` },
    );
  }

  const next: ServerConfiguration = { ...current, platformDatabase: settings };
  const saved = await saveConfiguration(loaded, next);
  process.stdout.write(
    `Saved ${location.path}${before !== provider ? ` (platform database: ${before} → ${provider})` : ''}.${keptBackup(loaded, saved)}\n\n` +
      formatPlatformDatabase(saved) +
      '\nNext: check it with `tessera config test-connection --database`, then `tessera config apply` ' +
      '(it creates or migrates the schema).\n',
  );
  return EXIT_CODES.ok;
}

/** The PostgreSQL settings: the options given over the stored ones (when the provider was postgres already). */
async function postgresSettings(
  current: ServerConfiguration,
  options: DatabaseOptions,
): Promise<PlatformDatabaseSettings> {
  const stored = current.platformDatabase?.provider === 'postgres' ? current.platformDatabase : undefined;
  const text = (name: 'host' | 'database' | 'user') => {
    const value = options[name]?.trim();
    return value === undefined || value === '' ? stored?.[name] : value;
  };
  const host = text('host');
  const database = text('database');
  const user = text('user');
  const missing = REQUIRED_FOR_POSTGRES.filter((name) => ({ host, database, user })[name] === undefined);
  if (missing.length > 0) {
    throw new UsageError(
      `The postgres provider needs ${missing.map((name) => `--${kebab(name)}`).join(', ')}: e.g. --host db.example.com --database tessera --user tessera.`,
    );
  }
  let port = stored?.port ?? POSTGRES_DEFAULT_PORT;
  if (options.port !== undefined) {
    const reading = readSettingText(PORT, options.port);
    if (!reading.ok || typeof reading.value !== 'number') {
      throw new ConfigError('TESSERA_CONFIG_INVALID', `${flagOf(PORT)} must be ${expects(PORT)}.`, {
        field: 'platformDatabase.port',
      });
    }
    port = reading.value;
  }
  let password = stored?.password;
  if (options.passwordStdin) password = await readPasswordFromStdin('PostgreSQL password');
  if (options.clearPassword) password = undefined;
  return {
    provider: 'postgres',
    host: host!,
    port,
    database: database!,
    user: user!,
    ...(password !== undefined ? { password } : {}),
    ssl: options.ssl ?? stored?.ssl ?? false,
  };
}

function refuseConflicts(options: DatabaseOptions): void {
  requireChange(options, 'database', '--provider sqlite --path FILE, or --provider postgres --host …');
  refuseBoth(options, '--password-stdin', '--clear-password');
}
