import {
  connectOptions,
  DATABASE_PROVIDER_DEFAULTS,
  DATABASE_PROVIDER_KINDS,
  DatabaseProvider,
  type DatabaseProviderSettings,
  ProviderSessionStore,
} from '../session/index.ts';
import type { PlatformDatabase } from './platform-database.ts';
import {
  PLATFORM_DATABASE_DEFAULTS,
  PLATFORM_DATABASE_KINDS,
  type PlatformDatabaseOptions,
} from './platform-database-options.ts';

/** Options of `DatabaseSessionStore.connect`; an absent or `undefined` one takes its default. */
export interface DatabaseSessionStoreOptions extends DatabaseProviderSettings, PlatformDatabaseOptions {}

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
export class DatabaseSessionStore extends ProviderSessionStore<DatabaseProvider> {
  readonly database: PlatformDatabase;

  private constructor(database: PlatformDatabase, provider: DatabaseProvider) {
    super(provider);
    this.database = database;
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
    const {
      maxWaitersPerSession,
      sweepIntervalMs,
      sweepBatchSize,
      crossProcessPollMs,
      closeTimeoutMs,
      ...databaseOptions
    } = connectOptions(
      'DatabaseSessionStore.connect',
      'the platform database address, a string such as ' +
        '"sqlite:/var/lib/tessera/platform.db" or "postgres://tessera@db.example.com:5432/tessera"',
      address,
      { ...DATABASE_PROVIDER_DEFAULTS, ...PLATFORM_DATABASE_DEFAULTS },
      { ...DATABASE_PROVIDER_KINDS, ...PLATFORM_DATABASE_KINDS },
      options,
    );
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
}
