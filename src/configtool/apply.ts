/**
 * Apply: the one implementation behind `tessera config apply` and the browser
 * tool's **Apply and Exit**. For the Redis provider, Test Connection runs first on
 * the settings to apply; if it fails, nothing is saved unless the apply is forced
 * (it is then recorded as forced). The settings and the applied record are saved in
 * one atomic write, and the operator is told what to do next in Service Center
 * (the user's document, step 3).
 *
 * If the file changed since it was read (another Configuration Tool, `tessera
 * config session`, an editor), nothing is applied, not even "already applied":
 * the settings to apply were chosen against a file that is no longer there.
 */
import {
  type AppliedRecord,
  appliedState,
  CONFIG_VERSION,
  connectionStringFor,
  type LoadedConfiguration,
  loadOrCreatePrivateKey,
  type PlatformDatabaseSettings,
  readConfiguration,
  refuseIfChanged,
  type ServerConfiguration,
  type SessionSettings,
  saveConfiguration,
  withApplied,
} from '../config/index.ts';
import { hasErrorCode } from '../errors.ts';
import { type Check, runTestConnection, type TestConnectionReport } from '../redis/index.ts';
import { type SettingChange, settingChanges } from './configuration-changes.ts';
import { sameSession } from './session-settings.ts';

/** One check of Test Connection, as the page shows it. */
export interface CheckView {
  readonly host: string | null;
  readonly name: string;
  readonly ok: boolean;
  /** What was found; for a failure, what is wrong and what to do. */
  readonly detail: string;
  readonly ms: number;
}

/** What happens while Test Connection or an apply runs, in order (the page gets one JSON line each). */
export type ProgressEvent =
  | { readonly type: 'check'; readonly check: CheckView }
  | {
      readonly type: 'tested';
      readonly ok: boolean;
      readonly total: number;
      readonly failed: number;
      /** `input`: the settings or a SERedis_* variable are wrong; `check`: a server check failed. */
      readonly failure: 'input' | 'check' | null;
    }
  | {
      /** Not applied: Test Connection failed, and the apply was not forced. */
      readonly type: 'refused';
    }
  | {
      /**
       * Not applied: the file changed since it was read (the `TESSERA_CONFIG_CONCURRENT_WRITE`
       * error follows). `changes`: what differs in the file now, or null when it cannot be read now.
       */
      readonly type: 'changed';
      readonly changes: readonly SettingChange[] | null;
    }
  | {
      readonly type: 'applied';
      /** The settings were applied before and have not changed: nothing was written. */
      readonly alreadyApplied: boolean;
      readonly revision: number;
      readonly at: string;
      readonly forced: boolean;
      readonly path: string;
      /** When this apply upgraded the file's version: where the old file was kept. */
      readonly backup?: string;
      readonly serviceCenterStep: AppliedRecord['serviceCenterStep'];
      /** The next steps, as `tessera config apply` prints them. */
      readonly nextSteps: string;
    }
  /** `code`: the stable code of a Tessera error (absent for an unexpected one, whose detail goes to the terminal). */
  | { readonly type: 'error'; readonly code?: string; readonly message: string };

export type Emit = (event: ProgressEvent) => void;

export function checkView(check: Check): CheckView {
  return { host: check.host, name: check.name, ok: check.ok, detail: check.detail, ms: check.ms };
}

/** Runs Test Connection on `session` (a Redis provider), reporting each check as it completes. */
export async function testSession(
  session: SessionSettings,
  path: string,
  env: NodeJS.ProcessEnv,
  emit: Emit,
): Promise<TestConnectionReport> {
  const configuration: ServerConfiguration = { version: CONFIG_VERSION, session };
  const report = await runTestConnection(connectionStringFor(configuration, path), {
    env,
    onCheck: (check) => emit({ type: 'check', check: checkView(check) }),
  });
  emit(testedEvent(report));
  return report;
}

/** The summary event of a Test Connection (Redis's or the platform database's). */
export function testedEvent(report: {
  readonly ok: boolean;
  readonly checks: readonly { readonly ok: boolean }[];
  readonly failure: 'input' | 'check' | null;
}): ProgressEvent {
  return {
    type: 'tested',
    ok: report.ok,
    total: report.checks.length,
    failed: report.checks.filter((check) => !check.ok).length,
    failure: report.failure,
  };
}

export interface ApplyOutcome {
  /** The configuration as now stored, when the apply succeeded. */
  readonly saved?: LoadedConfiguration;
  readonly applied: boolean;
}

/**
 * Applies `session` over the file `loaded` was read from: Test Connection first for
 * Redis (a failure refuses the apply unless `force`), then the settings and the
 * applied record in one atomic write, or nothing when they were applied already.
 * Each step is reported through `emit`; a `ConfigError` (a file that cannot be
 * written, or that changed since `loaded` was read: a `changed` event says how) is
 * thrown, and nothing is applied.
 */
export async function applySession(
  loaded: LoadedConfiguration,
  session: SessionSettings,
  options: {
    readonly force: boolean;
    readonly env: NodeJS.ProcessEnv;
    readonly emit: Emit;
    /** The platform database settings to save with the session (absent: as they are in the file). */
    readonly platformDatabase?: PlatformDatabaseSettings;
    /**
     * Readies the platform database (tests it, creates or migrates its schema) once the
     * file is known unchanged, before anything else; false (having said why through
     * `emit`) refuses the apply.
     */
    readonly prepareDatabase?: () => Promise<boolean>;
  },
): Promise<ApplyOutcome> {
  const { emit } = options;
  const { location } = loaded;
  const previous = loaded.configuration.applied;
  // Sections not given (the platform database) are applied as they are in the file.
  const configuration: ServerConfiguration = {
    ...loaded.configuration,
    session,
    ...(options.platformDatabase !== undefined ? { platformDatabase: options.platformDatabase } : {}),
  };
  {
    await refuseIfFileChanged(loaded, emit);
    if (options.prepareDatabase !== undefined && !(await options.prepareDatabase()))
      return { applied: false };
    let report: TestConnectionReport | undefined;
    if (session.provider === 'redis') {
      report = await testSession(session, location.path, options.env, emit);
      if (!report.ok && !options.force) {
        emit({ type: 'refused' });
        return { applied: false };
      }
      // Test Connection takes seconds: the file may have changed meanwhile.
      await refuseIfFileChanged(loaded, emit);
    }

    const key = await loadOrCreatePrivateKey(location.privateKeyPath);
    const unchanged =
      sameSession(loaded.configuration.session, session) &&
      appliedState(configuration, key) === 'current' &&
      loaded.plainTextSecrets.length === 0;
    // A forced apply whose Test Connection now passes is recorded again, without the mark.
    if (unchanged && previous !== undefined && !(previous.forced && report?.ok)) {
      emit({
        type: 'applied',
        alreadyApplied: true,
        revision: previous.revision,
        at: previous.at,
        forced: previous.forced === true,
        path: location.path,
        serviceCenterStep: previous.serviceCenterStep,
        nextSteps: nextSteps(previous, true).trim(),
      });
      return { applied: true, saved: loaded };
    }
    const forced = report !== undefined && !report.ok;
    const saved = await saveConfiguration(loaded, withApplied(configuration, key, { forced }));
    const applied = saved.configuration.applied!;
    emit({
      type: 'applied',
      alreadyApplied: false,
      revision: applied.revision,
      at: applied.at,
      forced,
      path: location.path,
      ...(saved.backup !== undefined ? { backup: saved.backup } : {}),
      serviceCenterStep: applied.serviceCenterStep,
      nextSteps: nextSteps(applied, false, previous).trim(),
    });
    return { applied: true, saved };
  }
}

/**
 * Throws `TESSERA_CONFIG_CONCURRENT_WRITE` if the file changed since `loaded` was
 * read, after a `changed` event that lists what differs. (The save checks again
 * under its lock, for the last milliseconds.)
 */
async function refuseIfFileChanged(loaded: LoadedConfiguration, emit: Emit): Promise<void> {
  try {
    await refuseIfChanged(loaded);
  } catch (error) {
    if (hasErrorCode(error, 'TESSERA_CONFIG_CONCURRENT_WRITE')) {
      // A file changed into one that cannot be read: no difference to show; a reload shows why.
      const now = await readConfiguration(loaded.location).catch((unreadable: unknown) => {
        if (hasErrorCode(unreadable, { prefix: 'TESSERA_CONFIG_' })) return null;
        throw unreadable;
      });
      emit({
        type: 'changed',
        changes: now === null ? null : settingChanges(loaded.configuration, now.configuration),
      });
    }
    throw error;
  }
}

const SOLUTION_STEPS = [
  '  1. Open Service Center on one of the front-end servers.',
  '  2. Go to Factory > Solutions.',
  '  3. Select a solution that contains all the modules of the factory (create one if there is none).',
];

/**
 * What the operator does next after `applied`, per the user's document (step 3).
 * `reminder`: the apply was done before (say "if not done yet"). `previous`: the
 * apply before it, to warn when a needed Republish may still be pending.
 */
export function nextSteps(applied: AppliedRecord, reminder: boolean, previous?: AppliedRecord): string {
  const { provider, providerBefore, serviceCenterStep: step } = applied;
  const ifNotDone = reminder ? ' (if not done yet)' : '';
  const farm =
    provider === 'redis'
      ? 'Do steps 1 and 2 (the SERedis_* variables, then these settings) on every front-end server first; then, once for the farm:'
      : 'Apply these settings on every front-end server first; then, once for the farm:';
  const lines = [''];
  if (step === 'none') {
    lines.push(
      provider === 'memory'
        ? 'Nothing to do in Service Center: the modules already use the in-memory session provider.\n' +
            'In-memory sessions are not shared: use this provider only with a single front-end server.'
        : 'Nothing to do in Service Center.',
    );
  } else if (step === 'apply-settings') {
    lines.push(
      `Next${ifNotDone}: Apply Settings in Service Center. The session provider was already ${provider}: the modules only need the new settings.`,
      farm,
      ...SOLUTION_STEPS,
      '  4. On the solution details page, click Apply Settings.',
      'Or, from a shell on any front-end server: tessera module apply-settings --all',
    );
    if (previous?.serviceCenterStep === 'republish' && previous.provider === provider) {
      lines.push(
        `If the factory has not been republished since revision ${previous.revision} (which changed the session provider to ${provider}), Republish the solution instead: it applies the settings too.`,
      );
    }
  } else {
    lines.push(
      `Next${ifNotDone}: Republish in Service Center. The session provider changed (${providerBefore} → ${provider}): the modules must be republished to use it.`,
      farm,
      ...SOLUTION_STEPS,
      '  4. On the solution details page, Republish the solution (all its modules).',
      'Or, from a shell on any front-end server: tessera module republish --all',
    );
  }
  return `${lines.join('\n')}\n`;
}
