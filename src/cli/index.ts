/**
 * The `tessera` command. Each tool registers its own subcommands; this file only
 * assembles them and turns the outcome into an exit code:
 *
 *   0  everything asked for succeeded
 *   1  a check failed (Test Connection, apply)
 *   2  bad input: an unknown option, a malformed connection string or variable
 */
import { Command, CommanderError } from 'commander';
import { registerConfigCommands } from '../configtool/index.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import { registerModuleCommands, registerServiceCenterCommands } from '../servicecenter/index.ts';
import { packageVersion } from '../version.ts';
import { registerStartCommand } from './start-command.ts';

export { EXIT_CODES } from '../exit-codes.ts';

export function createProgram(): Command {
  const program = new Command('tessera')
    .description(
      'Tessera: a platform server for farms of Node.js front-end servers, with sessions shared\n' +
        'in memory, in the platform database, or in Redis 6+ over TLS with client certificates.',
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .showSuggestionAfterError(true)
    .exitOverride();
  registerStartCommand(program);
  registerConfigCommands(program);
  registerServiceCenterCommands(program);
  registerModuleCommands(program);
  program.addHelpText(
    'after',
    '\nDocumentation: docs/redis-tls.md (Redis over TLS), docs/errors.md (every error code).\n' +
      'Run `tessera <command> --help` for the options of a command.',
  );
  return program;
}

/** Runs the command line and returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  program.commands.forEach(exitOverrideEverywhere);
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_CODES.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version are "errors" to commander; they printed already.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')
        return EXIT_CODES.ok;
      if (error.code === 'commander.help') return EXIT_CODES.ok;
      return EXIT_CODES.badInput;
    }
    throw error;
  }
}

function exitOverrideEverywhere(command: Command): void {
  command.exitOverride();
  command.commands.forEach(exitOverrideEverywhere);
}
