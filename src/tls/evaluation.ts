/**
 * One version of the certificate material: every file the variables name, loaded and
 * checked, and — when nothing is wrong — the one SecureContext all connections share
 * until the files change.
 */
import { createHash } from 'node:crypto';
import {
  createSecureContext,
  rootCertificates,
  type SecureContext,
  type SecureContextOptions,
} from 'node:tls';
import { type ClientIdentity, validityError } from './client-identity.ts';
import { TlsError } from './errors.ts';
import { type Issuers, loadIssuers } from './issuer.ts';
import { fileStamp, quotePath } from './material-file.ts';
import { loadPemPair, requireCompletePair } from './pem-pair.ts';
import { loadPfx } from './pfx.ts';
import { parseStorageFlags, type StorageFlags } from './storage-flags.ts';
import { TLS_VARIABLES, type TlsVariables } from './variables.ts';

export interface Evaluation {
  /** What identifies this version of the files (paths, inodes, sizes, modification times). */
  readonly stamp: string;
  /** A short hash of the stamp, safe to show and log. */
  readonly version: string;
  readonly evaluatedAt: Date;
  /** The client certificate, when its file could be read (even if it is expired). */
  readonly identity: ClientIdentity | undefined;
  readonly storageFlags: StorageFlags | undefined;
  readonly issuers: Issuers | undefined;
  /** Every problem found, the client certificate's first. Empty when `context` is set. */
  readonly errors: readonly TlsError[];
  readonly notes: readonly string[];
  readonly context: SecureContext | undefined;
}

/** The stamp of every file the variables name; it changes when any of them does. */
export function materialStamp(variables: TlsVariables): string {
  const paths = [variables.pfxPath, variables.pemCertPath, variables.pemKeyPath, variables.issuerPath];
  return paths.map((p) => (p === undefined ? '-' : fileStamp(p))).join('|');
}

/** Context options that are not certificate material (the TLS versions allowed). */
export type ProtocolOptions = Pick<SecureContextOptions, 'minVersion' | 'maxVersion'>;

export function evaluate(
  variables: TlsVariables,
  stamp: string,
  now: Date,
  protocols: ProtocolOptions = {},
): Evaluation {
  const errors: TlsError[] = [];
  const notes: string[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      if (!(error instanceof TlsError)) throw error;
      errors.push(error);
      return undefined;
    }
  };

  const identity = attempt(() => loadIdentity(variables, notes));
  if (identity) {
    const invalid = validityError(identity, now);
    if (invalid) errors.push(invalid);
  }
  const storageFlags = attempt(() =>
    variables.storageFlags ? parseStorageFlags(variables.storageFlags) : undefined,
  );
  const issuers = attempt(() => (variables.issuerPath ? loadIssuers(variables.issuerPath) : undefined));
  const context =
    identity && errors.length === 0 ? attempt(() => buildContext(identity, issuers, protocols)) : undefined;

  return Object.freeze({
    stamp,
    version: createHash('sha256').update(stamp).digest('hex').slice(0, 12),
    evaluatedAt: now,
    identity,
    storageFlags,
    issuers,
    errors: Object.freeze(errors),
    notes: Object.freeze(notes),
    context,
  });
}

function loadIdentity(variables: TlsVariables, notes: string[]): ClientIdentity {
  const { pfxPath, pemCertPath, pemKeyPath, password } = variables;
  if (pfxPath) {
    if (pemCertPath || pemKeyPath) {
      notes.push(
        `${TLS_VARIABLES.pfxPath} is set, so ${TLS_VARIABLES.pemCertPath} and ${TLS_VARIABLES.pemKeyPath} are ignored.`,
      );
    }
    return loadPfx(pfxPath, password);
  }
  if (pemCertPath || pemKeyPath) {
    requireCompletePair(pemCertPath, pemKeyPath);
    return loadPemPair(pemCertPath ?? '', pemKeyPath ?? '', password);
  }
  throw new TlsError(
    'TESSERA_TLS_PFX_MISSING_VARIABLE',
    `${TLS_VARIABLES.pfxPath} is not set, and Use SSL is on: Redis needs a client certificate. ` +
      `Set ${TLS_VARIABLES.pfxPath} on this front-end server to the full path of the client certificate's .pfx file ` +
      `(or set ${TLS_VARIABLES.pemCertPath} and ${TLS_VARIABLES.pemKeyPath} to a PEM certificate and key).`,
    { variable: TLS_VARIABLES.pfxPath },
  );
}

/**
 * Trust: the issuer certificates **in addition to** the default roots. Without them
 * `ca` is left out, so that Node's own defaults (including NODE_EXTRA_CA_CERTS) apply.
 */
function buildContext(
  identity: ClientIdentity,
  issuers: Issuers | undefined,
  protocols: ProtocolOptions,
): SecureContext {
  const extra = [...(issuers?.pems ?? []), ...identity.trusted];
  try {
    return createSecureContext({
      ...protocols,
      ...identity.contextOptions,
      ...(extra.length > 0 ? { ca: [...rootCertificates, ...extra] } : {}),
    });
  } catch (cause) {
    throw new TlsError(
      identity.source === 'pfx' ? 'TESSERA_TLS_PFX_UNSUPPORTED' : 'TESSERA_TLS_PEM_INVALID',
      `The client certificate in ${quotePath(identity.path)} (${identity.variable}) cannot be used ` +
        `(${cause instanceof Error ? cause.message : String(cause)}). Export it again.`,
      { cause, variable: identity.variable },
    );
  }
}
