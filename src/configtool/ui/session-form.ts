/**
 * The Session tab's form: what the browser sends, how it is read into session
 * settings, and every problem with it as a field error the page shows beside the
 * field. The rules are the command line's (`tessera config session`) and the
 * config layer's: a form that validates here always saves.
 *
 * The stored password never goes to the browser. The form says what to do with
 * it: keep it, replace it with a new value, or clear it.
 */
import { z } from 'zod';
import {
  expects,
  hostProblem,
  type LoadedConfiguration,
  REDIS_ADVANCED_OPTION_NAMES,
  REDIS_SETTINGS,
  type RedisAdvancedOption,
  type RedisSessionSettings,
  readSettingText,
  redisSettingsProblems,
  SESSION_PROVIDERS,
  Secret,
  type SessionProviderName,
  type SessionSettings,
  specOf,
} from '../../config/index.ts';
import { describeNoEffectOptions } from '../../redis/index.ts';

/** A problem with one field of the form: `field` is the input's name (`hosts`, `connectTimeoutMs`…). */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

const MAX_TEXT = 4096;

/** What to do with a stored password: the Session tab's and the Platform Database tab's. */
export const passwordAction = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('keep') }),
  z.strictObject({ action: z.literal('clear') }),
  z.strictObject({ action: z.literal('replace'), value: z.string().max(MAX_TEXT) }),
]);

/** The form the page posts to /api/validate and /api/test-connection, and in /api/apply. */
const sessionFormSchema = z.strictObject({
  provider: z.string().max(64),
  hosts: z.string().max(MAX_TEXT).default(''),
  password: passwordAction.default({ action: 'keep' }),
  user: z.string().max(MAX_TEXT).default(''),
  useSsl: z.boolean().default(false),
  sslHost: z.string().max(MAX_TEXT).default(''),
  advanced: z.record(z.string(), z.string().max(MAX_TEXT)).default({}),
});
export type SessionForm = z.infer<typeof sessionFormSchema>;

/**
 * The JSON the page posts to /api/apply: the form (read by `parseSessionForm`),
 * whether to apply although Test Connection fails, and the id of the page load whose
 * file the form was edited against.
 */
const applyRequestSchema = z.strictObject({
  form: z.unknown(),
  /** The Platform Database tab's form (read by `parseDatabaseForm`); absent: as in the file. */
  database: z.unknown().optional(),
  force: z.boolean().default(false),
  pageId: z.string().max(128),
});
export type ApplyRequest = z.infer<typeof applyRequestSchema>;

/** What reading a form gives: the settings to save, or the problems (never both). */
export type FormReading =
  | { readonly ok: true; readonly session: SessionSettings }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

/** The reason given for a body that is not a Session form at all (not field errors: a broken page). */
export const MALFORMED_FORM = 'The request does not hold the Session form. Reload the page and try again.';

/** Parses the posted JSON; null when it is not the form's shape. */
export function parseSessionForm(body: unknown): SessionForm | null {
  const result = sessionFormSchema.safeParse(body);
  return result.success ? result.data : null;
}

/** Parses the posted JSON of an apply; null when it is not that shape. */
export function parseApplyRequest(body: unknown): ApplyRequest | null {
  const result = applyRequestSchema.safeParse(body);
  return result.success ? result.data : null;
}

/**
 * Reads the form into the session settings to save, on top of `stored` (the
 * settings as read from the file: the stored password, the Redis settings kept
 * while another provider is chosen).
 *
 * With a provider other than Redis, the stored Redis settings are kept as they
 * are (as `tessera config session --provider memory` does): the Redis fields are
 * hidden then, and are neither read nor checked.
 */
export function readSessionForm(form: SessionForm, stored: SessionSettings): FormReading {
  const errors: FieldError[] = [];
  if (!(SESSION_PROVIDERS as readonly string[]).includes(form.provider)) {
    return {
      ok: false,
      errors: [{ field: 'provider', message: 'Choose a session provider: In-memory, Database or Redis.' }],
    };
  }
  const provider = form.provider as SessionProviderName;
  if (provider !== 'redis') {
    return { ok: true, session: { provider, ...(stored.redis ? { redis: stored.redis } : {}) } };
  }

  const hosts = form.hosts
    .split(/[\s,;]+/)
    .map((host) => host.trim())
    .filter((host) => host !== '');
  if (hosts.length === 0) {
    errors.push({ field: 'hosts', message: 'Enter at least one host:port, e.g. redis1.example.com:6380.' });
  } else {
    const problems = hosts.map(hostProblem).filter((problem) => problem !== undefined);
    if (problems.length > 0) errors.push({ field: 'hosts', message: capitalize(problems.join(' ')) });
  }

  let password: Secret | undefined;
  if (form.password.action === 'keep') password = stored.redis?.password;
  if (form.password.action === 'replace') {
    if (form.password.value === '') {
      errors.push({
        field: 'password',
        message: 'Enter the new password, or keep the stored one. To connect without a password, clear it.',
      });
    } else {
      password = new Secret(form.password.value);
    }
  }

  const redis: Record<string, unknown> = { hosts, useSsl: form.useSsl };
  if (password !== undefined) redis.password = password;
  if (form.user.trim() !== '') redis.user = form.user.trim();
  if (form.sslHost.trim() !== '') redis.sslHost = form.sslHost.trim();
  // Not in the form: kept as stored, as the page lists them.
  if (stored.redis?.noEffectOptions !== undefined) redis.noEffectOptions = stored.redis.noEffectOptions;

  for (const [name, text] of Object.entries(form.advanced)) {
    if (!(REDIS_ADVANCED_OPTION_NAMES as readonly string[]).includes(name)) {
      errors.push({ field: name, message: `${name} is not an advanced option of the Session tab.` });
      continue;
    }
    if (text.trim() === '') continue;
    const value = advancedValue(name as RedisAdvancedOption, text.trim());
    if (typeof value === 'object') errors.push({ field: name, message: value.problem });
    else if (value !== undefined) redis[name] = value;
  }

  if (errors.length === 0) {
    // The config layer's own checks (SSL Host syntax, the client name, the password's characters…).
    for (const problem of redisSettingsProblems(redis as unknown as RedisSessionSettings)) {
      const field = problem.field.replace(/\[\d+\]$/, '');
      if (!errors.some((error) => error.field === field)) {
        errors.push({ field, message: capitalize(problem.problem) });
      }
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, session: { provider, redis: redis as unknown as RedisSessionSettings } };
}

function advancedValue(
  name: RedisAdvancedOption,
  text: string,
): string | number | boolean | undefined | { problem: string } {
  const spec = specOf(REDIS_SETTINGS, name);
  const reading = readSettingText(spec, text);
  if (reading.ok) return reading.value;
  if (spec.kind === 'boolean') return { problem: 'Choose true, false, or the default.' };
  return { problem: `Enter ${expects(spec)}, or leave it empty for the default.` };
}

/** The form's starting values, from the file as read. Holds no secret: only whether a password is set. */
export interface SessionFormView {
  readonly provider: SessionProviderName;
  readonly hosts: string;
  readonly passwordSet: boolean;
  /** The stored password is written in plain text in the file (encrypted on the next save). */
  readonly passwordInPlainText: boolean;
  readonly user: string;
  readonly useSsl: boolean;
  readonly sslHost: string;
  readonly advanced: Readonly<Record<RedisAdvancedOption, string>>;
  /** Options of the connection string accepted with no effect here, each with why (kept on save). */
  readonly noEffect: readonly string[];
}

export function sessionFormView(loaded: LoadedConfiguration): SessionFormView {
  const { provider, redis } = loaded.configuration.session;
  const advanced = Object.fromEntries(
    REDIS_ADVANCED_OPTION_NAMES.map((name) => {
      const value = redis?.[name];
      return [name, value === undefined ? '' : String(value)];
    }),
  ) as Record<RedisAdvancedOption, string>;
  return {
    provider,
    hosts: redis?.hosts.join(', ') ?? '',
    passwordSet: redis?.password !== undefined,
    passwordInPlainText: loaded.plainTextSecrets.includes('session.redis.password'),
    user: redis?.user ?? '',
    useSsl: redis?.useSsl ?? false,
    sslHost: redis?.sslHost ?? '',
    advanced,
    noEffect: describeNoEffectOptions(redis?.noEffectOptions),
  };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
