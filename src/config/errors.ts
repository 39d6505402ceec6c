import { layerError } from '../errors.ts';

/**
 * Stable codes of the server configuration layer. Listed in docs/errors.md.
 *
 * Whatever the error, the configuration file and the private key file are left
 * exactly as they were: nothing is written until the whole new configuration has
 * been validated and its secrets encrypted.
 */
export const CONFIG_ERROR_CODES = [
  // reading the file
  'TESSERA_CONFIG_UNREADABLE',
  'TESSERA_CONFIG_NOT_A_FILE',
  'TESSERA_CONFIG_TOO_LARGE',
  'TESSERA_CONFIG_SYNTAX',
  'TESSERA_CONFIG_TOO_DEEP',
  'TESSERA_CONFIG_DUPLICATE_FIELD',
  'TESSERA_CONFIG_VERSION',
  'TESSERA_CONFIG_NEWER_VERSION',
  'TESSERA_CONFIG_UNKNOWN_FIELD',
  'TESSERA_CONFIG_INVALID',
  // the private key file and encrypted secrets
  'TESSERA_CONFIG_PRIVATE_KEY_MISSING',
  'TESSERA_CONFIG_PRIVATE_KEY_INVALID',
  'TESSERA_CONFIG_PRIVATE_KEY_WRONG',
  // writing the file
  'TESSERA_CONFIG_CONCURRENT_WRITE',
  'TESSERA_CONFIG_WRITE',
  // using the settings
  'TESSERA_CONFIG_NOT_REDIS',
] as const;
export type ConfigErrorCode = (typeof CONFIG_ERROR_CODES)[number];

/**
 * A problem with the server configuration file, its private key file, or the
 * settings asked for. `path` is the file concerned; `field`, when set, is the
 * dotted path of the setting (`session.redis.hosts[1]`). Never carries a secret.
 */
export class ConfigError extends layerError<ConfigErrorCode, { path: string; field: string }>('ConfigError', [
  'path',
  'field',
]) {}
