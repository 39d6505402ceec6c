/**
 * The Redis connection string, in StackExchange.Redis syntax:
 *
 *     host1:6380,host2:6380,password=…,ssl=true,sslHost=redis.example.com
 *
 * Comma-separated parts, each trimmed. A part with `=` is an option `key=value` (keys in
 * any letter case); any other part is an endpoint: `host`, `host:port`, `[ipv6]`,
 * `[ipv6]:port` or an IPv4 address. A value may be written in double quotes, with `""`
 * for a quote inside, so that it can hold a comma or keep surrounding spaces:
 * `password="a,b"`. The options and their defaults are in connection-string-options.ts.
 *
 * Every option of StackExchange.Redis is honoured, accepted with no effect here (kept in
 * `noEffect`, written back by `formatConnectionString`), or refused with the reason: see
 * OPTIONS in connection-string-options.ts.
 *
 * Unlike StackExchange.Redis, which skips what it cannot read, every mistake is a
 * `RedisError` with code `TESSERA_REDIS_CONNECTION_STRING` whose message names the part
 * (position, and text quoted with `quoteInput`) and says what to write instead. No
 * message, and no redacted form, ever contains the password: nor the text of a part
 * that looks like one written the wrong way (`password:…`, `pwd …`), nor a part right
 * after an unquoted password.
 */
import { isIPv6 } from 'node:net';
import { quoteInput } from '../errors.ts';
import {
  CONNECTION_STRING_DEFAULTS,
  findOption,
  hostNameProblem,
  isSecretWord,
  NO_EFFECT_OPTIONS,
  OPTIONS,
  type OptionSpec,
  resemblesOption,
  type SslProtocol,
  unknownOptionProblem,
  ValueProblem,
} from './connection-string-options.ts';
import { RedisError } from './errors.ts';

export {
  CONNECTION_STRING_DEFAULTS,
  NO_EFFECT_OPTIONS,
  OPTION_EFFECTS,
  OPTIONS,
  type OptionEffect,
  type OptionSpec,
  SSL_PROTOCOLS,
  type SslProtocol,
} from './connection-string-options.ts';

/** One Redis server (or Sentinel) to connect to. */
export interface RedisEndpoint {
  /** Host name, IPv4 address, or IPv6 address without brackets. */
  readonly host: string;
  /** 1–65535; when the string left it out, the default that applies (see CONNECTION_STRING_DEFAULTS). */
  readonly port: number;
}

/**
 * Everything a connection string says, with every default filled in. Values returned by
 * `parseConnectionString` are frozen, deeply. Optional fields are absent when unset.
 */
export interface RedisConnectionSettings {
  /** In the order written; never empty, never the same host and port twice. */
  readonly endpoints: readonly RedisEndpoint[];
  /** Sent with AUTH. A secret: never logged, never in a message. */
  readonly password?: string;
  /** The ACL user (Redis 6+) sent with AUTH; unset means the `default` user. */
  readonly user?: string;
  /** Connect over TLS (Redis 6+ built with TLS). */
  readonly ssl: boolean;
  /** The name sent as SNI and checked in every server certificate; unset: each endpoint's own host. */
  readonly sslHost?: string;
  /** TLS versions to allow, oldest first (Node's `minVersion` is the first, `maxVersion` the last); unset: Node's defaults. */
  readonly sslProtocols?: readonly SslProtocol[];
  /** The database selected after connecting (SELECT). */
  readonly defaultDatabase: number;
  /** Time allowed to connect (TCP, TLS and AUTH), per attempt. */
  readonly connectTimeoutMs: number;
  /** Time allowed for one command's reply (with asyncTimeoutMs: see commandTimeoutMs). */
  readonly syncTimeoutMs: number;
  /**
   * StackExchange.Redis's timeout of asynchronous commands. Every command is
   * asynchronous here: a command is allowed the larger of the two (commandTimeoutMs).
   */
  readonly asyncTimeoutMs?: number;
  /** How many more times the first connection is tried after it fails. */
  readonly connectRetry: number;
  /** Seconds between keep-alive pings of an idle connection; -1 or 0: the client's default (60 s). */
  readonly keepAliveSeconds: number;
  /** true: fail at start when no endpoint can be reached; false: start, and keep trying in the background. */
  readonly abortConnect: boolean;
  /** The client name (CLIENT SETNAME): printable ASCII without spaces. */
  readonly name?: string;
  /** The Sentinel service (master) name; when set, the endpoints are Sentinels. */
  readonly serviceName?: string;
  /** Allow administrative commands (e.g. FLUSHDB, CONFIG) through this connection. */
  readonly allowAdmin: boolean;
  /**
   * Options of StackExchange.Redis accepted with no effect here, by key, each value in
   * the spelling the option writes (`{ version: '7.2', setlib: 'false' }`). Kept so
   * that the string is written back as given and the tools can list them. Absent when
   * there are none.
   */
  readonly noEffect?: Readonly<Record<string, string>>;
}

/** The time allowed for one command's reply: the larger of syncTimeout and asyncTimeout. */
export function commandTimeoutMs(settings: RedisConnectionSettings): number {
  return Math.max(settings.syncTimeoutMs, settings.asyncTimeoutMs ?? 0);
}

/**
 * The options accepted with no effect here (a settings' `noEffect`), each with its value
 * and why it has none: `version=7.2 (the version StackExchange.Redis assumes…)`.
 */
export function describeNoEffectOptions(noEffect: RedisConnectionSettings['noEffect']): string[] {
  const given = noEffect ?? {};
  return NO_EFFECT_OPTIONS.filter((spec) => given[spec.key] !== undefined).map(
    (spec) => `${spec.key}=${quoteIfNeeded(given[spec.key]!)} (${spec.reason})`,
  );
}

/** A part of the string: its 1-based position, its trimmed text and, for `key=value`, the option. */
interface Part {
  readonly position: number;
  readonly text: string;
  readonly option?: { readonly key: string; readonly value: string; readonly quoted: boolean };
}

const CODE = 'TESSERA_REDIS_CONNECTION_STRING';
function fail(message: string): never {
  throw new RedisError(CODE, message);
}

/** Reads a connection string; throws a RedisError naming the part that is wrong and the fix. */
export function parseConnectionString(text: string): RedisConnectionSettings {
  if (typeof text !== 'string' || text.trim() === '') {
    fail(
      'The Redis connection string is empty. Write at least one endpoint, e.g. redis.example.com:6380,ssl=true.',
    );
  }
  const parts = splitParts(text);
  const values = new Map<OptionSpec, { value: unknown; part: Part }>();
  const written: { host: string; port: number | undefined; part: Part }[] = [];
  for (const part of parts) {
    const previous = parts[part.position - 2];
    if (part.text === '') fail(emptyPartProblem(part, parts.length));
    if (part.option === undefined) {
      written.push({ ...readEndpointPart(part, previous), part });
      continue;
    }
    const { key, value } = part.option;
    const spec = findOption(key);
    if (spec === undefined) {
      if (afterSecret(previous) && !resemblesOption(key)) fail(continuedSecretProblem(part, previous));
      if (!OPTION_NAME.test(key)) {
        fail(
          `Part ${part.position} of the Redis connection string has no option name before "=" (what is there is not shown: it may be a secret). Write key=value with a known option, e.g. ssl=true or password=….`,
        );
      }
      fail(`${label(part)}: ${unknownOptionProblem(key)}`);
    }
    if (spec.effect === 'refused') fail(`${label(part)}: ${spec.reason}`);
    const earlier = values.get(spec);
    if (earlier !== undefined) {
      fail(
        `The option ${spec.key} appears twice in the Redis connection string: ${label(earlier.part, 'part')} and ${label(part, 'part')}. Keep one of them.`,
      );
    }
    try {
      values.set(spec, { value: readValue(spec, value), part });
    } catch (error) {
      if (!(error instanceof ValueProblem)) throw error;
      if (SECRET_HINT.test(value)) {
        fail(
          `${label(part)}: the value is not valid for ${spec.key}, and is not shown: it may hold a password (a missing comma?). Write each option as key=value, the parts separated by commas: …,${spec.key}=…,password=….`,
        );
      }
      fail(`${label(part)}: ${error.message}`);
    }
  }

  const { port, sslPort, sentinelPort, ...defaults } = CONNECTION_STRING_DEFAULTS;
  const settings: Record<string, unknown> = { endpoints: [], ...defaults };
  const noEffect: Record<string, string> = {};
  for (const spec of OPTIONS) {
    const given = values.get(spec);
    if (given === undefined) continue;
    if (spec.effect === 'honoured') settings[spec.field] = given.value;
    else noEffect[spec.key] = given.value as string;
  }
  if (Object.keys(noEffect).length > 0) settings.noEffect = Object.freeze(noEffect);
  const sentinel = settings.serviceName !== undefined;
  const defaultPort = sentinel ? sentinelPort : settings.ssl ? sslPort : port;
  if (written.length === 0) {
    fail(
      `The Redis connection string names no ${sentinel ? 'Sentinel ' : ''}endpoint. Begin it with host:port, e.g. redis.example.com:${defaultPort}.`,
    );
  }
  const seen = new Map<string, Part>();
  const endpoints = written.map((endpoint) => {
    const resolved = Object.freeze({ host: endpoint.host, port: endpoint.port ?? defaultPort });
    const first = seen.get(endpointKey(resolved));
    if (first !== undefined) {
      fail(
        `The endpoint ${formatEndpoint(resolved)} appears twice in the Redis connection string: ${label(first, 'part')} and ${label(endpoint.part, 'part')}. Remove one of them.`,
      );
    }
    seen.set(endpointKey(resolved), endpoint.part);
    return resolved;
  });
  settings.endpoints = Object.freeze(endpoints);
  if (Array.isArray(settings.sslProtocols)) Object.freeze(settings.sslProtocols);
  return Object.freeze(settings) as unknown as RedisConnectionSettings;
}

/** An option's value read from its text; a no-effect option's value that would change behaviour is refused. */
function readValue(spec: Exclude<OptionSpec, { effect: 'refused' }>, text: string): unknown {
  const value = spec.kind.parse(text, spec.key);
  if (spec.effect === 'no effect') {
    const refusal = spec.refuse?.(value as string);
    if (refusal !== undefined) throw new ValueProblem(refusal);
  }
  return value;
}

/**
 * Writes settings as a connection string that `parseConnectionString` reads back equal:
 * every endpoint with its port, then only the options that differ from the defaults,
 * then the options accepted with no effect here, quoted when needed. Throws a
 * RedisError when a value cannot be written (out of range, empty, two equal
 * endpoints, a no-effect value that would change behaviour…).
 */
export function formatConnectionString(settings: RedisConnectionSettings): string {
  return write(settings, false);
}

/** The same as formatConnectionString, for display: the password is shown as `password=*****`. */
export function redactConnectionString(settings: RedisConnectionSettings): string {
  return write(settings, true);
}

/** `host:port`, with an IPv6 address in brackets: `[::1]:6380`. */
export function formatEndpoint(endpoint: RedisEndpoint): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${host}:${endpoint.port}`;
}

function write(settings: RedisConnectionSettings, redact: boolean): string {
  const cannot: (what: string) => never = (what) => fail(`Cannot write the Redis connection string: ${what}`);
  if (!Array.isArray(settings.endpoints) || settings.endpoints.length === 0) {
    cannot('endpoints is empty. Give at least one endpoint.');
  }
  const seen = new Set<string>();
  const parts = settings.endpoints.map((endpoint, index) => {
    if (typeof endpoint?.host !== 'string') cannot(`endpoint ${index + 1} has no host.`);
    const text = formatEndpoint(endpoint);
    try {
      const read = readEndpoint(text);
      if (read.port !== endpoint.port) {
        throw new ValueProblem('the port must be a whole number from 1 to 65535.');
      }
    } catch (error) {
      if (error instanceof ValueProblem)
        cannot(`endpoint ${index + 1} (${quoteInput(text)}): ${error.message}`);
      throw error;
    }
    if (seen.has(endpointKey(endpoint))) {
      cannot(`the endpoint ${quoteInput(text)} is listed twice. Remove one of them.`);
    }
    seen.add(endpointKey(endpoint));
    return text;
  });
  const defaults: Readonly<Record<string, unknown>> = CONNECTION_STRING_DEFAULTS;
  const noEffect: Readonly<Record<string, unknown>> = settings.noEffect ?? {};
  if (typeof noEffect !== 'object' || noEffect === null)
    cannot('noEffect must be an object of option texts.');
  for (const key of Object.keys(noEffect)) {
    if (findOption(key)?.effect !== 'no effect' || findOption(key)?.key !== key) {
      cannot(
        `noEffect names ${quoteInput(key)}, which is not an option accepted with no effect here (${NO_EFFECT_OPTIONS.map((spec) => spec.key).join(', ')}).`,
      );
    }
  }
  for (const spec of OPTIONS) {
    if (spec.effect === 'refused') continue;
    const value: unknown = spec.effect === 'honoured' ? settings[spec.field] : noEffect[spec.key];
    if (value === undefined || (spec.effect === 'honoured' && value === defaults[spec.field])) continue;
    const text = writeValue(spec, value, cannot);
    parts.push(`${spec.key}=${redact && spec.secret ? '*****' : quoteIfNeeded(text)}`);
  }
  return parts.join(',');
}

/** The text of one option's value, checked to read back as the same value. */
function writeValue(
  spec: Exclude<OptionSpec, { effect: 'refused' }>,
  value: unknown,
  cannot: (what: string) => never,
): string {
  const unchanged = (a: unknown, b: unknown) =>
    Array.isArray(a) && Array.isArray(b) ? [...a].sort().join() === [...b].sort().join() : a === b;
  const field = spec.effect === 'honoured' ? spec.field : `noEffect.${spec.key}`;
  let text = '';
  try {
    text = spec.kind.format(value as never);
    if (typeof text !== 'string' || !unchanged(readValue(spec, text), value)) throw new TypeError('changed');
  } catch (error) {
    if (error instanceof ValueProblem) cannot(`${field}: ${error.message}`);
    cannot(`${field} cannot be written as ${spec.key}=… and read back unchanged; check its type.`);
  }
  if (CONTROL.test(text)) {
    cannot(`${field} contains a control character, which a connection string cannot hold.`);
  }
  return text;
}

const CONTROL = /[\u0000-\u001f\u007f]/;

/** Whether `text` holds a control character (U+0000–U+001F, U+007F), which no part of a connection string may hold. */
export function hasControlCharacter(text: string): boolean {
  return CONTROL.test(text);
}

function quoteIfNeeded(value: string): string {
  // An empty value is written `key=`: it reads back empty (only the no-effect options take one).
  const plain = value === value.trim() && !/[,"]/.test(value);
  return plain ? value : `"${value.replaceAll('"', '""')}"`;
}

/** Cuts the string into parts at the commas that are not inside a quoted value. */
function splitParts(text: string): Part[] {
  const parts: Part[] = [];
  let start = 0;
  for (let position = 1; ; position++) {
    let end = start;
    while (end < text.length && text[end] !== ',' && text[end] !== '=') end++;
    let option: Part['option'];
    if (text[end] === '=') {
      const key = text.slice(start, end).trim();
      let valueStart = end + 1;
      while (valueStart < text.length && /\s/.test(text[valueStart]!)) valueStart++;
      if (text[valueStart] === '"') {
        const quoted = readQuoted(text, valueStart);
        const problem = { position, text: `${key}=`, option: { key, value: '', quoted: true } };
        if (quoted === undefined) {
          fail(
            `${label(problem)}: the value opens a double quote that is never closed. End it with ", and write a quote inside it as "".`,
          );
        }
        end = quoted.end;
        while (end < text.length && /\s/.test(text[end]!)) end++;
        if (end < text.length && text[end] !== ',') {
          fail(
            `${label(problem)}: there is text after the closing double quote. Write a quote inside a quoted value as "".`,
          );
        }
        option = { key, value: quoted.value, quoted: true };
      } else {
        end = text.indexOf(',', valueStart);
        if (end < 0) end = text.length;
        option = { key, value: text.slice(valueStart, end).trim(), quoted: false };
      }
    }
    const part: Part = { position, text: text.slice(start, end).trim(), ...(option && { option }) };
    if (CONTROL.test(part.text)) {
      const code = CONTROL.exec(part.text)![0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
      fail(
        `Part ${position} of the Redis connection string contains a control character (U+${code}). Write each part on one line, without tabs or line breaks inside it.`,
      );
    }
    parts.push(part);
    if (end >= text.length) return parts;
    start = end + 1;
  }
}

/** The value of a quoted string starting at `open` (a `"`), and the index after its closing quote. */
function readQuoted(text: string, open: number): { value: string; end: number } | undefined {
  let value = '';
  let at = open + 1;
  for (;;) {
    const quote = text.indexOf('"', at);
    if (quote < 0) return undefined;
    value += text.slice(at, quote);
    if (text[quote + 1] !== '"') return { value, end: quote + 1 };
    value += '"';
    at = quote + 2;
  }
}

function readEndpointPart(
  part: Part,
  previous: Part | undefined,
): { host: string; port: number | undefined } {
  if (afterSecret(previous)) fail(continuedSecretProblem(part, previous));
  const secret = secretLooks(part.text);
  if (secret === 'named') fail(secretPartProblem(part));
  if (part.text.includes('://')) {
    fail(
      `Part ${part.position} of the Redis connection string looks like a URL. Write host:port and options instead, e.g. redis.example.com:6380,user=…,password=…,ssl=true.`,
    );
  }
  if (part.text.includes('@')) {
    fail(
      `Part ${part.position} of the Redis connection string contains "@". Write the host alone, and the user and password as options: redis.example.com:6380,user=…,password=….`,
    );
  }
  try {
    return readEndpoint(part.text);
  } catch (error) {
    if (!(error instanceof ValueProblem)) throw error;
    if (secret === 'maybe') fail(maybeSecretProblem(part));
    fail(`${label(part)} is not an endpoint: ${error.message}`);
  }
}

/**
 * Whether an endpoint part looks like a secret written without `=`: `named` when it
 * begins with a word that names one (`password:x`, `Password: x`, `pwd x`, `token`),
 * `maybe` when its first word contains such a word and a separator follows
 * (`redispass:x`): refused only when it is not an endpoint either, but never quoted.
 */
function secretLooks(text: string): 'named' | 'maybe' | undefined {
  const word = /^[A-Za-z0-9_.-]*/.exec(text)![0];
  if (isSecretWord(word)) return 'named';
  return SECRET_HINT.test(text) ? 'maybe' : undefined;
}

// A word that contains one naming a secret, followed by a character no host name or
// option name holds: `password=` run into another part (`ssl=true password=…`, a
// missing comma), `redispass:…`, `auth_token …`.
const SECRET_HINT = /(?:pass|pwd|secret|token|key|auth|cred)[A-Za-z0-9_.-]*[^A-Za-z0-9_.-]/i;

function maybeSecretProblem(part: Part): string {
  return `Part ${part.position} of the Redis connection string is not an endpoint, and is not shown: it may hold a password (a missing comma or "="?). Write endpoints as host:port and the password as password=…, each part separated by a comma.`;
}

/**
 * Whether a message may quote `text` given as an endpoint: not when it may hold a
 * password (`user:pass@host`, a URL with credentials, `password:…`).
 */
export function mayQuotePart(text: string): boolean {
  return !text.includes('@') && secretLooks(text) === undefined;
}

function secretPartProblem(part: Part): string {
  return `Part ${part.position} of the Redis connection string looks like a password written without "=" (what is there is not shown). Write the password as password=… (in double quotes if it holds a comma: password="…"); if part ${part.position} is an endpoint, write it as host:port, e.g. redis.example.com:6380.`;
}

/** Reads `host`, `host:port`, `[ipv6]` or `[ipv6]:port`; the port is undefined when left out. */
function readEndpoint(text: string): { host: string; port: number | undefined } {
  let host = text;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) {
      throw new ValueProblem('"[" opens an IPv6 address but "]" never closes it, e.g. [2001:db8::1]:6380.');
    }
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) {
      throw new ValueProblem(
        `${quoteInput(rest)} follows "]". Write [address]:port, e.g. [2001:db8::1]:6380.`,
      );
    }
    if (rest !== '') portText = rest.slice(1);
    if (!isIPv6(host)) throw new ValueProblem(`${quoteInput(host)} in brackets is not an IPv6 address.`);
  } else {
    const colons = text.split(':').length - 1;
    if (colons > 1) {
      throw new ValueProblem(
        isIPv6(text)
          ? `write an IPv6 address in brackets, e.g. [${text.length <= 45 ? text : '2001:db8::1'}]:6380.`
          : 'it has more than one ":". Write host:port, or [address]:port for IPv6.',
      );
    }
    if (colons === 1) [host = '', portText] = text.split(':');
    if (host === '') {
      throw new ValueProblem('there is no host before ":". Write host:port, e.g. redis.example.com:6380.');
    }
    const problem = hostNameProblem(host);
    if (problem !== undefined) throw new ValueProblem(problem);
  }
  if (portText === undefined) return { host, port: undefined };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : 0;
  if (port >= 1 && port <= 65535) return { host, port };
  throw new ValueProblem(
    portText === ''
      ? 'there is no port after ":". Write a port from 1 to 65535, or leave out ":" for the default port.'
      : `the port ${quoteInput(portText)} must be a whole number from 1 to 65535.`,
  );
}

/**
 * Why `text` is not one endpoint (`host`, `host:port`, `[ipv6]:port`), as a reason
 * to put after the entry is named, or undefined when it is one. Never quotes text
 * that may hold a password. For the settings that keep endpoints one by one (the
 * Hosts of the Configuration Tool).
 */
export function endpointProblem(text: string): string | undefined {
  if (text.trim() === '') return 'it is empty.';
  if (CONTROL.test(text)) return 'it contains a control character.';
  if (secretLooks(text) === 'named') {
    return 'it looks like a password written without "=" (not shown). Give the password as its own setting.';
  }
  if (text.includes('://')) return 'it looks like a URL. Write host:port, e.g. redis.example.com:6380.';
  if (text.includes('@')) {
    return 'it contains "@". Write the host alone, and the user and password as their own settings.';
  }
  try {
    readEndpoint(text.trim());
    return undefined;
  } catch (error) {
    if (!(error instanceof ValueProblem)) throw error;
    return secretLooks(text) === 'maybe'
      ? 'it is not host:port (not shown: it may hold a password).'
      : error.message;
  }
}

/** The value of an honoured option, as `parseConnectionString` reads it into its field. */
export type OptionReading =
  | { readonly ok: true; readonly field: keyof RedisConnectionSettings; readonly value: unknown }
  | { readonly ok: false; readonly problem: string };

/**
 * Reads the value of the honoured option `key` (`connectTimeout`, `sslHost`…) from
 * its text, as the connection string reads it: the field of the settings it sets
 * and its value, or why the text is refused (a sentence naming the option, never
 * repeating a secret). For settings kept option by option (the server
 * configuration), so that they are checked by the same rules as a connection string.
 */
export function readOption(key: string, text: string): OptionReading {
  const spec = findOption(key);
  if (spec?.effect !== 'honoured') throw new TypeError(`${key} is not an option Tessera honours.`);
  if (CONTROL.test(text)) {
    return {
      ok: false,
      problem: `${spec.key} contains a control character, which a connection string cannot hold.`,
    };
  }
  try {
    return { ok: true, field: spec.field, value: spec.kind.parse(text, spec.key) };
  } catch (error) {
    if (!(error instanceof ValueProblem)) throw error;
    return { ok: false, problem: error.message };
  }
}

/** The field of the settings that the honoured option `key` sets (`name` → `name`, `connectTimeout` → `connectTimeoutMs`). */
export function optionField(key: string): keyof RedisConnectionSettings {
  const spec = findOption(key);
  if (spec?.effect !== 'honoured') throw new TypeError(`${key} is not an option Tessera honours.`);
  return spec.field;
}

/**
 * Why each entry of `noEffect` (options accepted with no effect here, by key) is
 * refused: a key that is not such an option, or a value that would change
 * behaviour. An empty list when every entry is accepted.
 */
export function noEffectProblems(noEffect: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(noEffect)) {
    const spec = findOption(key);
    if (spec?.effect !== 'no effect' || spec.key !== key) {
      problems.push(
        `${quoteInput(key)} is not an option accepted with no effect here (${NO_EFFECT_OPTIONS.map((option) => option.key).join(', ')}).`,
      );
      continue;
    }
    try {
      if (typeof value !== 'string' || CONTROL.test(value))
        throw new ValueProblem(`${key} must be one line of text.`);
      readValue(spec, value);
    } catch (error) {
      if (!(error instanceof ValueProblem)) throw error;
      problems.push(error.message);
    }
  }
  return problems;
}

/** The text an honoured option's value is written as (`readOption` reads it back). */
export function formatOption(key: string, value: unknown): string {
  const spec = findOption(key);
  if (spec?.effect !== 'honoured') throw new TypeError(`${key} is not an option Tessera honours.`);
  return spec.kind.format(value as never);
}

/** Equal for the same server: host names in any case, IPv6 addresses in any spelling. */
function endpointKey(endpoint: RedisEndpoint): string {
  let host = endpoint.host.toLowerCase();
  if (host.includes(':')) {
    try {
      host = new URL(`http://[${host}]/`).hostname;
    } catch {
      // A zone id (fe80::1%eth0) is not valid in a URL: compare it as written.
    }
  }
  return `${host}:${endpoint.port}`;
}

/** What may be shown of a key that is not an option: a word. Anything else may be a secret typed in the wrong place. */
const OPTION_NAME = /^\$?[A-Za-z][\w.-]{0,39}$/;

/**
 * `Part 3 of the Redis connection string ("connectTimeout=5s")`, or `part 3 (…)` when `form`
 * is 'part'. Only the key is shown of a secret option, of an unknown key (it may be a
 * misspelt `password`) and of a value that may hold a password (`ssl=true password=…`),
 * and nothing of a key that is not a word.
 */
function label(part: Part, form: 'sentence' | 'part' = 'sentence'): string {
  const where =
    form === 'part' ? `part ${part.position}` : `Part ${part.position} of the Redis connection string`;
  const option = part.option;
  if (option === undefined || (findOption(option.key)?.secret === false && !SECRET_HINT.test(option.value))) {
    return `${where} (${quoteInput(part.text)})`;
  }
  return OPTION_NAME.test(option.key) ? `${where} (${option.key}=…)` : where;
}

function emptyPartProblem(part: Part, count: number): string {
  if (part.position === count) {
    return `The Redis connection string ends with a comma (part ${part.position} is empty). Remove the trailing comma.`;
  }
  if (part.position === 1) {
    return 'The Redis connection string starts with a comma (part 1 is empty). Remove it.';
  }
  return `Part ${part.position} of the Redis connection string is empty (two commas in a row after part ${part.position - 1}). Remove one comma.`;
}

function afterSecret(previous: Part | undefined): previous is Part {
  const option = previous?.option;
  return option !== undefined && !option.quoted && findOption(option.key)?.secret === true;
}

// `password=ab,cd`: a part right after an unquoted secret that is not an option is most
// likely the rest of the secret, cut at its comma. Its text is a piece of the secret, so
// it is never shown, nor used as a host name (which would send it to a DNS resolver).
function continuedSecretProblem(part: Part, previous: Part): string {
  const key = previous.option?.key ?? '';
  return `Part ${part.position} of the Redis connection string directly follows ${key}=… and is not an option. If the ${key} contains a comma, write it in double quotes: ${key}="…" (a quote inside it as ""); if part ${part.position} is an endpoint, write it before the ${key}.`;
}
