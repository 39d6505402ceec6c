/**
 * The two engines every platform test runs on: a SQLite file in a temporary
 * folder, and a fresh database on the PostgreSQL server at 127.0.0.1:5432. Each
 * `start()` makes a new, empty database; `stop()` removes it.
 */
import { createTestDatabase } from '../support/postgres.ts';
import { createSqliteFile } from '../support/sqlite-file.ts';

export interface EngineTarget {
  readonly url: string;
  stop(): Promise<void>;
}

export interface TestEngine {
  readonly name: string;
  start(): Promise<EngineTarget>;
}

export const ENGINES: readonly TestEngine[] = [
  {
    name: 'SQLite',
    async start() {
      const file = await createSqliteFile();
      return { url: file.url, stop: () => file.remove() };
    },
  },
  {
    name: 'PostgreSQL',
    async start() {
      const database = await createTestDatabase();
      return { url: database.url, stop: () => database.drop() };
    },
  },
];
