// The options of the Redis connection string: their defaults, how each value is read
// and written, and the help given for a key that is not one of them. The syntax
// around them (parts, endpoints, quoting) lives in connection-string.ts.
import { isIPv4, isIPv6 } from 'node:net';
import type { RedisConnectionSettings } from './connection-string.ts';

/** The TLS versions `sslProtocols` may name, in Node's spelling (`tls.SecureVersion`), oldest first. */
export const SSL_PROTOCOLS = ['TLSv1.2', 'TLSv1.3'] as const;
export type SslProtocol = (typeof SSL_PROTOCOLS)[number];

/** The settings that have a default, i.e. that are never absent from a parsed connection string. */
type DefaultedField =
  | 'ssl'
  | 'defaultDatabase'
  | 'connectTimeoutMs'
  | 'syncTimeoutMs'
  | 'connectRetry'
  | 'keepAliveSeconds'
  | 'abortConnect'
  | 'allowAdmin';

/**
 * What a connection string means when it leaves something out. The ports apply to
 * endpoints written without one: `sentinelPort` when `serviceName` is set (the
 * endpoints are then Sentinels), else `sslPort` when `ssl=true`, else `port`.
 * `keepAliveSeconds: -1` means the client's own keep-alive interval (60 seconds).
 */
export const CONNECTION_STRING_DEFAULTS = Object.freeze({
  port: 6379,
  sslPort: 6380,
  sentinelPort: 26379,
  ssl: false,
  defaultDatabase: 0,
  connectTimeoutMs: 5000,
  syncTimeoutMs: 5000,
  connectRetry: 3,
  keepAliveSeconds: -1,
  abortConnect: true,
  allowAdmin: false,
} as const satisfies Pick<RedisConnectionSettings, DefaultedField> & {
  readonly port: number;
  readonly sslPort: number;
  readonly sentinelPort: number;
});

/** A value an option refuses. The message says what the option expects and never repeats a secret. */
export class ValueProblem extends Error {}

type OptionField = Exclude<keyof RedisConnectionSettings, 'endpoints'>;
type OptionValue<F extends OptionField> = NonNullable<RedisConnectionSettings[F]>;

interface ValueKind<T> {
  /** Reads the (unquoted, trimmed) text after `key=`; throws ValueProblem. */
  parse(text: string, key: string): T;
  /** Writes the value so that `parse` gives it back. */
  format(value: T): string;
}

/** One option: its key in the connection string, its field in the settings, and its value kind. */
export interface OptionSpec<F extends OptionField = OptionField> {
  readonly key: string;
  readonly field: F;
  /** Secret values are never shown: not in messages, not in the redacted form. */
  readonly secret: boolean;
  readonly kind: ValueKind<OptionValue<F>>;
}

const INT32_MAX = 2_147_483_647;

const BOOLEAN: ValueKind<boolean> = {
  parse(text, key) {
    const lower = text.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    throw new ValueProblem(`${key} must be true or false.`);
  },
  format: String,
};

function wholeNumber(min: number, unit: string, example: string, note = ''): ValueKind<number> {
  return {
    parse(text, key) {
      const value = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
      if (value >= min && value <= INT32_MAX) return value;
      throw new ValueProblem(
        `${key} must be a whole number${unit} from ${min} to ${INT32_MAX}${note}, e.g. ${key}=${example}.`,
      );
    },
    format: String,
  };
}

const TEXT: ValueKind<string> = {
  parse(text, key) {
    if (text === '') throw new ValueProblem(`${key} needs a value. Remove the part to leave ${key} unset.`);
    return text;
  },
  format: (value) => value,
};

// Redis refuses a client name with any character outside '!'..'~' (CLIENT SETNAME).
const CLIENT_NAME: ValueKind<string> = {
  parse(text, key) {
    TEXT.parse(text, key);
    if (/^[!-~]+$/.test(text)) return text;
    throw new ValueProblem(
      `${key} may hold only printable ASCII characters without spaces (Redis refuses other client names), e.g. ${key}=frontend-1.`,
    );
  },
  format: (value) => value,
};

const SERVER_NAME: ValueKind<string> = {
  parse(text, key) {
    TEXT.parse(text, key);
    if (isIPv4(text) || isIPv6(text)) return text;
    const problem = hostNameProblem(text);
    if (problem === undefined) return text;
    throw new ValueProblem(
      `${key} must be the host name the Redis certificate is issued to (or an IP address), e.g. ${key}=redis.example.com: ${problem}`,
    );
  },
  format: (value) => value,
};

const SSL_PROTOCOL_NAMES: ReadonlyMap<string, SslProtocol> = new Map([
  ['tls12', 'TLSv1.2'],
  ['tls13', 'TLSv1.3'],
]);

const SSL_PROTOCOL_LIST: ValueKind<readonly SslProtocol[]> = {
  parse(text, key) {
    const chosen = new Set<SslProtocol>();
    for (const item of text.split('|').map((name) => name.trim())) {
      const protocol = SSL_PROTOCOL_NAMES.get(item.toLowerCase());
      if (protocol !== undefined) {
        chosen.add(protocol);
        continue;
      }
      const spelling = item
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '')
        .replace(/^tlsv/, 'tls');
      const hint = SSL_PROTOCOL_NAMES.has(spelling)
        ? `Write "${item}" as ${spelling}`
        : /^(ssl|tls)/i.test(item)
          ? `"${item}" is refused: only TLS 1.2 and 1.3 are supported by the Redis 6+ builds Tessera connects to`
          : `"${item}" is not a protocol name`;
      throw new ValueProblem(
        `${key} lists the TLS versions to allow, separated by "|": tls12, tls13 or tls12|tls13. ${hint}. Remove ${key} to allow both.`,
      );
    }
    return SSL_PROTOCOLS.filter((protocol) => chosen.has(protocol));
  },
  format: (value) =>
    SSL_PROTOCOLS.filter((protocol) => value.includes(protocol))
      .map((protocol) => `tls${protocol.slice(4).replace('.', '')}`)
      .join('|'),
};

const option = <F extends OptionField>(
  key: string,
  field: F,
  kind: ValueKind<OptionValue<F>>,
  secret = false,
): OptionSpec => ({ key, field, kind, secret }) as OptionSpec;

/** Every option, in the order `formatConnectionString` writes them. */
export const OPTIONS: readonly OptionSpec[] = Object.freeze([
  option('user', 'user', TEXT),
  option('password', 'password', TEXT, true),
  option('ssl', 'ssl', BOOLEAN),
  option('sslHost', 'sslHost', SERVER_NAME),
  option('sslProtocols', 'sslProtocols', SSL_PROTOCOL_LIST),
  option('serviceName', 'serviceName', TEXT),
  option('defaultDatabase', 'defaultDatabase', wholeNumber(0, '', '1')),
  option('name', 'name', CLIENT_NAME),
  option('connectTimeout', 'connectTimeoutMs', wholeNumber(1, ' of milliseconds', '10000')),
  option('syncTimeout', 'syncTimeoutMs', wholeNumber(1, ' of milliseconds', '10000')),
  option('connectRetry', 'connectRetry', wholeNumber(0, '', '5')),
  option('keepAlive', 'keepAliveSeconds', wholeNumber(-1, ' of seconds', '60', ' (-1 or 0: the default)')),
  option('abortConnect', 'abortConnect', BOOLEAN),
  option('allowAdmin', 'allowAdmin', BOOLEAN),
]);

const BY_KEY = new Map(OPTIONS.map((spec) => [spec.key.toLowerCase(), spec]));

/** The option a key names, in any letter case. */
export function findOption(key: string): OptionSpec | undefined {
  return BY_KEY.get(key.toLowerCase());
}

// Keys StackExchange.Redis knows that Tessera does not: refused with a reason rather
// than "unknown", so that a string copied from a .NET application is easy to fix.
const STACKEXCHANGE_ONLY: ReadonlyMap<string, string> = new Map(
  Object.entries({
    asynctimeout: ' and set syncTimeout, which bounds every command here',
    channelprefix: '',
    checkcertificaterevocation: '',
    configchannel: '',
    configcheckseconds: '',
    highprioritythreads: ' (StackExchange.Redis ignores it too)',
    preserveasyncorder: ' (StackExchange.Redis ignores it too)',
    protocol: '',
    proxy: '',
    resolvedns: '',
    responsetimeout: ' (StackExchange.Redis ignores it too)',
    setlib: '',
    tiebreaker: '',
    tunnel: '',
    version: '',
    writebuffer: ' (StackExchange.Redis ignores it too)',
  }),
);

// Names other clients use for an option, suggested when the edit distance finds nothing.
const OTHER_NAMES: ReadonlyMap<string, string> = new Map(
  Object.entries({
    username: 'user',
    tls: 'ssl',
    usessl: 'ssl',
    db: 'defaultDatabase',
    database: 'defaultDatabase',
    clientname: 'name',
  }),
);

/** Says why `key` is not an option and what to write instead (the sentence after the part is named). */
export function unknownOptionProblem(key: string): string {
  const lower = key.toLowerCase();
  if (lower.startsWith('$')) {
    return `renaming Redis commands (${key}=…) is not supported. Remove the part.`;
  }
  const reason = STACKEXCHANGE_ONLY.get(lower);
  if (reason !== undefined) {
    return `the StackExchange.Redis option "${key}" is not supported by Tessera: remove the part${reason}.`;
  }
  const suggestion = OTHER_NAMES.get(lower) ?? closestKey(lower);
  const known = OPTIONS.map((spec) => spec.key).join(', ');
  return `unknown option "${key}".${suggestion ? ` Did you mean "${suggestion}"?` : ''} Known options: ${known}.`;
}

/** Whether an unknown key is near enough to an option (misspelt, another client's name) to be one. */
export function resemblesOption(key: string): boolean {
  const lower = key.toLowerCase();
  return (
    lower.startsWith('$') ||
    STACKEXCHANGE_ONLY.get(lower) !== undefined ||
    OTHER_NAMES.get(lower) !== undefined ||
    closestKey(lower) !== undefined
  );
}

function closestKey(lower: string): string | undefined {
  const allowed = Math.max(1, Math.floor(lower.length / 3));
  let best: { key: string; distance: number } | undefined;
  for (const spec of OPTIONS) {
    const distance = editDistance(lower, spec.key.toLowerCase());
    if (distance <= allowed && (best === undefined || distance < best.distance)) {
      best = { key: spec.key, distance };
    }
  }
  return best?.key;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2]![j - 2]! + 1); // two neighbours swapped: "sslhots"
      }
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * Why `host` is not an RFC 1123 host name or a dotted IPv4 address, or undefined when it is one.
 * IPv6 addresses are checked by the caller (they are written in brackets in an endpoint).
 */
export function hostNameProblem(host: string): string | undefined {
  if (/^[\d.]+$/.test(host)) {
    return isIPv4(host)
      ? undefined
      : `"${host}" is not an IPv4 address (four numbers 0-255 without leading zeros).`;
  }
  if (host.length > 253) return `a host name has at most 253 characters; this one has ${host.length}.`;
  const bad = /[^A-Za-z0-9.-]/.exec(host);
  if (bad) {
    return `"${host}" contains "${bad[0]}"; a host name holds only letters, digits, hyphens and dots (RFC 1123).`;
  }
  for (const label of host.split('.')) {
    if (label === '') {
      return `"${host}" has an empty label (a dot at the start or end, or two dots in a row).`;
    }
    if (label.length > 63) return `"${host}" has a label longer than 63 characters.`;
    if (label.startsWith('-') || label.endsWith('-')) {
      return `"${host}" has a label that starts or ends with a hyphen (RFC 1123 forbids it).`;
    }
  }
  return undefined;
}
