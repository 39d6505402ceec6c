/**
 * Solutions: named sets of modules that Service Center applies settings to,
 * republishes or publishes together. "All modules" is created on demand and holds
 * every module of the factory at the time it is asked for.
 */
import { notFound, unlessNameTaken } from '../errors.ts';
import { foundRow, Repository } from './repository.ts';

export const ALL_MODULES_SOLUTION = 'All modules';

export interface SolutionRecord {
  readonly id: number;
  readonly name: string;
  /** Module names, sorted. */
  readonly modules: readonly string[];
}

export class SolutionsRepository extends Repository {
  async createSolution(name: string, moduleNames: readonly string[] = []): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const { id } = await unlessNameTaken('solution', name, () =>
        trx
          .insertInto('solutions')
          .values({ name, created_at_ms: Date.now() })
          .returning('id')
          .executeTakeFirstOrThrow(),
      );
      await new SolutionsRepository(trx).#associate(id, moduleNames);
      return id;
    });
  }

  /** Adds modules to the solution; modules already in it stay once. */
  async addModules(solutionName: string, moduleNames: readonly string[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const repository = new SolutionsRepository(trx);
      await repository.#associate(await repository.#solutionId(solutionName), moduleNames);
    });
  }

  async removeModules(solutionName: string, moduleNames: readonly string[]): Promise<void> {
    if (moduleNames.length === 0) return;
    const id = await this.#solutionId(solutionName);
    const modules = this.db.selectFrom('modules').select('id').where('name', 'in', moduleNames);
    await this.db
      .deleteFrom('solution_modules')
      .where('solution_id', '=', id)
      .where('module_id', 'in', modules)
      .execute();
  }

  /** The "All modules" solution, created when missing, with every module of the factory added. */
  async ensureAllModules(): Promise<SolutionRecord> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('solutions')
        .values({ name: ALL_MODULES_SOLUTION, created_at_ms: Date.now() })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const repository = new SolutionsRepository(trx);
      const modules = await trx.selectFrom('modules').select('name').execute();
      await repository.#associate(
        await repository.#solutionId(ALL_MODULES_SOLUTION),
        modules.map((m) => m.name),
      );
    });
    return this.getSolution(ALL_MODULES_SOLUTION);
  }

  async getSolution(name: string): Promise<SolutionRecord> {
    const id = await this.#solutionId(name);
    const modules = await this.db
      .selectFrom('solution_modules')
      .innerJoin('modules', 'modules.id', 'solution_modules.module_id')
      .select('modules.name')
      .where('solution_modules.solution_id', '=', id)
      .orderBy('modules.name')
      .execute();
    return { id, name, modules: modules.map((m) => m.name) };
  }

  async listSolutions(): Promise<SolutionRecord[]> {
    const solutions = await this.db.selectFrom('solutions').select('name').orderBy('name').execute();
    return Promise.all(solutions.map((s) => this.getSolution(s.name)));
  }

  async renameSolution(name: string, newName: string): Promise<void> {
    const id = await this.#solutionId(name);
    await unlessNameTaken('solution', newName, () =>
      this.db.updateTable('solutions').set({ name: newName }).where('id', '=', id).execute(),
    );
  }

  async deleteSolution(name: string): Promise<void> {
    await this.db
      .deleteFrom('solutions')
      .where('id', '=', await this.#solutionId(name))
      .execute();
  }

  async #solutionId(name: string): Promise<number> {
    const row = await foundRow(
      this.db.selectFrom('solutions').select('id').where('name', '=', name),
      'solution',
      name,
    );
    return row.id;
  }

  async #associate(solutionId: number, moduleNames: readonly string[]): Promise<void> {
    if (moduleNames.length === 0) return;
    const modules = await this.db
      .selectFrom('modules')
      .select(['id', 'name'])
      .where('name', 'in', moduleNames)
      .execute();
    const missing = moduleNames.find((name) => !modules.some((m) => m.name === name));
    if (missing !== undefined) throw notFound('module', missing);
    await this.db
      .insertInto('solution_modules')
      .values(modules.map((m) => ({ solution_id: solutionId, module_id: m.id })))
      .onConflict((oc) => oc.columns(['solution_id', 'module_id']).doNothing())
      .execute();
  }
}
