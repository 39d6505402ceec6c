/** The platform layer: the platform database, its schema and migrations, its repositories. */

export { DatabaseSessionStore, type DatabaseSessionStoreOptions } from './database-session-store.ts';
export {
  DATABASE_ENGINES,
  type DatabaseEngine,
  type DatabaseSettings,
  describeDatabase,
  parseDatabaseUrl,
} from './database-url.ts';
export { PLATFORM_ERROR_CODES, PlatformError, type PlatformErrorCode } from './errors.ts';
export {
  PLATFORM_DATABASE_DEFAULTS,
  PlatformDatabase,
  type PlatformDatabaseOptions,
} from './platform-database.ts';
export type * from './schema.ts';
