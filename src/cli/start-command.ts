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
          '  tessera config ui                 the Configuration Tool in the browser (Session tab)',
          "  tessera config show               this server's configuration (secrets redacted)",
          '  tessera config session --provider redis --hosts "h1:6380,h2:6380" --use-ssl --password-stdin',
          '                                    choose the Redis session provider (step 2 of Enable SSL for Redis)',
          "  tessera config test-connection    check Redis over TLS with this server's SERedis_* variables",
          '  tessera config database --provider sqlite|postgres …',
          '                                    choose the platform database (SQLite by default, PostgreSQL for farms)',
          '  tessera config test-connection --database',
          '                                    check the platform database step by step',
          '  tessera config apply              apply the settings, and say what to do next in Service Center',
          '',
          'Applications use the session engine as a library (memory, database or Redis): see docs/sessions.md.',
          'Operators: docs/redis-tls.md, docs/configuration-tool.md and docs/platform-database.md.',
          '`tessera --help` lists every command.',
          '',
        ].join('\n'),
      );
    });
}
