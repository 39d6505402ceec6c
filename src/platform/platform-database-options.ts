/**
 * The options of opening the platform database and their defaults, apart from the
 * database itself so that `DatabaseSessionStore` can check them without loading
 * Kysely (it loads the database when it connects).
 */
import type { EngineOptions } from './engines.ts';

export interface PlatformDatabaseOptions extends Partial<Omit<EngineOptions, 'env'>> {
  /** Where `PGPASSWORD` is read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export const PLATFORM_DATABASE_DEFAULTS = {
  busyTimeoutMs: 5_000,
  connectTimeoutMs: 5_000,
  statementTimeoutMs: 10_000,
  poolSize: 10,
} as const satisfies Omit<EngineOptions, 'env'>;
