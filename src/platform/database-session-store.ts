import { DatabaseProvider, type DatabaseProviderOptions, type SessionStore } from '../session/index.ts';
import { PlatformDatabase, type PlatformDatabaseOptions } from './platform-database.ts';

export interface DatabaseSessionStoreOptions
  extends Omit<DatabaseProviderOptions, 'onClose'>,
    PlatformDatabaseOptions {}

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
   * (the password from the address or `PGPASSWORD`); rejects with the platform
   * layer's error (`TESSERA_PLATFORM_*`) when it cannot.
   */
  static async connect(
    address: string,
    options: DatabaseSessionStoreOptions = {},
  ): Promise<DatabaseSessionStore> {
    const { maxWaitersPerSession, sweepIntervalMs, sweepBatchSize, crossProcessPollMs, ...databaseOptions } =
      options;
    const database = await PlatformDatabase.open(address, databaseOptions);
    return DatabaseSessionStore.fromDatabase(database, {
      maxWaitersPerSession,
      sweepIntervalMs,
      sweepBatchSize,
      crossProcessPollMs,
    });
  }

  /** A store over a database opened elsewhere; `close()` closes it. */
  static fromDatabase(
    database: PlatformDatabase,
    options: Omit<DatabaseProviderOptions, 'onClose'> = {},
  ): DatabaseSessionStore {
    const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
    return new DatabaseSessionStore(
      database,
      new DatabaseProvider(database.sessionDatabase(), { ...defined, onClose: () => database.close() }),
    );
  }

  close(): Promise<void> {
    return this.provider.close();
  }
}
