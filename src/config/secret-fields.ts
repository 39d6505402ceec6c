/**
 * The secret settings of the server configuration, and how an operator replaces
 * or removes one whose stored value cannot be decrypted.
 *
 * Replacing or removing a secret never needs its old value (see the `replacing`
 * option of `readConfiguration`), so the commands below work whatever happened to
 * the private key file or the encrypted value: messages about an unreadable
 * secret give them, ready to paste.
 */
import type { ConfigErrorCode } from './errors.ts';
import type { ConfigLocation } from './location.ts';

/**
 * Each secret field (its dotted path, the same in the file and in memory), with the
 * `tessera config` command and options that set and remove it. Reading, writing,
 * redaction and the messages below cover every field listed here.
 */
export const SECRET_FIELDS = {
  'session.redis.password': {
    command: 'session',
    setOption: '--password-stdin',
    clearOption: '--clear-password',
  },
  'platformDatabase.password': {
    command: 'database',
    setOption: '--password-stdin',
    clearOption: '--clear-password',
  },
} as const satisfies Record<string, { command: string; setOption: string; clearOption: string }>;
export type SecretField = keyof typeof SECRET_FIELDS;
export const SECRET_FIELD_NAMES = Object.keys(SECRET_FIELDS) as SecretField[];

/** The value at `field` in `object` (a configuration, or its JSON form); undefined when a level is absent. */
export function valueAt(object: unknown, field: SecretField): unknown {
  let value: unknown = object;
  for (const name of field.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}

/**
 * A copy of `object` with `value` at `field` (removed when undefined), copying each
 * level on the way. The level that holds the field must exist: a secret is never
 * set where its section is absent.
 */
export function withValueAt<T>(object: T, field: SecretField, value: unknown): T {
  const [name, ...rest] = field.split('.') as [string, ...string[]];
  const copy = { ...(object as Record<string, unknown>) };
  if (rest.length === 0) {
    if (value === undefined) delete copy[name];
    else copy[name] = value;
  } else if (typeof copy[name] === 'object' && copy[name] !== null) {
    copy[name] = withValueAt(copy[name], rest.join('.') as SecretField, value);
  }
  return copy as T;
}

/**
 * What to do when the secret `field` of the configuration at `location` cannot be
 * decrypted, for the error `code` that said why.
 */
export function secretRemedy(field: SecretField, location: ConfigLocation, code: ConfigErrorCode): string {
  const { command, setOption, clearOption } = SECRET_FIELDS[field];
  const base = `tessera config ${command}${location.source === 'option' ? ` --config ${shellWord(location.path)}` : ''}`;
  const set = `\`${base} ${setOption}\``;
  const clear = `\`${base} ${clearOption}\``;
  switch (code) {
    case 'TESSERA_CONFIG_PRIVATE_KEY_MISSING':
      return (
        'Restore the private key file saved with this configuration, or enter the secret again: ' +
        `${set} (a new private key file is created; the other settings are kept), or remove it: ${clear}.`
      );
    case 'TESSERA_CONFIG_PRIVATE_KEY_WRONG':
      return (
        'Restore the private key file saved with this configuration, or enter the secret again: ' +
        `${set} (it is then encrypted with the key in ${shellWord(location.privateKeyPath)}; the other settings are kept), or remove it: ${clear}.`
      );
    case 'TESSERA_CONFIG_PRIVATE_KEY_INVALID':
      return (
        `It is needed to decrypt ${field} in ${location.path}: once the key file is moved away, enter the ` +
        `secret again with ${set} (a new private key file is created), or remove it: ${clear}.`
      );
    case 'TESSERA_CONFIG_NOT_A_FILE':
    case 'TESSERA_CONFIG_TOO_LARGE':
      return `It is needed to decrypt ${field} in ${location.path}; or remove the secret: ${clear}.`;
    default:
      return `Enter the secret again: ${set}, or remove it: ${clear}.`;
  }
}

/** `path` as one word of a POSIX shell command. */
export function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}
