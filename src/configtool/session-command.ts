/**
 * `tessera config session`: the Session tab of the Configuration Tool, from the
 * command line. Sets the session provider and the Redis settings, validates the
 * result as a whole, and only then saves it (secrets encrypted).
 */
import { type Command, Option } from 'commander';
import {
  hostProblem,
  REDIS_ADVANCED_OPTION_NAMES,
  REDIS_ADVANCED_OPTIONS,
  type RedisAdvancedOption,
  type RedisSessionSettings,
  readConfiguration,
  redisSettingsFromConnectionString,
  redisSettingsProblems,
  SESSION_PROVIDERS,
  type Secret,
  type ServerConfiguration,
  type SessionProviderName,
  saveConfiguration,
} from '../config/index.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import { addConfigOption, configAction, locationOf, UsageError } from './config-action.ts';
import { readSecretFromStdin } from './read-secret.ts';
import { formatSessionSettings, keptBackup } from './settings-report.ts';

type AdvancedOptions = { [K in RedisAdvancedOption]?: string };

interface SessionOptions extends AdvancedOptions {
  config?: string;
  provider?: SessionProviderName;
  hosts?: string;
  passwordStdin?: boolean;
  clearPassword?: boolean;
  user?: string;
  useSsl?: boolean;
  sslHost?: string;
  connectionString?: string;
  connectionStringStdin?: boolean;
}

/** The command line option of each setting, for messages. */
const OPTION_OF: Record<string, string> = {
  hosts: '--hosts',
  password: '--password-stdin',
  user: '--user',
  useSsl: '--use-ssl',
  sslHost: '--ssl-host',
  ...Object.fromEntries(REDIS_ADVANCED_OPTION_NAMES.map((name) => [name, `--${kebab(name)}`])),
};

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
      '--hosts <list>',
      'Redis hosts, comma-separated host:port ([address]:port for IPv6), e.g. "redis1:6380,redis2:6380"',
    )
    .option(
      '--password-stdin',
      'read the Redis password from standard input (never give it on the command line)',
    )
    .option('--clear-password', 'remove the stored Redis password')
    .option('--user <name>', 'Redis ACL user ("" for the default user)')
    .option('--use-ssl', 'connect to Redis over TLS (Use SSL)')
    .option('--no-use-ssl', 'connect to Redis without TLS')
    .option(
      '--ssl-host <name>',
      'SSL Host: the name checked in the server certificates ("" to use each host\'s own name)',
    )
    .option(
      '--connection-string <string>',
      'import all Redis settings from a connection string (replaces them)',
    )
    .option('--connection-string-stdin', 'the same, reading the connection string from standard input');
  for (const name of REDIS_ADVANCED_OPTION_NAMES) {
    const spec = REDIS_ADVANCED_OPTIONS[name];
    const value = spec.type === 'boolean' ? '<true|false>' : spec.type === 'integer' ? '<n>' : '<value>';
    command.option(`--${kebab(name)} ${value}`, `advanced: ${spec.doc} ("" for the default)`);
  }
  command
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  tessera config session --provider redis --hosts "redis1:6380,redis2:6380" --use-ssl --password-stdin < password.txt',
        '  tessera config session --ssl-host redis.example.com',
        '  tessera config session --connection-string-stdin < connection-string.txt',
        '  tessera config session --provider memory      (the Redis settings are kept for later)',
        '',
        'Then: tessera config test-connection, and tessera config apply.',
        'Exit codes: 0 saved, 1 not saved (the file changed meanwhile, or cannot be written), 2 bad input.',
      ].join('\n'),
    )
    .action(configAction((options: SessionOptions) => runSessionCommand(options)));
}

async function runSessionCommand(options: SessionOptions): Promise<number> {
  refuseConflicts(options);
  const location = locationOf(options);
  const importing = options.connectionString !== undefined || options.connectionStringStdin === true;
  // A password that is replaced or removed is not decrypted: this is how an operator
  // recovers from a lost or wrong private key file, or a damaged value.
  const replacesPassword = importing || options.passwordStdin === true || options.clearPassword === true;
  const loaded = await readConfiguration(location, {
    replacing: replacesPassword ? ['session.redis.password'] : [],
  });
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
  const given = Object.entries(options).filter(([key, value]) => key !== 'config' && value !== undefined);
  if (given.length === 0) {
    throw new UsageError(
      'Nothing to change. Give --provider, --hosts, --password-stdin, --use-ssl, --ssl-host… ' +
        '(see `tessera config session --help`), or see the settings with `tessera config show`.',
    );
  }
  if (options.connectionString !== undefined && options.connectionStringStdin) {
    throw new UsageError('Give --connection-string or --connection-string-stdin, not both.');
  }
  if (options.passwordStdin && options.connectionStringStdin) {
    throw new UsageError(
      '--password-stdin and --connection-string-stdin both read standard input: give one of them.',
    );
  }
  if (options.passwordStdin && options.clearPassword) {
    throw new UsageError('Give --password-stdin or --clear-password, not both.');
  }
}

function redisOptionsGiven(options: SessionOptions): boolean {
  const keys = [
    'hosts',
    'passwordStdin',
    'clearPassword',
    'user',
    'useSsl',
    'sslHost',
    ...REDIS_ADVANCED_OPTION_NAMES,
  ];
  return keys.some((key) => options[key as keyof SessionOptions] !== undefined);
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
  if (options.passwordStdin) {
    const password: Secret = await readSecretFromStdin('Redis password');
    if (password.reveal() === '') {
      throw new UsageError(
        'No password was read from standard input. To remove the stored password, use --clear-password.',
      );
    }
    next.password = password;
  }
  if (options.clearPassword) delete next.password;
  if (options.user !== undefined) setText(next, 'user', options.user);
  if (options.useSsl !== undefined) next.useSsl = options.useSsl;
  if (options.sslHost !== undefined) setText(next, 'sslHost', options.sslHost);
  for (const name of REDIS_ADVANCED_OPTION_NAMES) {
    const text = options[name];
    if (text === undefined) continue;
    const record = next as Record<string, unknown>;
    if (text.trim() === '') {
      delete record[name];
      continue;
    }
    record[name] = advancedValue(name, text.trim());
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

function setText(target: { user?: string; sslHost?: string }, field: 'user' | 'sslHost', text: string): void {
  if (text.trim() === '') delete target[field];
  else target[field] = text.trim();
}

function advancedValue(name: RedisAdvancedOption, text: string): string | number | boolean {
  const spec = REDIS_ADVANCED_OPTIONS[name];
  const flag = `--${kebab(name)}`;
  if (spec.type === 'boolean') {
    if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
    throw new UsageError(`${flag} must be true or false ("" for the default).`);
  }
  if (spec.type === 'integer') {
    const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
    if (Number.isSafeInteger(value) && value >= spec.min) return value;
    throw new UsageError(`${flag} must be a whole number of at least ${spec.min} ("" for the default).`);
  }
  return text;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
