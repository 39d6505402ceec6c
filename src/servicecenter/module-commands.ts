/**
 * `tessera module …`: publish a module version to the farm, list the modules, and
 * Apply Settings or Republish modules named directly (or `--all`), from the command
 * line. Each goes through Service Center's service layer (`ServiceCenter`), as the
 * console, the API and `tessera solution …` do: the same checks, the same audit
 * entries (`module.publish`, `module.apply-settings`, `module.republish`, by the
 * OS user, `<user> (command line)`), and `module list` shows the console's
 * Factory > Modules, settings pending included.
 */
import type { Command } from 'commander';
import { EXIT_CODES } from '../exit-codes.ts';
import {
  action,
  type CommonOptions,
  commandActor,
  common,
  print,
  type WaitOptions,
  withServiceCenter,
} from './commands.ts';
import type { ModuleView } from './factory-view.ts';
import type { OperationView } from './operation-view.ts';
import { type OperationOutcome, type OperationStarted, OperationsService } from './operations-service.ts';
import type { ServiceCenter } from './service-center.ts';

export function registerModuleCommands(program: Command): void {
  const module = program
    .command('module')
    .description('the modules of the farm: publish, list, Apply Settings, Republish');
  common(module.command('publish <source>'))
    .description(
      'validate a module (a folder or a .tgz of one), store it as its next version, make it the running\n' +
        'version and deploy it to every front-end server that is up; waits and prints a line per front-end',
    )
    .option('--no-wait', 'return once the operation is recorded, without waiting for the front-ends')
    .addHelpText('after', '\nExit codes: 0 deployed everywhere, 1 a front-end failed (named), 2 bad input.')
    .action(
      action(async (source: string, options: WaitOptions) =>
        withServiceCenter(options, async (service) => {
          const started = await service.publishModule(commandActor(), source);
          return report(service, started, options, `${started.module}@${started.version}`);
        }),
      ),
    );
  common(module.command('list'))
    .description(
      'modules, applications, running versions and, per front-end, the deployed version, its settings\n' +
        'revision and whether its settings are pending (as Factory > Modules shows them)',
    )
    .action(
      action(async (options: CommonOptions) =>
        withServiceCenter(options, async (service) => {
          const { modules } = await service.factory();
          print(
            options,
            { modules },
            modules.length === 0
              ? 'No module is published yet: `tessera module publish <folder>`.'
              : modules.map(moduleText).join(''),
          );
          return EXIT_CODES.ok;
        }),
      ),
    );
  for (const [name, kind, description] of [
    [
      'apply-settings',
      'apply-settings',
      'Apply Settings: regenerate the modules’ configuration artifacts on every front-end and reload',
    ],
    [
      'republish',
      'republish',
      'Republish: redeploy the modules’ running versions on every front-end (unpack, artifacts, reload)',
    ],
  ] as const) {
    common(module.command(`${name} [modules...]`))
      .description(description)
      .option('--all', 'every published module')
      .option('--no-wait', 'return once the operation is recorded')
      .action(
        action(async (modules: string[], options: WaitOptions & { all?: boolean }) => {
          if (!options.all && modules.length === 0) {
            process.stderr.write(
              `error: name the modules, or give --all (see \`tessera module ${name} --help\`).\n`,
            );
            return EXIT_CODES.badInput;
          }
          return withServiceCenter(options, async (service) => {
            const view = await service.startOnModules(commandActor(), kind, options.all ? 'all' : modules);
            const started = startedOf(view);
            return report(service, started, options, started.modules.join(', '));
          });
        }),
      );
  }
}

/** A module as `tessera module list` prints it: a line, then one per front-end server. */
function moduleText(module: ModuleView): string {
  const lines = module.frontends.map((f) => {
    const deployed =
      f.deployedVersion === null
        ? 'not deployed'
        : `version ${f.deployedVersion}, settings revision ${f.settingsRevision}${f.settingsPending ? ', settings pending' : ''}`;
    return `  ${f.frontend}: ${deployed}${f.difference === null ? '' : `\n    ${f.difference}`}\n`;
  });
  return `${module.name} (application ${module.application}): running version ${module.runningVersion ?? 'none'}\n${lines.join('')}`;
}

/** What `report` needs of an operation just started on modules. */
function startedOf(view: OperationView): OperationStarted {
  const distinct = (values: readonly string[]) => [...new Set(values)];
  return {
    operationId: view.id,
    kind: view.kind,
    modules: distinct(view.steps.map((step) => step.module)),
    frontends: distinct(view.steps.map((step) => step.frontend)),
  };
}

async function report(
  service: ServiceCenter,
  started: OperationStarted,
  options: WaitOptions,
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
  // The operations service also fails the steps of a front-end that stops answering,
  // and gives a publish that failed everywhere its previous running version back.
  const outcome = await new OperationsService(service.database).waitForOperation(started.operationId);
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
