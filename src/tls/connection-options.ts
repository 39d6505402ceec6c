/**
 * The TLS options of one connection to one Redis host: the shared SecureContext, the
 * SNI name and the server identity check.
 *
 * - The name sent (SNI) and verified is the SSL Host when set, for every host; else
 *   the host's own name. Node refuses an IP address as SNI, so none is sent then, and
 *   the IP is verified against the certificate's IP entries.
 * - Trusting an issuer (`SERedis_IssuerCertPath`) never excuses a name mismatch.
 * - A server certificate that lists extended key usages must include serverAuth.
 *   OpenSSL already refuses one without it during the handshake (INVALID_PURPOSE,
 *   "unsuitable certificate purpose"); the check here keeps that true whatever
 *   OpenSSL's defaults, with a message that says what to do.
 */
import { isIP } from 'node:net';
import { type ConnectionOptions, checkServerIdentity, type PeerCertificate } from 'node:tls';
import { quoteSubject } from './certificate-info.ts';
import type { TlsMaterial } from './material.ts';

export interface TlsTarget {
  /** The host as written in the connection string: a name or an IP address. */
  readonly host: string;
  /** The SSL Host (`sslHost=`): the name to send and verify instead of `host`. */
  readonly sslHost?: string | undefined;
}

export type TlsConnectionOptions = Required<
  Pick<ConnectionOptions, 'secureContext' | 'checkServerIdentity'>
> &
  Pick<ConnectionOptions, 'servername' | 'rejectUnauthorized'>;

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

/** Options to spread into `tls.connect` (or node-redis's `socket`) for one host; throws the material's TlsError. */
export function tlsConnectionOptions(material: TlsMaterial, target: TlsTarget): TlsConnectionOptions {
  const expected = unbracket(target.sslHost?.trim() || target.host);
  return {
    secureContext: material.secureContext(),
    ...(isIP(expected) === 0 ? { servername: expected } : {}),
    // Verification is the contract: NODE_TLS_REJECT_UNAUTHORIZED=0 does not turn it off here.
    rejectUnauthorized: true,
    // Node passes `servername || host`; the name that counts is ours.
    checkServerIdentity: (_hostname: string, cert: PeerCertificate) => verifyServer(expected, cert),
  };
}

/**
 * `undefined` when `cert` may serve `expected`. A name mismatch is Node's own
 * ERR_TLS_CERT_ALTNAME_INVALID (with `reason`, `host` and `cert`), which the Redis
 * layer explains with the address. A certificate not meant for servers is refused
 * as OpenSSL refuses it during the handshake, with its code `INVALID_PURPOSE`, so
 * that both give the one code the Redis layer reports for it
 * (`TESSERA_REDIS_TLS_SERVER_USAGE`).
 */
export function verifyServer(expected: string, cert: PeerCertificate): Error | undefined {
  const mismatch = checkServerIdentity(expected, cert);
  if (mismatch) return mismatch;
  const usages = cert.ext_key_usage;
  if (usages && usages.length > 0 && !usages.includes(SERVER_AUTH)) {
    const refusal = new Error(
      `The Redis server's certificate (${cert.subject?.CN === undefined ? 'no CN' : quoteSubject(String(cert.subject.CN))}) lists extended key usages without serverAuth, ` +
        `so it cannot identify a server. Reissue it with "extendedKeyUsage = serverAuth, clientAuth" ` +
        `(Redis also presents it as a client certificate for replication and the cluster bus).`,
    );
    return Object.assign(refusal, { code: 'INVALID_PURPOSE', cert });
  }
  return undefined;
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
