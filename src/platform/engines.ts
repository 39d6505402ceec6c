/**
 * The two engines behind Kysely: SQLite through `better-sqlite3` (one file, WAL,
 * `busy_timeout`) and PostgreSQL through a `pg` pool. Each driver is wrapped so
 * that every failure that means "the database cannot serve now" leaves this layer
 * as a `PlatformError` naming the database, whichever query raised it; SQLite
 * transactions begin IMMEDIATE, so two processes writing one file wait for each
 * other (up to the busy timeout) instead of failing when a read upgrades to a write.
 * The drivers are loaded on demand: an application on SQLite never loads `pg`.
 *
 * Kept off the request path: SQLite statements are prepared once per connection and
 * its checkpoints run in a worker thread (sqlite-checkpointer.ts); the session
 * provider's PostgreSQL statements are named prepared statements (`queryPrepared`).
 */

import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type QueryResult,
  SqliteAdapter,
  type SqliteDatabase,
  type TransactionSettings,
} from 'kysely';
import type { DatabaseSettings } from './database-url.ts';
import { authFailed, busy, full, noAnswer, PlatformError, readOnly, unreachable } from './errors.ts';
import { SqliteCheckpointer } from './sqlite-checkpointer.ts';

export interface EngineOptions {
  /** SQLite: how long a statement waits for another connection's write lock, in ms. */
  readonly busyTimeoutMs: number;
  /** PostgreSQL: how long opening a connection may take, in ms. */
  readonly connectTimeoutMs: number;
  /** PostgreSQL: the longest a statement may run, in ms (`statement_timeout`). */
  readonly statementTimeoutMs: number;
  /** PostgreSQL: the most connections of the pool. */
  readonly poolSize: number;
  /** Where `PGPASSWORD` is read. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface Engine {
  readonly dialect: Dialect;
  /**
   * Turns a driver's failure into a `PlatformError` when it means the database cannot
   * serve now; `sent` when the failing call had sent a statement (its answer may be lost).
   */
  readonly translate: (error: unknown, sent?: boolean) => unknown;
  /** PostgreSQL: a new connection outside the pool (for LISTEN). */
  readonly connectListener?: () => Promise<import('pg').Client>;
  /**
   * PostgreSQL: runs one statement of a small fixed set (the session provider's) as a
   * named prepared statement on a pooled connection, parsed and planned once per
   * connection instead of at every run. Failures are translated as `translate` does.
   */
  readonly queryPrepared?: (
    text: string,
    values: readonly (string | number | null)[],
  ) => Promise<readonly Record<string, unknown>[]>;
}

export async function createEngine(
  settings: DatabaseSettings,
  label: string,
  options: EngineOptions,
): Promise<Engine> {
  return settings.engine === 'sqlite'
    ? createSqlite(settings.path, label, options)
    : createPostgres(settings, label, options);
}

async function createSqlite(path: string, label: string, options: EngineOptions): Promise<Engine> {
  const translate = (error: unknown) => translateSqlite(error, path, label, options.busyTimeoutMs);
  const { default: Database } = await import('better-sqlite3');
  const { SqliteDialect } = await import('kysely');
  let database: import('better-sqlite3').Database;
  if (!existsSync(dirname(path)))
    throw unreachable(
      label,
      new Error(`the folder ${dirname(path)} does not exist. Create it, or choose another path.`),
    );
  try {
    database = new Database(path, { timeout: options.busyTimeoutMs });
    database.pragma('journal_mode = WAL');
    // Under WAL, NORMAL syncs the log at checkpoints, not at each commit: a commit
    // survives the process crashing, but the last ones before a power cut or an
    // operating system crash may be lost (the file is never corrupted).
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    // Checkpoints run in a worker thread (SqliteCheckpointer), not inside a request's commit.
    database.pragma('wal_autocheckpoint = 0');
  } catch (error) {
    throw translate(error);
  }
  let checkpointer: SqliteCheckpointer | undefined;
  const inner = new SqliteDialect({ database: preparingOnce(database) });
  return {
    translate,
    dialect: wrapDialect(inner, {
      translate,
      beginSql: 'begin immediate',
      afterInit: () => {
        checkpointer = new SqliteCheckpointer(path, { busyTimeoutMs: options.busyTimeoutMs });
      },
      beforeDestroy: async () => checkpointer?.stop(),
      // SQLite runs DDL inside transactions; the Migrator then holds the write lock
      // for the whole migration, which is what keeps two processes apart.
      adapter: new (class extends SqliteAdapter {
        override get supportsTransactionalDdl(): boolean {
          return true;
        }
      })(),
    }),
  };
}

async function createPostgres(
  settings: Extract<DatabaseSettings, { engine: 'postgres' }>,
  label: string,
  options: EngineOptions,
): Promise<Engine> {
  const translate = (error: unknown, sent = false) => translatePostgres(error, label, sent);
  const { default: pg } = await import('pg');
  const { PostgresDialect } = await import('kysely');
  const config: import('pg').ClientConfig = {
    host: settings.host,
    port: settings.port,
    database: settings.database,
    user: settings.user,
    password: settings.password ?? options.env.PGPASSWORD,
    ssl: settings.ssl ? { rejectUnauthorized: true, servername: settings.host } : false,
    connectionTimeoutMillis: options.connectTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
    query_timeout: options.statementTimeoutMs + options.connectTimeoutMs,
    application_name: 'tessera',
    // 64-bit integers (epoch ms, sizes) as numbers, as SQLite gives them.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === pg.types.builtins.INT8
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  };
  const pool = new pg.Pool({ ...config, max: options.poolSize });
  // An idle connection that the server closes is simply dropped from the pool.
  pool.on('error', () => {});
  // A connection cut while a statement runs emits 'error' on its client as well as
  // failing the statement; unheard, it would crash the process. The statement's
  // failure is what reports it.
  pool.on('connect', (client) => client.on('error', () => {}));
  const inner = new PostgresDialect({ pool });
  const names = new Map<string, string>();
  return {
    translate,
    dialect: wrapDialect(inner, { translate, beginSql: 'begin' }),
    queryPrepared: async (text, values) => {
      let name = names.get(text);
      if (name === undefined) {
        name = `tessera_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
        names.set(text, name);
      }
      let client: import('pg').PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw translate(error);
      }
      let failure: unknown;
      try {
        return (await client.query({ name, text, values: [...values] })).rows;
      } catch (error) {
        failure = error;
        throw translate(error, true);
      } finally {
        // A connection that failed under the statement (not an error the server reported) is not reused.
        client.release(failure instanceof Error && !('severity' in failure) ? failure : undefined);
      }
    },
    connectListener: async () => {
      const client = new pg.Client(config);
      client.on('error', () => {});
      try {
        await client.connect();
      } catch (error) {
        throw translate(error);
      }
      return client;
    },
  };
}

interface Wrapping {
  readonly translate: (error: unknown, sent?: boolean) => unknown;
  readonly beginSql: string;
  readonly adapter?: DialectAdapter;
  /** Runs once the driver is ready (Kysely initialises it at the first query). */
  readonly afterInit?: () => void;
  /** Runs before the driver closes its connections (only after `afterInit`). */
  readonly beforeDestroy?: () => Promise<void>;
}

/** The most statements kept prepared on one SQLite connection; the session provider uses about ten. */
const SQLITE_STATEMENT_CACHE_SIZE = 200;

/**
 * `database` as Kysely's SQLite driver uses it, with each statement prepared once:
 * Kysely prepares the text of every query again, and preparing (parsing, planning)
 * costs more than running the short statements of the session provider. The least
 * recently used statement is dropped past `SQLITE_STATEMENT_CACHE_SIZE`. Kysely runs
 * one query at a time on the connection, so a cached statement is never in use twice;
 * one still being iterated (a streamed query) is prepared anew.
 */
function preparingOnce(database: import('better-sqlite3').Database): SqliteDatabase {
  const statements = new Map<string, import('better-sqlite3').Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string) {
      const cached = statements.get(sql);
      if (cached !== undefined && !cached.busy) {
        // Most recently used last.
        statements.delete(sql);
        statements.set(sql, cached);
        return cached;
      }
      const statement = database.prepare(sql);
      if (cached === undefined) {
        statements.set(sql, statement);
        if (statements.size > SQLITE_STATEMENT_CACHE_SIZE)
          statements.delete(statements.keys().next().value as string);
      }
      return statement;
    },
  };
}

/** `inner` with every driver call's failure translated, and transactions begun with `beginSql`. */
function wrapDialect(inner: Dialect, wrapping: Wrapping): Dialect {
  return {
    createAdapter: () => wrapping.adapter ?? inner.createAdapter(),
    createDriver: () => new TranslatingDriver(inner.createDriver(), wrapping),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createIntrospector: (db) => inner.createIntrospector(db),
  };
}

class TranslatingDriver implements Driver {
  readonly #inner: Driver;
  readonly #wrapping: Wrapping;
  readonly #connections = new WeakMap<DatabaseConnection, DatabaseConnection>();

  constructor(inner: Driver, wrapping: Wrapping) {
    this.#inner = inner;
    this.#wrapping = wrapping;
  }

  /**
   * Runs a driver call; better-sqlite3's calls throw synchronously, so this must be
   * async to catch them. `sent`: the call sends a statement that may change data.
   */
  async #guard<T>(call: () => Promise<T>, sent = false): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw this.#wrapping.translate(error, sent);
    }
  }

  async init(): Promise<void> {
    await this.#guard(() => this.#inner.init());
    this.#wrapping.afterInit?.();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.#guard(() => this.#inner.acquireConnection());
    const wrapped: DatabaseConnection = {
      executeQuery: <R>(query: CompiledQuery): Promise<QueryResult<R>> =>
        this.#guard(() => connection.executeQuery<R>(query), true),
      streamQuery: <R>(query: CompiledQuery, chunkSize?: number) =>
        connection.streamQuery<R>(query, chunkSize),
    };
    this.#connections.set(wrapped, connection);
    return wrapped;
  }

  #unwrap(connection: DatabaseConnection): DatabaseConnection {
    return this.#connections.get(connection) ?? connection;
  }

  beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    return this.#guard(async () => {
      await this.#unwrap(connection).executeQuery(CompiledQuery.raw(this.#wrapping.beginSql));
    });
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#guard(() => this.#inner.commitTransaction(this.#unwrap(connection)), true);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#guard(() => this.#inner.rollbackTransaction(this.#unwrap(connection)));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(this.#unwrap(connection));
  }

  async destroy(): Promise<void> {
    await this.#wrapping.beforeDestroy?.();
    await this.#inner.destroy();
  }
}

function translateSqlite(error: unknown, path: string, label: string, busyTimeoutMs: number): unknown {
  if (error instanceof PlatformError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return error;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return busy(label, busyTimeoutMs, error);
  // SQLite cannot open a file it may not write (nor create its -wal beside it): CANTOPEN, not READONLY.
  if (code.startsWith('SQLITE_READONLY') || (code === 'SQLITE_CANTOPEN' && !writable(path)))
    return readOnly(label, error);
  if (code === 'SQLITE_FULL') return full(label, error);
  if (/^SQLITE_(CANTOPEN|IOERR|NOTADB|CORRUPT|PERM|AUTH)/.test(code)) return unreachable(label, error);
  return error;
}

/** Whether this process may write the file (when it exists) and create files beside it. */
function writable(path: string): boolean {
  try {
    if (existsSync(path)) accessSync(path, constants.W_OK);
    accessSync(dirname(path), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Node's network errors: the server is not there. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);
/** Failures of the `pg` client itself, which carry no code. */
const CLIENT_FAILURE =
  /Connection terminated|Connection ended|timeout exceeded|Query read timeout|connection error|not queryable|Client was closed/i;

/** Node's network errors that can cut a connection after a statement was written to it. */
const CUT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
/** The `pg` client's own failures once a statement is on the wire: the socket closed, or no answer in time. */
const CLIENT_NO_ANSWER = /Connection terminated unexpectedly|Query read timeout/i;

/**
 * `sent`: the statement had been sent. A connection that ends under it then leaves
 * its outcome unknown (the server may have committed and been cut before
 * answering), which is `noAnswer`. A statement the server cancels and reports
 * (`statement_timeout`, 57014) was rolled back: that stays a known failure.
 */
function translatePostgres(error: unknown, label: string, sent: boolean): unknown {
  if (error instanceof PlatformError || !(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  if (sent && answerLost(error, code)) return noAnswer(label, error);
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return unreachable(label, error);
    // SQLSTATE classes: 08 connection exception, 57P0x the server shuts down or starts.
    if (code.startsWith('08') || /^57P0[1-3]$/.test(code) || code === '53300' || code === '3D000')
      return unreachable(label, error);
    if (code === '28P01' || code === '28000') return authFailed(label, error);
    if (code === '25006') return readOnly(label, error);
    if (code === '53100') return full(label, error);
    if (code === '57014' || code === '55P03') return unreachable(label, error);
    return error;
  }
  return CLIENT_FAILURE.test(error.message) ? unreachable(label, error) : error;
}

function answerLost(error: Error, code: unknown): boolean {
  if (typeof code !== 'string') return CLIENT_NO_ANSWER.test(error.message);
  // 57P01 the session was terminated (pg_terminate_backend, a fast shutdown), 57P02 a crash.
  return code === '57P01' || code === '57P02' || CUT_CODES.has(code);
}
