/**
 * Factory > Modules and Factory > Applications: each module with its application,
 * running version, who published it and when, and per front-end server the version
 * it runs and whether its **settings are pending** (its configuration artifact was
 * written from an older revision of that front-end's server configuration), with
 * the difference.
 */
import { FARM_FINGERPRINT_FIELDS, type FarmFingerprint } from '../config/index.ts';
import type { FrontendRecord, ModuleRecord, ModuleVersionRecord } from '../platform/index.ts';
import { FINGERPRINT_LABELS, shownValue } from './farm-view.ts';

export interface Deployment {
  readonly frontend: string;
  readonly module: string;
  readonly version: number;
  readonly settingsRevision: number;
  /** The settings its artifact was written from, when the front-end recorded them. */
  readonly settingsFingerprint?: FarmFingerprint | null;
}

export interface ModuleOnFrontend {
  readonly frontend: string;
  /** Null: not deployed there (yet). */
  readonly deployedVersion: number | null;
  /** The server configuration revision its artifact was written from. */
  readonly settingsRevision: number | null;
  readonly settingsPending: boolean;
  /** What lags and what to do; null when nothing does. */
  readonly difference: string | null;
}

export interface ModuleView {
  readonly name: string;
  readonly application: string;
  readonly runningVersion: number | null;
  readonly publishedBy: string | null;
  readonly publishedAt: string | null;
  readonly frontends: readonly ModuleOnFrontend[];
}

export interface ApplicationView {
  readonly name: string;
  readonly modules: readonly string[];
}

export interface FactoryView {
  readonly modules: readonly ModuleView[];
  readonly applications: readonly ApplicationView[];
}

export function factoryView(input: {
  readonly modules: readonly ModuleRecord[];
  readonly versions: readonly ModuleVersionRecord[];
  readonly frontends: readonly FrontendRecord[];
  readonly deployments: readonly Deployment[];
}): FactoryView {
  const live = input.frontends.filter((fe) => fe.state !== 'stopped');
  const modules = input.modules.map((module): ModuleView => {
    const running = input.versions.find(
      (v) => v.module === module.name && v.version === module.runningVersion,
    );
    return {
      name: module.name,
      application: module.application,
      runningVersion: module.runningVersion,
      publishedBy: running?.publishedBy ?? null,
      publishedAt: running ? new Date(running.publishedAtMs).toISOString() : null,
      frontends: live.map((frontend) => onFrontend(module, frontend, input.deployments)),
    };
  });
  const applications = new Map<string, string[]>();
  for (const module of input.modules)
    applications.set(module.application, [...(applications.get(module.application) ?? []), module.name]);
  return {
    modules,
    applications: [...applications.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, names]) => ({ name, modules: names })),
  };
}

function onFrontend(
  module: ModuleRecord,
  frontend: FrontendRecord,
  deployments: readonly Deployment[],
): ModuleOnFrontend {
  const deployed = deployments.find((d) => d.frontend === frontend.name && d.module === module.name);
  const fingerprint = frontend.fingerprint;
  if (deployed === undefined) {
    return {
      frontend: frontend.name,
      deployedVersion: null,
      settingsRevision: null,
      settingsPending: false,
      difference:
        module.runningVersion === null
          ? null
          : `not deployed on ${frontend.name}: it deploys version ${module.runningVersion} when it next starts, or Republish now.`,
    };
  }
  const settingsPending = fingerprint !== null && deployed.settingsRevision < fingerprint.revision;
  const notes: string[] = [];
  if (settingsPending && fingerprint !== null)
    notes.push(
      `its settings come from revision ${deployed.settingsRevision} of ${frontend.name}'s server configuration, which is at revision ${fingerprint.revision} now ${pendingDifference(deployed.settingsFingerprint ?? null, fingerprint)}`,
    );
  if (module.runningVersion !== null && deployed.version !== module.runningVersion)
    notes.push(
      `it runs version ${deployed.version}, not the running version ${module.runningVersion}: Republish`,
    );
  return {
    frontend: frontend.name,
    deployedVersion: deployed.version,
    settingsRevision: deployed.settingsRevision,
    settingsPending,
    difference: notes.length === 0 ? null : `${capitalize(notes.join('; '))}.`,
  };
}

/**
 * What differs between the settings of a module's artifact and its front-end's
 * settings now, and the step that brings them in line. Without the artifact's
 * settings (recorded by an older Tessera), the front-end's settings now.
 */
function pendingDifference(artifact: FarmFingerprint | null, now: FarmFingerprint): string {
  if (artifact === null)
    return `(Session Provider ${shownValue(now, 'provider')}${now.provider === 'redis' ? `, Hosts ${shownValue(now, 'hosts')}, Use SSL ${shownValue(now, 'useSsl')}, SSL Host ${shownValue(now, 'sslHost')}` : ''}): Apply Settings (Republish when the session provider changed)`;
  const changes = FARM_FINGERPRINT_FIELDS.filter(
    (field) => field !== 'version' && shownValue(artifact, field) !== shownValue(now, field),
  ).map((field) => `${FINGERPRINT_LABELS[field]} ${shownValue(artifact, field)} → ${shownValue(now, field)}`);
  if (changes.length === 0) return '(no session setting differs): Apply Settings';
  return artifact.provider === now.provider
    ? `(${changes.join(', ')}): Apply Settings`
    : `(${changes.join(', ')}): Republish (the session provider changed)`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
