/**
 * The platform database settings (`platformDatabase`), one line each: the Platform
 * Database tab of the Configuration Tool, `tessera config database`, the file's
 * schema and the docs are derived from this table (see setting-table.ts). Each
 * belongs to one provider; the provider itself is the choice between them.
 */
import type { SettingGroup, SettingSpec } from './setting-table.ts';

/** PostgreSQL's port when none is given. */
export const POSTGRES_DEFAULT_PORT = 5432;

/** The table itself, with its literal types (the schema's field types are derived from them). */
export const PLATFORM_DATABASE_SETTING_SPECS = [
  {
    field: 'path',
    kind: 'path',
    provider: 'sqlite',
    label: 'File',
    help: 'the absolute path of the database file; its folder must exist',
    default: '`platform.db` beside the configuration file',
  },
  {
    field: 'host',
    kind: 'text',
    provider: 'postgres',
    required: true,
    label: 'Host',
    help: 'the host name or address of the server, without a port (db.example.com, 10.0.0.5, ::1)',
  },
  {
    field: 'port',
    kind: 'integer',
    provider: 'postgres',
    required: true,
    min: 1,
    max: 65_535,
    default: POSTGRES_DEFAULT_PORT,
    label: 'Port',
    help: 'the port of the server',
  },
  {
    field: 'database',
    kind: 'text',
    provider: 'postgres',
    required: true,
    label: 'Database',
    help: 'the database name (at most 63 bytes); it must exist, and Tessera creates its tables in it',
  },
  {
    field: 'user',
    kind: 'text',
    provider: 'postgres',
    required: true,
    label: 'User',
    help: 'the role Tessera signs in as (at most 63 bytes), allowed to create tables in the database',
  },
  {
    field: 'password',
    kind: 'secret',
    provider: 'postgres',
    label: 'Password',
    help: "the user's password, a secret",
    default: '`PGPASSWORD` when set, else no password',
    note: 'Stored and handled like `session.redis.password` (encrypted, bound to this field, plain text accepted and encrypted on the next save).',
  },
  {
    field: 'ssl',
    kind: 'switch',
    provider: 'postgres',
    label: 'SSL',
    help: "connect over TLS, verifying the server certificate against Node's default roots and the host name",
    default: false,
  },
] as const satisfies readonly SettingSpec[];

export const PLATFORM_DATABASE_SETTINGS: SettingGroup = Object.freeze({
  section: 'platformDatabase',
  settings: PLATFORM_DATABASE_SETTING_SPECS,
});

/** The settings of one provider, in table order. */
export function settingsOfProvider(provider: string): readonly SettingSpec[] {
  return PLATFORM_DATABASE_SETTINGS.settings.filter((spec) => spec.provider === provider);
}
