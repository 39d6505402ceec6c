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
  PLATFORM_DATABASE_PROVIDERS,
  type PlatformDatabaseProvider,
  type PlatformDatabaseSettings,
  platformDatabaseProblems,
  readConfiguration,
  type ServerConfiguration,
  saveConfiguration,
} from '../config/index.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import { addConfigOption, configAction, locationOf, UsageError } from './config-action.ts';
import { readSecretFromStdin } from './read-secret.ts';
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
const OPTION_OF = {
  path: '--path',
  host: '--host',
  port: '--port',
  database: '--database',
  user: '--user',
  password: '--password-stdin',
} as const satisfies Record<string, string>;

const POSTGRES_OPTIONS = [
  'host',
  'port',
  'database',
  'user',
  'passwordStdin',
  'clearPassword',
  'ssl',
] as const;
const REQUIRED_FOR_POSTGRES = ['host', 'database', 'user'] as const;
const POSTGRES_DEFAULT_PORT = 5432;

export function registerDatabaseCommand(config: Command): void {
  addConfigOption(
    config
      .command('database')
      .description(
        'choose the platform database: SQLite (one file, one machine) or PostgreSQL (a farm)\n' +
          '(the Platform Database tab of the Configuration Tool)',
      ),
  )
    .addOption(
      new Option('--provider <name>', 'sqlite (the default) or postgres').choices(
        PLATFORM_DATABASE_PROVIDERS,
      ),
    )
    .option(
      '--path <file>',
      'sqlite: the database file ("" for the default: platform.db beside the configuration file)',
    )
    .option('--host <name>', 'postgres: the server host name or address (no port)')
    .option('--port <n>', `postgres: the server port (default ${POSTGRES_DEFAULT_PORT})`)
    .option('--database <name>', 'postgres: the database name')
    .option('--user <name>', 'postgres: the user (role) Tessera signs in as')
    .option(
      '--password-stdin',
      "postgres: read the user's password from standard input (never give it on the command line)",
    )
    .option('--clear-password', 'postgres: remove the stored password (PGPASSWORD is then used, if set)')
    .option('--ssl', 'postgres: connect over TLS, verifying the server certificate')
    .option('--no-ssl', 'postgres: connect without TLS')
    .addHelpText(
      'after',
      [
        '',
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
        'Exit codes: 0 saved, 1 not saved (the file changed meanwhile, or cannot be written), 2 bad input.',
      ].join('\n'),
    )
    .action(configAction((options: DatabaseOptions) => runDatabaseCommand(options)));
}

async function runDatabaseCommand(options: DatabaseOptions): Promise<number> {
  refuseConflicts(options);
  const location = locationOf(options);
  // A password that is replaced or removed is not decrypted, nor one that is dropped
  // with the PostgreSQL settings: this is how an operator recovers from a lost key.
  const dropsPostgres = options.provider === 'sqlite';
  const replacing = options.passwordStdin || options.clearPassword || dropsPostgres;
  const loaded = await readConfiguration(location, {
    replacing: replacing ? ['platformDatabase.password'] : [],
  });
  const current = loaded.configuration;
  const before = current.platformDatabase?.provider ?? 'sqlite';
  const provider = options.provider ?? before;

  let settings: PlatformDatabaseSettings;
  if (provider === 'sqlite') {
    const given = POSTGRES_OPTIONS.filter((name) => options[name] !== undefined);
    if (given.length > 0) {
      throw new UsageError(
        `${given.map(flagOf).join(', ')} set${given.length === 1 ? 's' : ''} the postgres provider, but the provider is sqlite. ` +
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
      `The postgres provider needs ${missing.map(flagOf).join(', ')}: e.g. --host db.example.com --database tessera --user tessera.`,
    );
  }
  let port = stored?.port ?? POSTGRES_DEFAULT_PORT;
  if (options.port !== undefined) {
    const trimmed = options.port.trim();
    port = /^\d{1,5}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new ConfigError('TESSERA_CONFIG_INVALID', '--port must be a whole number from 1 to 65535.', {
        field: 'platformDatabase.port',
      });
    }
  }
  let password = stored?.password;
  if (options.passwordStdin) {
    password = await readSecretFromStdin('PostgreSQL password');
    if (password.reveal() === '') {
      throw new UsageError(
        'No password was read from standard input. To remove the stored password, use --clear-password.',
      );
    }
  }
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
  const given = Object.entries(options).filter(([key, value]) => key !== 'config' && value !== undefined);
  if (given.length === 0) {
    throw new UsageError(
      'Nothing to change. Give --provider sqlite --path FILE, or --provider postgres --host … ' +
        '(see `tessera config database --help`), or see the settings with `tessera config show`.',
    );
  }
  if (options.passwordStdin && options.clearPassword) {
    throw new UsageError('Give --password-stdin or --clear-password, not both.');
  }
}

function flagOf(name: string): string {
  if (name === 'passwordStdin') return '--password-stdin';
  if (name === 'clearPassword') return '--clear-password';
  return `--${name}`;
}
