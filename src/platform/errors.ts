import { layerError, quoteInput } from '../errors.ts';

/** Stable codes of the platform database layer. Listed in docs/errors.md. */
export const PLATFORM_ERROR_CODES = [
  'TESSERA_PLATFORM_DATABASE_URL',
  'TESSERA_PLATFORM_UNREACHABLE',
  'TESSERA_PLATFORM_NO_ANSWER',
  'TESSERA_PLATFORM_AUTH',
  'TESSERA_PLATFORM_VERSION',
  'TESSERA_PLATFORM_READ_ONLY',
  'TESSERA_PLATFORM_FULL',
  'TESSERA_PLATFORM_BUSY',
  'TESSERA_PLATFORM_SCHEMA_NEWER',
  'TESSERA_PLATFORM_MIGRATION',
  'TESSERA_PLATFORM_PACKAGE_INTEGRITY',
  'TESSERA_PLATFORM_NOT_FOUND',
  'TESSERA_PLATFORM_CONFLICT',
  'TESSERA_PLATFORM_NO_DATABASE',
  'TESSERA_PLATFORM_PERMISSION',
] as const;
export type PlatformErrorCode = (typeof PLATFORM_ERROR_CODES)[number];

/**
 * A problem with the platform database: it cannot be reached or written, its
 * schema is newer than this Tessera, or a stored value is not what it should be.
 * Messages name the database (a file path, or user@host:port/database) and never a
 * password.
 */
export class PlatformError extends layerError<PlatformErrorCode>('PlatformError') {}

/** The database, as messages name it. */
export type DatabaseLabel = string;

export function badDatabaseUrl(reason: string): PlatformError {
  return new PlatformError(
    'TESSERA_PLATFORM_DATABASE_URL',
    `The platform database address ${reason} Write sqlite:/path/to/file.db or postgres://user@host:5432/database (the password from PGPASSWORD).`,
  );
}

/** `fix`: what to do, when the caller knows better than the general advice. */
export function unreachable(database: DatabaseLabel, cause: unknown, fix?: string): PlatformError {
  return new PlatformError(
    'TESSERA_PLATFORM_UNREACHABLE',
    `The platform database ${database} cannot be reached: ${reasonOf(cause)} ${fix ?? "Check that the server runs and accepts connections from this machine (host, port, firewall), or that the file's folder exists; then retry."}`,
    { cause },
  );
}

/**
 * A statement that was sent and never answered: the connection was cut under it
 * (the server terminated the session, the network dropped). The database may have
 * applied it or not; unlike the other codes, "nothing was written" is not known.
 */
export function noAnswer(database: DatabaseLabel, cause: unknown): PlatformError {
  return new PlatformError(
    'TESSERA_PLATFORM_NO_ANSWER',
    `The platform database ${database} did not answer a statement it was sent: ${reasonOf(cause)} It may or may not have been applied. Check that the server runs and that nothing terminates its connections (an administrator, a failover, a proxy's idle timeout); then read the data again before repeating a change.`,
    { cause },
  );
}

export function authFailed(database: DatabaseLabel, cause: unknown): PlatformError {
  return new PlatformError(
    'TESSERA_PLATFORM_AUTH',
    `The platform database ${database} refused the user name or password: ${reasonOf(cause)} Set the user's password in PGPASSWORD (or the server configuration) and check pg_hba.conf allows this host.`,
    { cause },
  );
}

export function versionTooOld(database: DatabaseLabel, version: string): PlatformError {
  return new PlatformError(
    'TESSERA_PLATFORM_VERSION',
    `The platform database ${database} runs PostgreSQL ${version}; Tessera needs PostgreSQL 13 or newer. Upgrade the server, or use SQLite on a single machine.`,
  );
}

export function readOnly(database: DatabaseLabel, cause: unknown): PlatformError {
  return new PlatformError(
    'TESSERA_PLATFORM_READ_ONLY',
    `The platform database ${database} cannot be written: ${reasonOf(cause)} Give the user that runs Tessera write access to the file and its folder (SQLite writes -wal and -shm files beside it), or connect to the primary server rather than a read-only replica.`,
    { cause },
  );
}

export function full(database: DatabaseLabel, cause: unknown): PlatformError {
  return new PlatformError(
    'TESSERA_PLATFORM_FULL',
    `The platform database ${database} is full: ${reasonOf(cause)} Nothing was written. Free disk space on the volume that holds it (expired sessions are swept by themselves), then retry.`,
    { cause },
  );
}

export function busy(database: DatabaseLabel, busyTimeoutMs: number, cause: unknown): PlatformError {
  return new PlatformError(
    'TESSERA_PLATFORM_BUSY',
    `The platform database ${database} stayed locked by another connection for longer than its busy timeout (${busyTimeoutMs} ms): ${reasonOf(cause)} Nothing was written. Look for a process holding a long write transaction on the file (a backup tool, an sqlite3 shell left in a transaction); with many front-end servers writing, use PostgreSQL.`,
    { cause },
  );
}

export function schemaNewer(database: DatabaseLabel, unknown: readonly string[]): PlatformError {
  return new PlatformError(
    'TESSERA_PLATFORM_SCHEMA_NEWER',
    `The platform database ${database} has a newer schema than this Tessera knows (migrations ${unknown.join(', ')}). A newer Tessera upgraded it; nothing was changed. Upgrade this front-end server to the same Tessera version as the others.`,
  );
}

export function migrationFailed(database: DatabaseLabel, migration: string, cause: unknown): PlatformError {
  return new PlatformError(
    'TESSERA_PLATFORM_MIGRATION',
    `Migration ${migration} of the platform database ${database} failed: ${reasonOf(cause)} The database is left as it was before this start. Fix the reason (permissions to create tables, disk space) and start again.`,
    { cause },
  );
}

export function databaseMissing(database: DatabaseLabel, name: string, cause: unknown): PlatformError {
  return new PlatformError(
    'TESSERA_PLATFORM_NO_DATABASE',
    `The platform database ${database} does not exist on that server: ${reasonOf(cause)} Create it (\`createdb -O <user> ${name}\`, or CREATE DATABASE as a superuser), or correct the database name.`,
    { cause },
  );
}

export function noPermission(database: DatabaseLabel, what: string, cause: unknown): PlatformError {
  return new PlatformError(
    'TESSERA_PLATFORM_PERMISSION',
    `The user of the platform database ${database} may not ${what}: ${reasonOf(cause)} Tessera creates its own tables: connect as the database's owner, or GRANT CREATE ON SCHEMA public TO that user.`,
    { cause },
  );
}

function reasonOf(cause: unknown): string {
  const text = cause instanceof Error ? cause.message : String(cause);
  const trimmed = text.trim() || 'no reason given';
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

export function notFound(what: string, name: string): PlatformError {
  return new PlatformError(
    'TESSERA_PLATFORM_NOT_FOUND',
    `There is no ${what} ${quoteInput(name)} in the platform database. Check the name (names are case-sensitive), or create it first.`,
  );
}

export function conflict(what: string, name: string, cause: unknown): PlatformError {
  return new PlatformError(
    'TESSERA_PLATFORM_CONFLICT',
    `A ${what} named ${quoteInput(name)} already exists in the platform database. Choose another name, or change the existing one.`,
    { cause },
  );
}

export function packageIntegrity(sha256: string, reason: string): PlatformError {
  return new PlatformError(
    'TESSERA_PLATFORM_PACKAGE_INTEGRITY',
    `The module package ${sha256} in the platform database is damaged: ${reason} Publish the module again; the damaged bytes are never deployed.`,
  );
}

/** True when `error` is a unique or primary-key violation of either engine. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Runs a write that names a `what` `name`; a unique violation becomes `conflict` (TESSERA_PLATFORM_CONFLICT). */
export async function unlessNameTaken<T>(what: string, name: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(what, name, error);
    throw error;
  }
}
