/**
 * The Redis session settings (`session.redis`), one line each: the Session tab of the
 * Configuration Tool, `tessera config session`, the file's schema and the docs are
 * derived from this table (see setting-table.ts). The values are checked by the
 * Redis layer's own rules, option by option (redis-settings.ts).
 */
import { CONNECTION_STRING_DEFAULTS } from '../redis/index.ts';
import type { SettingGroup, SettingSpec } from './setting-table.ts';

const DEFAULTS = CONNECTION_STRING_DEFAULTS;

/** The table itself, with its literal types (the schema's field types are derived from them). */
export const REDIS_SETTING_SPECS = [
  {
    field: 'hosts',
    kind: 'hosts',
    label: 'Hosts',
    help: 'the Redis hosts, host:port each ([address]:port for IPv6), in connection string order; without a port: 6380 with Use SSL, else 6379',
    note: 'Each entry is checked as the connection string checks an endpoint (RFC 1123 host names, ports 1–65535, no duplicates).',
    required: true,
  },
  {
    field: 'password',
    key: 'password',
    kind: 'secret',
    label: 'Password',
    help: 'the Redis password (AUTH), a secret',
    note: 'Stored as `{"$encrypted": "v1:<key id>:<iv>:<tag>:<ciphertext>"}`: AES-256-GCM with the private key, bound to this field. May be written by hand in plain text (`"password": "…"`, e.g. by an unattended install): it is accepted, shown as "plain text in the file", and stored encrypted on the next save (`tessera config apply` does one).',
  },
  {
    field: 'user',
    key: 'user',
    kind: 'text',
    label: 'ACL user',
    help: 'the ACL user (Redis 6+)',
    default: 'the `default` user',
  },
  {
    field: 'useSsl',
    key: 'ssl',
    kind: 'switch',
    label: 'Use SSL',
    help: "connect over TLS with this server's SERedis_* client certificate",
    default: DEFAULTS.ssl,
  },
  {
    field: 'sslHost',
    key: 'sslHost',
    kind: 'text',
    label: 'SSL Host',
    help: 'the name sent as SNI and checked in every server certificate',
    default: "each host's own name (an IP address is checked against the certificate's IP entries)",
    note: '`tessera config show` prints the names that will be checked.',
  },
  {
    field: 'connectTimeoutMs',
    key: 'connectTimeout',
    kind: 'integer',
    unit: 'ms',
    min: 1,
    default: DEFAULTS.connectTimeoutMs,
    label: 'Connect timeout (ms)',
    help: 'time allowed to connect (TCP, TLS, AUTH), per attempt',
    advanced: true,
  },
  {
    field: 'syncTimeoutMs',
    key: 'syncTimeout',
    kind: 'integer',
    unit: 'ms',
    min: 1,
    default: DEFAULTS.syncTimeoutMs,
    label: 'Sync timeout (ms)',
    help: "time allowed for one command's reply",
    advanced: true,
  },
  {
    field: 'asyncTimeoutMs',
    key: 'asyncTimeout',
    kind: 'integer',
    unit: 'ms',
    min: 1,
    default: 'the sync timeout alone',
    label: 'Async timeout (ms)',
    help: 'a command is allowed the larger of this and the sync timeout',
    advanced: true,
  },
  {
    field: 'defaultDatabase',
    key: 'defaultDatabase',
    kind: 'integer',
    min: 0,
    default: DEFAULTS.defaultDatabase,
    label: 'Database',
    help: 'the database number selected after connecting (not on Redis Cluster)',
    advanced: true,
  },
  {
    field: 'connectRetry',
    key: 'connectRetry',
    kind: 'integer',
    min: 0,
    default: DEFAULTS.connectRetry,
    label: 'Connect retry',
    help: 'how many more times the first connection is tried',
    advanced: true,
  },
  {
    field: 'keepAliveSeconds',
    key: 'keepAlive',
    kind: 'integer',
    unit: 's',
    min: -1,
    default: DEFAULTS.keepAliveSeconds,
    label: 'Keep-alive (s)',
    help: "time between keep-alive pings of an idle connection (-1 or 0: the client's default, 60 s)",
    advanced: true,
  },
  {
    field: 'abortConnect',
    key: 'abortConnect',
    kind: 'boolean',
    default: DEFAULTS.abortConnect,
    label: 'Abort connect',
    help: 'true: fail at start when no host answers; false: start and keep trying',
    advanced: true,
  },
  {
    field: 'allowAdmin',
    key: 'allowAdmin',
    kind: 'boolean',
    default: DEFAULTS.allowAdmin,
    label: 'Allow admin',
    help: 'allow administrative commands (FLUSHDB, CONFIG) through this connection',
    advanced: true,
  },
  {
    field: 'clientName',
    key: 'name',
    kind: 'text',
    label: 'Client name',
    help: 'the client name shown by CLIENT LIST (printable ASCII, no spaces)',
    advanced: true,
  },
  {
    field: 'serviceName',
    key: 'serviceName',
    kind: 'text',
    label: 'Sentinel service name',
    help: 'Redis Sentinel: the name of the monitored primary (the hosts are then Sentinels)',
    note: 'Sentinel is not supported by the client yet: Test Connection says so.',
    advanced: true,
  },
  {
    field: 'sslProtocols',
    key: 'sslProtocols',
    kind: 'text',
    label: 'SSL protocols',
    help: 'the TLS versions allowed: tls12, tls13 or tls12|tls13',
    default: "Node's defaults",
    advanced: true,
  },
] as const satisfies readonly SettingSpec[];

export const REDIS_SETTINGS: SettingGroup = Object.freeze({
  section: 'session.redis',
  settings: REDIS_SETTING_SPECS,
});

/** The settings shown under the Session tab's advanced options. */
export type RedisAdvancedOption = Extract<(typeof REDIS_SETTING_SPECS)[number], { advanced: true }>['field'];
export const REDIS_ADVANCED_SETTINGS = REDIS_SETTING_SPECS.filter(
  (spec): spec is Extract<(typeof REDIS_SETTING_SPECS)[number], { advanced: true }> => 'advanced' in spec,
);
export const REDIS_ADVANCED_OPTION_NAMES: readonly RedisAdvancedOption[] = REDIS_ADVANCED_SETTINGS.map(
  (spec) => spec.field,
);
