import type { Command } from 'commander';
import { loadConnectionStringFromConfig, readConfiguration } from '../config/index.ts';
import { TesseraError } from '../errors.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import {
  type DatabaseCheck,
  type DatabaseSettings,
  type DatabaseTestReport,
  databaseSettingsOf,
  describeDatabase,
  testDatabase,
} from '../platform/index.ts';
import { type Check, runTestConnection, type TestConnectionReport } from '../redis/index.ts';
import { configAction, exitCodeOf, locationOf, UsageError } from './config-action.ts';

export function registerTestConnectionCommand(config: Command): void {
  config
    .command('test-connection')
    .description(
      'check a Redis session store as the front-end servers will use it: every host, step by step,\n' +
        "with this server's SERedis_* certificate variables; with --database, the platform database",
    )
    .option(
      '--database',
      'check the platform database of the server configuration instead: reachable, authentication,\n' +
        'version, permission to create tables, migrations, a test row written and deleted, latency',
    )
    .option(
      '--connection-string <string>',
      'the Redis connection string to test, e.g. "redis1:6380,ssl=true,sslHost=redis.example.com"',
    )
    .option(
      '--config <path>',
      'server configuration to read the connection string from (default: TESSERA_CONFIG, then the default path)',
    )
    .option(
      '--json',
      'print the report as JSON: { ok, checks: [{ host, name, ok, detail, ms, code }], problem, code }\n' +
        '(with --database: { ok, database, checks: [{ name, ok, detail, ms, code }], migrations, problem, code })',
    )
    .addHelpText(
      'after',
      [
        '',
        'Variables read (see docs/redis-tls.md):',
        '  SERedis_ClientCertPfxPath       client certificate (.pfx), mandatory with ssl=true',
        '  SERedis_ClientCertPassword      its password, if any (never printed)',
        '  SERedis_ClientCertStorageFlags  X509KeyStorageFlags, 0-63 or names',
        '  SERedis_IssuerCertPath          issuer of the server certificate, if not trusted already',
        '  PGPASSWORD                      with --database: the PostgreSQL password when none is stored',
        '',
        'Exit codes: 0 all checks passed, 1 a check failed, 2 bad connection string or variable.',
      ].join('\n'),
    )
    .action(
      configAction(async (options: TestConnectionOptions) => {
        if (options.database) return runDatabaseTest(options);
        let connectionString: string;
        try {
          connectionString =
            options.connectionString ?? (await loadConnectionStringFromConfig(options.config));
        } catch (error) {
          // A configuration that cannot be used: as text, `error (CODE): …` like every command; as JSON, a report.
          if (!options.json || !(error instanceof TesseraError)) throw error;
          const report = { ok: false, checks: [], problem: error.message, code: error.code };
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          return exitCodeOf(error);
        }
        const live = !options.json && process.stdout.isTTY;
        const report = await runTestConnection(connectionString, {
          env: process.env,
          ...(live
            ? { onCheck: (check: Check) => process.stdout.write(formatCheck(check, previousHost(check))) }
            : {}),
        });
        process.stdout.write(
          options.json ? `${JSON.stringify(toJson(report), null, 2)}\n` : formatReport(report, !live),
        );
        return report.failure === 'input'
          ? EXIT_CODES.badInput
          : report.ok
            ? EXIT_CODES.ok
            : EXIT_CODES.checkFailed;
      }),
    );
}

interface TestConnectionOptions {
  connectionString?: string;
  config?: string;
  json?: boolean;
  database?: boolean;
}

/** `--database`: Test Connection of the platform database the server configuration names. */
async function runDatabaseTest(options: TestConnectionOptions): Promise<number> {
  if (options.connectionString !== undefined) {
    throw new UsageError(
      '--connection-string is a Redis setting: give it without --database (the database is read from the configuration).',
    );
  }
  let settings: DatabaseSettings;
  try {
    settings = databaseSettingsOf(await readConfiguration(locationOf(options)));
  } catch (error) {
    if (!options.json || !(error instanceof TesseraError)) throw error;
    const report = { ok: false, database: null, checks: [], problem: error.message, code: error.code };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return exitCodeOf(error);
  }
  const live = !options.json && process.stdout.isTTY;
  if (!options.json) process.stdout.write(`Platform database: ${describeDatabase(settings)}\n`);
  const report = await testDatabase(settings, {
    env: process.env,
    ...(live ? { onCheck: (check: DatabaseCheck) => process.stdout.write(formatCheck(check, false)) } : {}),
  });
  process.stdout.write(
    options.json
      ? `${JSON.stringify(databaseReportJson(settings, report), null, 2)}\n`
      : formatReport({ ...report, checks: report.checks.map((check) => ({ ...check, host: null })) }, !live),
  );
  return report.ok ? EXIT_CODES.ok : EXIT_CODES.checkFailed;
}

function databaseReportJson(settings: DatabaseSettings, report: DatabaseTestReport) {
  const failed = report.checks.find((check) => !check.ok);
  return {
    ok: report.ok,
    database: describeDatabase(settings),
    checks: report.checks.map(({ name, ok, detail, ms, code }) => ({
      name,
      ok,
      detail,
      ms,
      ...(code ? { code } : {}),
    })),
    migrations: report.migrations ?? null,
    problem: report.problem,
    code: failed?.code ?? null,
  };
}

/** The report for --json: `problem` and `code` are those of the first failed check (null when all passed). */
function toJson(report: TestConnectionReport) {
  const failed = report.checks.find((check) => !check.ok);
  return {
    ok: report.ok,
    checks: report.checks.map(({ host, name, ok, detail, ms, code }) => ({
      host,
      name,
      ok,
      detail,
      ms,
      ...(code ? { code } : {}),
    })),
    problem: report.problem,
    code: failed?.code ?? null,
  };
}

let lastHost: string | null | undefined;
function previousHost(check: Check): boolean {
  const changed = check.host !== lastHost;
  lastHost = check.host;
  return changed;
}

/** One line per check; a failure's detail (what is wrong, what to do) indented under it. */
export function formatCheck(check: Check | DatabaseCheck, headed: boolean): string {
  const heading = headed && check.host !== null ? `\n  ${check.host}\n` : '';
  const mark = check.ok ? '✔' : '✘';
  const line = `  ${mark} ${check.name.padEnd(28)} ${check.ok ? check.detail : ''}`.trimEnd();
  const timing = ` (${check.ms} ms)`;
  const under = check.ok ? '' : `\n${wrap(check.detail, 6)}`;
  return `${heading}${line}${timing}${under}\n`;
}

export function formatReport(report: TestConnectionReport, withChecks: boolean): string {
  let out = '';
  if (withChecks) {
    let host: string | null | undefined;
    for (const check of report.checks) {
      out += formatCheck(check, check.host !== host);
      host = check.host;
    }
  }
  const failed = report.checks.filter((check) => !check.ok).length;
  out += report.ok
    ? `\nTest Connection passed: ${report.checks.length} checks.\n`
    : `\nTest Connection failed: ${failed} of ${report.checks.length} checks (✘ above, with what to do).\n`;
  return out;
}

function wrap(text: string, indent: number, width = 100): string {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width - indent) {
      lines.push(pad + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(pad + line);
  return lines.join('\n');
}
