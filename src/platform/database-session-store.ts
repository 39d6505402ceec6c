import {
  DATABASE_PROVIDER_DEFAULTS,
  DATABASE_PROVIDER_KINDS,
  DatabaseProvider,
  type DatabaseProviderSettings,
  OBJECT,
  requireAddress,
  resolveOptions,
  type SessionStore,
} from '../session/index.ts';
import type { PlatformDatabase } from './platform-database.ts';
import {
  PLATFORM_DATABASE_DEFAULTS,
  PLATFORM_DATABASE_KINDS,
  type PlatformDatabaseOptions,
} from './platform-database-options.ts';

/** Options of `DatabaseSessionStore.connect`; an absent or `undefined` one takes its default. */
export interface DatabaseSessionStoreOptions extends DatabaseProviderSettings, PlatformDatabaseOptions {}

/** `DatabaseSessionStore.connect`'s options checked and frozen (`TESSERA_SESSION_OPTIONS`), before any connection. */
function resolveStoreOptions(options: DatabaseSessionStoreOptions | undefined) {
  return resolveOptions(
    'DatabaseSessionStore.connect',
    {
      ...DATABASE_PROVIDER_DEFAULTS,
      ...PLATFORM_DATABASE_DEFAULTS,
      env: process.env as Readonly<Record<string, string | undefined>>,
    },
    { ...DATABASE_PROVIDER_KINDS, ...PLATFORM_DATABASE_KINDS, env: OBJECT },
    options,
  );
}

/**
 * Sessions in the platform database: a SQLite file (one machine, any number of
 * front-end processes on it) or PostgreSQL (a farm). The schema is created or
 * migrated on connect.
 *
 * ```js
 * const store = await DatabaseSessionStore.connect('postgres://tessera@db.example.com:5432/tessera');
 * app.use(sessionMiddleware({ store }));
 * // …
 * await store.close();
 * ```
 */
export class DatabaseSessionStore implements SessionStore {
  readonly provider: DatabaseProvider;
  readonly database: PlatformDatabase;

  private constructor(database: PlatformDatabase, provider: DatabaseProvider) {
    this.database = database;
    this.provider = provider;
  }

  /**
   * Connects to `sqlite:/path/to/file.db` or `postgres://user@host:5432/database`
   * (the password from the address or `PGPASSWORD`); rejects with
   * `TESSERA_SESSION_OPTIONS` for options it cannot use (before connecting), and
   * with the platform layer's error (`TESSERA_PLATFORM_*`) when it cannot connect.
   */
  static async connect(
    address: string,
    options: DatabaseSessionStoreOptions = {},
  ): Promise<DatabaseSessionStore> {
    requireAddress(
      'DatabaseSessionStore.connect',
      'the platform database address, a string such as ' +
        '"sqlite:/var/lib/tessera/platform.db" or "postgres://tessera@db.example.com:5432/tessera"',
      address,
    );
    const {
      maxWaitersPerSession,
      sweepIntervalMs,
      sweepBatchSize,
      crossProcessPollMs,
      closeTimeoutMs,
      ...databaseOptions
    } = resolveStoreOptions(options);
    // Loaded on demand: applications on another store never load Kysely.
    const { PlatformDatabase } = await import('./platform-database.ts');
    const database = await PlatformDatabase.open(address, databaseOptions);
    return DatabaseSessionStore.fromDatabase(database, {
      maxWaitersPerSession,
      sweepIntervalMs,
      sweepBatchSize,
      crossProcessPollMs,
      closeTimeoutMs,
    });
  }

  /** A store over a database opened elsewhere; `close()` closes it. */
  static fromDatabase(
    database: PlatformDatabase,
    options: DatabaseProviderSettings = {},
  ): DatabaseSessionStore {
    return new DatabaseSessionStore(
      database,
      new DatabaseProvider(database.sessionDatabase(), { ...options, onClose: () => database.close() }),
    );
  }

  close(): Promise<void> {
    return this.provider.close();
  }
}
