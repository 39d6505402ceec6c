/**
 * `tessera config session`: the Session tab of the Configuration Tool, from the
 * command line. Sets the session provider and the Redis settings, validates the
 * result as a whole, and only then saves it (secrets encrypted).
 */
import { type Command, Option } from 'commander';
import {
  expects,
  flagOf,
  hostProblem,
  REDIS_SETTINGS,
  type RedisSessionSettings,
  readSettingText,
  redisSettingsFromConnectionString,
  redisSettingsProblems,
  SESSION_PROVIDERS,
  type ServerConfiguration,
  type SessionProviderName,
  saveConfiguration,
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
import { readPasswordFromStdin, readSecretFromStdin } from './read-secret.ts';
import { addSettingOptions } from './setting-options.ts';
import { formatSessionSettings, keptBackup } from './settings-report.ts';

interface SessionOptions {
  config?: string;
  provider?: SessionProviderName;
  hosts?: string;
  passwordStdin?: boolean;
  clearPassword?: boolean;
  useSsl?: boolean;
  connectionString?: string;
  connectionStringStdin?: boolean;
  /** The settings given as text (`--user`, `--ssl-host`, the advanced ones), by field. */
  [field: string]: string | boolean | undefined;
}

/** The settings set from the text of one option each (all but Hosts, the password and Use SSL). */
const TEXT_SETTINGS = REDIS_SETTINGS.settings.filter(
  (spec) => !['hosts', 'secret', 'switch'].includes(spec.kind),
);

/** The command line option of each setting, for messages. */
const OPTION_OF: Record<string, string> = Object.fromEntries(
  REDIS_SETTINGS.settings.map((spec) => [spec.field, flagOf(spec)]),
);

export function registerSessionCommand(config: Command): void {
  const command = addConfigOption(
    config
      .command('session')
      .description(
        'set the session provider and its Redis settings (the Session tab of the Configuration Tool)',
      ),
  )
    .addOption(new Option('--provider <name>', 'session provider').choices(SESSION_PROVIDERS))
    .option(
      '--connection-string <string>',
      'import all Redis settings from a connection string (replaces them)',
    )
    .option('--connection-string-stdin', 'the same, reading the connection string from standard input');
  for (const spec of REDIS_SETTINGS.settings) addSettingOptions(command, spec, 'Redis');
  saveCommand(
    command,
    [
      'Examples:',
      '  tessera config session --provider redis --hosts "redis1:6380,redis2:6380" --use-ssl --password-stdin < password.txt',
      '  tessera config session --ssl-host redis.example.com',
      '  tessera config session --connection-string-stdin < connection-string.txt',
      '  tessera config session --provider memory      (the Redis settings are kept for later)',
      '',
      'Then: tessera config test-connection, and tessera config apply.',
    ],
    runSessionCommand,
  );
}

async function runSessionCommand(options: SessionOptions): Promise<number> {
  refuseConflicts(options);
  const location = locationOf(options);
  const importing = options.connectionString !== undefined || options.connectionStringStdin === true;
  const replacesPassword = importing || options.passwordStdin === true || options.clearPassword === true;
  const loaded = await readToChange(location, 'session.redis.password', replacesPassword);
  const current = loaded.configuration;

  if (importing && options.provider !== undefined && options.provider !== 'redis') {
    throw new UsageError(
      '--connection-string sets Redis settings: it cannot be used with --provider memory or database.',
    );
  }
  const provider: SessionProviderName = options.provider ?? (importing ? 'redis' : current.session.provider);
  const changesRedis = importing || redisOptionsGiven(options);
  if (changesRedis && provider !== 'redis') {
    throw new UsageError(
      `The Redis settings given apply to the redis session provider, but the provider is ${provider}. ` +
        'Add --provider redis to choose Redis.',
    );
  }

  let redis: RedisSessionSettings | undefined = current.session.redis;
  if (importing) {
    const text = options.connectionStringStdin
      ? (await readSecretFromStdin('Connection string')).reveal().trim()
      : options.connectionString!;
    redis = redisSettingsFromConnectionString(text);
    if (options.connectionString !== undefined && redis.password !== undefined) {
      process.stderr.write(
        'Note: a password on the command line can be seen by other users (ps, shell history). ' +
          'Prefer --connection-string-stdin.\n',
      );
    }
  }
  if (changesRedis) redis = await applyRedisOptions(redis, options);
  if (provider === 'redis' && redis === undefined) {
    throw new UsageError('The redis provider needs its hosts: add --hosts "host:port[,host:port…]".');
  }
  if (redis !== undefined) {
    const problems = redisSettingsProblems(redis);
    if (problems.length > 0) {
      throw new UsageError(
        `Not saved: ${problems.map((p) => `${OPTION_OF[p.field.replace(/\[\d+\]$/, '')] ?? p.field}: ${p.problem}`).join(' ')}`,
      );
    }
  }

  // Everything but the session settings (the platform database, the applied record) is kept.
  const next: ServerConfiguration = {
    ...current,
    session: { provider, ...(redis !== undefined ? { redis } : {}) },
  };
  const saved = await saveConfiguration(loaded, next);
  const before = current.session.provider;
  process.stdout.write(
    `Saved ${location.path}${before !== provider ? ` (session provider: ${before} → ${provider})` : ''}.${keptBackup(loaded, saved)}\n\n` +
      formatSessionSettings(saved) +
      (provider === 'redis'
        ? '\nNext: check it with `tessera config test-connection`, then `tessera config apply`.\n'
        : '\nNext: `tessera config apply`.\n'),
  );
  return EXIT_CODES.ok;
}

function refuseConflicts(options: SessionOptions): void {
  requireChange(options, 'session', '--provider, --hosts, --password-stdin, --use-ssl, --ssl-host…');
  refuseBoth(options, '--connection-string', '--connection-string-stdin');
  if (options.passwordStdin && options.connectionStringStdin) {
    throw new UsageError(
      '--password-stdin and --connection-string-stdin both read standard input: give one of them.',
    );
  }
  refuseBoth(options, '--password-stdin', '--clear-password');
}

function redisOptionsGiven(options: SessionOptions): boolean {
  const keys = [
    'hosts',
    'passwordStdin',
    'clearPassword',
    'useSsl',
    ...TEXT_SETTINGS.map((spec) => spec.field),
  ];
  return keys.some((key) => options[key] !== undefined);
}

async function applyRedisOptions(
  base: RedisSessionSettings | undefined,
  options: SessionOptions,
): Promise<RedisSessionSettings | undefined> {
  const next: { -readonly [K in keyof RedisSessionSettings]: RedisSessionSettings[K] } = base
    ? { ...base, hosts: [...base.hosts] }
    : { hosts: [], useSsl: false };
  if (options.hosts !== undefined) next.hosts = parseHosts(options.hosts);
  if (next.hosts.length === 0) {
    throw new UsageError('The redis provider needs its hosts: add --hosts "host:port[,host:port…]".');
  }
  if (options.passwordStdin) next.password = await readPasswordFromStdin('Redis password');
  if (options.clearPassword) delete next.password;
  if (options.useSsl !== undefined) next.useSsl = options.useSsl;
  const record = next as Record<string, unknown>;
  for (const spec of TEXT_SETTINGS) {
    const text = options[spec.field];
    if (typeof text !== 'string') continue;
    const reading = readSettingText(spec, text);
    if (!reading.ok) throw new UsageError(`${flagOf(spec)} must be ${expects(spec)} ("" for the default).`);
    if (reading.value === undefined) delete record[spec.field];
    else record[spec.field] = reading.value;
  }
  return next;
}

function parseHosts(list: string): string[] {
  const hosts = list
    .split(',')
    .map((host) => host.trim())
    .filter((host) => host !== '');
  if (hosts.length === 0) throw new UsageError('--hosts is empty: give host:port[,host:port…].');
  for (const host of hosts) {
    const problem = hostProblem(host);
    if (problem !== undefined) throw new UsageError(`--hosts: ${problem}`);
  }
  return hosts;
}
