/**
 * `tessera config frontend`: the front-end server settings (name in the farm,
 * listen address and port, worker count), read by `tessera start`. Options not
 * given keep their stored value; `""` returns a setting to its default.
 */
import type { Command } from 'commander';
import {
  ConfigError,
  FRONTEND_DEFAULTS,
  FRONTEND_MAX_WORKERS,
  type FrontendSettings,
  frontendProblems,
  readConfiguration,
  type ServerConfiguration,
  saveConfiguration,
} from '../config/index.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import { addConfigOption, locationOf, requireChange, saveCommand } from './config-action.ts';
import { formatFrontend, keptBackup } from './settings-report.ts';

interface FrontendOptions {
  config?: string;
  name?: string;
  port?: string;
  host?: string;
  workers?: string;
}

const SETTINGS = ['name', 'port', 'host', 'workers'] as const;

export function registerFrontendCommand(config: Command): void {
  saveCommand(
    addConfigOption(
      config
        .command('frontend')
        .description('the front-end server settings that `tessera start` uses: name, address, port, workers'),
    )
      .option('--name <name>', "this server's name in the farm (default: the host name)")
      .option('--port <n>', `the port it serves on (default ${FRONTEND_DEFAULTS.port}; 0: any free port)`)
      .option(
        '--host <address>',
        `the address it listens on (default ${FRONTEND_DEFAULTS.host}; 0.0.0.0 or :: for every interface)`,
      )
      .option(
        '--workers <n>',
        `how many worker processes serve the modules (default ${FRONTEND_DEFAULTS.workers}, at most ${FRONTEND_MAX_WORKERS})`,
      ),
    [
      'Examples:',
      '  tessera config frontend --name web1 --port 8080 --host 0.0.0.0 --workers 2',
      '  tessera config frontend --workers ""     (back to the default)',
      '',
      'Every front-end server of a farm needs its own name. Restart `tessera start` to use new settings.',
      'See docs/frontend-server.md.',
    ],
    runFrontendCommand,
  );
}

async function runFrontendCommand(options: FrontendOptions): Promise<number> {
  requireChange(options, 'frontend', '--name, --port, --host or --workers');
  const given = SETTINGS.filter((name) => options[name] !== undefined);
  const location = locationOf(options);
  const loaded = await readConfiguration(location);
  const stored: FrontendSettings = loaded.configuration.frontend ?? {};
  const next: Record<string, string | number | undefined> = { ...stored };
  for (const name of given) {
    const text = options[name]!.trim();
    if (text === '') next[name] = undefined;
    else if (name === 'port' || name === 'workers') next[name] = wholeNumber(text, name);
    else next[name] = text;
  }
  const settings = Object.fromEntries(
    Object.entries(next).filter(([, value]) => value !== undefined),
  ) as FrontendSettings;
  const problems = frontendProblems(settings);
  if (problems.length > 0) {
    throw new ConfigError(
      'TESSERA_CONFIG_INVALID',
      `Not saved: ${problems.map((p) => `--${p.field}: ${p.problem}`).join(' ')}`,
      { path: location.path, field: `frontend.${problems[0]!.field}` },
    );
  }
  const { frontend: _old, ...rest } = loaded.configuration;
  const configuration: ServerConfiguration =
    Object.keys(settings).length === 0 ? rest : { ...rest, frontend: settings };
  const saved = await saveConfiguration(loaded, configuration);
  process.stdout.write(
    `Saved ${location.path}.${keptBackup(loaded, saved)}\n\n${formatFrontend(saved)}` +
      '\nNext: `tessera start` serves with these settings (restart a running front-end server).\n',
  );
  return EXIT_CODES.ok;
}

function wholeNumber(text: string, name: 'port' | 'workers'): number {
  if (!/^\d{1,6}$/.test(text))
    throw new ConfigError(
      'TESSERA_CONFIG_INVALID',
      `--${name} must be a whole number, not ${JSON.stringify(text.slice(0, 20))}.`,
      {
        field: `frontend.${name}`,
      },
    );
  return Number(text);
}
