/**
 * The Redis session settings of the configuration and the connection string they
 * make. The configuration is the single source of this server's connection
 * string: every tool and the front-end server get it from `connectionStringFor`.
 *
 * Hosts and option values are checked by the connection string layer's own
 * readers (`endpointProblem`, `readOption`), option by option, so a configuration
 * that validates always makes a connection string that parses. The settings and
 * their keys are in redis-setting-table.ts.
 */

import { quoteInput } from '../errors.ts';
import {
  CONNECTION_STRING_DEFAULTS,
  endpointProblem,
  formatConnectionString,
  formatEndpoint,
  formatOption,
  mayQuotePart,
  noEffectProblems,
  optionField,
  parseConnectionString,
  type RedisConnectionSettings,
  RedisError,
  readOption,
  redactConnectionString,
} from '../redis/index.ts';
import { ConfigError } from './errors.ts';
import { REDIS_SETTINGS } from './redis-setting-table.ts';
import type { RedisSessionSettings, ServerConfiguration } from './schema.ts';
import { Secret } from './secret.ts';
import type { SettingSpec } from './setting-table.ts';

/** A setting that the connection string layer refuses: the field (relative to `session.redis`) and why. */
export interface SettingProblem {
  readonly field: string;
  readonly problem: string;
}

/** The settings that are options of the connection string (all but Hosts), each with its key. */
const OPTION_SETTINGS = REDIS_SETTINGS.settings.filter(
  (spec): spec is SettingSpec & { readonly key: string } => spec.key !== undefined,
);

type StoredValue = string | number | boolean | Secret | undefined;

/** A stored value as the connection string writes it (a secret revealed: for the Redis layer only). */
function textOf(value: Exclude<StoredValue, undefined>): string {
  return value instanceof Secret ? value.reveal() : String(value);
}

function storedValue(redis: RedisSessionSettings, field: string): StoredValue {
  return (redis as unknown as Readonly<Record<string, StoredValue>>)[field];
}

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
  const {
    port: _port,
    sslPort: _sslPort,
    sentinelPort: _sentinelPort,
    ...defaults
  } = CONNECTION_STRING_DEFAULTS;
  const settings: Record<string, unknown> = { ...defaults, endpoints };
  for (const spec of OPTION_SETTINGS) {
    const value = storedValue(redis, spec.field);
    if (value === undefined) continue;
    const reading = readOption(spec.key, textOf(value));
    if (!reading.ok) {
      throw new ConfigError('TESSERA_CONFIG_INVALID', `session.redis.${spec.field}: ${reading.problem}`, {
        field: `session.redis.${spec.field}`,
      });
    }
    settings[reading.field] = reading.value;
  }
  if (redis.noEffectOptions !== undefined) settings.noEffect = redis.noEffectOptions;
  return settings as unknown as RedisConnectionSettings;
}

/**
 * Reads a connection string (`tessera config session --connection-string`) into
 * Redis settings. Options equal to their default are left out of the settings.
 * Throws the Redis layer's `TESSERA_REDIS_CONNECTION_STRING` error, naming the part.
 */
export function redisSettingsFromConnectionString(text: string): RedisSessionSettings {
  const connection = parseConnectionString(text);
  const parsed = connection as unknown as Readonly<Record<string, unknown>>;
  const defaults: Readonly<Record<string, unknown>> = CONNECTION_STRING_DEFAULTS;
  const settings: Record<string, unknown> = { hosts: connection.endpoints.map(formatEndpoint) };
  for (const spec of OPTION_SETTINGS) {
    const field = optionField(spec.key);
    const value = parsed[field];
    // Use SSL is always written; the other options only when they differ from the default.
    if (value === undefined || (spec.kind !== 'switch' && value === defaults[field])) continue;
    settings[spec.field] =
      spec.kind === 'secret'
        ? new Secret(String(value))
        : typeof value === 'object'
          ? formatOption(spec.key, value)
          : value;
  }
  if (connection.noEffect !== undefined) settings.noEffectOptions = { ...connection.noEffect };
  return settings as unknown as RedisSessionSettings;
}

/**
 * Everything the connection string layer refuses in these settings (an empty list
 * when they are valid): each host as an endpoint, the hosts together (no endpoint
 * twice), each option by the Redis layer's reading of its value.
 */
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
    if (!(error instanceof RedisError)) throw error;
    problems.push({ field: 'hosts', problem: error.message });
    return problems;
  }
  for (const spec of OPTION_SETTINGS) {
    const value = storedValue(redis, spec.field);
    if (value === undefined) continue;
    const reading = readOption(spec.key, textOf(value));
    if (!reading.ok) problems.push({ field: spec.field, problem: reading.problem });
  }
  for (const problem of noEffectProblems(redis.noEffectOptions ?? {})) {
    problems.push({ field: 'noEffectOptions', problem });
  }
  return problems;
}

/** Why one entry of Hosts is not `host:port` (IPv6 in brackets), or undefined. */
export function hostProblem(host: string): string | undefined {
  // Only the text before a "," or "=" is quoted: what follows may be a password typed here.
  if (/[,=]/.test(host))
    return `${quoteInput(host.split(/[,=]/)[0]!)} is not one host:port (one host per entry, no options).`;
  const reason = endpointProblem(host);
  if (reason === undefined) return undefined;
  return `${mayQuotePart(host) ? quoteInput(host) : 'This entry'} is not host:port: ${reason}`;
}

/** The names checked in the server certificates: the SSL Host, or else each host's own name. */
export function certificateNamesChecked(redis: RedisSessionSettings): string[] {
  if (redis.sslHost !== undefined) return [redis.sslHost];
  const endpoints = parseConnectionString(redis.hosts.join(',')).endpoints;
  return [...new Set(endpoints.map((endpoint) => endpoint.host))];
}
