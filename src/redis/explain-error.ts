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
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError,
} from '@redis/client';
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
  const raw = error as { code?: string; message?: string; name?: string; cert?: PeerCertificate } | undefined;
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
  if (error instanceof ConnectionTimeoutError || code === 'ETIMEDOUT' || code === 'TESSERA_CONNECT_TIMEOUT') {
    return make(
      'TESSERA_REDIS_TIMEOUT',
      `${at} did not answer within the connect timeout (${context.connectTimeoutMs ?? 5000} ms). Check that the host and port are right and that no firewall drops the packets; raise connectTimeout only for slow links.`,
    );
  }
  if (error instanceof TimeoutError || error instanceof SocketTimeoutError || raw?.name === 'TimeoutError') {
    return make(
      'TESSERA_REDIS_TIMEOUT',
      `${at} did not answer a command within the sync timeout (${context.syncTimeoutMs ?? 5000} ms). Check the server's load (SLOWLOG, INFO) or raise syncTimeout.`,
    );
  }
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
  if (code === 'TESSERA_TLS_SERVER_USAGE') {
    return make('TESSERA_REDIS_TLS_SERVER_USAGE', `${at}: ${message}`);
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
    return make(
      'TESSERA_REDIS_TLS_NOT_ENABLED',
      `${at} does not speak TLS (it answered in plain text). Use the server's tls-port in Hosts, or enable TLS on that port in redis.conf.`,
    );
  }
  if (CLIENT_CERT_ALERTS.test(message) || CLIENT_CERT_ALERTS.test(code)) {
    return make(
      'TESSERA_REDIS_TLS_CLIENT_CERT_REJECTED',
      `${at} refused this server's client certificate (${alertOf(message, code)}). Make sure SERedis_ClientCertPfxPath holds a certificate issued by a CA listed in the Redis server's tls-ca-cert-file, and that it has not expired.`,
    );
  }
  if (/^WRONGPASS/.test(message)) {
    return make(
      'TESSERA_REDIS_AUTH',
      context.user
        ? `${at} refused the user "${context.user}" or its password (WRONGPASS). Check user= and password= against the server's ACL.`
        : `${at} refused the password (WRONGPASS). Check password= against the server's requirepass, or add user= for an ACL user.`,
    );
  }
  if (/^NOAUTH/.test(message)) {
    return make(
      'TESSERA_REDIS_AUTH',
      `${at} requires authentication (NOAUTH). Add password= (and user= for an ACL user) to the connection string.`,
    );
  }
  if (/^NOPERM/.test(message)) {
    return make(
      'TESSERA_REDIS_PERMISSION',
      `${at} refused a command for the user "${context.user ?? 'default'}" (${message}). Grant the user the commands and keys the sessions use (see docs/redis-tls.md).`,
    );
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || error instanceof SocketClosedUnexpectedlyError) {
    return make(
      'TESSERA_REDIS_CONNECTION_CLOSED',
      context.ssl
        ? `${at} closed the connection during the TLS session. If the server requires client certificates, check SERedis_ClientCertPfxPath; see the Redis server log for the reason.`
        : `${at} closed the connection. If that port is a tls-port, set ssl=true; see the Redis server log for the reason.`,
    );
  }
  return make('TESSERA_REDIS_UNEXPECTED', `${at}: ${message}`);
}

function hostOf(address: string): string {
  return address.replace(/^\[(.*)\]:\d+$/, '$1').replace(/:\d+$/, '');
}

function issuerOf(cert: PeerCertificate | undefined): string {
  const issuer = cert?.issuer;
  if (!issuer || Object.keys(issuer).length === 0) return 'an issuer';
  return `"${issuer.CN ?? Object.values(issuer).join(', ')}"`;
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
  return names.length > 0 ? names.map((name) => `"${name}"`).join(', ') : 'no names';
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
