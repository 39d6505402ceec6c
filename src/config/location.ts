/**
 * Where this front-end server's configuration file and private key file are.
 *
 * The configuration file is, in order:
 *   1. the `--config PATH` option of the command;
 *   2. the `TESSERA_CONFIG` variable;
 *   3. the default: `/etc/tessera/server.json` when running as root, else
 *      `$XDG_CONFIG_HOME/tessera/server.json` (`~/.config/tessera/server.json`).
 *
 * The private key file is `TESSERA_PRIVATE_KEY`, else `private.key` beside the
 * configuration file.
 */
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const CONFIG_FILE_NAME = 'server.json';
export const PRIVATE_KEY_FILE_NAME = 'private.key';
export const SYSTEM_CONFIG_PATH = '/etc/tessera/server.json';

/** How the configuration file was chosen. */
export type ConfigSource = 'option' | 'environment' | 'default';

export interface ConfigLocation {
  /** Absolute path of the configuration file. */
  readonly path: string;
  readonly source: ConfigSource;
  /** Absolute path of the private key file. */
  readonly privateKeyPath: string;
  readonly privateKeySource: 'environment' | 'beside';
}

export interface LocationOptions {
  /** The `--config` option, if given. */
  readonly path?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** Defaults to the current user's being root. */
  readonly isRoot?: boolean;
}

export function resolveConfigLocation(options: LocationOptions = {}): ConfigLocation {
  const env = options.env ?? process.env;
  const fromEnv = nonEmpty(env.TESSERA_CONFIG);
  const [given, source] =
    nonEmpty(options.path) !== undefined
      ? [options.path!, 'option' as const]
      : fromEnv !== undefined
        ? [fromEnv, 'environment' as const]
        : [defaultConfigPath(env, options.isRoot ?? process.getuid?.() === 0), 'default' as const];
  const path = resolve(given);
  const keyFromEnv = nonEmpty(env.TESSERA_PRIVATE_KEY);
  return {
    path,
    source,
    privateKeyPath:
      keyFromEnv !== undefined ? resolve(keyFromEnv) : join(dirname(path), PRIVATE_KEY_FILE_NAME),
    privateKeySource: keyFromEnv !== undefined ? 'environment' : 'beside',
  };
}

/** The default configuration file: system-wide for root, per user otherwise. */
export function defaultConfigPath(env: NodeJS.ProcessEnv, isRoot: boolean): string {
  if (isRoot) return SYSTEM_CONFIG_PATH;
  const base = nonEmpty(env.XDG_CONFIG_HOME) ?? join(nonEmpty(env.HOME) ?? homedir(), '.config');
  return join(base, 'tessera', CONFIG_FILE_NAME);
}

/** Says in words how the file was chosen, for `tessera config show`. */
export function describeSource(location: ConfigLocation): string {
  switch (location.source) {
    case 'option':
      return 'from --config';
    case 'environment':
      return 'from TESSERA_CONFIG';
    case 'default':
      return 'default location; set TESSERA_CONFIG or --config to use another file';
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
