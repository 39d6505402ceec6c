// The options of the Redis connection string: every option of StackExchange.Redis,
// what Tessera does with it (honoured, accepted with no effect here, or refused, with
// the reason), how each value is read and written, and the help given for a key that
// is not one of them. docs/redis-tls.md shows the same table (a test keeps the two in
// step). The syntax around the options (parts, endpoints, quoting) lives in
// connection-string.ts.
import { isIPv4, isIPv6 } from 'node:net';
import { closestName } from '../closest-name.ts';
import { quoteInput } from '../errors.ts';
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

type OptionField = Exclude<keyof RedisConnectionSettings, 'endpoints' | 'noEffect'>;
type OptionValue<F extends OptionField> = NonNullable<RedisConnectionSettings[F]>;

interface ValueKind<T> {
  /** Reads the (unquoted, trimmed) text after `key=`; throws ValueProblem. */
  parse(text: string, key: string): T;
  /** Writes the value so that `parse` gives it back. */
  format(value: T): string;
}

/**
 * What Tessera does with an option of StackExchange.Redis:
 * * `honoured`: read into `field`, with the same meaning;
 * * `no effect`: accepted, because its value cannot change what Tessera does (`reason`
 *   says why); kept in `noEffect` so that it is written back, and listed by Test
 *   Connection, `tessera config show` and the Configuration Tool as "accepted, no
 *   effect here". `refuse` names the values that would change behaviour: those are
 *   refused, with the reason;
 * * `refused`: ignoring it would change behaviour or weaken security; `reason` says why
 *   and what to do.
 */
export const OPTION_EFFECTS = ['honoured', 'no effect', 'refused'] as const;
export type OptionEffect = (typeof OPTION_EFFECTS)[number];

/** An option Tessera honours: its key in the connection string, its field in the settings, its value kind. */
export interface HonouredOption<F extends OptionField = OptionField> {
  readonly effect: 'honoured';
  readonly key: string;
  readonly field: F;
  /** Secret values are never shown: not in messages, not in the redacted form. */
  readonly secret: boolean;
  readonly kind: ValueKind<OptionValue<F>>;
}

/** An option accepted with no effect here. Its value is kept as text, in the spelling `kind` writes. */
export interface NoEffectOption {
  readonly effect: 'no effect';
  readonly key: string;
  readonly secret: false;
  readonly kind: ValueKind<string>;
  /** Why no value it accepts can change what Tessera does. */
  readonly reason: string;
  /** Why a value is refused, for the values that would change behaviour (undefined: accepted). */
  readonly refuse?: (value: string) => string | undefined;
}

/** An option refused whatever its value. */
export interface RefusedOption {
  readonly effect: 'refused';
  readonly key: string;
  readonly secret: false;
  /** Why, and what to do instead (a sentence after the part is named). */
  readonly reason: string;
}

export type OptionSpec = HonouredOption | NoEffectOption | RefusedOption;

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
        ? `Write ${quoteInput(item)} as ${spelling}`
        : /^(ssl|tls)/i.test(item)
          ? `${quoteInput(item)} is refused: only TLS 1.2 and 1.3 are supported by the Redis 6+ builds Tessera connects to`
          : `${quoteInput(item)} is not a protocol name`;
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
): OptionSpec => ({ effect: 'honoured', key, field, kind, secret }) as OptionSpec;

const noEffect = (
  key: string,
  kind: ValueKind<string>,
  reason: string,
  refuse?: (value: string) => string | undefined,
): NoEffectOption => ({ effect: 'no effect', key, kind, reason, secret: false, ...(refuse && { refuse }) });

const refused = (key: string, reason: string): RefusedOption => ({
  effect: 'refused',
  key,
  reason,
  secret: false,
});

/** A no-effect kind that keeps the text of another kind's value. */
function asText<T>(kind: ValueKind<T>): ValueKind<string> {
  return {
    parse: (text, key) => kind.format(kind.parse(text, key)),
    format: (value) => value,
  };
}

// Any text, the empty text included: an empty value is what turns these options off.
const ANY_TEXT: ValueKind<string> = { parse: (text) => text, format: (value) => value };

const VERSION: ValueKind<string> = {
  parse(text, key) {
    if (/^\d{1,9}(\.\d{1,9}){0,3}$/.test(text)) return text;
    throw new ValueProblem(`${key} must be a Redis version of one to four numbers, e.g. ${key}=7.2.`);
  },
  format: (value) => value,
};

function oneOf(names: readonly string[], canonical: (lower: string) => string): ValueKind<string> {
  return {
    parse(text, key) {
      const lower = text.toLowerCase();
      if (names.includes(lower)) return canonical(lower);
      throw new ValueProblem(`${key} must be one of ${names.join(', ')}.`);
    },
    format: (value) => value,
  };
}

const PROXY = oneOf(['none', 'twemproxy', 'envoyproxy'], (lower) =>
  lower === 'none' ? 'None' : lower === 'twemproxy' ? 'Twemproxy' : 'Envoyproxy',
);
const PROTOCOL = oneOf(['resp2', 'resp3', '2', '3'], (lower) => `resp${lower.slice(-1)}`);

const OBSOLETE = 'obsolete: StackExchange.Redis ignores it too';
const INTEGER_TEXT = asText(wholeNumber(-INT32_MAX, '', '0'));
const BOOLEAN_TEXT = asText(BOOLEAN);

/** Refuses any value but the empty one, which turns the option off as Tessera has it. */
const unlessEmpty = (reason: string) => (value: string) => (value === '' ? undefined : reason);

/**
 * Every option of StackExchange.Redis, in the order `formatConnectionString` writes them:
 * the honoured ones, then those accepted with no effect here, then the refused ones.
 */
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
  option('asyncTimeout', 'asyncTimeoutMs', wholeNumber(1, ' of milliseconds', '10000')),
  option('connectRetry', 'connectRetry', wholeNumber(0, '', '5')),
  option('keepAlive', 'keepAliveSeconds', wholeNumber(-1, ' of seconds', '60', ' (-1 or 0: the default)')),
  option('abortConnect', 'abortConnect', BOOLEAN),
  option('allowAdmin', 'allowAdmin', BOOLEAN),
  noEffect(
    'tiebreaker',
    ANY_TEXT,
    'empty, it turns off the tie-breaker key, which Tessera never uses',
    unlessEmpty(
      'tiebreaker names a key StackExchange.Redis reads to elect a primary among several; Tessera does not use that protocol: it asks each host its role and refuses several primaries. Remove the part, or leave it empty (tiebreaker=).',
    ),
  ),
  noEffect(
    'configChannel',
    ANY_TEXT,
    'empty, it turns off the channel on which StackExchange.Redis clients announce a new primary, which Tessera never uses',
    unlessEmpty(
      'configChannel names a pub/sub channel StackExchange.Redis clients use to announce a new primary; Tessera does not use that protocol: it finds the primary by asking each host its role. Remove the part, or leave it empty (configChannel=).',
    ),
  ),
  noEffect(
    'channelPrefix',
    ANY_TEXT,
    'empty, it asks for no prefix, and Tessera uses none',
    unlessEmpty(
      "channelPrefix would prefix pub/sub channel names, but Tessera's sessions publish and subscribe on channels of their own, unprefixed (lock hand-over), and would not follow it: a Redis ACL or a shared server relying on the prefix would see other names. Remove the part (and allow the session channels in the ACL).",
    ),
  ),
  noEffect(
    'tunnel',
    ANY_TEXT,
    'empty, it asks for no tunnel, and Tessera connects directly',
    unlessEmpty(
      'tunnel connects through an HTTP proxy, which Tessera does not support: it connects to each host directly. Remove the part and open a direct route to Redis.',
    ),
  ),
  noEffect(
    'proxy',
    PROXY,
    'None asks for a direct connection to Redis, which is how Tessera connects',
    (value) =>
      value === 'None'
        ? undefined
        : `proxy=${value} means a proxy in front of Redis that lacks commands Tessera's sessions need (scripts, pub/sub); Tessera supports a Redis server, its replicas or a Redis Cluster. Connect to Redis directly and remove the part.`,
  ),
  noEffect(
    'checkCertificateRevocation',
    BOOLEAN_TEXT,
    'false asks not to check certificate revocation, and Tessera does not check it',
    (value) =>
      value === 'false'
        ? undefined
        : 'Tessera does not check certificate revocation (no CRL or OCSP): accepting true would trust a revoked server certificate silently. Write checkCertificateRevocation=false (or remove the part), and revoke by replacing the server certificate and the CA file (SERedis_IssuerCertPath).',
  ),
  noEffect(
    'version',
    VERSION,
    'the version StackExchange.Redis assumes before it asks; Tessera asks each server (INFO) and needs Redis 6 or newer',
  ),
  noEffect(
    'setlib',
    BOOLEAN_TEXT,
    "it only decides whether CLIENT LIST names the client library; Tessera's client always names itself (node-redis), and a server that lacks CLIENT SETINFO is not an error",
  ),
  noEffect(
    'resolveDns',
    BOOLEAN_TEXT,
    'Tessera resolves host names when it connects, every time, and checks certificates against the names',
  ),
  noEffect(
    'configCheckSeconds',
    INTEGER_TEXT,
    "Tessera checks the hosts' roles when a command is refused (READONLY) or a host stays unreachable, not on a timer",
  ),
  noEffect(
    'protocol',
    PROTOCOL,
    "Tessera's client speaks RESP2 whatever is asked; sessions are read and written the same either way",
  ),
  noEffect('highPriorityThreads', BOOLEAN_TEXT, OBSOLETE),
  noEffect('preserveAsyncOrder', BOOLEAN_TEXT, OBSOLETE),
  noEffect('responseTimeout', INTEGER_TEXT, OBSOLETE),
  noEffect('writeBuffer', INTEGER_TEXT, OBSOLETE),
  refused(
    '$<command>',
    "renaming Redis commands is not supported: Tessera's sessions need their commands (EVALSHA, SET, PUBLISH…) under their own names. Remove the part, and use a server that keeps them.",
  ),
]);

const BY_KEY = new Map(OPTIONS.map((spec) => [spec.key.toLowerCase(), spec]));
const COMMAND_RENAME = BY_KEY.get('$<command>')!;

/** The option a key names, in any letter case (`$CONFIG` names the command renames). */
export function findOption(key: string): OptionSpec | undefined {
  return key.startsWith('$') ? COMMAND_RENAME : BY_KEY.get(key.toLowerCase());
}

/** The honoured options, the ones most strings use. */
export const HONOURED_OPTIONS = OPTIONS.filter((spec): spec is HonouredOption => spec.effect === 'honoured');

/** The options accepted with no effect here. */
export const NO_EFFECT_OPTIONS = OPTIONS.filter(
  (spec): spec is NoEffectOption => spec.effect === 'no effect',
);

// Names other clients and consoles use for an option, suggested when the edit distance finds nothing.
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

// Words that name a secret in other clients' settings and in cloud consoles: `pwd`,
// `accessKey`, `auth_token`… A part so named holds a password written the wrong way.
const SECRET_WORD =
  /^(?:redis|client|auth|access|api|primary|secondary|shared|account|db)?(?:pass|password|passwd|passphrase|pwd|pw|secret|token|key|accesskey|authtoken|auth|credential|credentials)$/;

/** Whether `word` names a secret (`Password`, `pwd`, `access_key`…), whatever its case and separators. */
export function isSecretWord(word: string): boolean {
  return word.length <= 40 && SECRET_WORD.test(word.toLowerCase().replace(/[-_.]/g, ''));
}

/** Says why `key` is not an option and what to write instead (the sentence after the part is named). */
export function unknownOptionProblem(key: string): string {
  const suggestion = isSecretWord(key)
    ? 'password'
    : (OTHER_NAMES.get(key.toLowerCase()) ?? closestKey(key.toLowerCase()));
  const known = HONOURED_OPTIONS.map((spec) => spec.key).join(', ');
  return (
    `unknown option ${quoteInput(key)}.${suggestion ? ` Did you mean "${suggestion}"?` : ''} Known options: ${known}; ` +
    'the other options of StackExchange.Redis are listed in docs/redis-tls.md.'
  );
}

/** Whether an unknown key is near enough to an option (misspelt, another client's name) to be one. */
export function resemblesOption(key: string): boolean {
  const lower = key.toLowerCase();
  return OTHER_NAMES.get(lower) !== undefined || closestKey(lower) !== undefined;
}

function closestKey(lower: string): string | undefined {
  return closestName(
    lower,
    OPTIONS.filter((spec) => spec.effect !== 'refused').map((spec) => spec.key),
  );
}

/**
 * Why `host` is not an RFC 1123 host name or a dotted IPv4 address, or undefined when it is one.
 * IPv6 addresses are checked by the caller (they are written in brackets in an endpoint).
 */
export function hostNameProblem(host: string): string | undefined {
  if (/^[\d.]+$/.test(host)) {
    return isIPv4(host)
      ? undefined
      : `${quoteInput(host)} is not an IPv4 address (four numbers 0-255 without leading zeros).`;
  }
  if (host.length > 253) return `a host name has at most 253 characters; this one has ${host.length}.`;
  const bad = /[^A-Za-z0-9.-]/u.exec(host);
  if (bad) {
    return `${quoteInput(host)} contains ${quoteInput(bad[0])}; a host name holds only letters, digits, hyphens and dots (RFC 1123).`;
  }
  for (const label of host.split('.')) {
    if (label === '') {
      return `${quoteInput(host)} has an empty label (a dot at the start or end, or two dots in a row).`;
    }
    if (label.length > 63) return `${quoteInput(host)} has a label longer than 63 characters.`;
    if (label.startsWith('-') || label.endsWith('-')) {
      return `${quoteInput(host)} has a label that starts or ends with a hyphen (RFC 1123 forbids it).`;
    }
  }
  return undefined;
}
