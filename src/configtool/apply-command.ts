/**
 * `tessera config apply`: the **Apply and Exit** of the Configuration Tool. Reads
 * and validates the configuration, runs Test Connection for a Redis provider
 * (a failing setting is not applied unless --force), records the applied revision
 * in the file (secrets written in plain text are encrypted on the way), and says
 * what the operator must do next in Service Center (the user's document, step 3).
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { CONFIG_VERSION, type LoadedConfiguration, readConfiguration } from '../config/index.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import {
  type DatabaseCheck,
  type DatabaseSettings,
  databaseSettingsOf,
  describeDatabase,
} from '../platform/index.ts';
import type { Check } from '../redis/index.ts';
import { applySession } from './apply.ts';
import { applyPlatformDatabase } from './apply-database.ts';
import { addConfigOption, configCommand, locationOf } from './config-action.ts';
import { formatCheck, formatReport } from './test-connection-command.ts';

interface ApplyOptions {
  config?: string;
  force?: boolean;
}

export function registerApplyCommand(config: Command): void {
  configCommand(
    addConfigOption(
      config
        .command('apply')
        .description(
          'apply the settings (Apply and Exit): validate, Test Connection of the platform database and\n' +
            'create or migrate its schema, Test Connection for Redis, record the applied revision, and say\n' +
            'what to do next in Service Center',
        ),
    ).option(
      '--force',
      "apply even if Redis's Test Connection fails (recorded as forced); never skips the platform database",
    ),
    [
      "Test Connection uses this server's SERedis_* variables, as `tessera config test-connection` does.",
      'The platform database must pass its checks, and its schema is created or migrated, before anything',
      'is applied (see `tessera config test-connection --database`).',
      'Exit codes: 0 applied (or already applied), 1 Test Connection failed, or the platform database',
      'cannot be used: not applied (or the file changed meanwhile), 2 bad input: the configuration or a',
      'SERedis_* variable is wrong.',
    ],
    runApplyCommand,
  );
}

async function runApplyCommand(options: ApplyOptions): Promise<number> {
  const loaded = await readConfiguration(locationOf(options));
  return applyConfiguration(loaded, {
    force: options.force === true,
    out: (text) => process.stdout.write(text),
    live: process.stdout.isTTY === true,
  });
}

/**
 * Applies the configuration `loaded` holds, as `tessera config apply` does, writing
 * its report with `out` (`live`: each check as it completes); resolves to the exit
 * code. Nothing, the platform database included, is touched when the file changed
 * since `loaded` was read (`TESSERA_CONFIG_CONCURRENT_WRITE` is thrown).
 */
export async function applyConfiguration(
  loaded: LoadedConfiguration,
  options: { readonly force: boolean; readonly out: (text: string) => void; readonly live: boolean },
): Promise<number> {
  const { location } = loaded;
  const { provider } = loaded.configuration.session;
  const { out, live } = options;
  out(`Applying the settings of ${location.path} (session provider: ${provider}).\n`);

  const database = databaseSettingsOf(loaded);
  // The default SQLite file lives in the configuration's folder, which the save creates
  // anyway (0700); any other folder is the operator's to create.
  if (database.engine === 'sqlite' && dirname(database.path) === dirname(location.path)) {
    await mkdir(dirname(location.path), { recursive: true, mode: 0o700 }).catch(() => {});
  }
  const checks: Check[] = [];
  let exit: number = EXIT_CODES.ok;
  await applySession(loaded, loaded.configuration.session, {
    force: options.force,
    env: process.env,
    // Once the file is known unchanged since it was read: a database named by a file
    // that changed meanwhile is neither tested nor migrated.
    prepareDatabase: async () => {
      if (!(await applyDatabase(database, live, out))) {
        exit = EXIT_CODES.checkFailed;
        return false;
      }
      if (provider === 'redis') out('\nTest Connection\n');
      return true;
    },
    emit: (event) => {
      if (event.type === 'check') {
        if (live) out(formatCheck(event.check, event.check.host !== checks.at(-1)?.host));
        checks.push(event.check);
      } else if (event.type === 'tested') {
        out(formatReport({ ok: event.ok, checks, problem: null, failure: event.failure }, !live));
        if (!event.ok) {
          exit = event.failure === 'input' ? EXIT_CODES.badInput : EXIT_CODES.checkFailed;
          if (options.force) {
            process.stderr.write('\nWarning: Test Connection failed; applying anyway because of --force.\n');
          }
        }
      } else if (event.type === 'refused') {
        process.stderr.write(
          '\nNot applied: Test Connection failed (the problem and its fix are above). ' +
            'Correct the settings (`tessera config session`) or this server, then run `tessera config apply` again. ' +
            'To apply anyway (e.g. Redis is not reachable from here yet), add --force.\n',
        );
      } else if (event.type === 'applied') {
        exit = EXIT_CODES.ok;
        out(
          event.alreadyApplied
            ? `\nAlready applied: revision ${event.revision} at ${event.at}; the settings have not changed since.\n`
            : `\nApplied: revision ${event.revision} recorded in ${event.path}${event.forced ? ' (forced)' : ''}.\n` +
                (event.backup !== undefined
                  ? `The file was upgraded to version ${CONFIG_VERSION}; the previous one was kept as ${event.backup}.\n`
                  : '') +
                (loaded.plainTextSecrets.length > 0
                  ? `Encrypted the secrets written in plain text: ${loaded.plainTextSecrets.join(', ')}.\n`
                  : ''),
        );
        out(`\n${event.nextSteps}\n`);
      }
    },
  });
  return exit;
}

/** Tests the platform database and creates or migrates its schema; false (and why, on stderr) when it cannot be used. */
async function applyDatabase(
  settings: DatabaseSettings,
  live: boolean,
  out: (text: string) => void,
): Promise<boolean> {
  out(`\nPlatform database: ${describeDatabase(settings)}\n`);
  const outcome = await applyPlatformDatabase(settings, {
    env: process.env,
    ...(live ? { onCheck: (check: DatabaseCheck) => out(formatCheck(check, false)) } : {}),
  });
  const checks = outcome.report.checks.map((check) => ({ ...check, host: null }));
  out(formatReport({ ...outcome.report, checks }, !live));
  if (outcome.ok) {
    out(
      outcome.migrated.length > 0
        ? `Schema created or migrated: ${outcome.migrated.join(', ')}.\n`
        : 'Schema up to date.\n',
    );
    return true;
  }
  process.stderr.write(
    `\nNot applied: the platform database cannot be used${outcome.error ? `: ${outcome.error.message}` : ' (the problem and its fix are above)'}. ` +
      'Correct its settings (`tessera config database`) or the database, then run `tessera config apply` again. ' +
      'Nothing was changed.\n',
  );
  return false;
}
