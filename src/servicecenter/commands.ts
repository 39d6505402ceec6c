/**
 * The `tessera` commands of Service Center, for scripts: `solution`, `frontend
 * list`, `operation show`, `servicecenter user` and `module` (module-commands.ts). Each works on any front-end
 * server from its server configuration (`--config`, as the Configuration Tool),
 * calls the same service layer as the console and the API, prints people's text or
 * `--json`, and exits 0 on success, 1 when an operation failed on any front-end
 * server (named in the output), 2 on bad input (an unknown solution, module or id).
 */
import { hostname, userInfo } from 'node:os';
import type { Command } from 'commander';
import { readConfiguration, resolveConfigLocation } from '../config/index.ts';
import { hasErrorCode, type TesseraError } from '../errors.ts';
import { commandAction, EXIT_CODES } from '../exit-codes.ts';
import { databaseSettingsOf, PlatformDatabase } from '../platform/index.ts';
import { badInput } from './errors.ts';
import type { FarmView } from './farm-view.ts';
import type { OperationView } from './operation-view.ts';
import { OperationsService } from './operations-service.ts';
import { type Actor, operationsStarter, ServiceCenter } from './service-center.ts';
import { addUser, removeUser, resetPassword, SERVICE_CENTER_ROLES } from './users.ts';

export const COMMAND_DEFAULTS = {
  /** How often a command waiting for an operation reads it again. */
  pollMs: 500,
} as const;

export interface CommonOptions {
  readonly config?: string;
  readonly json?: boolean;
}

/** The options of a command that starts an operation (`--no-wait`). */
export interface WaitOptions extends CommonOptions {
  readonly wait?: boolean;
}

const CONFIG_HELP =
  'the server configuration file (default: TESSERA_CONFIG, else /etc/tessera/server.json as root, else ~/.config/tessera/server.json)';

export function common(command: Command): Command {
  return command.option('--config <path>', CONFIG_HELP).option('--json', 'print JSON for scripts');
}

/** The action of a `user <name>` command: `body` on the platform database, then exit 0. */
function userAction<O extends CommonOptions>(
  body: (database: PlatformDatabase, name: string, options: O) => Promise<void>,
): (name: string, options: O) => Promise<void> {
  return action(async (name: string, options: O) =>
    withServiceCenter(options, async (_service, database) => {
      await body(database, name, options);
      return EXIT_CODES.ok;
    }),
  );
}

/** Who runs the command, as the audit log records it. */
export function commandActor(): Actor {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No user name (a container without /etc/passwd entry): "unknown".
  }
  return { user: `${user} (command line)`, from: `command line on ${hostname()}` };
}

export async function withServiceCenter<T>(
  options: CommonOptions,
  body: (service: ServiceCenter, database: PlatformDatabase) => Promise<T>,
): Promise<T> {
  const loaded = await readConfiguration(resolveConfigLocation({ path: options.config, env: process.env }));
  const database = await PlatformDatabase.open(databaseSettingsOf(loaded), { env: process.env });
  try {
    // The operations service notifies the front-end servers and fails those that stop answering.
    const starter = operationsStarter(new OperationsService(database), database);
    return await body(new ServiceCenter({ database, starter }), database);
  } finally {
    await database.close();
  }
}

/** Runs a command body; a Tessera error is printed with its code (exit 2 for bad input, else 1). */
export function action<A extends unknown[]>(
  body: (...args: A) => Promise<number>,
): (...args: A) => Promise<void> {
  return commandAction(body, (error) => {
    if (!hasErrorCode(error, { prefix: 'TESSERA_' })) return undefined;
    const { code, message } = error as TesseraError;
    // A module package that does not validate is bad input too.
    const badInput = BAD_INPUT_CODES.has(code) || code.startsWith('TESSERA_MODULE_');
    return {
      message: `error (${code}): ${message}`,
      exitCode: badInput ? EXIT_CODES.badInput : EXIT_CODES.checkFailed,
    };
  });
}

const BAD_INPUT_CODES: ReadonlySet<string> = new Set([
  'TESSERA_SERVICECENTER_INPUT',
  'TESSERA_SERVICECENTER_EMPTY_SOLUTION',
  'TESSERA_SERVICECENTER_OPERATION_RUNNING',
  'TESSERA_PLATFORM_NOT_FOUND',
  'TESSERA_PLATFORM_CONFLICT',
  'TESSERA_CONFIG_INVALID',
]);

export function print(options: CommonOptions, json: unknown, text: string): void {
  process.stdout.write(
    options.json ? `${JSON.stringify(json, null, 2)}\n` : text.endsWith('\n') ? text : `${text}\n`,
  );
}

export function registerServiceCenterCommands(program: Command): void {
  registerSolutionCommands(program);
  registerFrontendCommands(program);
  registerOperationCommands(program);
  registerUserCommands(program);
}

function registerSolutionCommands(program: Command): void {
  const solution = program
    .command('solution')
    .description('Service Center solutions: named sets of modules to apply settings to or republish');
  common(solution.command('create <name>'))
    .description('create a solution')
    .option('--all-modules', 'with every module in the factory')
    .action(
      action(async (name: string, options: CommonOptions & { allModules?: boolean }) =>
        withServiceCenter(options, async (service) => {
          const created = await service.createSolution(commandActor(), {
            name,
            allModules: options.allModules === true,
          });
          print(
            options,
            created,
            `Solution ${created.name} created with ${created.modules.length} module${created.modules.length === 1 ? '' : 's'}${created.modules.length ? `: ${created.modules.map((m) => m.name).join(', ')}` : ''}.`,
          );
          return EXIT_CODES.ok;
        }),
      ),
    );
  common(solution.command('add-modules <name> <modules...>'))
    .description('add modules to a solution')
    .action(
      action(async (name: string, modules: string[], options: CommonOptions) =>
        withServiceCenter(options, async (service) => {
          const updated = await service.addModules(commandActor(), name, { modules });
          print(
            options,
            updated,
            `Solution ${updated.name}: ${updated.modules.map((m) => m.name).join(', ')}.`,
          );
          return EXIT_CODES.ok;
        }),
      ),
    );
  common(solution.command('list'))
    .description('list the solutions and their modules')
    .action(
      action(async (options: CommonOptions) =>
        withServiceCenter(options, async (service) => {
          const solutions = await service.solutions();
          print(
            options,
            { solutions },
            solutions.length === 0
              ? 'No solution yet: tessera solution create NAME --all-modules'
              : solutions.map((s) => `${s.name}: ${s.modules.join(', ') || 'no module'}`).join('\n'),
          );
          return EXIT_CODES.ok;
        }),
      ),
    );
  for (const [verb, label] of [
    [
      'apply-settings',
      'Apply Settings: regenerate the modules’ configuration on every front-end server and reload',
    ],
    [
      'republish',
      'Republish: redeploy the running versions of the modules (needed when the session provider changed)',
    ],
  ] as const) {
    common(solution.command(`${verb} <name>`))
      .description(label)
      .option('--no-wait', 'print the operation id and return without waiting for it to end')
      .action(
        action(async (name: string, options: WaitOptions) =>
          withServiceCenter(options, async (service) => {
            const actor = commandActor();
            const started =
              verb === 'apply-settings'
                ? await service.applySettings(actor, name)
                : await service.republish(actor, name);
            if (options.wait === false) {
              print(
                options,
                started,
                `Operation ${started.id} (${started.label}) started: tessera operation show ${started.id}`,
              );
              return EXIT_CODES.ok;
            }
            if (!options.json) process.stdout.write(`Operation ${started.id} (${started.label}) started.\n`);
            const ended = await waitForOperation(service, started.id, options.json !== true);
            print(options, ended, operationText(ended));
            return ended.state === 'succeeded' ? EXIT_CODES.ok : EXIT_CODES.checkFailed;
          }),
        ),
      );
  }
}

/**
 * Waits for the operation as `tessera module …` does (the operations service fails the
 * steps of a front-end that stops answering, and gives up after its wait timeout); on a
 * terminal, prints each step as it changes meanwhile.
 */
async function waitForOperation(
  service: ServiceCenter,
  id: number,
  showProgress: boolean,
): Promise<OperationView> {
  const seen = new Map<string, string>();
  const tty = showProgress && process.stdout.isTTY === true;
  let ended = false;
  const waiting = new OperationsService(service.database).waitForOperation(id).finally(() => {
    ended = true;
  });
  // Its failure is thrown below, once the progress loop stops.
  waiting.catch(() => undefined);
  while (!ended) {
    if (tty) {
      for (const step of (await service.operation(id)).steps) {
        const key = `${step.frontend}/${step.module}`;
        if (seen.get(key) === step.state) continue;
        seen.set(key, step.state);
        process.stdout.write(`  ${step.frontend}  ${step.module}  ${step.state}\n`);
      }
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      waiting,
      new Promise((resolve) => {
        timer = setTimeout(resolve, COMMAND_DEFAULTS.pollMs);
      }),
    ]);
    clearTimeout(timer);
  }
  await waiting;
  return service.operation(id);
}

function operationText(operation: OperationView): string {
  const lines = [
    `Operation ${operation.id}: ${operation.label}${operation.solution ? ` of ${operation.solution}` : ''}, requested by ${operation.requestedBy} at ${operation.requestedAt}`,
    `State: ${operation.state}`,
    ...operation.steps.map(
      (step) => `  ${step.frontend}  ${step.module}  ${step.state}${step.error ? `  ${step.error}` : ''}`,
    ),
    operation.summary,
    ...operation.failures.map((failure) => `✘ ${failure}`),
  ];
  return lines.join('\n');
}

function registerOperationCommands(program: Command): void {
  const operation = program
    .command('operation')
    .description('Service Center operations (publish, Apply Settings, Republish)');
  common(operation.command('show <id>'))
    .description('show an operation: its state per front-end server and module, and any failure')
    .action(
      action(async (id: string, options: CommonOptions) => {
        if (!/^[1-9][0-9]{0,15}$/.test(id))
          throw badInput('ID', 'an operation id is a whole number, e.g. 12.');
        return withServiceCenter(options, async (service) => {
          const shown = await service.operation(Number(id));
          print(options, shown, operationText(shown));
          return shown.state === 'failed' ? EXIT_CODES.checkFailed : EXIT_CODES.ok;
        });
      }),
    );
}

function farmText(view: FarmView): string {
  if (view.frontends.length === 0) return 'No front-end server registered: start one with tessera start.';
  const lines = view.frontends.flatMap((fe) => {
    const session = fe.session;
    const settings =
      session === null
        ? 'settings unknown'
        : [
            session.provider,
            session.hosts.length ? session.hosts.join(',') : null,
            session.provider === 'redis' ? `Use SSL ${session.useSsl ? 'on' : 'off'}` : null,
            session.useSsl ? `SSL Host ${session.sslHost ?? "each host's own name"}` : null,
            session.clientCertificate
              ? `certificate ${session.clientCertificate.subject} (expires ${session.clientCertificate.notAfter.slice(0, 10)})`
              : null,
          ]
            .filter(Boolean)
            .join(', ');
    return [
      `${fe.name}  ${fe.state}  ${fe.address}  ${fe.version ?? '?'}  ${settings}`,
      ...fe.drift.map((d) => `  ⚠ drift: ${d}`),
    ];
  });
  lines.push(view.drift ? 'Drift: make the configuration the same on every front-end server.' : 'No drift.');
  return lines.join('\n');
}

function registerFrontendCommands(program: Command): void {
  const frontend = program.command('frontend').description('the front-end servers of the farm');
  common(frontend.command('list'))
    .description('list the front-end servers with their state, session settings fingerprint and drift')
    .action(
      action(async (options: CommonOptions) =>
        withServiceCenter(options, async (service) => {
          const farm = await service.farm();
          const warnings = [...farm.notes.values()].flatMap((notes) => notes.warnings);
          print(options, farm.view, [farmText(farm.view), ...warnings.map((w) => `⚠ ${w}`)].join('\n'));
          return EXIT_CODES.ok;
        }),
      ),
    );
}

function registerUserCommands(program: Command): void {
  const user = program
    .command('servicecenter')
    .description('Service Center itself')
    .command('user')
    .description('Service Center users (administrator: changes; viewer: sees everything, changes nothing)');
  common(user.command('add <name>'))
    .description('add a user; prints the generated password once')
    .option('--role <role>', `${SERVICE_CENTER_ROLES.join(' or ')}`, 'viewer')
    .action(
      userAction(async (database, name, options: CommonOptions & { role: string }) => {
        const password = await addUser(database, commandActor(), { name, role: options.role });
        print(
          options,
          { name, role: options.role, password },
          `User ${name} (${options.role}) added. Password, shown once: ${password}`,
        );
      }),
    );
  common(user.command('reset-password <name>'))
    .description('give a user a new generated password; prints it once')
    .action(
      userAction(async (database, name, options: CommonOptions) => {
        const password = await resetPassword(database, commandActor(), { name });
        print(options, { name, password }, `New password for ${name}, shown once: ${password}`);
      }),
    );
  common(user.command('remove <name>'))
    .description('remove a user (their sessions end at their next request)')
    .action(
      userAction(async (database, name, options: CommonOptions) => {
        await removeUser(database, commandActor(), name);
        print(options, { name, removed: true }, `User ${name} removed.`);
      }),
    );
}
