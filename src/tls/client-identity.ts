/**
 * The client certificate Tessera presents to Redis, whichever file it came from
 * (a PFX, or the PEM pair), and the checks that apply to it whatever its source.
 */
import type { X509Certificate } from 'node:crypto';
import type { SecureContextOptions } from 'node:tls';
import { oneLine, quoteSubject, validityEnd, validityStart } from './certificate-info.ts';
import { TlsError } from './errors.ts';
import { quotePath } from './material-file.ts';
import type { TlsVariableName } from './variables.ts';

/** How the file was loaded: by Node's own OpenSSL, or by node-forge when Node refused its encryption. */
export const LOADERS = ['native', 'legacy (RC2-40) fallback'] as const;
export type LoadedWith = (typeof LOADERS)[number];

export interface ClientIdentity {
  readonly source: 'pfx' | 'pem';
  /** The variable that names the certificate file, and its absolute path. */
  readonly variable: TlsVariableName;
  readonly path: string;
  readonly loadedWith: LoadedWith;
  /** The client certificate itself. */
  readonly certificate: X509Certificate;
  /**
   * Certificates sent after it (its chain), `undefined` when unknown. Node does not
   * expose the extra certificates of a PFX it loads: they are read with node-forge,
   * on demand (for the report only: that decoding runs PBKDF2 in JavaScript), and stay
   * unknown in the rare file that only Node can read.
   */
  chain(): readonly X509Certificate[] | undefined;
  /** Whether the private key belongs to the certificate (loading fails otherwise, so always true once loaded). */
  readonly keyMatches: boolean;
  /**
   * What `tls.createSecureContext` needs to present this identity (key and certificates,
   * or the PFX and the password that opens it). Trust (`ca`) is added by the caller.
   * Holds the password: never logged, never reported.
   */
  readonly contextOptions: SecureContextOptions;
  /**
   * Certificates to trust because the file carries them. Node adds the extra
   * certificates of a PFX it loads to the trust store; a file decoded by node-forge
   * gets the same treatment, so the loader never changes what is trusted.
   */
  readonly trusted: readonly string[];
}

const DAY_MS = 86_400_000;

/** TESSERA_TLS_CLIENT_CERT_EXPIRED or _NOT_YET_VALID when the certificate cannot be used now. */
export function validityError(identity: ClientIdentity, now: Date): TlsError | undefined {
  const { certificate, variable, path } = identity;
  const name = oneLine(certificate.subject);
  const end = validityEnd(certificate);
  const start = validityStart(certificate);
  if (end < now) {
    const days = Math.ceil((now.getTime() - end.getTime()) / DAY_MS);
    return new TlsError(
      'TESSERA_TLS_CLIENT_CERT_EXPIRED',
      `The client certificate ${quoteSubject(name)} in ${quotePath(path)} (${variable}) expired on ${end.toISOString()} (${days} day${days === 1 ? '' : 's'} ago); ` +
        `Redis refuses it. Install a renewed certificate at ${quotePath(path)}: new connections use it without a restart.`,
      { variable },
    );
  }
  if (start > now) {
    return new TlsError(
      'TESSERA_TLS_CLIENT_CERT_NOT_YET_VALID',
      `The client certificate ${quoteSubject(name)} in ${quotePath(path)} (${variable}) is not valid before ${start.toISOString()}; ` +
        `Redis refuses it until then. Check this server's clock, or install a certificate that is valid now.`,
      { variable },
    );
  }
  return undefined;
}

/** A warning when the certificate expires within `days` days. */
export function expiryWarning(identity: ClientIdentity, now: Date, days: number): string | undefined {
  const end = validityEnd(identity.certificate);
  const left = Math.floor((end.getTime() - now.getTime()) / DAY_MS);
  if (end < now || left >= days) return undefined;
  return (
    `The client certificate ${quoteSubject(oneLine(identity.certificate.subject))} in ${quotePath(identity.path)} (${identity.variable}) ` +
    `expires on ${end.toISOString()}, in ${left} day${left === 1 ? '' : 's'}. ` +
    `Renew it and replace the file: new connections pick it up without a restart.`
  );
}

/** The extra certificates, issuer of the certificate first, then its issuer, …, then any others. */
export function orderChain(leaf: X509Certificate, others: readonly X509Certificate[]): X509Certificate[] {
  const rest = [...others];
  const chain: X509Certificate[] = [];
  let current = leaf;
  for (;;) {
    const index = rest.findIndex((c) => current.checkIssued(c) && c !== current);
    const issuer = rest[index];
    if (index < 0 || !issuer) break;
    chain.push(issuer);
    rest.splice(index, 1);
    current = issuer;
  }
  return [...chain, ...rest];
}
