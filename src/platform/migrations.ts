/**
 * The platform database's migrations, in order, run at start by `migrate` with
 * Kysely's Migrator. Each is written once for both engines; where their types
 * differ (an id the database assigns, bytes) `types` says which to use. A released
 * migration never changes: a new schema is a new migration, with a name that sorts
 * after the last.
 *
 * Two processes starting at once: on PostgreSQL the Migrator holds an advisory
 * lock; on SQLite every transaction begins IMMEDIATE (`engines.ts`), so the second
 * process waits for the first's migration and then finds nothing left to do.
 */
import { type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';
import type { DatabaseEngine } from './database-url.ts';

// biome-ignore lint/suspicious/noExplicitAny: migrations see the database as it was then, not as `PlatformSchema` says now.
type AnyDatabase = Kysely<any>;

/** Column types that differ between the engines. */
function types(engine: DatabaseEngine) {
  return engine === 'postgres'
    ? ({ id: 'bigserial', bytes: 'bytea' } as const)
    : ({ id: 'integer', bytes: 'blob' } as const);
}

function initial(engine: DatabaseEngine): Migration {
  const t = types(engine);
  return {
    async up(db: AnyDatabase) {
      const table = (name: string) =>
        db.schema
          .createTable(name)
          .addColumn('id', t.id, (column) =>
            engine === 'sqlite' ? column.primaryKey().autoIncrement() : column.primaryKey(),
          );

      await table('applications')
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('packages')
        .addColumn('sha256', 'text', (c) => c.primaryKey())
        .addColumn('size_bytes', 'bigint', (c) => c.notNull())
        .addColumn('chunk_count', 'integer', (c) => c.notNull())
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('package_chunks')
        .addColumn('sha256', 'text', (c) =>
          c.notNull().references('packages.sha256').onDelete('cascade').onUpdate('cascade'),
        )
        .addColumn('chunk_index', 'integer', (c) => c.notNull())
        .addColumn('data', t.bytes, (c) => c.notNull())
        .addPrimaryKeyConstraint('package_chunks_pk', ['sha256', 'chunk_index'])
        .execute();
      await table('modules')
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('application_id', 'bigint', (c) => c.notNull().references('applications.id'))
        .addColumn('running_version_id', 'bigint')
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .execute();
      await table('module_versions')
        .addColumn('module_id', 'bigint', (c) => c.notNull().references('modules.id').onDelete('cascade'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('package_sha256', 'text', (c) => c.notNull().references('packages.sha256'))
        .addColumn('size_bytes', 'bigint', (c) => c.notNull())
        .addColumn('published_by', 'text', (c) => c.notNull())
        .addColumn('published_at_ms', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('module_versions_module_version', ['module_id', 'version'])
        .execute();
      await table('solutions')
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('solution_modules')
        .addColumn('solution_id', 'bigint', (c) => c.notNull().references('solutions.id').onDelete('cascade'))
        .addColumn('module_id', 'bigint', (c) => c.notNull().references('modules.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('solution_modules_pk', ['solution_id', 'module_id'])
        .execute();
      await table('frontends')
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('last_heartbeat_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('settings_fingerprint', 'text', (c) => c.notNull())
        .addColumn('registered_at_ms', 'bigint', (c) => c.notNull())
        .execute();
      await table('operations')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('solution_id', 'bigint', (c) => c.references('solutions.id').onDelete('set null'))
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('requested_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('finished_at_ms', 'bigint')
        .execute();
      await db.schema
        .createTable('operation_progress')
        .addColumn('operation_id', 'bigint', (c) =>
          c.notNull().references('operations.id').onDelete('cascade'),
        )
        .addColumn('frontend_id', 'bigint', (c) => c.notNull().references('frontends.id').onDelete('cascade'))
        .addColumn('module_id', 'bigint', (c) => c.notNull().references('modules.id').onDelete('cascade'))
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('started_at_ms', 'bigint')
        .addColumn('finished_at_ms', 'bigint')
        .addPrimaryKeyConstraint('operation_progress_pk', ['operation_id', 'frontend_id', 'module_id'])
        .execute();
      await table('users')
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .execute();
      await table('audit_log')
        .addColumn('at_ms', 'bigint', (c) => c.notNull())
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .execute();
      await db.schema.createIndex('audit_log_at').on('audit_log').column('at_ms').execute();
      await db.schema
        .createTable('sessions')
        .addColumn('app_key', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('items', 'text', (c) => c.notNull())
        .addColumn('timeout_minutes', 'double precision', (c) => c.notNull())
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('absolute_expires_at_ms', 'bigint')
        .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('lock_token', 'text')
        .addColumn('lock_acquired_at_ms', 'bigint')
        .addColumn('lock_expires_at_ms', 'bigint')
        .addColumn('lock_took_over_age_ms', 'bigint')
        .addPrimaryKeyConstraint('sessions_pk', ['app_key', 'id'])
        .execute();
      await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at_ms').execute();
    },
  };
}

/**
 * A session's principal (the signed-in user the application named) and where it
 * signed in, with an index from (application, principal) to its sessions: the
 * Database provider's `listByPrincipal` is one index range scan. Nullable columns
 * added to existing rows (no rewrite on either engine); each step is skipped when
 * already there, so a half-applied schema (a column added by hand) still migrates.
 */
const sessionPrincipal: Migration = {
  async up(db: AnyDatabase) {
    const sessions = (await db.introspection.getTables()).find((table) => table.name === 'sessions');
    const present = new Set(sessions?.columns.map((column) => column.name));
    for (const column of ['principal', 'principal_front_end', 'principal_user_agent'])
      if (!present.has(column)) await db.schema.alterTable('sessions').addColumn(column, 'text').execute();
    await db.schema
      .createIndex('sessions_principal')
      .ifNotExists()
      .on('sessions')
      .columns(['app_key', 'principal'])
      .execute();
  },
};

/** What each front-end server has deployed of each module: the version and the settings revision of its artifact. */
function frontendModules(): Migration {
  return {
    async up(db: AnyDatabase) {
      await db.schema
        .createTable('frontend_modules')
        .addColumn('frontend_id', 'bigint', (c) => c.notNull().references('frontends.id').onDelete('cascade'))
        .addColumn('module_id', 'bigint', (c) => c.notNull().references('modules.id').onDelete('cascade'))
        .addColumn('module_version_id', 'bigint', (c) =>
          c.notNull().references('module_versions.id').onDelete('cascade'),
        )
        .addColumn('settings_revision', 'integer', (c) => c.notNull())
        .addColumn('operation_id', 'bigint')
        .addColumn('deployed_at_ms', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('frontend_modules_pk', ['frontend_id', 'module_id'])
        .execute();
    },
  };
}

/**
 * Failed Service Center logins, counted in the database rather than in each
 * worker's memory, so that the login throttle's limit holds for the whole farm.
 * Each step is skipped when already there.
 */
const loginFailures: Migration = {
  async up(db: AnyDatabase) {
    await db.schema
      .createTable('login_failures')
      .ifNotExists()
      .addColumn('subject', 'text', (c) => c.primaryKey())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addColumn('last_failure_at_ms', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('login_failures_last_failure_at')
      .ifNotExists()
      .on('login_failures')
      .column('last_failure_at_ms')
      .execute();
  },
};

/**
 * The settings fingerprint of each deployed module's configuration artifact (no
 * secret: `config/farm-fingerprint.ts`), so that "settings pending" can say what
 * differs from the front-end's settings now. A nullable column (no rewrite); skipped
 * when already there.
 */
const deploymentSettings: Migration = {
  async up(db: AnyDatabase) {
    const table = (await db.introspection.getTables()).find((t) => t.name === 'frontend_modules');
    if (!table?.columns.some((column) => column.name === 'settings_fingerprint'))
      await db.schema.alterTable('frontend_modules').addColumn('settings_fingerprint', 'text').execute();
  },
};

/** Every migration by name, for `engine`. */
export function migrationsFor(engine: DatabaseEngine): Record<string, Migration> {
  return {
    '0001_initial': initial(engine),
    '0002_session_principal': sessionPrincipal,
    '0003_frontend_modules': frontendModules(),
    '0004_login_failures': loginFailures,
    '0005_deployment_settings': deploymentSettings,
  };
}

export function migrationProvider(engine: DatabaseEngine): MigrationProvider {
  return { getMigrations: async () => migrationsFor(engine) };
}

/** The Migrator's own tables. */
export const MIGRATION_TABLE = 'kysely_migration';
export const MIGRATION_LOCK_TABLE = 'kysely_migration_lock';

/** Names of the migrations run on `db`, oldest first (none on a new database). */
export async function executedMigrations(db: AnyDatabase): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((table) => table.name === MIGRATION_TABLE)) return [];
  const result = await sql<{
    name: string;
  }>`select name from ${sql.table(MIGRATION_TABLE)} order by name`.execute(db);
  return result.rows.map((row) => row.name);
}
