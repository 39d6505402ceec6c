import type { Command } from 'commander';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('start this front-end server on its configuration (not yet available: prints what is)')
    .action(() => {
      process.stdout.write(
        [
          'Tessera front-end server',
          '',
          'The front-end server itself is not available yet. What works today:',
          '',
          '  tessera config test-connection --connection-string "<hosts>,ssl=true[,sslHost=…][,password=…]"',
          "      checks a Redis session store over TLS with this server's SERedis_* variables",
          '      (seed step 1 and the Test Connection of step 2). See docs/redis-tls.md.',
          '',
          'Run `tessera --help` for every command.',
          '',
        ].join('\n'),
      );
    });
}
