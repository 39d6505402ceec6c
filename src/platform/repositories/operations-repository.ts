/**
 * Operations (publish, Apply Settings, republish): who asked, when, how it ends,
 * and a progress row per front-end server and module, so Service Center can show
 * live progress and name the server, the module and the error of a failure.
 */
import { notFound } from '../errors.ts';
import type { OperationKind, OperationState } from '../schema.ts';
import { foundRow, Repository } from './repository.ts';

export interface OperationTarget {
  readonly frontendId: number;
  readonly moduleId: number;
}

export interface ProgressRecord extends OperationTarget {
  readonly state: OperationState;
  readonly error: string | null;
  readonly startedAtMs: number | null;
  readonly finishedAtMs: number | null;
}

export interface OperationRecord {
  readonly id: number;
  readonly kind: OperationKind;
  readonly solutionId: number | null;
  readonly requestedBy: string;
  readonly requestedAtMs: number;
  readonly state: OperationState;
  readonly finishedAtMs: number | null;
  readonly progress: readonly ProgressRecord[];
}

export class OperationsRepository extends Repository {
  /** Records a new operation, pending on every target; returns its id. */
  async start(request: {
    readonly kind: OperationKind;
    readonly solutionId: number | null;
    readonly requestedBy: string;
    readonly targets: readonly OperationTarget[];
  }): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const { id } = await trx
        .insertInto('operations')
        .values({
          kind: request.kind,
          solution_id: request.solutionId,
          requested_by: request.requestedBy,
          requested_at_ms: Date.now(),
          state: 'pending',
          finished_at_ms: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      if (request.targets.length > 0) {
        await trx
          .insertInto('operation_progress')
          .values(
            request.targets.map((target) => ({
              operation_id: id,
              frontend_id: target.frontendId,
              module_id: target.moduleId,
              state: 'pending' as const,
              error: null,
              started_at_ms: null,
              finished_at_ms: null,
            })),
          )
          .execute();
      }
      return id;
    });
  }

  /**
   * Records how one target goes: `running` stamps the start, `succeeded` and
   * `failed` the end (with the error). The operation is `running` from its first
   * running target, and ends (`failed` if any target failed) with its last.
   */
  async report(
    operationId: number,
    target: OperationTarget,
    state: Exclude<OperationState, 'pending'>,
    error: string | null = null,
  ): Promise<void> {
    const now = Date.now();
    await this.db.transaction().execute(async (trx) => {
      // Take the operation's row first: two front-ends reporting their last steps at once
      // would otherwise each count the other's step as open (PostgreSQL, read committed)
      // and neither would end the operation. Waiting here, each sees the other's report.
      await trx
        .updateTable('operations')
        .set((eb) => ({ state: eb.ref('state') }))
        .where('id', '=', operationId)
        .execute();
      const updated = await trx
        .updateTable('operation_progress')
        .set(
          state === 'running'
            ? { state, started_at_ms: now, error: null }
            : { state, finished_at_ms: now, error: state === 'failed' ? error : null },
        )
        .where('operation_id', '=', operationId)
        .where('frontend_id', '=', target.frontendId)
        .where('module_id', '=', target.moduleId)
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n)
        throw notFound('operation target', `${operationId}/${target.frontendId}/${target.moduleId}`);
      const states = await trx
        .selectFrom('operation_progress')
        .select('state')
        .where('operation_id', '=', operationId)
        .execute();
      const open = states.some((s) => s.state === 'pending' || s.state === 'running');
      const overall: OperationState = open
        ? 'running'
        : states.some((s) => s.state === 'failed')
          ? 'failed'
          : 'succeeded';
      await trx
        .updateTable('operations')
        .set({ state: overall, finished_at_ms: open ? null : now })
        .where('id', '=', operationId)
        .execute();
    });
  }

  async get(operationId: number): Promise<OperationRecord> {
    const operation = await foundRow(
      this.db.selectFrom('operations').selectAll().where('id', '=', operationId),
      'operation',
      String(operationId),
    );
    const progress = await this.db
      .selectFrom('operation_progress')
      .selectAll()
      .where('operation_id', '=', operationId)
      .orderBy('frontend_id')
      .orderBy('module_id')
      .execute();
    return {
      id: operation.id,
      kind: operation.kind,
      solutionId: operation.solution_id,
      requestedBy: operation.requested_by,
      requestedAtMs: operation.requested_at_ms,
      state: operation.state,
      finishedAtMs: operation.finished_at_ms,
      progress: progress.map((row) => ({
        frontendId: row.frontend_id,
        moduleId: row.module_id,
        state: row.state,
        error: row.error,
        startedAtMs: row.started_at_ms,
        finishedAtMs: row.finished_at_ms,
      })),
    };
  }

  /** The targets still pending on `frontendId`, oldest operation first. */
  async pendingFor(
    frontendId: number,
  ): Promise<{ readonly operationId: number; readonly kind: OperationKind; readonly moduleId: number }[]> {
    const rows = await this.db
      .selectFrom('operation_progress')
      .innerJoin('operations', 'operations.id', 'operation_progress.operation_id')
      .select([
        'operations.id as operationId',
        'operations.kind as kind',
        'operation_progress.module_id as moduleId',
      ])
      .where('operation_progress.frontend_id', '=', frontendId)
      .where('operation_progress.state', '=', 'pending')
      .orderBy('operations.id')
      .orderBy('operation_progress.module_id')
      .execute();
    return rows.map((row) => ({
      operationId: Number(row.operationId),
      kind: row.kind,
      moduleId: Number(row.moduleId),
    }));
  }

  /** The newest operation addressed to any front-end for each module, by module id. */
  async latestByModule(): Promise<Map<number, number>> {
    const rows = await this.db
      .selectFrom('operation_progress')
      .select(['module_id', (eb) => eb.fn.max('operation_id').as('operationId')])
      .groupBy('module_id')
      .execute();
    return new Map(rows.map((row) => [Number(row.module_id), Number(row.operationId)]));
  }

  /** The most recent operations first. */
  async recent(limit = 50): Promise<OperationRecord[]> {
    const rows = await this.db
      .selectFrom('operations')
      .select('id')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return Promise.all(rows.map((row) => this.get(row.id)));
  }

  /** Records that the operation was asked for on `solutionId` (an operation started for a list of modules). */
  async attachSolution(operationId: number, solutionId: number): Promise<void> {
    const result = await this.db
      .updateTable('operations')
      .set({ solution_id: solutionId })
      .where('id', '=', operationId)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw notFound('operation', String(operationId));
  }
}
