import type { Command } from 'commander';
import { registerApplyCommand } from './apply-command.ts';
import { registerDatabaseCommand } from './database-command.ts';
import { registerFrontendCommand } from './frontend-command.ts';
import { registerSessionCommand } from './session-command.ts';
import { registerShowCommand } from './show-command.ts';
import { registerTestConnectionCommand } from './test-connection-command.ts';
import { registerUiCommand } from './ui/ui-command.ts';

/** `tessera config …`: the Configuration Tool of one front-end server. */
export function registerConfigCommands(program: Command): void {
  const config = program
    .command('config')
    .description("the Configuration Tool: this front-end server's configuration");
  registerShowCommand(config);
  registerSessionCommand(config);
  registerDatabaseCommand(config);
  registerFrontendCommand(config);
  registerTestConnectionCommand(config);
  registerApplyCommand(config);
  registerUiCommand(config);
}
