import type { Command } from 'commander';
import { EXIT_CODES } from '../cli/exit-codes.ts';
import { loadConnectionStringFromConfig } from '../config/index.ts';
import { TesseraError } from '../errors.ts';
import { type Check, runTestConnection, type TestConnectionReport } from '../redis/index.ts';
import { configAction, exitCodeOf } from './config-action.ts';

export function registerTestConnectionCommand(config: Command): void {
  config
    .command('test-connection')
    .description(
      'check a Redis session store as the front-end servers will use it: every host, step by step,\n' +
        "with this server's SERedis_* certificate variables",
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
      'print the report as JSON: { ok, checks: [{ host, name, ok, detail, ms, code }], problem, code }',
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
        '',
        'Exit codes: 0 all checks passed, 1 a check failed, 2 bad connection string or variable.',
      ].join('\n'),
    )
    .action(
      configAction(async (options: { connectionString?: string; config?: string; json?: boolean }) => {
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
export function formatCheck(check: Check, headed: boolean): string {
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
