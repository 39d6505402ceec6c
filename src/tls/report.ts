/**
 * The report behind Test Connection and the Configuration Tool: every variable with
 * what it holds and what is wrong with it, the client certificate, the storage flags,
 * the issuer certificates, warnings. Plain JSON-ready data; the password appears only
 * as "set" or "not set".
 */

import {
  type CertificateInfo,
  describeCertificate,
  oneLine,
  quoteSubject,
  validityEnd,
} from './certificate-info.ts';
import { expiryWarning, type LoadedWith, validityError } from './client-identity.ts';
import type { TlsErrorCode } from './errors.ts';
import type { Evaluation } from './evaluation.ts';
import { issuerWarnings } from './issuer.ts';
import { shownPathValue } from './material-file.ts';
import { type StorageFlagName, shownStorageFlags } from './storage-flags.ts';
import { TLS_VARIABLE_KEYS, TLS_VARIABLES, type TlsVariableName, type TlsVariables } from './variables.ts';

export interface TlsProblem {
  readonly code: TlsErrorCode;
  readonly message: string;
}

export interface TlsVariableReport {
  readonly name: TlsVariableName;
  readonly set: boolean;
  /** The path or value as set (paths resolved to absolute); for the password only "set", "set (empty)" or "not set". */
  readonly shown: string;
  readonly ok: boolean;
  readonly problem?: TlsProblem;
}

export interface ClientCertificateReport extends CertificateInfo {
  readonly source: 'pfx' | 'pem';
  readonly variable: TlsVariableName;
  readonly path: string;
  readonly keyMatches: boolean;
  readonly loadedWith: LoadedWith;
  /** Certificates sent to the server: the client certificate and its chain. Null when unknown. */
  readonly chainLength: number | null;
}

export interface TlsReport {
  /** No problem: connections can present this certificate (the server may still refuse it). */
  readonly ok: boolean;
  /** Whether Use SSL is on, which makes the client certificate mandatory. */
  readonly ssl: boolean;
  /** The version in use by new connections, if any. */
  readonly version: string | null;
  readonly loadedAt: string | null;
  readonly variables: readonly TlsVariableReport[];
  readonly clientCertificate: ClientCertificateReport | null;
  readonly storageFlags: {
    readonly value: number;
    readonly names: readonly StorageFlagName[];
    readonly meaning: string;
  } | null;
  readonly issuerCertificates: readonly {
    readonly subject: string;
    readonly validTo: string;
    readonly isCa: boolean;
  }[];
  readonly problems: readonly TlsProblem[];
  readonly warnings: readonly string[];
  readonly notes: readonly string[];
}

export interface ReportInput {
  readonly variables: TlsVariables;
  readonly ssl: boolean;
  readonly expiryWarningDays: number;
  /** The latest version of the files. */
  readonly current: Evaluation;
  /** The version new connections use, which is older than `current` when `current` cannot be used. */
  readonly inUse: Evaluation | undefined;
  readonly now: Date;
}

export function buildReport({
  variables,
  ssl,
  expiryWarningDays,
  current,
  inUse,
  now,
}: ReportInput): TlsReport {
  const identity = current.identity;
  const errors = current.errors.filter((e) => ssl || e.code !== 'TESSERA_TLS_PFX_MISSING_VARIABLE');
  // A certificate loaded while valid may have expired since.
  const lapsed = identity && errors.length === 0 ? validityError(identity, now) : undefined;
  if (lapsed) errors.push(lapsed);
  const problems = errors.map((e) => ({ code: e.code, message: e.message }));
  const chain = identity?.chain();

  const warnings: string[] = [];
  const soon = identity && expiryWarning(identity, now, expiryWarningDays);
  if (soon) warnings.push(soon);
  if (current.issuers) warnings.push(...issuerWarnings(current.issuers, now));
  if (inUse && inUse !== current && errors.length > 0) {
    warnings.push(
      `The certificate files changed, but the new version cannot be used; new connections still use the version ` +
        `loaded at ${inUse.evaluatedAt.toISOString()} (${inUse.identity ? quoteSubject(oneLine(inUse.identity.certificate.subject)) : 'unknown'}).`,
    );
  }

  const reportVariables = TLS_VARIABLE_KEYS.map((key): TlsVariableReport => {
    const name = TLS_VARIABLES[key];
    const value = variables[key];
    const error = errors.find((e) => e.variable === name);
    return {
      name,
      set: value !== undefined,
      shown: shownValue(key, value),
      ok: error === undefined,
      ...(error ? { problem: { code: error.code, message: error.message } } : {}),
    };
  });

  return {
    ok: problems.length === 0,
    ssl,
    version: inUse?.version ?? null,
    loadedAt: inUse?.evaluatedAt.toISOString() ?? null,
    variables: reportVariables,
    clientCertificate: identity
      ? {
          ...describeCertificate(identity.certificate, now),
          source: identity.source,
          variable: identity.variable,
          path: identity.path,
          keyMatches: identity.keyMatches,
          loadedWith: identity.loadedWith,
          chainLength: chain ? 1 + chain.length : null,
        }
      : null,
    storageFlags: current.storageFlags
      ? {
          value: current.storageFlags.value,
          names: current.storageFlags.names,
          meaning: current.storageFlags.meaning,
        }
      : null,
    issuerCertificates: (current.issuers?.certificates ?? []).map((c) => ({
      subject: oneLine(c.subject),
      validTo: validityEnd(c).toISOString(),
      isCa: c.ca,
    })),
    problems,
    warnings,
    notes: current.notes,
  };
}

function shownValue(key: keyof TlsVariables, value: string | undefined): string {
  if (value === undefined) return 'not set';
  if (key === 'password') return value === '' ? 'set (empty)' : 'set';
  if (key === 'storageFlags') return shownStorageFlags(value);
  return shownPathValue(value);
}
