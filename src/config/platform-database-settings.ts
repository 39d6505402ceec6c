/**
 * The platform database settings of the server configuration: where the default
 * SQLite file is, and what makes a setting unusable before anything connects.
 * Problems name the field and never quote more of a value than `quoteInput` allows.
 */
import { isIPv6 } from 'node:net';
import { dirname, isAbsolute, join } from 'node:path';
import { quoteInput } from '../errors.ts';
import type { ConfigLocation } from './location.ts';
import type { SettingProblem } from './redis-settings.ts';
import {
  DEFAULT_SQLITE_FILE_NAME,
  type PlatformDatabaseSettings,
  type ServerConfiguration,
} from './schema.ts';

/** PostgreSQL's limit on identifiers (database and role names), in bytes. */
const POSTGRES_NAME_MAX_BYTES = 63;

/**
 * The settings in use: the configured ones, SQLite's path always given (the default
 * one, in the folder of the configuration file, when none is set).
 */
export function platformDatabaseOf(
  configuration: ServerConfiguration,
  location: Pick<ConfigLocation, 'path'>,
): PlatformDatabaseSettings {
  const settings = configuration.platformDatabase ?? { provider: 'sqlite' };
  if (settings.provider === 'sqlite' && settings.path === undefined)
    return { provider: 'sqlite', path: defaultSqlitePath(location) };
  return settings;
}

/** `platform.db` beside the configuration file: the server's data folder. */
export function defaultSqlitePath(location: Pick<ConfigLocation, 'path'>): string {
  return join(dirname(location.path), DEFAULT_SQLITE_FILE_NAME);
}

/** Every problem of `settings`, by field (`path`, `host`, `port`, `database`, `user`). */
export function platformDatabaseProblems(settings: PlatformDatabaseSettings): SettingProblem[] {
  const problems: SettingProblem[] = [];
  if (settings.provider === 'sqlite') {
    if (settings.path !== undefined) {
      if (settings.path.includes('\0')) problems.push({ field: 'path', problem: 'holds a NUL character.' });
      else if (!isAbsolute(settings.path))
        problems.push({
          field: 'path',
          problem: `${quoteInput(settings.path)} is not an absolute path: give the whole path of the file.`,
        });
      else if (settings.path.endsWith('/'))
        problems.push({ field: 'path', problem: `${quoteInput(settings.path)} names a folder, not a file.` });
    }
    return problems;
  }
  const host = settings.host;
  if (host.includes(':') && !isIPv6(host) && /:\d+$/.test(host))
    problems.push({
      field: 'host',
      problem: `${quoteInput(host)} holds a port: give the host alone, and the port as its own setting.`,
    });
  else if (host.trim() === '' || /[\s/\\@,?#\0[\]]/.test(host) || (host.includes(':') && !isIPv6(host)))
    problems.push({
      field: 'host',
      problem: `${quoteInput(host)} is not a host name or address (write db.example.com, 10.0.0.5 or ::1; no port, user or scheme).`,
    });
  if (!Number.isInteger(settings.port) || settings.port < 1 || settings.port > 65_535)
    problems.push({
      field: 'port',
      problem: `${quoteInput(String(settings.port))} is not a port (1 to 65535).`,
    });
  for (const field of ['database', 'user'] as const) {
    const value = settings[field];
    if (value.trim() === '' || value.includes('\0'))
      problems.push({ field, problem: 'is empty or holds a NUL character.' });
    else if (Buffer.byteLength(value) > POSTGRES_NAME_MAX_BYTES)
      problems.push({
        field,
        problem: `is ${Buffer.byteLength(value)} bytes long; PostgreSQL names have at most ${POSTGRES_NAME_MAX_BYTES}.`,
      });
  }
  return problems;
}
