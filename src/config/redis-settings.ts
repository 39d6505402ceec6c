/**
 * The Redis session settings of the configuration and the connection string they
 * make. The configuration is the single source of this server's connection
 * string: every tool and the front-end server get it from `connectionStringFor`.
 *
 * Hosts and option values are checked by the connection string layer itself, so a
 * configuration that validates always makes a connection string that parses.
 */

import { quoteInput } from '../errors.ts';
import {
  CONNECTION_STRING_DEFAULTS,
  formatConnectionString,
  formatEndpoint,
  hasControlCharacter,
  mayQuotePart,
  parseConnectionString,
  type RedisConnectionSettings,
  RedisError,
  redactConnectionString,
} from '../redis/index.ts';
import { ConfigError } from './errors.ts';
import type { RedisSessionSettings, ServerConfiguration } from './schema.ts';
import { Secret } from './secret.ts';

/** A setting that the connection string layer refuses: the field (relative to `session.redis`) and why. */
export interface SettingProblem {
  readonly field: string;
  readonly problem: string;
}

/** Advanced settings whose field in the connection string settings has another name. */
const RENAMED = { clientName: 'name' } as const;

const SIMPLE_FIELDS = [
  'user',
  'sslHost',
  'defaultDatabase',
  'connectTimeoutMs',
  'syncTimeoutMs',
  'asyncTimeoutMs',
  'connectRetry',
  'keepAliveSeconds',
  'abortConnect',
  'allowAdmin',
  'serviceName',
] as const;

/**
 * The connection string of this server's session store. Throws
 * `TESSERA_CONFIG_NOT_REDIS` when the session provider is not Redis. The string
 * holds the password in clear: pass it to the Redis layer, never print it (use
 * `redactedConnectionStringFor`).
 */
export function connectionStringFor(
  configuration: ServerConfiguration,
  path = 'the server configuration',
): string {
  const { provider, redis } = configuration.session;
  if (provider !== 'redis' || redis === undefined) {
    throw new ConfigError(
      'TESSERA_CONFIG_NOT_REDIS',
      `The session provider in ${path} is ${provider}, not redis: there is no Redis connection string. ` +
        'Choose Redis with `tessera config session --provider redis --hosts "host:port"` ' +
        '(or give the connection string to test with --connection-string).',
      { path, field: 'session.provider' },
    );
  }
  return formatConnectionString(toConnectionSettings(redis));
}

/** The connection string of Redis settings with the password shown as `*****`, for display. */
export function redactedConnectionString(redis: RedisSessionSettings): string {
  return redactConnectionString(toConnectionSettings(redis));
}

/** The settings as the Redis layer reads them (the password revealed). */
export function toConnectionSettings(redis: RedisSessionSettings): RedisConnectionSettings {
  const endpoints = parseConnectionString(
    [
      ...redis.hosts,
      ...(redis.useSsl ? ['ssl=true'] : []),
      ...(redis.serviceName ? ['serviceName=x'] : []),
    ].join(','),
  ).endpoints;
  const settings: Record<string, unknown> = { ...CONNECTION_STRING_DEFAULTS, endpoints, ssl: redis.useSsl };
  delete settings.port;
  delete settings.sslPort;
  delete settings.sentinelPort;
  for (const field of SIMPLE_FIELDS) if (redis[field] !== undefined) settings[field] = redis[field];
  if (redis.clientName !== undefined) settings[RENAMED.clientName] = redis.clientName;
  if (redis.password !== undefined) settings.password = redis.password.reveal();
  if (redis.sslProtocols !== undefined) settings.sslProtocols = sslProtocolsOf(redis.sslProtocols);
  if (redis.noEffectOptions !== undefined) settings.noEffect = redis.noEffectOptions;
  return settings as unknown as RedisConnectionSettings;
}

/**
 * Reads a connection string (`tessera config session --connection-string`) into
 * Redis settings. Options equal to their default are left out of the settings.
 * Throws the Redis layer's `TESSERA_REDIS_CONNECTION_STRING` error, naming the part.
 */
export function redisSettingsFromConnectionString(text: string): RedisSessionSettings {
  const parsed = parseConnectionString(text);
  const defaults: Readonly<Record<string, unknown>> = CONNECTION_STRING_DEFAULTS;
  const settings: Record<string, unknown> = {
    hosts: parsed.endpoints.map(formatEndpoint),
    useSsl: parsed.ssl,
  };
  for (const field of SIMPLE_FIELDS) {
    const value = parsed[field];
    if (value !== undefined && value !== defaults[field]) settings[field] = value;
  }
  if (parsed.name !== undefined) settings.clientName = parsed.name;
  if (parsed.password !== undefined) settings.password = new Secret(parsed.password);
  if (parsed.sslProtocols !== undefined) {
    settings.sslProtocols = parsed.sslProtocols.map((p) => `tls${p.slice(4).replace('.', '')}`).join('|');
  }
  if (parsed.noEffect !== undefined) settings.noEffectOptions = { ...parsed.noEffect };
  return settings as unknown as RedisSessionSettings;
}

/** Everything the connection string layer refuses in these settings (an empty list when they are valid). */
export function redisSettingsProblems(redis: RedisSessionSettings): SettingProblem[] {
  const problems: SettingProblem[] = [];
  if (redis.hosts.length === 0) problems.push({ field: 'hosts', problem: 'list at least one host:port.' });
  redis.hosts.forEach((host, index) => {
    const problem = hostProblem(host);
    if (problem !== undefined) problems.push({ field: `hosts[${index}]`, problem });
  });
  if (problems.length > 0) return problems;
  try {
    parseConnectionString(redis.hosts.join(','));
  } catch (error) {
    problems.push({ field: 'hosts', problem: messageOf(error) });
    return problems;
  }
  const base = { ...CONNECTION_STRING_DEFAULTS, endpoints: [{ host: 'localhost', port: 6379 }] };
  const check = (field: string, settingsField: string, value: unknown) => {
    try {
      formatConnectionString({ ...base, [settingsField]: value } as unknown as RedisConnectionSettings);
    } catch (error) {
      const message = messageOf(error).replace(/^Cannot write the Redis connection string: [A-Za-z.]+: /, '');
      problems.push({ field, problem: message });
    }
  };
  for (const field of SIMPLE_FIELDS) if (redis[field] !== undefined) check(field, field, redis[field]);
  if (redis.clientName !== undefined) check('clientName', RENAMED.clientName, redis.clientName);
  if (redis.noEffectOptions !== undefined) check('noEffectOptions', 'noEffect', redis.noEffectOptions);
  if (redis.password !== undefined) {
    if (hasControlCharacter(redis.password.reveal())) {
      problems.push({
        field: 'password',
        problem: 'the password contains a control character (e.g. a line break).',
      });
    } else if (redis.password.reveal() === '') {
      problems.push({
        field: 'password',
        problem: 'the password is empty: remove it to connect without a password.',
      });
    }
  }
  if (redis.sslProtocols !== undefined) {
    try {
      sslProtocolsOf(redis.sslProtocols);
    } catch (error) {
      problems.push({ field: 'sslProtocols', problem: stripPart(messageOf(error)) });
    }
  }
  return problems;
}

/** Why one entry of Hosts is not `host:port` (IPv6 in brackets), or undefined. */
export function hostProblem(host: string): string | undefined {
  if (host.trim() === '') return 'a host is empty.';
  // Only the text before a "," or "=" is quoted: what follows may be a password typed here.
  if (/[,=]/.test(host))
    return `${quoteInput(host.split(/[,=]/)[0]!)} is not one host:port (one host per entry, no options).`;
  try {
    parseConnectionString(host);
    return undefined;
  } catch (error) {
    const message = messageOf(error);
    const reason = /is not an endpoint: (.*)$/s.exec(message)?.[1] ?? stripPart(message);
    return `${mayQuotePart(host) ? quoteInput(host) : 'This entry'} is not host:port: ${reason}`;
  }
}

/** The names checked in the server certificates: the SSL Host, or else each host's own name. */
export function certificateNamesChecked(redis: RedisSessionSettings): string[] {
  if (redis.sslHost !== undefined) return [redis.sslHost];
  const endpoints = parseConnectionString(redis.hosts.join(',')).endpoints;
  return [...new Set(endpoints.map((endpoint) => endpoint.host))];
}

function sslProtocolsOf(text: string): RedisConnectionSettings['sslProtocols'] {
  const quoted = `"${text.replaceAll('"', '""')}"`;
  return parseConnectionString(`localhost,sslProtocols=${quoted}`).sslProtocols;
}

function stripPart(message: string): string {
  return message.replace(/^Part \d+ of the Redis connection string \([^)]*\): /, '');
}

function messageOf(error: unknown): string {
  if (error instanceof RedisError || error instanceof Error) return error.message;
  return String(error);
}
