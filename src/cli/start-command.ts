import type { Command } from 'commander';
import { CONFIG_OPTION_HELP, configAction } from '../configtool/config-action.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import { serviceCenterUrl, startFrontendServer } from '../frontend/index.ts';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description(
      'start this front-end server: its workers serve every module published to the farm,\n' +
        'and it carries out the farm’s operations (publish, Apply Settings, Republish)',
    )
    .option('--config <path>', CONFIG_OPTION_HELP)
    .option('--pretty', 'logs as readable lines instead of JSON')
    .addHelpText(
      'after',
      [
        '',
        'Settings: `tessera config frontend` (name, address, port, workers), `tessera config database`',
        '(the platform database shared by the farm). Logs: JSON lines on standard output.',
        'SIGTERM or SIGINT drains the workers and exits 0; a second signal exits at once.',
        'See docs/frontend-server.md.',
      ].join('\n'),
    )
    .action(
      configAction(async (options: { config?: string; pretty?: boolean }) => {
        const server = await startFrontendServer({
          configPath: options.config,
          pretty: options.pretty ?? false,
        });
        process.stdout.write(
          `Front-end server ${server.name} ready at ${server.url}\nService Center: ${serviceCenterUrl(server.url)}\n`,
        );
        const first = server.firstAdministrator;
        if (first !== null) {
          process.stdout.write(
            `Service Center's first administrator: ${first.name}, password ${first.password}\n` +
              '  (shown this once and stored only as a hash: keep it, or set another with\n' +
              `  \`tessera servicecenter user reset-password ${first.name}\`)\n`,
          );
        }
        await new Promise<void>((resolve) => {
          let signalled = false;
          const onSignal = (signal: NodeJS.Signals) => {
            if (signalled) {
              server.log.warn({ signal }, 'second signal: exiting at once');
              server.kill();
              process.exit(EXIT_CODES.checkFailed);
            }
            signalled = true;
            server.log.info({ signal }, 'signal: draining, then exiting');
            server.stop().then(resolve, (error: unknown) => {
              server.log.error({ err: error }, 'stopping failed');
              resolve();
            });
          };
          process.on('SIGTERM', onSignal);
          process.on('SIGINT', onSignal);
        });
        return EXIT_CODES.ok;
      }),
    );
}
