/**
 * `tessera config apply`: the **Apply and Exit** of the Configuration Tool. Reads
 * and validates the configuration, runs Test Connection for a Redis provider
 * (a failing setting is not applied unless --force), records the applied revision
 * in the file (secrets written in plain text are encrypted on the way), and says
 * what the operator must do next in Service Center (the user's document, step 3).
 */
import type { Command } from 'commander';
import { EXIT_CODES } from '../cli/exit-codes.ts';
import {
  type AppliedRecord,
  appliedState,
  connectionStringFor,
  type LoadedConfiguration,
  loadOrCreatePrivateKey,
  readConfiguration,
  saveConfiguration,
  withApplied,
} from '../config/index.ts';
import { type Check, runTestConnection, type TestConnectionReport } from '../redis/index.ts';
import { addConfigOption, configAction, locationOf } from './config-action.ts';
import { formatCheck, formatReport } from './test-connection-command.ts';

interface ApplyOptions {
  config?: string;
  force?: boolean;
}

export function registerApplyCommand(config: Command): void {
  addConfigOption(
    config
      .command('apply')
      .description(
        'apply the session settings (Apply and Exit): validate, Test Connection for Redis, record the\n' +
          'applied revision, and say what to do next in Service Center',
      ),
  )
    .option('--force', 'apply even if Test Connection fails (the settings are recorded as forced)')
    .addHelpText(
      'after',
      [
        '',
        "Test Connection uses this server's SERedis_* variables, as `tessera config test-connection` does.",
        'Exit codes: 0 applied (or already applied), 1 Test Connection failed: not applied (or the file',
        'changed meanwhile), 2 bad input: the configuration or a SERedis_* variable is wrong.',
      ].join('\n'),
    )
    .action(configAction((options: ApplyOptions) => runApplyCommand(options)));
}

async function runApplyCommand(options: ApplyOptions): Promise<number> {
  const location = locationOf(options);
  const loaded = await readConfiguration(location);
  const { configuration } = loaded;
  const { provider } = configuration.session;
  const out = (text: string) => process.stdout.write(text);
  out(`Applying the session settings of ${location.path} (session provider: ${provider}).\n`);

  let report: TestConnectionReport | undefined;
  if (provider === 'redis') {
    const connectionString = connectionStringFor(configuration, location.path);
    out('\nTest Connection\n');
    const live = process.stdout.isTTY === true;
    let host: string | null | undefined;
    report = await runTestConnection(connectionString, {
      env: process.env,
      ...(live
        ? {
            onCheck: (check: Check) => {
              out(formatCheck(check, check.host !== host));
              host = check.host;
            },
          }
        : {}),
    });
    out(formatReport(report, !live));
    if (!report.ok) {
      const exit = report.failure === 'input' ? EXIT_CODES.badInput : EXIT_CODES.checkFailed;
      if (!options.force) {
        process.stderr.write(
          '\nNot applied: Test Connection failed (the problem and its fix are above). ' +
            'Correct the settings (`tessera config session`) or this server, then run `tessera config apply` again. ' +
            'To apply anyway (e.g. Redis is not reachable from here yet), add --force.\n',
        );
        return exit;
      }
      process.stderr.write('\nWarning: Test Connection failed; applying anyway because of --force.\n');
    }
  }

  const key = await loadOrCreatePrivateKey(location.privateKeyPath);
  const previous = configuration.applied;
  const unchanged = appliedState(configuration, key) === 'current' && loaded.plainTextSecrets.length === 0;
  // A forced apply whose Test Connection now passes is recorded again, without the mark.
  if (unchanged && previous !== undefined && !(previous.forced && report?.ok)) {
    out(
      `\nAlready applied: revision ${previous.revision} at ${previous.at}; the settings have not changed since.\n`,
    );
    out(nextSteps(previous, true));
    return EXIT_CODES.ok;
  }
  const forced = report !== undefined && !report.ok;
  const next = withApplied(configuration, key, { forced });
  const saved: LoadedConfiguration = await saveConfiguration(loaded, next);
  const applied = saved.configuration.applied!;
  out(
    `\nApplied: revision ${applied.revision} recorded in ${location.path}${forced ? ' (forced)' : ''}.\n` +
      (loaded.plainTextSecrets.length > 0
        ? `Encrypted the secrets written in plain text: ${loaded.plainTextSecrets.join(', ')}.\n`
        : ''),
  );
  out(nextSteps(applied, false, previous));
  return EXIT_CODES.ok;
}

const SOLUTION_STEPS = [
  '  1. Open Service Center on one of the front-end servers.',
  '  2. Go to Factory > Solutions.',
  '  3. Select a solution that contains all the modules of the factory (create one if there is none).',
];

/**
 * What the operator does next after `applied`, per the user's document (step 3).
 * `reminder`: the apply was done before (say "if not done yet"). `previous`: the
 * apply before it, to warn when a needed Republish may still be pending.
 */
export function nextSteps(applied: AppliedRecord, reminder: boolean, previous?: AppliedRecord): string {
  const { provider, providerBefore, serviceCenterStep: step } = applied;
  const ifNotDone = reminder ? ' (if not done yet)' : '';
  const farm =
    provider === 'redis'
      ? 'Do steps 1 and 2 (the SERedis_* variables, then these settings) on every front-end server first; then, once for the farm:'
      : 'Apply these settings on every front-end server first; then, once for the farm:';
  const lines = [''];
  if (step === 'none') {
    lines.push(
      provider === 'memory'
        ? 'Nothing to do in Service Center: the modules already use the in-memory session provider.\n' +
            'In-memory sessions are not shared: use this provider only with a single front-end server.'
        : 'Nothing to do in Service Center.',
    );
  } else if (step === 'apply-settings') {
    lines.push(
      `Next${ifNotDone}: Apply Settings in Service Center. The session provider was already ${provider}: the modules only need the new settings.`,
      farm,
      ...SOLUTION_STEPS,
      '  4. On the solution details page, click Apply Settings.',
    );
    if (previous?.serviceCenterStep === 'republish' && previous.provider === provider) {
      lines.push(
        `If the factory has not been republished since revision ${previous.revision} (which changed the session provider to ${provider}), Republish the solution instead: it applies the settings too.`,
      );
    }
  } else {
    lines.push(
      `Next${ifNotDone}: Republish in Service Center. The session provider changed (${providerBefore} → ${provider}): the modules must be republished to use it.`,
      farm,
      ...SOLUTION_STEPS,
      '  4. On the solution details page, Republish the solution (all its modules).',
    );
  }
  return `${lines.join('\n')}\n`;
}
