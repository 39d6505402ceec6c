/**
 * What the tools show about a certificate, read with `node:crypto`'s X509Certificate.
 * Plain, JSON-ready values: the Configuration Tool and Test Connection print them.
 */
import type { X509Certificate } from 'node:crypto';
import { quoteInput } from '../errors.ts';

export interface CertificateInfo {
  /** One line, `CN=tessera-frontend-1, O=Example`. */
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  /** ISO 8601. */
  readonly validFrom: string;
  readonly validTo: string;
  /** Whole days until `validTo`, negative once expired. */
  readonly daysLeft: number;
  /** `DNS:redis.example.com`, `IP Address:10.0.0.5`, … */
  readonly subjectAltNames: readonly string[];
  /** `RSA 2048`, `EC P-256`, … */
  readonly keyType: string;
  readonly isCa: boolean;
  /** SHA-256, colon-separated hex. */
  readonly fingerprint256: string;
}

const DAY_MS = 86_400_000;

export function describeCertificate(cert: X509Certificate, now: Date): CertificateInfo {
  const validTo = validityEnd(cert);
  return {
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    serialNumber: cert.serialNumber,
    validFrom: validityStart(cert).toISOString(),
    validTo: validTo.toISOString(),
    daysLeft: Math.floor((validTo.getTime() - now.getTime()) / DAY_MS),
    subjectAltNames: cert.subjectAltName ? cert.subjectAltName.split(', ') : [],
    keyType: keyType(cert),
    isCa: cert.ca,
    fingerprint256: cert.fingerprint256,
  };
}

export function validityStart(cert: X509Certificate): Date {
  return new Date(cert.validFrom);
}

export function validityEnd(cert: X509Certificate): Date {
  return new Date(cert.validTo);
}

/** `CN=…\nO=…` as printed by Node, on one line. */
export function oneLine(name: string): string {
  return name.split('\n').filter(Boolean).join(', ');
}

/** A subject (or other name read from a certificate) as messages quote it: escaped and bounded. */
export function quoteSubject(name: string): string {
  return quoteInput(name, 200);
}

export function isSelfSigned(cert: X509Certificate): boolean {
  return cert.subject === cert.issuer && cert.verify(cert.publicKey);
}

function keyType(cert: X509Certificate): string {
  const key = cert.publicKey;
  const details = key.asymmetricKeyDetails;
  const type = (key.asymmetricKeyType ?? 'unknown').toUpperCase();
  if (details?.modulusLength) return `${type} ${details.modulusLength}`;
  if (details?.namedCurve) return `${type} ${curveName(details.namedCurve)}`;
  return type;
}

function curveName(curve: string): string {
  return { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }[curve] ?? curve;
}
