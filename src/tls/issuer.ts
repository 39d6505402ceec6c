/**
 * `SERedis_IssuerCertPath`: CA certificates trusted, in addition to the default roots,
 * to verify the Redis server. `.crt`, `.cer` or `.pem`; PEM with one or more
 * certificates, or DER with one (or several, one after the other).
 */
import type { X509Certificate } from 'node:crypto';
import { isSelfSigned, oneLine, quoteSubject, validityEnd } from './certificate-info.ts';
import { TlsError } from './errors.ts';
import { quotePath, readMaterialFile, resolveMaterialPath } from './material-file.ts';
import { certificatesFromDer, certificatesFromPem, looksLikePem } from './pem.ts';
import { TLS_VARIABLES } from './variables.ts';

export interface Issuers {
  readonly path: string;
  readonly certificates: readonly X509Certificate[];
  /** The same certificates as PEM, for `ca`. */
  readonly pems: readonly string[];
}

const variable = TLS_VARIABLES.issuerPath;

export function loadIssuers(value: string): Issuers {
  const path = resolveMaterialPath(value);
  const bytes = readMaterialFile(variable, value);
  let certificates: X509Certificate[] = [];
  let cause: unknown;
  try {
    certificates = looksLikePem(bytes)
      ? certificatesFromPem(bytes.toString('utf8'))
      : certificatesFromDer(bytes);
  } catch (error) {
    cause = error;
  }
  if (certificates.length === 0) {
    throw new TlsError(
      'TESSERA_TLS_ISSUER_NO_CERTIFICATE',
      `${variable} names ${quotePath(path)}, which holds no readable certificate ` +
        `(expected PEM "-----BEGIN CERTIFICATE-----" blocks or a DER certificate). ` +
        `Set ${variable} to the certificate of the CA that issued the Redis server's certificate, as a .crt, .cer or .pem file.`,
      { cause, variable },
    );
  }
  return Object.freeze({ path, certificates, pems: certificates.map((c) => c.toString()) });
}

/** What is suspicious but not fatal about the issuer certificates. */
export function issuerWarnings(issuers: Issuers, now: Date): string[] {
  const warnings: string[] = [];
  for (const cert of issuers.certificates) {
    const name = oneLine(cert.subject);
    if (validityEnd(cert) < now) {
      warnings.push(
        `The issuer certificate ${quoteSubject(name)} in ${quotePath(issuers.path)} (${variable}) expired on ${validityEnd(cert).toISOString()}: ` +
          `server certificates are not verified against it. Install the CA's current certificate.`,
      );
    }
    if (!cert.ca && !isSelfSigned(cert)) {
      warnings.push(
        `The certificate ${quoteSubject(name)} in ${quotePath(issuers.path)} (${variable}) is not a CA certificate, so no server certificate can be verified ` +
          `against it. Set ${variable} to the certificate of the CA that issued the Redis server's certificate.`,
      );
    }
  }
  return warnings;
}
