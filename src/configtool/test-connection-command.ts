import type { Command } from 'commander';
import { EXIT_CODES } from '../cli/exit-codes.ts';
import { loadConnectionStringFromConfig } from '../config/index.ts';
import { type Check, runTestConnection, type TestConnectionReport } from '../redis/index.ts';

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
    .option('--json', 'print the report as JSON: { ok, checks: [{ host, name, ok, detail, ms }], problem }')
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
    .action(async (options: { connectionString?: string; config?: string; json?: boolean }) => {
      const connectionString = options.connectionString ?? (await configured(options.config));
      if (connectionString === undefined) {
        process.exitCode = EXIT_CODES.badInput;
        return;
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
      process.exitCode =
        report.failure === 'input' ? EXIT_CODES.badInput : report.ok ? EXIT_CODES.ok : EXIT_CODES.checkFailed;
    });
}

/** The session settings of this server's configuration, when no connection string is given. */
async function configured(configPath: string | undefined): Promise<string | undefined> {
  try {
    return await loadConnectionStringFromConfig(configPath);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return undefined;
  }
}

function toJson(report: TestConnectionReport) {
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
