/**
 * `tessera module …`: publish a module version to the farm, list the modules, and
 * Apply Settings or Republish from the command line. Each calls the same service
 * layer as Service Center (src/servicecenter/operations-service.ts).
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { readConfiguration } from '../config/index.ts';
import { addConfigOption, configAction, locationOf } from '../configtool/config-action.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import { databaseSettingsOf, PlatformDatabase } from '../platform/index.ts';
import { type OperationOutcome, type OperationStarted, OperationsService } from '../servicecenter/index.ts';

interface CommonOptions {
  config?: string;
  json?: boolean;
  wait?: boolean;
}

export function registerModuleCommands(program: Command): void {
  const module = program
    .command('module')
    .description('the modules of the farm: publish, list, Apply Settings, Republish');
  addConfigOption(module.command('publish <source>'))
    .description(
      'validate a module (a folder or a .tgz of one), store it as its next version, make it the running\n' +
        'version and deploy it to every front-end server that is up; waits and prints a line per front-end',
    )
    .option('--json', 'print the outcome as JSON')
    .option('--no-wait', 'return once the operation is recorded, without waiting for the front-ends')
    .addHelpText('after', '\nExit codes: 0 deployed everywhere, 1 a front-end failed (named), 2 bad input.')
    .action(
      configAction((source: string, options: CommonOptions) =>
        withService(options, async (service) => {
          const started = await service.publishModule(source, { requestedBy: requester() });
          return report(service, started, options, `${started.module}@${started.version}`);
        }),
      ),
    );
  addConfigOption(module.command('list'))
    .description(
      'modules, applications, running versions and, per front-end, the deployed version and settings revision',
    )
    .option('--json', 'print the list as JSON')
    .action(
      configAction((options: CommonOptions) =>
        withService(options, async (service) => {
          const modules = await service.listModules();
          if (options.json) process.stdout.write(`${JSON.stringify({ modules }, null, 2)}\n`);
          else if (modules.length === 0)
            process.stdout.write('No module is published yet: `tessera module publish <folder>`.\n');
          else
            for (const m of modules) {
              process.stdout.write(
                `${m.name} (application ${m.application}): running version ${m.runningVersion ?? 'none'}\n` +
                  m.frontends
                    .map(
                      (f) =>
                        `  ${f.frontend}: version ${f.version}, settings revision ${f.settingsRevision}\n`,
                    )
                    .join(''),
              );
            }
          return EXIT_CODES.ok;
        }),
      ),
    );
  for (const [name, kind, description] of [
    [
      'apply-settings',
      'applySettings',
      'Apply Settings: regenerate the modules’ configuration artifacts on every front-end and reload',
    ],
    [
      'republish',
      'republish',
      'Republish: redeploy the modules’ running versions on every front-end (unpack, artifacts, reload)',
    ],
  ] as const) {
    addConfigOption(module.command(`${name} [modules...]`))
      .description(description)
      .option('--all', 'every module')
      .option('--json', 'print the outcome as JSON')
      .option('--no-wait', 'return once the operation is recorded')
      .action(
        configAction((modules: string[], options: CommonOptions & { all?: boolean }) =>
          withService(options, async (service) => {
            if (!options.all && modules.length === 0) {
              process.stderr.write(
                `error: name the modules, or give --all (see \`tessera module ${name} --help\`).\n`,
              );
              return EXIT_CODES.badInput;
            }
            const started = await service[kind](options.all ? 'all' : modules, { requestedBy: requester() });
            return report(service, started, options, started.modules.join(', '));
          }),
        ),
      );
  }
}

async function withService(
  options: CommonOptions,
  body: (service: OperationsService) => Promise<number>,
): Promise<number> {
  const loaded = await readConfiguration(locationOf(options));
  const database = await PlatformDatabase.open(databaseSettingsOf(loaded));
  try {
    return await body(new OperationsService(database));
  } finally {
    await database.close();
  }
}

async function report(
  service: OperationsService,
  started: OperationStarted,
  options: CommonOptions,
  what: string,
): Promise<number> {
  const out = (text: string) => process.stdout.write(text);
  if (options.wait === false || started.frontends.length === 0) {
    if (options.json) out(`${JSON.stringify({ ...started, outcome: null }, null, 2)}\n`);
    else {
      out(`Operation ${started.operationId} (${started.kind} ${what}) recorded.\n`);
      out(
        started.frontends.length === 0
          ? 'No front-end server is up: each one deploys it when it starts.\n'
          : `Addressed to ${started.frontends.join(', ')}. \`tessera module list\` shows what each runs.\n`,
      );
    }
    return EXIT_CODES.ok;
  }
  const outcome = await service.waitForOperation(started.operationId);
  if (options.json) out(`${JSON.stringify({ ...started, outcome }, null, 2)}\n`);
  else out(formatOutcome(outcome, what));
  return outcome.state === 'succeeded' ? EXIT_CODES.ok : EXIT_CODES.checkFailed;
}

function formatOutcome(outcome: OperationOutcome, what: string): string {
  const width = Math.max(...outcome.frontends.map((f) => f.frontend.length));
  const lines = outcome.frontends.map((f) => {
    const name = f.frontend.padEnd(width);
    if (f.state === 'succeeded') return `${name}  ${what}  ok (${((f.durationMs ?? 0) / 1000).toFixed(1)} s)`;
    if (f.state === 'failed') return `${name}  ${what}  FAILED: ${f.error}`;
    return `${name}  ${what}  still ${f.state} (timed out waiting)`;
  });
  const failed = outcome.frontends.filter((f) => f.state !== 'succeeded').map((f) => f.frontend);
  lines.push(
    failed.length === 0
      ? `Operation ${outcome.operationId} (${outcome.kind}) succeeded on ${outcome.frontends.length} front-end server${outcome.frontends.length === 1 ? '' : 's'}.`
      : `Operation ${outcome.operationId} (${outcome.kind}) failed on ${failed.join(', ')}; the others serve the new version, the failed ones keep serving the previous.`,
  );
  return `${lines.join('\n')}\n`;
}

function requester(): string {
  try {
    return `${userInfo().username} (tessera module)`;
  } catch {
    return 'tessera module';
  }
}
