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

/** Each secret field, with the `tessera config session` options that set and remove it. */
export const SECRET_FIELDS = {
  'session.redis.password': { setOption: '--password-stdin', clearOption: '--clear-password' },
} as const;
export type SecretField = keyof typeof SECRET_FIELDS;

/**
 * What to do when the secret `field` of the configuration at `location` cannot be
 * decrypted, for the error `code` that said why.
 */
export function secretRemedy(field: SecretField, location: ConfigLocation, code: ConfigErrorCode): string {
  const session = `tessera config session${location.source === 'option' ? ` --config ${shellWord(location.path)}` : ''}`;
  const set = `\`${session} ${SECRET_FIELDS[field].setOption}\``;
  const clear = `\`${session} ${SECRET_FIELDS[field].clearOption}\``;
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
