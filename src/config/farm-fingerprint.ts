/**
 * The farm-wide fingerprint of a front-end server's session settings: what it runs,
 * in values that are the same on two front-ends configured alike (unlike the applied
 * record's hash, which is keyed with each server's own private key) and that reveal
 * no secret (no password, no connection string). The front-end server reports it to
 * the platform database (`FrontendsRepository`); Service Center compares the
 * fingerprints of the farm side by side and flags drift.
 */
import type { TlsReport } from '../tls/index.ts';
import type { ServerConfiguration, SessionProviderName } from './schema.ts';
import { SESSION_PROVIDERS } from './schema.ts';

export interface ClientCertificateFingerprint {
  /** One line, `CN=tessera-frontend-1, O=Example`. */
  readonly subject: string;
  readonly issuer: string;
  /** ISO 8601: when the certificate expires. */
  readonly notAfter: string;
}

export interface FarmFingerprint {
  readonly provider: SessionProviderName;
  /** The Redis hosts (`host:port`), in connection string order; empty for the other providers. */
  readonly hosts: readonly string[];
  readonly useSsl: boolean;
  /** The name checked in the Redis server certificate; null: each host's own name. */
  readonly sslHost: string | null;
  /** The `SERedis_*` client certificate, when Use SSL is on and it loads. */
  readonly clientCertificate: ClientCertificateFingerprint | null;
  /** The Tessera version the front-end server runs. */
  readonly version: string;
  /**
   * The revision of the server configuration last applied on that front-end (0: never):
   * module artifacts written from an older revision have settings pending. Not compared
   * between front-ends (each applies its own file).
   */
  readonly revision: number;
}

/** The settings compared between front-ends, in the order Service Center explains them. */
export const FARM_FINGERPRINT_FIELDS = [
  'provider',
  'hosts',
  'useSsl',
  'sslHost',
  'clientCertificate',
  'version',
] as const satisfies readonly (keyof FarmFingerprint)[];
export type FarmFingerprintField = (typeof FARM_FINGERPRINT_FIELDS)[number];

/**
 * The fingerprint of `configuration` as applied, with the client certificate of
 * `tls` (the `SERedis_*` report; null or without a certificate when SSL is off).
 */
export function farmFingerprint(
  configuration: ServerConfiguration,
  options: { readonly tls: TlsReport | null; readonly version: string },
): FarmFingerprint {
  const { provider } = configuration.session;
  const redis = provider === 'redis' ? configuration.session.redis : undefined;
  const certificate = redis?.useSsl ? (options.tls?.clientCertificate ?? null) : null;
  return {
    provider,
    hosts: redis ? [...redis.hosts] : [],
    useSsl: redis?.useSsl ?? false,
    sslHost: redis?.useSsl ? (redis.sslHost ?? null) : null,
    clientCertificate:
      certificate === null
        ? null
        : { subject: certificate.subject, issuer: certificate.issuer, notAfter: certificate.validTo },
    version: options.version,
    revision: configuration.applied?.revision ?? 0,
  };
}

/** The fingerprint as stored in the platform database: JSON with its fields in a fixed order. */
export function formatFarmFingerprint(fingerprint: FarmFingerprint): string {
  const { provider, hosts, useSsl, sslHost, clientCertificate, version, revision } = fingerprint;
  return JSON.stringify({
    provider,
    hosts,
    useSsl,
    sslHost,
    clientCertificate:
      clientCertificate === null
        ? null
        : {
            subject: clientCertificate.subject,
            issuer: clientCertificate.issuer,
            notAfter: clientCertificate.notAfter,
          },
    version,
    revision,
  });
}

/** The stored fingerprint, or null when it is not one (an older server's, or none yet). */
export function parseFarmFingerprint(text: string): FarmFingerprint | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const certificate = v.clientCertificate as Record<string, unknown> | null | undefined;
  if (
    !SESSION_PROVIDERS.includes(v.provider as SessionProviderName) ||
    !Array.isArray(v.hosts) ||
    !v.hosts.every((host) => typeof host === 'string') ||
    typeof v.useSsl !== 'boolean' ||
    !(v.sslHost === null || typeof v.sslHost === 'string') ||
    typeof v.version !== 'string' ||
    !(certificate === null || isCertificate(certificate))
  )
    return null;
  return {
    provider: v.provider as SessionProviderName,
    hosts: v.hosts as string[],
    useSsl: v.useSsl,
    sslHost: v.sslHost,
    clientCertificate: certificate as ClientCertificateFingerprint | null,
    version: v.version,
    revision: typeof v.revision === 'number' ? v.revision : 0,
  };
}

function isCertificate(value: Record<string, unknown> | undefined): boolean {
  return (
    value !== undefined &&
    typeof value.subject === 'string' &&
    typeof value.issuer === 'string' &&
    typeof value.notAfter === 'string'
  );
}
