/**
 * The options of opening the platform database and their defaults, apart from the
 * database itself so that `DatabaseSessionStore` can check them without loading
 * Kysely (it loads the database when it connects).
 */
// From the file, not the session layer's index: opening the database loads no session code.
import { MAX_TIMER_MS, optionTable, wholeNumber } from '../session/option-checks.ts';
import type { EngineOptions } from './engines.ts';

export interface PlatformDatabaseOptions extends Partial<Omit<EngineOptions, 'env'>> {
  /** Where `PGPASSWORD` is read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const PLATFORM_DATABASE_OPTIONS = optionTable({
  busyTimeoutMs: { default: 5_000, kind: wholeNumber(0, MAX_TIMER_MS, ' of milliseconds') },
  connectTimeoutMs: { default: 5_000, kind: wholeNumber(1, MAX_TIMER_MS, ' of milliseconds') },
  statementTimeoutMs: { default: 10_000, kind: wholeNumber(1, MAX_TIMER_MS, ' of milliseconds') },
  poolSize: { default: 10, kind: wholeNumber(1, 10_000, '') },
});
export const PLATFORM_DATABASE_DEFAULTS = PLATFORM_DATABASE_OPTIONS.defaults satisfies Omit<
  EngineOptions,
  'env'
>;
/** What each option accepts (`env` is checked by the store that reads it). */
export const PLATFORM_DATABASE_KINDS = PLATFORM_DATABASE_OPTIONS.kinds;
