/**
 * The farm at a glance: every front-end server with its state and the fingerprint
 * of its session settings, drift between them explained in words ("fe2's SSL Host
 * is redis.internal, the others' is redis.example.com"), client certificates that
 * expire soon and front-ends whose heartbeat stopped. Pure functions of the
 * registered front-ends and the clock, so they are tested without a farm.
 */
import {
  FARM_FINGERPRINT_FIELDS,
  type FarmFingerprint,
  type FarmFingerprintField,
  SESSION_PROVIDER_LABELS,
} from '../config/index.ts';
import type { FrontendRecord } from '../platform/index.ts';

export const FARM_VIEW_DEFAULTS = {
  /** A front-end that has not reported for this long is down (its heartbeat stopped). */
  heartbeatStaleMs: 30_000,
  /** A client certificate that expires within this many days is flagged. */
  certificateWarningDays: 30,
} as const;

/** The state shown for a front-end: its own, or `down` when it stopped or its heartbeat did. */
export type FrontendShownState = 'up' | 'starting' | 'draining' | 'down';

/** One front-end as `tessera frontend list --json` prints it (and the API answers). */
export interface FrontendView {
  readonly name: string;
  readonly address: string;
  readonly state: FrontendShownState;
  readonly version: string | null;
  readonly session: {
    readonly provider: string;
    readonly hosts: readonly string[];
    readonly useSsl: boolean;
    readonly sslHost: string | null;
    readonly clientCertificate: {
      readonly subject: string;
      readonly issuer: string;
      readonly notAfter: string;
    } | null;
  } | null;
  /** Why this front-end's settings differ from the others', one sentence each. */
  readonly drift: readonly string[];
}

export interface FarmView {
  readonly frontends: readonly FrontendView[];
  readonly drift: boolean;
}

/** What the console shows beside a row and in the banner, beyond `FarmView`. */
export interface FrontendNotes {
  /** When it went down (its last heartbeat), for a `down` front-end. */
  readonly downSinceMs: number | null;
  readonly lastHeartbeatAtMs: number;
  /** Expiring certificate, stopped heartbeat. */
  readonly warnings: readonly string[];
}

export const FINGERPRINT_LABELS: Readonly<Record<FarmFingerprintField, string>> = {
  provider: 'Session Provider',
  hosts: 'Hosts',
  useSsl: 'Use SSL',
  sslHost: 'SSL Host',
  clientCertificate: 'client certificate',
  version: 'Tessera version',
};

const DAY_MS = 86_400_000;

/** A fingerprint field as people read it. */
export function shownValue(fingerprint: FarmFingerprint, field: FarmFingerprintField): string {
  switch (field) {
    case 'provider':
      return SESSION_PROVIDER_LABELS[fingerprint.provider];
    case 'hosts':
      return fingerprint.hosts.length === 0 ? 'none' : fingerprint.hosts.join(', ');
    case 'useSsl':
      return fingerprint.useSsl ? 'on' : 'off';
    case 'sslHost':
      return fingerprint.sslHost ?? "each host's own name";
    case 'clientCertificate': {
      const certificate = fingerprint.clientCertificate;
      return certificate === null
        ? 'none'
        : `${certificate.subject} (issuer ${certificate.issuer}, expires ${certificate.notAfter.slice(0, 10)})`;
    }
    case 'version':
      return fingerprint.version;
  }
}

export function shownState(frontend: FrontendRecord, nowMs: number): FrontendShownState {
  if (frontend.state === 'stopped') return 'down';
  if (nowMs - frontend.lastHeartbeatAtMs > FARM_VIEW_DEFAULTS.heartbeatStaleMs) return 'down';
  return frontend.state === 'ready' ? 'up' : frontend.state;
}

/** The drift sentences of every compared front-end, by name. */
export function driftOf(frontends: readonly FrontendRecord[]): Map<string, string[]> {
  const compared = frontends.filter(
    (frontend): frontend is FrontendRecord & { fingerprint: FarmFingerprint } =>
      frontend.fingerprint !== null && frontend.state !== 'stopped',
  );
  const drift = new Map<string, string[]>(compared.map((frontend) => [frontend.name, []]));
  for (const field of FARM_FINGERPRINT_FIELDS) {
    const groups = new Map<string, string[]>();
    for (const frontend of compared) {
      const value = shownValue(frontend.fingerprint, field);
      groups.set(value, [...(groups.get(value) ?? []), frontend.name]);
    }
    if (groups.size < 2) continue;
    const sorted = [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
    const [majorityValue, majority] = sorted[0]!;
    const label = FINGERPRINT_LABELS[field];
    const hasMajority = majority.length > sorted[1]![1].length;
    for (const [value, names] of sorted) {
      for (const name of names) {
        if (hasMajority && value === majorityValue) continue;
        const sentence = hasMajority
          ? `${name}'s ${label} is ${value}, the others' is ${majorityValue}`
          : [
              `${name}'s ${label} is ${value}`,
              ...sorted
                .filter(([other]) => other !== value)
                .map(([other, otherNames]) => `${otherNames.join(' and ')}'s is ${other}`),
            ].join(', ');
        drift.get(name)!.push(sentence);
      }
    }
  }
  return drift;
}

/** The farm view, with the notes the console adds. */
export function farmView(
  frontends: readonly FrontendRecord[],
  nowMs: number,
): { readonly view: FarmView; readonly notes: ReadonlyMap<string, FrontendNotes> } {
  const drift = driftOf(frontends);
  const notes = new Map<string, FrontendNotes>();
  const views = frontends.map((frontend): FrontendView => {
    const fingerprint = frontend.fingerprint;
    const state = shownState(frontend, nowMs);
    const warnings: string[] = [];
    if (state === 'down' && frontend.state !== 'stopped') {
      warnings.push(
        `${frontend.name}'s heartbeat stopped: last report at ${new Date(frontend.lastHeartbeatAtMs).toISOString()}. Check that its front-end server runs (tessera start) and reaches the platform database.`,
      );
    }
    const certificate = fingerprint?.clientCertificate ?? null;
    if (certificate !== null) {
      const daysLeft = Math.floor((Date.parse(certificate.notAfter) - nowMs) / DAY_MS);
      if (daysLeft < 0)
        warnings.push(
          `${frontend.name}'s client certificate ${certificate.subject} expired on ${certificate.notAfter.slice(0, 10)}: install a new one (SERedis_ClientCertPfxPath) on this front-end server.`,
        );
      else if (daysLeft <= FARM_VIEW_DEFAULTS.certificateWarningDays)
        warnings.push(
          `${frontend.name}'s client certificate ${certificate.subject} expires on ${certificate.notAfter.slice(0, 10)} (in ${daysLeft} days): renew it and install it (SERedis_ClientCertPfxPath) before then.`,
        );
    }
    notes.set(frontend.name, {
      downSinceMs: state === 'down' ? frontend.lastHeartbeatAtMs : null,
      lastHeartbeatAtMs: frontend.lastHeartbeatAtMs,
      warnings,
    });
    return {
      name: frontend.name,
      address: frontend.address,
      state,
      version: fingerprint?.version ?? null,
      session:
        fingerprint === null
          ? null
          : {
              provider: fingerprint.provider,
              hosts: fingerprint.hosts,
              useSsl: fingerprint.useSsl,
              sslHost: fingerprint.sslHost,
              clientCertificate: fingerprint.clientCertificate,
            },
      drift: drift.get(frontend.name) ?? [],
    };
  });
  return { view: { frontends: views, drift: views.some((v) => v.drift.length > 0) }, notes };
}
