/**
 * One description per setting. Each group of settings (the Redis session settings,
 * the platform database…) is one table of `SettingSpec`s, from which everything
 * else is derived: the file's schema (`settingsShape`), the command line options
 * (`flagOf`, `flagHelp`, `readSettingText`), the Configuration Tool's fields (label,
 * hint) and the rows of the field table in docs/configuration-tool.md (`docsRows`;
 * a test keeps the page and the tables in step). A new group is a new table and
 * a line in `SETTING_GROUPS`.
 */
import { z } from 'zod';

/**
 * How a setting is written and read:
 * * `text`: one line, never empty (empty on the command line or in a form: unset);
 * * `hosts`: a list of `host:port`;
 * * `integer`: a whole number from `min` (to `max`, when set);
 * * `boolean`: true, false or unset (the default);
 * * `switch`: on or off (`--x` / `--no-x` on the command line); absent is off;
 * * `secret`: encrypted in the file, read from standard input, never shown;
 * * `path`: an absolute file path.
 */
export const SETTING_KINDS = ['text', 'hosts', 'integer', 'boolean', 'switch', 'secret', 'path'] as const;
export type SettingKind = (typeof SETTING_KINDS)[number];

export interface SettingSpec {
  /** The field in the file, inside the group's section: `connectTimeoutMs`. */
  readonly field: string;
  /** Its name where the group has another spelling: the Redis connection string's key (`connectTimeout`). */
  readonly key?: string;
  readonly kind: SettingKind;
  /** The unit of an integer, also in the field's name. */
  readonly unit?: 'ms' | 's';
  readonly min?: number;
  readonly max?: number;
  /** What applies when the setting is absent, as the operator reads it. Absent: nothing (not set). */
  readonly default?: string | number | boolean;
  /** The Configuration Tool's label (the seed's names: Hosts, Use SSL, SSL Host). */
  readonly label: string;
  /** What it does, one sentence without its final period: the command line's help, the field's hint, the docs. */
  readonly help: string;
  /** More for the docs only: how it is stored, checked or shown. */
  readonly note?: string;
  /** Shown under the Configuration Tool's advanced options. */
  readonly advanced?: boolean;
  /** Must be set whenever its group (or its `provider`) is. */
  readonly required?: boolean;
  /** The provider it belongs to, in a group whose settings depend on one (the platform database's). */
  readonly provider?: string;
}

export interface SettingGroup {
  /** The group's section of the file: `session.redis`. */
  readonly section: string;
  readonly settings: readonly SettingSpec[];
}

/** The spec of `field` in `group` (throws for a field the table lacks: a mistake in the code). */
export function specOf(group: SettingGroup, field: string): SettingSpec {
  const spec = group.settings.find((setting) => setting.field === field);
  if (spec === undefined) throw new TypeError(`${group.section} has no setting ${field}.`);
  return spec;
}

// ---------------------------------------------------------------------------
// The file's schema

/** A secret in the file: `{"$encrypted": "v1:…"}`, or plain text (accepted, encrypted on the next save). */
export const storedSecret = z.union([z.string(), z.strictObject({ $encrypted: z.string() })]);
export type StoredSecret = z.infer<typeof storedSecret>;

const nonEmpty = z.string().min(1);

function schemaOf(spec: SettingSpec): z.ZodType {
  switch (spec.kind) {
    case 'text':
    case 'path':
      return nonEmpty;
    case 'hosts':
      return z.array(nonEmpty).min(1);
    case 'integer': {
      const least = z.int().min(spec.min ?? Number.MIN_SAFE_INTEGER);
      return spec.max === undefined ? least : least.max(spec.max);
    }
    case 'boolean':
    case 'switch':
      return z.boolean();
    case 'secret':
      return storedSecret;
  }
}

/** The value type of a setting of kind `K` in the file. */
type FileValue<K extends SettingKind> = K extends 'text' | 'path'
  ? string
  : K extends 'hosts'
    ? string[]
    : K extends 'integer'
      ? number
      : K extends 'boolean' | 'switch'
        ? boolean
        : StoredSecret;

/** The zod shape `settingsShape` makes of the settings `T` (a table written `as const`). */
export type SettingsShape<T extends readonly SettingSpec[]> = {
  [S in T[number] as S['field']]: S extends { readonly required: true }
    ? z.ZodType<FileValue<S['kind']>>
    : z.ZodOptional<z.ZodType<FileValue<S['kind']>>>;
};

/** The zod shape of `settings` in the file: each field of its kind, optional unless required. */
export function settingsShape<const T extends readonly SettingSpec[]>(settings: T): SettingsShape<T> {
  return Object.fromEntries(
    settings.map((spec) => [spec.field, spec.required ? schemaOf(spec) : schemaOf(spec).optional()]),
  ) as SettingsShape<T>;
}

// ---------------------------------------------------------------------------
// The command line

/** `connectTimeoutMs` → `connect-timeout-ms`. */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** The option that sets `spec` (a secret's: `--password-stdin`; a switch's `--no-…` is its opposite). */
export function flagOf(spec: SettingSpec): string {
  return spec.kind === 'secret' ? `--${kebab(spec.field)}-stdin` : `--${kebab(spec.field)}`;
}

/** The commander flags of `spec`, with its value placeholder: `--connect-timeout-ms <n>`. */
export function flagSyntax(spec: SettingSpec): string {
  const placeholder: Record<SettingKind, string> = {
    text: ' <value>',
    hosts: ' <list>',
    integer: ' <n>',
    boolean: ' <true|false>',
    switch: '',
    secret: '',
    path: ' <file>',
  };
  return `${flagOf(spec)}${placeholder[spec.kind]}`;
}

/** The default of `spec` as plain text (no Markdown), for the command line and the Configuration Tool; undefined when none. */
export function shownDefault(spec: SettingSpec): string | undefined {
  return spec.default === undefined ? undefined : String(spec.default).replaceAll('`', '');
}

/** The help of `spec`'s option, from its help, unit and default. */
export function flagHelp(spec: SettingSpec, group: string): string {
  const prefix = spec.provider !== undefined ? `${spec.provider}: ` : spec.advanced ? 'advanced: ' : '';
  if (spec.kind === 'secret') {
    return `${prefix}read the ${group} ${spec.label.toLowerCase()} from standard input (never give it on the command line)`;
  }
  const fallback = shownDefault(spec);
  const unset =
    spec.kind === 'switch' || spec.required
      ? fallback !== undefined && spec.kind !== 'switch'
        ? ` (default ${fallback})`
        : ''
      : ` ("" for ${fallback !== undefined ? `the default: ${fallback}` : 'none'})`;
  return `${prefix}${spec.label}: ${spec.help}${unitPhrase(spec)}${unset}`;
}

/** What a value of `spec` must be, after "must be": `a whole number of at least 1`, `true or false`. */
export function expects(spec: SettingSpec): string {
  if (spec.kind === 'boolean' || spec.kind === 'switch') return 'true or false';
  if (spec.kind === 'integer') {
    const min = spec.min ?? Number.MIN_SAFE_INTEGER;
    return spec.max === undefined
      ? `a whole number of at least ${min}`
      : `a whole number from ${min} to ${spec.max}`;
  }
  return 'text';
}

/**
 * Reads the text given for `spec` on the command line or in a form (trimmed;
 * empty means unset, i.e. `undefined`): the value, or `expects(spec)` when the text
 * is not one. Only the value's form is checked here; what the group's own layer
 * refuses (a host name, a client name…) is its validator's to say.
 */
export function readSettingText(
  spec: SettingSpec,
  text: string,
): { readonly ok: true; readonly value: string | number | boolean | undefined } | { readonly ok: false } {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, value: undefined };
  if (spec.kind === 'boolean' || spec.kind === 'switch') {
    if (/^(true|false)$/i.test(trimmed)) return { ok: true, value: trimmed.toLowerCase() === 'true' };
    return { ok: false };
  }
  if (spec.kind === 'integer') {
    const value = /^[+-]?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
    const inRange =
      Number.isSafeInteger(value) &&
      value >= (spec.min ?? Number.MIN_SAFE_INTEGER) &&
      value <= (spec.max ?? Number.MAX_SAFE_INTEGER);
    return inRange ? { ok: true, value } : { ok: false };
  }
  return { ok: true, value: trimmed };
}

// ---------------------------------------------------------------------------
// The docs

function unitPhrase(spec: SettingSpec): string {
  if (spec.unit === undefined) return '';
  return spec.unit === 'ms' ? ', in milliseconds' : ', in seconds';
}

function shown(value: number | boolean): string {
  return `\`${String(value)}\``;
}

/** The row of `spec` in the field table of docs/configuration-tool.md. */
export function docsRow(group: SettingGroup, spec: SettingSpec): string {
  const text = [
    `${spec.provider !== undefined ? `\`${spec.provider}\`: ` : ''}${spec.help}${unitPhrase(spec)}.`,
    ...(spec.default === undefined
      ? []
      : typeof spec.default === 'string'
        ? [`Absent: ${spec.default}.`]
        : [`Default ${shown(spec.default)}.`]),
    ...(spec.note !== undefined ? [spec.note] : []),
    ...(spec.key !== undefined ? [`Connection string: \`${spec.key}\`.`] : []),
  ].join(' ');
  const label = spec.advanced ? `advanced: ${spec.label}` : spec.label;
  return `| \`${group.section}.${spec.field}\` | ${label} | ${text.replaceAll('|', '\\|')} |`;
}

/** Every row of `group` in the field table of docs/configuration-tool.md, in table order. */
export function docsRows(group: SettingGroup): string[] {
  return group.settings.map((spec) => docsRow(group, spec));
}
