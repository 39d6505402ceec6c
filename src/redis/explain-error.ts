/**
 * Turns what Node, OpenSSL and Redis report into a `RedisError` that names the
 * host, says what went wrong in the operator's words, and what to do about it.
 * Test Connection and the client share it, so the same failure reads the same
 * everywhere.
 */
import type { PeerCertificate } from 'node:tls';
// node-redis's errors keep the name "Error": only their class tells them apart.
import {
  ConnectionTimeoutError,
  DisconnectsClientError,
  ErrorReply,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError,
} from '@redis/client';
import { quoteInput } from '../errors.ts';
import { CONNECTION_STRING_DEFAULTS } from './connection-string-options.ts';
import { RedisError, type RedisErrorCode } from './errors.ts';

export interface ErrorContext {
  /** `host:port` as the operator wrote it. */
  readonly address: string;
  readonly ssl: boolean;
  /** The SSL Host of the connection string, when set. */
  readonly sslHost?: string | undefined;
  readonly connectTimeoutMs?: number;
  readonly syncTimeoutMs?: number;
  readonly user?: string | undefined;
  /** The server certificate, when the handshake got that far. */
  readonly peerCertificate?: PeerCertificate | undefined;
}

const UNTRUSTED_ISSUER = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** TLS alerts a server sends when it refuses the client certificate. */
const CLIENT_CERT_ALERTS =
  /alert (certificate required|unknown ca|bad certificate|certificate unknown|certificate expired|unsupported certificate|access denied|decrypt error|handshake failure)|ALERT_(CERTIFICATE_REQUIRED|UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|CERTIFICATE_EXPIRED|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED|DECRYPT_ERROR)/i;

export function explainRedisError(error: unknown, context: ErrorContext): RedisError {
  if (error instanceof RedisError) return error;
  const make = (code: RedisErrorCode, message: string) => new RedisError(code, message, { cause: error });
  const raw = error as { code?: string; message?: string; cert?: PeerCertificate } | undefined;
  const code = raw?.code ?? '';
  const message = raw?.message ?? String(error);
  const at = context.address;
  // Node puts the server certificate on a name-mismatch error; other verification
  // errors leave it to the socket, which the probe copied into the context.
  const peer = raw?.cert ?? context.peerCertificate;

  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
    return make(
      'TESSERA_REDIS_DNS',
      `The host name of ${at} does not resolve (${code}). Check the Hosts of the connection string and this server's DNS.`,
    );
  }
  if (code === 'ECONNREFUSED') {
    return make(
      'TESSERA_REDIS_UNREACHABLE',
      `Nothing accepts connections on ${at} (connection refused). Check that redis-server runs there and that the port is ${context.ssl ? 'its tls-port' : 'its port'}.`,
    );
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') {
    return make(
      'TESSERA_REDIS_UNREACHABLE',
      `${at} cannot be reached from this server (${code}). Check the network path and firewalls.`,
    );
  }
  if (error instanceof ConnectionTimeoutError || code === 'ETIMEDOUT') return connectTimeout(context, error);
  if (error instanceof TimeoutError || error instanceof SocketTimeoutError)
    return commandTimeout(context, error);
  if (UNTRUSTED_ISSUER.has(code)) {
    const issuer = issuerOf(peer);
    return make(
      'TESSERA_REDIS_TLS_UNTRUSTED',
      `The server certificate of ${at} was issued by ${issuer}, which this server does not trust (${code}). Set SERedis_IssuerCertPath to the .crt file of that issuer (the CA that signed the Redis server certificate).`,
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const offered = namesOf(peer);
    const expected = context.sslHost
      ? `the SSL Host "${context.sslHost}"`
      : `the host name "${hostOf(at)}" (SSL Host is empty, so each host's own name is used)`;
    return make(
      'TESSERA_REDIS_TLS_NAME_MISMATCH',
      `The server certificate of ${at} is not valid for ${expected}; it names ${offered}. Set the SSL Host (sslHost=) to one of those names, or write the hosts by a name the certificate lists.`,
    );
  }
  if (code === 'CERT_HAS_EXPIRED') {
    return make(
      'TESSERA_REDIS_TLS_SERVER_CERT_EXPIRED',
      `The server certificate of ${at} expired${validity(peer, 'valid_to')}. Renew the certificate of the Redis server (tls-cert-file).`,
    );
  }
  if (code === 'CERT_NOT_YET_VALID') {
    return make(
      'TESSERA_REDIS_TLS_SERVER_CERT_NOT_YET_VALID',
      `The server certificate of ${at} is not valid yet${validity(peer, 'valid_from')}. Check the clocks of this server and of the Redis server, or reissue the certificate.`,
    );
  }
  if (code === 'INVALID_PURPOSE') {
    return make(
      'TESSERA_REDIS_TLS_SERVER_USAGE',
      `The server certificate of ${at} is not meant to identify a server: its extended key usage lacks serverAuth (${code}). Reissue it with "extendedKeyUsage = serverAuth, clientAuth" (Redis also presents it as a client certificate for replication and the cluster bus).`,
    );
  }
  if (
    code === 'ERR_SSL_WRONG_VERSION_NUMBER' ||
    /wrong version number|packet length too long/i.test(message)
  ) {
    return tlsNotEnabled(context, error);
  }
  if (CLIENT_CERT_ALERTS.test(message) || CLIENT_CERT_ALERTS.test(code)) {
    return make(
      'TESSERA_REDIS_TLS_CLIENT_CERT_REJECTED',
      `${at} refused this server's client certificate (${alertOf(message, code)}). Make sure SERedis_ClientCertPfxPath holds a certificate issued by a CA listed in the Redis server's tls-ca-cert-file, and that it has not expired.`,
    );
  }
  if (error instanceof ErrorReply) {
    const explained = explainReply(error, context);
    if (explained) return explained;
  }
  if (
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    error instanceof SocketClosedUnexpectedlyError ||
    error instanceof DisconnectsClientError
  ) {
    return connectionClosed(context, error);
  }
  return make('TESSERA_REDIS_UNEXPECTED', `${at}: ${message}`);
}

/** `address` answers in plain text where TLS was expected. */
export function tlsNotEnabled(context: ErrorContext, cause?: unknown): RedisError {
  return new RedisError(
    'TESSERA_REDIS_TLS_NOT_ENABLED',
    `${context.address} does not speak TLS (it answered in plain text). Use the server's tls-port in Hosts, or enable TLS on that port in redis.conf.`,
    { cause },
  );
}

/** `address` did not complete the TCP connection or the TLS handshake within the connect timeout. */
export function connectTimeout(context: ErrorContext, cause?: unknown): RedisError {
  return new RedisError(
    'TESSERA_REDIS_TIMEOUT',
    `${context.address} did not answer within the connect timeout (${context.connectTimeoutMs ?? CONNECTION_STRING_DEFAULTS.connectTimeoutMs} ms). Check that the host and port are right and that no firewall drops the packets; raise connectTimeout only for slow links.`,
    { cause },
  );
}

/** `address` took longer than the sync timeout to answer a command. */
export function commandTimeout(context: ErrorContext, cause?: unknown): RedisError {
  return new RedisError(
    'TESSERA_REDIS_TIMEOUT',
    `${context.address} did not answer a command within the command timeout (${context.syncTimeoutMs ?? CONNECTION_STRING_DEFAULTS.syncTimeoutMs} ms: syncTimeout, or asyncTimeout when larger). Check the server's load (SLOWLOG, LATENCY DOCTOR, INFO) and whether its process runs at all; raise syncTimeout only for slow links.`,
    { cause },
  );
}

/**
 * A command refused at once: `address` has not answered since `since`, when a
 * command outlived the sync timeout (see `responsiveness.ts`).
 */
export function unresponsive(context: ErrorContext, since: number): RedisError {
  return new RedisError(
    'TESSERA_REDIS_UNRESPONSIVE',
    `${context.address} has not answered since ${new Date(since).toISOString()}, when a command took longer than the command timeout (${context.syncTimeoutMs ?? CONNECTION_STRING_DEFAULTS.syncTimeoutMs} ms). Commands fail at once until it answers a PING again. Check that redis-server runs and is not stopped, swapping or blocked by a long command (LATENCY DOCTOR, SLOWLOG), and the network path to it.`,
  );
}

/** `address` closed the connection without a reply (Node's own words, when it has some, in brackets). */
export function connectionClosed(context: ErrorContext, cause?: unknown): RedisError {
  const code = (cause as { code?: unknown } | undefined)?.code;
  const at = typeof code === 'string' ? `${context.address} (${code})` : context.address;
  return new RedisError(
    'TESSERA_REDIS_CONNECTION_CLOSED',
    context.ssl
      ? `${at} closed the connection during the TLS session. If the server requires client certificates, check SERedis_ClientCertPfxPath; see the Redis server log for the reason (a CLIENT KILL, maxclients, client-output-buffer-limit, a restart).`
      : `${at} closed the connection. If that port is a tls-port, set ssl=true; see the Redis server log for the reason (a CLIENT KILL, maxclients, client-output-buffer-limit, a restart).`,
    { cause },
  );
}

/**
 * Replies of Redis that name a state of the server rather than a fault of the
 * command, by their code (the first word of the reply): what each means and what
 * the operator does about it. `READONLY` is here for a cluster or a replica listed
 * alone; a host list follows its primary before it ever reports one.
 */
const NOT_READY_REPLIES: Readonly<Record<string, string>> = {
  LOADING: 'It is loading its data set after a restart and serves again once that ends.',
  BUSY: 'A script has run longer than busy-reply-threshold; it serves again once the script ends (SCRIPT KILL ends it).',
  TRYAGAIN: 'The cluster is moving the slot of this key to another node; the command may be retried.',
  MASTERDOWN: 'It is a replica that lost its link to its primary (replica-serve-stale-data no).',
  NOREPLICAS: 'It has fewer replicas in sync than min-replicas-to-write asks for; check the replicas.',
  READONLY: 'It is a replica: list the primary in Hosts.',
  MISCONF:
    'It refuses writes because it cannot save its snapshot (stop-writes-on-bgsave-error); the Redis log names the disk error.',
};

/** The longest part of a reply of Redis that a message quotes. */
const REPLY_QUOTE_MAX_CHARS = 200;

/**
 * A `RedisError` for a reply of Redis that the operator must hear about (out of
 * memory, no permission, credentials, cluster down, not ready), chosen by the
 * reply's code. `undefined` for any other reply: those answer a malformed command
 * and are Tessera's bugs, passed on as they are.
 */
export function explainReply(reply: Error, context: ErrorContext): RedisError | undefined {
  const words = reply.message.split('\n')[0]!.slice(0, REPLY_QUOTE_MAX_CHARS);
  const replyCode = /^[A-Z]+/.exec(words)?.[0] ?? '';
  const at = context.address;
  const make = (code: RedisErrorCode, message: string) => new RedisError(code, message, { cause: reply });
  switch (replyCode) {
    case 'OOM':
      return make(
        'TESSERA_REDIS_OUT_OF_MEMORY',
        `${at} is out of memory and refuses to store anything more (${words}). Sessions cannot be created, locked or saved until it has room: raise maxmemory, or set maxmemory-policy to volatile-lru (or allkeys-lru) so that Redis evicts the least recently used sessions instead of refusing writes (noeviction refuses them), or make the sessions smaller (the tessera:session:save events report the bytes written). INFO memory shows used_memory, maxmemory and maxmemory_policy.`,
      );
    case 'NOPERM':
      return make(
        'TESSERA_REDIS_PERMISSION',
        `${at} refused a command for the user "${context.user ?? 'default'}" (${words}). Grant the user the commands and keys the sessions use (see docs/redis-tls.md).`,
      );
    case 'WRONGPASS':
      return make(
        'TESSERA_REDIS_AUTH',
        context.user
          ? `${at} refused the user "${context.user}" or its password (WRONGPASS). Check user= and password= against the server's ACL.`
          : `${at} refused the password (WRONGPASS). Check password= against the server's requirepass, or add user= for an ACL user.`,
      );
    case 'NOAUTH':
      return make(
        'TESSERA_REDIS_AUTH',
        `${at} requires authentication (NOAUTH). Add password= (and user= for an ACL user) to the connection string.`,
      );
    case 'CLUSTERDOWN':
      return make(
        'TESSERA_REDIS_CLUSTER_DOWN',
        `${at} answered that the cluster cannot serve this key (${words}). Some slots have no reachable primary: check the cluster with redis-cli --cluster check, and assign or recover the missing slots (redis-cli --cluster fix). With cluster-require-full-coverage no, the other slots keep serving meanwhile.`,
      );
    default: {
      const advice = NOT_READY_REPLIES[replyCode];
      return advice === undefined
        ? undefined
        : make('TESSERA_REDIS_NOT_READY', `${at} cannot serve now (${words}). ${advice}`);
    }
  }
}

function hostOf(address: string): string {
  return address.replace(/^\[(.*)\]:\d+$/, '$1').replace(/:\d+$/, '');
}

/** How much of a certificate's names and issuer a message quotes. */
const CERTIFICATE_TEXT_MAX_CHARS = 200;
const MAX_NAMES_SHOWN = 20;

function issuerOf(cert: PeerCertificate | undefined): string {
  const issuer = cert?.issuer;
  if (!issuer || Object.keys(issuer).length === 0) return 'an issuer';
  return quoteInput(String(issuer.CN ?? Object.values(issuer).join(', ')), CERTIFICATE_TEXT_MAX_CHARS);
}

/** The DNS and IP names a certificate offers, for the operator to choose from. */
export function certificateNames(cert: PeerCertificate | undefined): string[] {
  if (!cert) return [];
  const names = (cert.subjectaltname ?? '')
    .split(',')
    .map((entry) => entry.trim().replace(/^(DNS|IP Address):/, ''))
    .filter(Boolean);
  if (names.length === 0 && cert.subject?.CN) names.push(String(cert.subject.CN));
  return names;
}

function namesOf(cert: PeerCertificate | undefined): string {
  const names = certificateNames(cert);
  if (names.length === 0) return 'no names';
  // The server's certificate is the server's text: quoted bounded and escaped, and listed in part.
  const shown = names.slice(0, MAX_NAMES_SHOWN).map((name) => quoteInput(name, CERTIFICATE_TEXT_MAX_CHARS));
  const more = names.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

function validity(cert: PeerCertificate | undefined, field: 'valid_to' | 'valid_from'): string {
  if (!cert?.[field]) return '';
  const date = new Date(cert[field]).toISOString();
  return field === 'valid_to' ? ` on ${date}` : ` before ${date}`;
}

function alertOf(message: string, code: string): string {
  const match = /alert ([a-z ]+)/i.exec(message) ?? /ALERT_([A-Z_]+)/.exec(code);
  return match?.[1] ? `TLS alert: ${match[1].toLowerCase().replaceAll('_', ' ')}` : 'TLS alert';
}
