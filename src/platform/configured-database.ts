// The platform database a server configuration names, as this layer connects to it.
import { type LoadedConfiguration, platformDatabaseOf } from '../config/index.ts';
import type { DatabaseSettings } from './database-url.ts';

/** The database `loaded` names (SQLite beside the configuration file when none is set), password in clear. */
export function databaseSettingsOf(loaded: LoadedConfiguration): DatabaseSettings {
  const settings = platformDatabaseOf(loaded.configuration, loaded.location);
  if (settings.provider === 'sqlite') {
    // platformDatabaseOf gives the default path when none is set.
    return { engine: 'sqlite', path: settings.path ?? '' };
  }
  const { host, port, database, user, password, ssl } = settings;
  return { engine: 'postgres', host, port, database, user, password: password?.reveal(), ssl };
}
