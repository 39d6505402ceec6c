/**
 * The platform database's tables as Kysely sees them: one schema for SQLite and
 * PostgreSQL, created by `migrations.ts`. Times are epoch milliseconds (integers on
 * both engines, read as numbers); ids are integers the database assigns.
 */
import type { Generated } from 'kysely';

/** An application groups modules; its users' sessions are shared by its modules. */
export interface ApplicationsTable {
  id: Generated<number>;
  name: string;
  created_at_ms: number;
}

/** One deployable unit of application code. */
export interface ModulesTable {
  id: Generated<number>;
  name: string;
  application_id: number;
  /** The version every front-end server runs; `null` until the first publish. */
  running_version_id: number | null;
  created_at_ms: number;
}

/** A published package of a module, its bytes content-addressed in `packages`. */
export interface ModuleVersionsTable {
  id: Generated<number>;
  module_id: number;
  /** 1, 2, … per module. */
  version: number;
  package_sha256: string;
  size_bytes: number;
  published_by: string;
  published_at_ms: number;
}

/** A package's bytes, once per content (SHA-256, hex), stored as `package_chunks`. */
export interface PackagesTable {
  sha256: string;
  size_bytes: number;
  chunk_count: number;
  created_at_ms: number;
}

export interface PackageChunksTable {
  sha256: string;
  chunk_index: number;
  data: Uint8Array;
}

export interface SolutionsTable {
  id: Generated<number>;
  name: string;
  created_at_ms: number;
}

export interface SolutionModulesTable {
  solution_id: number;
  module_id: number;
}

export const OPERATION_KINDS = ['publish', 'apply-settings', 'republish'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];
export const OPERATION_STATES = ['pending', 'running', 'succeeded', 'failed'] as const;
export type OperationState = (typeof OPERATION_STATES)[number];

/** Publish, Apply Settings or Republish, as requested by a Service Center user. */
export interface OperationsTable {
  id: Generated<number>;
  kind: OperationKind;
  solution_id: number | null;
  requested_by: string;
  requested_at_ms: number;
  state: OperationState;
  finished_at_ms: number | null;
}

/** How one operation goes on one front-end server for one module. */
export interface OperationProgressTable {
  operation_id: number;
  frontend_id: number;
  module_id: number;
  state: OperationState;
  error: string | null;
  started_at_ms: number | null;
  finished_at_ms: number | null;
}

export const FRONTEND_STATES = ['starting', 'ready', 'draining', 'stopped'] as const;
export type FrontendState = (typeof FRONTEND_STATES)[number];

export interface FrontendsTable {
  id: Generated<number>;
  name: string;
  address: string;
  state: FrontendState;
  last_heartbeat_at_ms: number;
  /** What the server runs (session provider, hosts, Use SSL, certificate…), as reported, JSON. */
  settings_fingerprint: string;
  registered_at_ms: number;
}

/** What one front-end server runs of one module: the version and its artifact's settings revision. */
export interface FrontendModulesTable {
  frontend_id: number;
  module_id: number;
  module_version_id: number;
  /** The revision of the server configuration the module's artifact was written from (0: never applied). */
  settings_revision: number;
  /** The last operation this front-end carried out for the module (`null`: caught up at start). */
  operation_id: number | null;
  deployed_at_ms: number;
  /** The farm fingerprint (JSON, no secret) of the settings its artifact was written from; `null`: not known. */
  settings_fingerprint: string | null;
}

export const USER_ROLES = ['administrator', 'operator', 'viewer'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** Service Center users. */
export interface UsersTable {
  id: Generated<number>;
  name: string;
  /** `scrypt$N$r$p$salt$hash` (base64); never the password. */
  password_hash: string;
  role: UserRole;
  created_at_ms: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  at_ms: number;
  user_name: string;
  action: string;
  target: string;
  detail: string | null;
}

/** Failed Service Center logins per subject (`ip:<address>`, `user:<name>`), for the login throttle. */
export interface LoginFailuresTable {
  subject: string;
  /** Failed attempts since the subject's last success (or since its last failure was too old to count). */
  failures: number;
  last_failure_at_ms: number;
}

/** Sessions of the Database session provider (written only by its statements). */
export interface SessionsTable {
  app_key: string;
  id: string;
  items: string;
  timeout_minutes: number;
  created_at_ms: number;
  absolute_expires_at_ms: number | null;
  expires_at_ms: number;
  version: number;
  lock_token: string | null;
  lock_acquired_at_ms: number | null;
  lock_expires_at_ms: number | null;
  /** How old the lock was that the current holder took over (`null`: it took a free lock); returned by its load. */
  lock_took_over_age_ms: number | null;
  /** The signed-in user the application named (`req.session.setPrincipal`), indexed with `app_key`. */
  principal: string | null;
  /** The front-end server and `User-Agent` of the request that set the principal. */
  principal_front_end: string | null;
  principal_user_agent: string | null;
}

export interface PlatformSchema {
  applications: ApplicationsTable;
  modules: ModulesTable;
  module_versions: ModuleVersionsTable;
  packages: PackagesTable;
  package_chunks: PackageChunksTable;
  solutions: SolutionsTable;
  solution_modules: SolutionModulesTable;
  operations: OperationsTable;
  operation_progress: OperationProgressTable;
  frontends: FrontendsTable;
  frontend_modules: FrontendModulesTable;
  users: UsersTable;
  audit_log: AuditLogTable;
  login_failures: LoginFailuresTable;
  sessions: SessionsTable;
}
