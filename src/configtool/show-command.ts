import type { Command } from 'commander';
import { readConfiguration } from '../config/index.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import { addConfigOption, configAction, locationOf } from './config-action.ts';
import { configurationReportJson, formatConfigurationReport, reportContextOf } from './settings-report.ts';

/** `tessera config show [--json]`: the configuration, secrets redacted, and where it was read from. */
export function registerShowCommand(config: Command): void {
  addConfigOption(
    config
      .command('show')
      .description("show this server's configuration (secrets redacted) and where it was read from"),
  )
    .option('--json', 'print it as JSON (secrets as { "set": true, "stored": "encrypted" })')
    .addHelpText(
      'after',
      '\nExit codes: 0 shown, 2 the file cannot be read or is invalid (the message says why).',
    )
    .action(
      configAction(async (options: { config?: string; json?: boolean }) => {
        const loaded = await readConfiguration(locationOf(options));
        const context = await reportContextOf(loaded);
        process.stdout.write(
          options.json
            ? `${JSON.stringify(configurationReportJson(context), null, 2)}\n`
            : formatConfigurationReport(context),
        );
        return EXIT_CODES.ok;
      }),
    );
}
