/**
 * The platform database: one Kysely schema over SQLite or PostgreSQL, migrated to
 * this Tessera's schema when opened. Its repositories (`factory`, `solutions`,
 * `operations`, `frontends`, `users`, `loginFailures`; one file each in `repositories/`) are the
 * only code that queries it; the Database session provider gets `sessionDatabase()`,
 * the small structural connection it brings its own statements to.
 */

import { resolve } from 'node:path';
import { CompiledQuery, Kysely, Migrator, sql } from 'kysely';
import { definedOnly } from '../defined-only.ts';
import type { SessionDatabase, SqlQuery, SqlRow, SqlValue } from '../session/index.ts';
import { type DatabaseSettings, describeDatabase, parseDatabaseUrl } from './database-url.ts';
import { createEngine, type Engine, type EngineOptions } from './engines.ts';
import { migrationFailed, schemaNewer, versionTooOld } from './errors.ts';
import {
  executedMigrations,
  MIGRATION_LOCK_TABLE,
  MIGRATION_TABLE,
  migrationProvider,
  migrationsFor,
} from './migrations.ts';
import { PLATFORM_DATABASE_DEFAULTS, type PlatformDatabaseOptions } from './platform-database-options.ts';
import { PostgresListener } from './postgres-listener.ts';
import { FactoryRepository } from './repositories/factory-repository.ts';
import { FrontendsRepository } from './repositories/frontends-repository.ts';
import { LoginFailuresRepository } from './repositories/login-failures-repository.ts';
import { OperationsRepository } from './repositories/operations-repository.ts';
import { SolutionsRepository } from './repositories/solutions-repository.ts';
import { UsersRepository } from './repositories/users-repository.ts';
import type { PlatformSchema } from './schema.ts';

export { PLATFORM_DATABASE_DEFAULTS, type PlatformDatabaseOptions } from './platform-database-options.ts';

/** The channel of `notifyOperations`. */
const OPERATIONS_CHANNEL = 'tessera_operations';

/** The oldest PostgreSQL whose SQL the statements use (`server_version_num`). */
export const POSTGRES_MIN_VERSION_NUM = 130_000;

/** An engine and its query builder, and how this opener lets go of them. */
interface Connection {
  readonly engine: Engine;
  readonly db: Kysely<PlatformSchema>;
  release(): Promise<void>;
}

/**
 * SQLite: the platform databases opened in one process share one connection per file.
 * better-sqlite3 waits for a file lock synchronously, so with two connections in one
 * process (a front-end's Service Center and its Database session store), a write on one
 * while the other holds a transaction across an `await` would block the very thread
 * that is to commit that transaction, until the busy timeout ends it with
 * `TESSERA_PLATFORM_BUSY`. On one connection Kysely's driver takes turns, and nothing
 * waits for itself. The first opener's options (busy timeout) hold for the others.
 */
const sqliteConnections = new Map<
  string,
  { readonly opening: Promise<Omit<Connection, 'release'>>; users: number }
>();

async function connect(settings: DatabaseSettings, options: EngineOptions): Promise<Connection> {
  const open = async () => {
    const engine = await createEngine(settings, describeDatabase(settings), options);
    return { engine, db: new Kysely<PlatformSchema>({ dialect: engine.dialect }) };
  };
  if (settings.engine !== 'sqlite') {
    const connection = await open();
    return { ...connection, release: () => connection.db.destroy() };
  }
  const file = resolve(settings.path);
  let shared = sqliteConnections.get(file);
  if (shared === undefined) {
    shared = { opening: open(), users: 0 };
    sqliteConnections.set(file, shared);
  }
  const entry = shared;
  entry.users += 1;
  const letGo = () => {
    entry.users -= 1;
    const last = entry.users === 0;
    if (last && sqliteConnections.get(file) === entry) sqliteConnections.delete(file);
    return last;
  };
  let connection: Omit<Connection, 'release'>;
  try {
    connection = await entry.opening;
  } catch (error) {
    letGo();
    throw error;
  }
  let released = false;
  return {
    ...connection,
    release: async () => {
      if (released) return;
      released = true;
      if (letGo()) await connection.db.destroy();
    },
  };
}

export class PlatformDatabase {
  readonly settings: DatabaseSettings;
  /** The database as messages name it, without a password. */
  readonly description: string;
  /** The query builder, for the repositories below and for migrations; nothing above this layer uses it. */
  readonly db: Kysely<PlatformSchema>;
  readonly factory: FactoryRepository;
  readonly solutions: SolutionsRepository;
  readonly operations: OperationsRepository;
  readonly frontends: FrontendsRepository;
  readonly users: UsersRepository;
  readonly loginFailures: LoginFailuresRepository;
  readonly #engine: Engine;
  readonly #connection: Connection;
  #listener: PostgresListener | undefined;
  #closed = false;

  private constructor(settings: DatabaseSettings, connection: Connection) {
    const { engine } = connection;
    this.#connection = connection;
    this.settings = settings;
    this.description = describeDatabase(settings);
    this.#engine = engine;
    this.db = connection.db;
    this.factory = new FactoryRepository(this.db);
    this.solutions = new SolutionsRepository(this.db);
    this.operations = new OperationsRepository(this.db);
    this.frontends = new FrontendsRepository(this.db);
    this.users = new UsersRepository(this.db);
    this.loginFailures = new LoginFailuresRepository(this.db, settings.engine);
  }

  /**
   * Connects to the database at `address` (`sqlite:/path/file.db`,
   * `postgres://user@host:5432/db`) or as `settings` say, checks the server, and
   * migrates the schema to this Tessera's. Rejects with a `PlatformError` that names
   * the database and what to do.
   */
  static async open(
    address: string | DatabaseSettings,
    options: PlatformDatabaseOptions = {},
  ): Promise<PlatformDatabase> {
    const settings = typeof address === 'string' ? parseDatabaseUrl(address) : address;
    const engineOptions: EngineOptions = {
      ...PLATFORM_DATABASE_DEFAULTS,
      ...definedOnly(options),
      env: options.env ?? process.env,
    };
    const database = new PlatformDatabase(settings, await connect(settings, engineOptions));
    try {
      await database.#checkServer();
      await database.migrate();
    } catch (error) {
      await database.close();
      throw error;
    }
    return database;
  }

  get engine(): DatabaseSettings['engine'] {
    return this.settings.engine;
  }

  /**
   * Runs the migrations this database lacks. Idempotent; safe when several
   * processes run it at once (one migrates, the others wait and find it done).
   * Refuses a database migrated by a newer Tessera.
   */
  async migrate(): Promise<{ readonly applied: readonly string[] }> {
    const known = new Set(Object.keys(migrationsFor(this.engine)));
    const unknown = (await this.executedMigrations()).filter((name) => !known.has(name));
    if (unknown.length > 0) throw schemaNewer(this.description, unknown);
    const migrator = new Migrator({
      db: this.db,
      provider: migrationProvider(this.engine),
      migrationTableName: MIGRATION_TABLE,
      migrationLockTableName: MIGRATION_LOCK_TABLE,
    });
    const { error, results = [] } = await migrator.migrateToLatest();
    if (error) {
      const failed = results.find((result) => result.status === 'Error')?.migrationName ?? 'setup';
      if (isPlatformCode(error)) throw error;
      throw migrationFailed(this.description, failed, error);
    }
    return { applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) };
  }

  /** Names of the migrations run on this database, oldest first (none on a new one). */
  executedMigrations(): Promise<string[]> {
    return executedMigrations(this.db);
  }

  /** The connection the Database session provider uses. */
  sessionDatabase(): SessionDatabase {
    const run = (executor: Kysely<PlatformSchema>): SqlQuery => {
      const placeholders = this.engine === 'sqlite' ? toSqlitePlaceholders : toPostgres;
      return async (text: string, params: readonly SqlValue[]): Promise<readonly SqlRow[]> => {
        const [statement, values] = placeholders(text, params);
        const result = await executor.executeQuery<SqlRow>(CompiledQuery.raw(statement, values));
        return result.rows;
      };
    };
    const listen = this.#engine.connectListener
      ? (channel: string, onNotify: (payload: string) => void) => this.#listenerOf().listen(channel, onNotify)
      : undefined;
    const prepared = this.#engine.queryPrepared;
    return {
      dialect: this.engine,
      description: this.description,
      // PostgreSQL: each statement prepared once per connection; SQLite's connection
      // keeps its statements prepared for every query (engines.ts).
      query: prepared ? (text, params) => prepared(text, params) : run(this.db),
      transaction: (work) => this.db.transaction().execute((trx) => work(run(trx))),
      ...(listen ? { listen } : {}),
    };
  }

  /**
   * Tells the front-end servers that listen that operations wait for them
   * (PostgreSQL's NOTIFY); on SQLite, which has no notifications, they poll.
   */
  async notifyOperations(): Promise<void> {
    if (this.engine === 'postgres') await sql`select pg_notify(${OPERATIONS_CHANNEL}, '')`.execute(this.db);
  }

  /**
   * Calls `onNotify` when `notifyOperations` was called anywhere (also spuriously,
   * when the listening connection broke: look for work either way). `undefined` on
   * SQLite: poll instead.
   */
  listenOperations(onNotify: () => void): Promise<() => Promise<void>> | undefined {
    if (!this.#engine.connectListener) return undefined;
    return this.#listenerOf().listen(OPERATIONS_CHANNEL, () => onNotify());
  }

  #listenerOf(): PostgresListener {
    const connect = this.#engine.connectListener;
    if (!connect) throw new Error('Only PostgreSQL has notifications.');
    this.#listener ??= new PostgresListener(connect, this.#engine.translate);
    return this.#listener;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#listener?.close();
    await this.#connection.release();
  }

  async #checkServer(): Promise<void> {
    if (this.engine !== 'postgres') {
      await sql`select 1`.execute(this.db);
      return;
    }
    const result = await sql<{
      server_version_num: string;
      server_version: string;
    }>`select current_setting('server_version_num') as server_version_num, current_setting('server_version') as server_version`.execute(
      this.db,
    );
    const row = result.rows[0];
    if (row && Number(row.server_version_num) < POSTGRES_MIN_VERSION_NUM)
      throw versionTooOld(this.description, row.server_version);
  }
}

function isPlatformCode(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('TESSERA_PLATFORM_');
}

function toPostgres(text: string, params: readonly SqlValue[]): [string, SqlValue[]] {
  return [text, [...params]];
}

/** Each statement as SQLite takes it, and which parameter each `?` is (the statements are few and fixed). */
const sqliteStatements = new Map<string, { readonly statement: string; readonly order: readonly number[] }>();

/** `$n` placeholders to SQLite's positional `?`, with each parameter repeated where it is. */
function toSqlitePlaceholders(text: string, params: readonly SqlValue[]): [string, SqlValue[]] {
  let converted = sqliteStatements.get(text);
  if (!converted) {
    const order: number[] = [];
    const statement = text.replace(/\$(\d+)/g, (_, index: string) => {
      order.push(Number(index) - 1);
      return '?';
    });
    converted = { statement, order };
    sqliteStatements.set(text, converted);
  }
  return [converted.statement, converted.order.map((index) => params[index] ?? null)];
}
