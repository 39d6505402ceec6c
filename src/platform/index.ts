/** The platform layer: the platform database, its schema and migrations, its repositories. */

export { databaseSettingsOf } from './configured-database.ts';
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
export {
  FactoryRepository,
  type ModuleRecord,
  type ModuleVersionRecord,
  PACKAGE_CHUNK_BYTES,
} from './repositories/factory-repository.ts';
export {
  type DeploymentRecord,
  type FrontendRecord,
  type FrontendReport,
  FrontendsRepository,
} from './repositories/frontends-repository.ts';
export {
  type LoginFailures,
  type LoginFailuresDecision,
  LoginFailuresRepository,
} from './repositories/login-failures-repository.ts';
export {
  type OperationRecord,
  OperationsRepository,
  type OperationTarget,
  type ProgressRecord,
} from './repositories/operations-repository.ts';
export {
  ALL_MODULES_SOLUTION,
  type SolutionRecord,
  SolutionsRepository,
} from './repositories/solutions-repository.ts';
export { type AuditEntry, type UserRecord, UsersRepository } from './repositories/users-repository.ts';
export type * from './schema.ts';
export {
  type DatabaseCheck,
  type DatabaseTestReport,
  type MigrationsState,
  type TestDatabaseOptions,
  testDatabase,
} from './test-database.ts';
