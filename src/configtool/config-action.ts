// What every `tessera config` command of the server configuration shares: the
// --config option, reading the configuration it changes, the end of its help, and
// turning a typed error into a message and an exit code.
import type { Command } from 'commander';
import {
  ConfigError,
  type ConfigLocation,
  type LoadedConfiguration,
  readConfiguration,
  resolveConfigLocation,
  type SecretField,
} from '../config/index.ts';
import { TesseraError } from '../errors.ts';
import { commandAction, EXIT_CODES } from '../exit-codes.ts';
import { optionProperty } from './setting-options.ts';

export const CONFIG_OPTION_HELP =
  'the server configuration file (default: TESSERA_CONFIG, else /etc/tessera/server.json as root, ' +
  'else ~/.config/tessera/server.json)';

export function addConfigOption(command: Command): Command {
  return command.option('--config <path>', CONFIG_OPTION_HELP);
}

export function locationOf(options: { readonly config?: string | undefined }): ConfigLocation {
  return resolveConfigLocation({ path: options.config, env: process.env });
}

/**
 * Reads the configuration a command is about to change. When the command replaces
 * or removes the secret `field` (`replaces`), that secret is not decrypted: this is
 * how an operator recovers from a lost or wrong private key file, or a damaged value.
 */
export function readToChange(
  location: ConfigLocation,
  field: SecretField,
  replaces: boolean,
): Promise<LoadedConfiguration> {
  return readConfiguration(location, { replacing: replaces ? [field] : [] });
}

/** A refusal of the command's own options (exit 2), e.g. two options that exclude each other. */
export class UsageError extends Error {}

/**
 * Refuses a call of `tessera config <command>` that gives no option but `--config`:
 * `give` says what it could give.
 */
export function requireChange(options: object, command: string, give: string): void {
  const given = Object.entries(options).filter(([key, value]) => key !== 'config' && value !== undefined);
  if (given.length > 0) return;
  throw new UsageError(
    `Nothing to change. Give ${give} (see \`tessera config ${command} --help\`), ` +
      'or see the settings with `tessera config show`.',
  );
}

/** Refuses `first` and `second` (flags, as `--password-stdin`) given together. */
export function refuseBoth(options: object, first: string, second: string): void {
  const given = options as Readonly<Record<string, unknown>>;
  if (given[optionProperty(first)] === undefined || given[optionProperty(second)] === undefined) return;
  throw new UsageError(`Give ${first} or ${second}, not both.`);
}

/**
 * Runs a command body and sets `process.exitCode` to what it returns. A
 * `ConfigError` or another `TesseraError` (e.g. a malformed connection string)
 * is printed as `error (CODE): message` and gives exit 2 (bad input), or 1 when
 * the save itself failed (a concurrent writer, a file that cannot be written).
 */
export function configAction<A extends unknown[]>(
  body: (...args: A) => Promise<number>,
): (...args: A) => Promise<void> {
  return commandAction(body, (error) => {
    if (error instanceof UsageError)
      return { message: `error: ${error.message}`, exitCode: EXIT_CODES.badInput };
    if (!(error instanceof TesseraError)) return undefined;
    return { message: `error (${error.code}): ${error.message}`, exitCode: exitCodeOf(error) };
  });
}

/** The exit codes of a command that saves settings in the configuration file, as its help says them. */
const SAVE_EXIT_CODES =
  'Exit codes: 0 saved, 1 not saved (the file changed meanwhile, or cannot be written), 2 bad input.';

/**
 * Ends a command's definition: `after` (one line each) is its help after the
 * options, below a blank line, and `body` runs through `configAction`.
 */
export function configCommand<A extends unknown[]>(
  command: Command,
  after: readonly string[],
  body: (...args: A) => Promise<number>,
): Command {
  return command.addHelpText('after', ['', ...after].join('\n')).action(configAction(body));
}

/**
 * `configCommand` for a command that saves settings in the configuration file:
 * its help ends with `after` (examples, notes, what to run next), then its exit codes.
 */
export function saveCommand<A extends unknown[]>(
  command: Command,
  after: readonly string[],
  body: (...args: A) => Promise<number>,
): Command {
  return configCommand(command, [...after, SAVE_EXIT_CODES], body);
}

export function exitCodeOf(error: TesseraError): number {
  if (error instanceof ConfigError) {
    if (error.code === 'TESSERA_CONFIG_CONCURRENT_WRITE' || error.code === 'TESSERA_CONFIG_WRITE') {
      return EXIT_CODES.checkFailed;
    }
  }
  return EXIT_CODES.badInput;
}
