/**
 * Test Connection for the platform database: the checks a front-end server's use
 * of it depends on, in order, each with what was found or, on failure, what is
 * wrong and what to do. It changes nothing: the probe table lives in a transaction
 * that is rolled back, the test row is deleted, and a SQLite file that did not
 * exist is created for the test only and removed after (`tessera config apply`
 * creates it for good).
 *
 * The checks stop at the first failure: each needs the ones before it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { Kysely, sql } from 'kysely';
import { type DatabaseSettings, describeDatabase } from './database-url.ts';
import { createEngine, type EngineOptions } from './engines.ts';
import {
  databaseMissing,
  noPermission,
  PlatformError,
  schemaNewer,
  unreachable,
  versionTooOld,
} from './errors.ts';
import { executedMigrations, migrationsFor } from './migrations.ts';
import { PLATFORM_DATABASE_DEFAULTS, POSTGRES_MIN_VERSION_NUM } from './platform-database.ts';

/** One check, shaped like the Redis Test Connection's so that both print alike. */
export interface DatabaseCheck {
  /** The database, as messages name it (the heading of the checks). */
  readonly host: string;
  readonly name: string;
  readonly ok: boolean;
  /** What was found; for a failure, what is wrong and what to do. */
  readonly detail: string;
  readonly ms: number;
  /** The error code of a failure. */
  readonly code?: string;
}

export interface DatabaseTestReport {
  readonly ok: boolean;
  readonly checks: readonly DatabaseCheck[];
  /** The first failure's detail, or null. */
  readonly problem: string | null;
  /** `check` when a check failed, null when all passed. */
  readonly failure: 'check' | null;
  /** What the migrations state check found (absent when it did not run). */
  readonly migrations?: MigrationsState;
}

export type MigrationsState =
  | { readonly state: 'current'; readonly count: number }
  | { readonly state: 'pending'; readonly pending: readonly string[] }
  | { readonly state: 'newer'; readonly unknown: readonly string[] };

export interface TestDatabaseOptions {
  /** Called as each check completes. */
  readonly onCheck?: (check: DatabaseCheck) => void;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly connectTimeoutMs?: number;
  readonly busyTimeoutMs?: number;
}

/** The round trips timed by the latency check. */
const LATENCY_ROUND_TRIPS = 5;
/** The rows of the write check, kept apart from sessions by an application key no application has. */
const TEST_APP_KEY = 'tessera:test-connection';

interface Context {
  readonly settings: DatabaseSettings;
  readonly label: string;
  readonly engineOptions: EngineOptions;
  // biome-ignore lint/suspicious/noExplicitAny: the checks run raw SQL, before any schema is known.
  db?: Kysely<any>;
  /** The SQLite file this test created, removed at the end. */
  createdFile?: string;
  migrations?: MigrationsState;
}

interface Step {
  readonly name: string;
  readonly run: (context: Context) => Promise<string>;
}

/** The steps after the engine's own ones: the same SQL checks on both engines. */
const SCHEMA_STEPS: readonly Step[] = [
  { name: 'create tables', run: createTables },
  { name: 'migrations', run: migrationsState },
  { name: 'write, read, delete', run: writeReadDelete },
  { name: 'latency', run: latency },
];

const SQLITE_STEPS: readonly Step[] = [
  { name: 'file reachable', run: sqliteFile },
  { name: 'version', run: sqliteVersion },
  ...SCHEMA_STEPS,
];

const POSTGRES_STEPS: readonly Step[] = [
  { name: 'host reachable', run: hostReachable },
  { name: 'authentication', run: authenticate },
  { name: 'version', run: postgresVersion },
  ...SCHEMA_STEPS,
];

/** Runs every check on the database `settings` name, stopping at the first failure. */
export async function testDatabase(
  settings: DatabaseSettings,
  options: TestDatabaseOptions = {},
): Promise<DatabaseTestReport> {
  const label = describeDatabase(settings);
  const context: Context = {
    settings,
    label,
    engineOptions: {
      ...PLATFORM_DATABASE_DEFAULTS,
      ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
      ...(options.busyTimeoutMs !== undefined ? { busyTimeoutMs: options.busyTimeoutMs } : {}),
      poolSize: 1,
      env: options.env ?? process.env,
    },
  };
  const checks: DatabaseCheck[] = [];
  try {
    for (const step of settings.engine === 'sqlite' ? SQLITE_STEPS : POSTGRES_STEPS) {
      const started = performance.now();
      let check: DatabaseCheck;
      try {
        const detail = await step.run(context);
        check = { host: label, name: step.name, ok: true, detail, ms: elapsed(started) };
      } catch (error) {
        const known = error instanceof PlatformError;
        check = {
          host: label,
          name: step.name,
          ok: false,
          detail: known ? error.message : `unexpected failure: ${messageOf(error)}`,
          ms: elapsed(started),
          ...(known ? { code: error.code } : {}),
        };
      }
      checks.push(check);
      options.onCheck?.(check);
      if (!check.ok) break;
    }
  } finally {
    await context.db?.destroy().catch(() => {});
    if (context.createdFile !== undefined) {
      const file = context.createdFile;
      await Promise.all([file, `${file}-wal`, `${file}-shm`].map((path) => rm(path, { force: true })));
    }
  }
  const first = checks.find((check) => !check.ok);
  return {
    ok: first === undefined,
    checks,
    problem: first?.detail ?? null,
    failure: first ? 'check' : null,
    ...(context.migrations ? { migrations: context.migrations } : {}),
  };
}

// ---------------------------------------------------------------------------
// SQLite

async function sqliteFile(context: Context): Promise<string> {
  const { settings, label } = context;
  if (settings.engine !== 'sqlite') throw new Error('not SQLite');
  const { path } = settings;
  const folder = dirname(path);
  if (!existsSync(folder))
    throw unreachable(
      label,
      new Error(`the folder ${folder} does not exist. Create it, or choose another path.`),
    );
  let found: string;
  if (existsSync(path)) {
    const stats = statSync(path);
    if (!stats.isFile())
      throw unreachable(
        label,
        new Error(`${path} is not a regular file.`),
        'Give the path of the database file itself.',
      );
    found = `${path} exists (${stats.size} bytes)`;
  } else {
    // Created exclusively, so that only a file this test made is removed after it.
    try {
      await (await open(path, 'wx', 0o600)).close();
    } catch (error) {
      throw unreachable(
        label,
        new Error(`cannot create ${path} (${codeOf(error)}).`),
        'Give the user that runs Tessera write access to the folder, or choose another path.',
      );
    }
    context.createdFile = path;
    found = `${path} does not exist yet: its folder is writable (\`tessera config apply\` creates it)`;
  }
  await connectDatabase(context);
  return found;
}

async function sqliteVersion(context: Context): Promise<string> {
  const result = await sql<{ version: string }>`select sqlite_version() as version`.execute(context.db!);
  return `SQLite ${result.rows[0]?.version ?? '(unknown)'}, journal WAL`;
}

// ---------------------------------------------------------------------------
// PostgreSQL

async function hostReachable(context: Context): Promise<string> {
  const { settings, label } = context;
  if (settings.engine !== 'postgres') throw new Error('not PostgreSQL');
  const { host, port } = settings;
  const timeoutMs = context.engineOptions.connectTimeoutMs;
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setTimeout(timeoutMs);
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(
        unreachable(label, new Error(`${address} did not answer within ${timeoutMs} ms (a firewall?).`)),
      );
    });
    socket.once('error', (error) => {
      socket.destroy();
      const code = codeOf(error);
      const [reason, fix] =
        code === 'ECONNREFUSED'
          ? [
              `nothing listens on ${address} (connection refused).`,
              'Check the port, that PostgreSQL runs, and that it listens on this address (listen_addresses in postgresql.conf).',
            ]
          : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
            ? [
                `the host name ${host} does not resolve (${code}).`,
                "Check the host name, and this machine's DNS.",
              ]
            : [
                `${address} cannot be reached (${code}).`,
                'Check the host and port, the network, and that a firewall lets this machine reach it.',
              ];
      reject(unreachable(label, new Error(reason), fix));
    });
  });
  return `${address} accepts connections`;
}

async function authenticate(context: Context): Promise<string> {
  const { settings, label } = context;
  if (settings.engine !== 'postgres') throw new Error('not PostgreSQL');
  try {
    await connectDatabase(context);
  } catch (error) {
    // SQLSTATE 3D000: the server answered, and has no database of that name.
    if (sqlState(error) === '3D000') throw databaseMissing(label, settings.database, causeOf(error));
    throw error;
  }
  const password = settings.password !== undefined ? 'with the configured password' : 'with no password';
  const fromEnv =
    settings.password === undefined && context.engineOptions.env.PGPASSWORD !== undefined
      ? 'with the password from PGPASSWORD'
      : password;
  return `signed in as ${settings.user} to database ${settings.database} ${fromEnv}${settings.ssl ? ', over TLS' : ''}`;
}

async function postgresVersion(context: Context): Promise<string> {
  const result = await sql<{
    num: string;
    version: string;
  }>`select current_setting('server_version_num') as num, current_setting('server_version') as version`.execute(
    context.db!,
  );
  const row = result.rows[0];
  if (!row) throw new Error('the server did not say its version');
  if (Number(row.num) < POSTGRES_MIN_VERSION_NUM) throw versionTooOld(context.label, row.version);
  return `PostgreSQL ${row.version} (13 or newer is needed)`;
}

// ---------------------------------------------------------------------------
// Both engines

async function connectDatabase(context: Context): Promise<void> {
  const engine = await createEngine(context.settings, context.label, context.engineOptions);
  context.db = new Kysely({ dialect: engine.dialect });
  await sql`select 1`.execute(context.db);
}

async function createTables(context: Context): Promise<string> {
  const table = `tessera_probe_${randomBytes(6).toString('hex')}`;
  try {
    await context.db!.transaction().execute(async (trx) => {
      await trx.schema.createTable(table).addColumn('id', 'integer').execute();
      await trx.schema.dropTable(table).execute();
      throw new RolledBack();
    });
  } catch (error) {
    if (error instanceof RolledBack) return 'allowed (tried in a transaction, rolled back)';
    if (sqlState(error) === '42501') throw noPermission(context.label, 'create tables', causeOf(error));
    throw error;
  }
  throw new Error('the probe transaction was not rolled back');
}

async function migrationsState(context: Context): Promise<string> {
  const known = Object.keys(migrationsFor(context.settings.engine));
  const executed = await executedMigrations(context.db!);
  const unknown = executed.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    context.migrations = { state: 'newer', unknown };
    throw schemaNewer(context.label, unknown);
  }
  const pending = known.filter((name) => !executed.includes(name));
  if (pending.length === 0) {
    context.migrations = { state: 'current', count: executed.length };
    return `up to date (${executed.length} migration${executed.length === 1 ? '' : 's'})`;
  }
  context.migrations = { state: 'pending', pending };
  return executed.length === 0
    ? `no schema yet: ${pending.length} migration${pending.length === 1 ? '' : 's'} pending (\`tessera config apply\` creates it)`
    : `${pending.length} pending (${pending.join(', ')}): \`tessera config apply\` runs them`;
}

async function writeReadDelete(context: Context): Promise<string> {
  const db = context.db!;
  const id = randomBytes(16).toString('hex');
  if (context.migrations?.state !== 'current') {
    // No schema yet: the same round trips in a scratch table, rolled back.
    const table = `tessera_probe_${randomBytes(6).toString('hex')}`;
    try {
      await db.transaction().execute(async (trx) => {
        await trx.schema.createTable(table).addColumn('id', 'text').execute();
        await sql`insert into ${sql.table(table)} (id) values (${id})`.execute(trx);
        const read = await sql<{ id: string }>`select id from ${sql.table(table)}`.execute(trx);
        if (read.rows[0]?.id !== id) throw new Error('the row read back differs from the row written');
        await sql`delete from ${sql.table(table)} where id = ${id}`.execute(trx);
        throw new RolledBack();
      });
    } catch (error) {
      if (error instanceof RolledBack) return 'a test row in a scratch table (the schema is not created yet)';
      throw error;
    }
  }
  const now = Date.now();
  await sql`insert into sessions (app_key, id, items, timeout_minutes, created_at_ms, expires_at_ms, version)
    values (${TEST_APP_KEY}, ${id}, ${'{}'}, ${1}, ${now}, ${now + 60_000}, ${1})`.execute(db);
  try {
    const read = await sql<{
      id: string;
    }>`select id from sessions where app_key = ${TEST_APP_KEY} and id = ${id}`.execute(db);
    if (read.rows[0]?.id !== id) throw new Error('the row read back differs from the row written');
  } finally {
    await sql`delete from sessions where app_key = ${TEST_APP_KEY} and id = ${id}`.execute(db);
  }
  return 'a test row in the sessions table, committed and deleted';
}

async function latency(context: Context): Promise<string> {
  const times: number[] = [];
  for (let i = 0; i < LATENCY_ROUND_TRIPS; i += 1) {
    const started = performance.now();
    await sql`select 1`.execute(context.db!);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  return `median ${median.toFixed(2)} ms, max ${times.at(-1)!.toFixed(2)} ms over ${LATENCY_ROUND_TRIPS} round trips`;
}

class RolledBack extends Error {}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

/** The driver's error under a translated one. */
function causeOf(error: unknown): unknown {
  return error instanceof PlatformError && error.cause !== undefined ? error.cause : error;
}

/** The SQLSTATE of a PostgreSQL error, translated or not. */
function sqlState(error: unknown): string | undefined {
  const code = (causeOf(error) as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : messageOf(error);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
