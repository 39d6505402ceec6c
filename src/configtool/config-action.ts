// What every `tessera config` command of the server configuration shares: the
// --config option, and turning a typed error into a message and an exit code.
import type { Command } from 'commander';
import { ConfigError, type ConfigLocation, resolveConfigLocation } from '../config/index.ts';
import { TesseraError } from '../errors.ts';
import { EXIT_CODES } from '../exit-codes.ts';

export const CONFIG_OPTION_HELP =
  'the server configuration file (default: TESSERA_CONFIG, else /etc/tessera/server.json as root, ' +
  'else ~/.config/tessera/server.json)';

export function addConfigOption(command: Command): Command {
  return command.option('--config <path>', CONFIG_OPTION_HELP);
}

export function locationOf(options: { readonly config?: string | undefined }): ConfigLocation {
  return resolveConfigLocation({ path: options.config, env: process.env });
}

/** A refusal of the command's own options (exit 2), e.g. two options that exclude each other. */
export class UsageError extends Error {}

/**
 * Runs a command body and sets `process.exitCode` to what it returns. A
 * `ConfigError` or another `TesseraError` (e.g. a malformed connection string)
 * is printed as `error (CODE): message` and gives exit 2 (bad input), or 1 when
 * the save itself failed (a concurrent writer, a file that cannot be written).
 */
export function configAction<A extends unknown[]>(
  body: (...args: A) => Promise<number>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = await body(...args);
    } catch (error) {
      if (error instanceof UsageError) {
        process.stderr.write(`error: ${error.message}\n`);
        process.exitCode = EXIT_CODES.badInput;
        return;
      }
      if (!(error instanceof TesseraError)) throw error;
      process.stderr.write(`error (${error.code}): ${error.message}\n`);
      process.exitCode = exitCodeOf(error);
    }
  };
}

/** The exit codes of a command that saves settings in the configuration file, as its help says them. */
export const SAVE_EXIT_CODES =
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

export function exitCodeOf(error: TesseraError): number {
  if (error instanceof ConfigError) {
    if (error.code === 'TESSERA_CONFIG_CONCURRENT_WRITE' || error.code === 'TESSERA_CONFIG_WRITE') {
      return EXIT_CODES.checkFailed;
    }
  }
  return EXIT_CODES.badInput;
}
