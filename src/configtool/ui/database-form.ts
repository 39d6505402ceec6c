/**
 * The Platform Database tab's form: what the browser sends, how it is read into
 * the platform database settings, and every problem as a field error shown beside
 * its field. The rules are `tessera config database`'s (`platformDatabaseProblems`):
 * a form that validates here always saves.
 *
 * Field errors name the tab's inputs (`dbHost`, `dbPort`…), apart from the Session
 * tab's. The stored password never goes to the browser: the form says whether to
 * keep it, replace it or clear it.
 */
import { z } from 'zod';
import {
  expects,
  type LoadedConfiguration,
  PLATFORM_DATABASE_PROVIDERS,
  PLATFORM_DATABASE_SETTINGS,
  type PlatformDatabaseSettings,
  POSTGRES_DEFAULT_PORT,
  platformDatabaseProblems,
  readSettingText,
  Secret,
  specOf,
} from '../../config/index.ts';
import { type FieldError, passwordAction } from './session-form.ts';

const MAX_TEXT = 4096;

/** The form the page posts to /api/database/validate and /api/database/test-connection, and in /api/apply. */
const databaseFormSchema = z.strictObject({
  provider: z.string().max(64),
  path: z.string().max(MAX_TEXT).default(''),
  host: z.string().max(MAX_TEXT).default(''),
  port: z.string().max(64).default(''),
  database: z.string().max(MAX_TEXT).default(''),
  user: z.string().max(MAX_TEXT).default(''),
  password: passwordAction.default({ action: 'keep' }),
  ssl: z.boolean().default(false),
});
export type DatabaseForm = z.infer<typeof databaseFormSchema>;

export type DatabaseFormReading =
  | { readonly ok: true; readonly settings: PlatformDatabaseSettings }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

const PORT = specOf(PLATFORM_DATABASE_SETTINGS, 'port');

/** Parses the posted JSON; null when it is not the form's shape. */
export function parseDatabaseForm(body: unknown): DatabaseForm | null {
  const result = databaseFormSchema.safeParse(body);
  return result.success ? result.data : null;
}

/** The input of the tab that shows `field`'s error (`host` → `dbHost`). */
export function databaseField(field: string): string {
  return `db${field.charAt(0).toUpperCase()}${field.slice(1)}`;
}

/**
 * Reads the form into the settings to save, on top of `stored` (as read from the
 * file: its PostgreSQL password is kept when the form says so). An empty SQLite path
 * is the default file beside the configuration.
 */
export function readDatabaseForm(
  form: DatabaseForm,
  stored: PlatformDatabaseSettings | undefined,
): DatabaseFormReading {
  if (!(PLATFORM_DATABASE_PROVIDERS as readonly string[]).includes(form.provider)) {
    return {
      ok: false,
      errors: [
        { field: databaseField('provider'), message: 'Choose a platform database: SQLite or PostgreSQL.' },
      ],
    };
  }
  if (form.provider === 'sqlite') {
    const path = form.path.trim();
    return finish(path === '' ? { provider: 'sqlite' } : { provider: 'sqlite', path }, []);
  }

  const errors: FieldError[] = [];
  const reading = readSettingText(PORT, form.port);
  const port = !reading.ok
    ? Number.NaN
    : typeof reading.value === 'number'
      ? reading.value
      : POSTGRES_DEFAULT_PORT;
  if (Number.isNaN(port))
    errors.push({
      field: databaseField('port'),
      message: `Enter ${expects(PORT)} (empty: ${POSTGRES_DEFAULT_PORT}).`,
    });

  let password: Secret | undefined;
  if (form.password.action === 'keep' && stored?.provider === 'postgres') password = stored.password;
  if (form.password.action === 'replace') {
    if (form.password.value === '') {
      errors.push({
        field: databaseField('password'),
        message: 'Enter the new password, or keep the stored one. To connect without a password, clear it.',
      });
    } else {
      password = new Secret(form.password.value);
    }
  }
  const settings: PlatformDatabaseSettings = {
    provider: 'postgres',
    host: form.host.trim(),
    port: Number.isNaN(port) ? POSTGRES_DEFAULT_PORT : port,
    database: form.database.trim(),
    user: form.user.trim(),
    ...(password !== undefined ? { password } : {}),
    ssl: form.ssl,
  };
  return finish(settings, errors);
}

function finish(settings: PlatformDatabaseSettings, errors: FieldError[]): DatabaseFormReading {
  for (const problem of platformDatabaseProblems(settings)) {
    const field = databaseField(problem.field);
    if (!errors.some((error) => error.field === field)) {
      errors.push({ field, message: capitalize(problem.problem) });
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, settings };
}

/** The tab's starting values, from the file as read. Holds no secret: only whether a password is set. */
export interface DatabaseFormView {
  readonly provider: (typeof PLATFORM_DATABASE_PROVIDERS)[number];
  /** The configured SQLite path; empty for the default. */
  readonly path: string;
  readonly host: string;
  readonly port: string;
  readonly database: string;
  readonly user: string;
  readonly passwordSet: boolean;
  readonly passwordInPlainText: boolean;
  readonly ssl: boolean;
}

export function databaseFormView(loaded: LoadedConfiguration): DatabaseFormView {
  const settings = loaded.configuration.platformDatabase ?? { provider: 'sqlite' };
  if (settings.provider === 'sqlite') {
    return {
      provider: 'sqlite',
      path: settings.path ?? '',
      host: '',
      port: '',
      database: '',
      user: '',
      passwordSet: false,
      passwordInPlainText: false,
      ssl: false,
    };
  }
  return {
    provider: 'postgres',
    path: '',
    host: settings.host,
    port: String(settings.port),
    database: settings.database,
    user: settings.user,
    passwordSet: settings.password !== undefined,
    passwordInPlainText: loaded.plainTextSecrets.some((name) => name.startsWith('platformDatabase.')),
    ssl: settings.ssl,
  };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
