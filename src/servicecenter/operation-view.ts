/**
 * An operation as people and scripts read it: names instead of ids, a line per
 * front-end server and module, a summary, and for each failure the front-end, the
 * module, the error and what to do.
 */
import type { OperationKind, OperationRecord, OperationState } from '../platform/index.ts';

export const OPERATION_LABELS: Readonly<Record<OperationKind, string>> = {
  publish: 'Publish',
  'apply-settings': 'Apply Settings',
  republish: 'Republish',
};

export interface OperationStepView {
  readonly frontend: string;
  readonly module: string;
  readonly state: OperationState;
  readonly error: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

export interface OperationView {
  readonly id: number;
  readonly kind: OperationKind;
  readonly label: string;
  readonly solution: string | null;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly state: OperationState;
  readonly finishedAt: string | null;
  readonly steps: readonly OperationStepView[];
  /** One sentence: how far it is, or how it ended. */
  readonly summary: string;
  /** Each failed step: "fe2, module shop: <error>. <what to do>". */
  readonly failures: readonly string[];
}

export interface NameLookup {
  readonly frontends: ReadonlyMap<number, string>;
  readonly modules: ReadonlyMap<number, string>;
  readonly solutions: ReadonlyMap<number, string>;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function operationView(operation: OperationRecord, names: NameLookup): OperationView {
  const label = OPERATION_LABELS[operation.kind];
  const steps = operation.progress.map((step) => ({
    frontend: names.frontends.get(step.frontendId) ?? `front-end #${step.frontendId}`,
    module: names.modules.get(step.moduleId) ?? `module #${step.moduleId}`,
    state: step.state,
    error: step.error,
    startedAt: iso(step.startedAtMs),
    finishedAt: iso(step.finishedAtMs),
  }));
  const count = (state: OperationState) => steps.filter((step) => step.state === state).length;
  const frontends = new Set(steps.map((step) => step.frontend)).size;
  const failures = steps
    .filter((step) => step.state === 'failed')
    .map(
      (step) =>
        `${step.frontend}, module ${step.module}: ${step.error ?? 'failed'} Correct the cause, then run ${label} again (the modules that succeeded are not affected).`,
    );
  let summary: string;
  if (operation.state === 'succeeded')
    summary = `${label} succeeded: ${steps.length} module deployment${steps.length === 1 ? '' : 's'} on ${frontends} front-end server${frontends === 1 ? '' : 's'}.`;
  else if (operation.state === 'failed')
    summary = `${label} failed on ${failures.length} of ${steps.length} (front-end, module) pairs; the others succeeded.`;
  else
    summary = `${label} ${operation.state}: ${count('succeeded') + count('failed')} of ${steps.length} done, ${count('running')} running.`;
  return {
    id: operation.id,
    kind: operation.kind,
    label,
    solution: operation.solutionId === null ? null : (names.solutions.get(operation.solutionId) ?? null),
    requestedBy: operation.requestedBy,
    requestedAt: new Date(operation.requestedAtMs).toISOString(),
    state: operation.state,
    finishedAt: iso(operation.finishedAtMs),
    steps,
    summary,
    failures,
  };
}

export function isOpen(state: OperationState): boolean {
  return state === 'pending' || state === 'running';
}
