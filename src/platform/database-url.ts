/**
 * Where the platform database is, as an address: `sqlite:/path/to/file.db` (also
 * `sqlite:///path`, and a relative path from the working folder) or
 * `postgres://user[:password]@host[:port]/database[?ssl=true]` (`postgresql://` too).
 * The password may also come from `PGPASSWORD`, so it need not be written in the
 * address. `describeDatabase` names a database for messages, never with its password.
 */
import { isAbsolute, resolve } from 'node:path';
import { badDatabaseUrl } from './errors.ts';

export type DatabaseSettings =
  | { readonly engine: 'sqlite'; readonly path: string }
  | {
      readonly engine: 'postgres';
      readonly host: string;
      readonly port: number;
      readonly database: string;
      readonly user: string;
      /** `undefined`: none given (PGPASSWORD is then read at connect time). */
      readonly password: string | undefined;
      /** Connect over TLS, verifying the server's certificate against the default roots. */
      readonly ssl: boolean;
    };

export const DATABASE_ENGINES = ['sqlite', 'postgres'] as const;
export type DatabaseEngine = (typeof DATABASE_ENGINES)[number];

export const POSTGRES_DEFAULT_PORT = 5432;

export function parseDatabaseUrl(address: string): DatabaseSettings {
  if (address.startsWith('sqlite:')) {
    let path = address.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
    if (path === '') throw badDatabaseUrl('"sqlite:" names no file.');
    return { engine: 'sqlite', path: isAbsolute(path) ? path : resolve(path) };
  }
  if (!/^postgres(ql)?:\/\//.test(address))
    throw badDatabaseUrl('starts with neither "sqlite:" nor "postgres://".');
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw badDatabaseUrl('is not a valid URL.');
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (url.hostname === '') throw badDatabaseUrl('names no host.');
  if (database === '' || database.includes('/'))
    throw badDatabaseUrl('names no database (the path after the host).');
  const port = url.port === '' ? POSTGRES_DEFAULT_PORT : Number(url.port);
  const ssl = url.searchParams.get('ssl') ?? url.searchParams.get('sslmode');
  return {
    engine: 'postgres',
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    database,
    user: decodeURIComponent(url.username) || 'postgres',
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
    ssl: ssl !== null && ssl !== 'false' && ssl !== 'disable',
  };
}

/** The database as messages name it: the file, or user@host:port/database. */
export function describeDatabase(settings: DatabaseSettings): string {
  if (settings.engine === 'sqlite') return `SQLite file ${settings.path}`;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return `PostgreSQL ${settings.user}@${host}:${settings.port}/${settings.database}`;
}
