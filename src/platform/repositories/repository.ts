/**
 * What every repository of the platform database shares: the Kysely instance it
 * queries, and taking the one row a query must find. A repository extends
 * `Repository` and queries `this.db`.
 */
import type { Kysely } from 'kysely';
import { notFound } from '../errors.ts';
import type { PlatformSchema } from '../schema.ts';

export abstract class Repository {
  protected readonly db: Kysely<PlatformSchema>;

  constructor(db: Kysely<PlatformSchema>) {
    this.db = db;
  }
}

/**
 * The row `query` finds; when it finds none, rejects with
 * `TESSERA_PLATFORM_NOT_FOUND` naming the `what` called `name` (`module`, `shop`).
 */
export async function foundRow<T>(
  query: { executeTakeFirst(): Promise<T | undefined> },
  what: string,
  name: string,
): Promise<T> {
  const row = await query.executeTakeFirst();
  if (row === undefined) throw notFound(what, name);
  return row;
}
