/**
 * `tessera config ui`: the Configuration Tool in the browser. Serves the Session
 * tab on 127.0.0.1, prints the address with its one-time token (and opens it,
 * unless --no-open), and runs until **Apply and Exit** (exit 0) or Ctrl-C (exit
 * 130, nothing applied).
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { EXIT_CODES } from '../../exit-codes.ts';
import { addConfigOption, configCommand, locationOf, UsageError } from '../config-action.ts';
import { startConfigToolServer } from './ui-server.ts';

/** The exit code after Ctrl-C (128 + SIGINT), as shells report an interrupted command. */
export const INTERRUPTED_EXIT_CODE = 130;

/** How long the stopped tool waits for its last connections to end before it exits anyway. */
const EXIT_GRACE_MS = 1000;

interface UiOptions {
  config?: string;
  port?: string;
  open: boolean;
}

export function registerUiCommand(config: Command): void {
  configCommand(
    addConfigOption(
      config
        .command('ui')
        .description(
          'open the Configuration Tool in the browser: the Session tab, Test Connection, Apply and Exit\n' +
            '(served on 127.0.0.1 only, to the browser that opens the printed address)',
        ),
    )
      .option('--port <n>', 'port to listen on (default: a free port)')
      .option('--no-open', 'do not open the browser; only print the address'),
    [
      'The printed address holds a one-time token: only the browser that opens it gets in.',
      "Test Connection and Apply use this server's SERedis_* variables, as `tessera config test-connection` does.",
      'Exit codes: 0 applied (Apply and Exit), 130 stopped with Ctrl-C (nothing applied),',
      '2 bad input: the configuration file cannot be read, or a bad --port.',
    ],
    runUiCommand,
  );
}

async function runUiCommand(options: UiOptions): Promise<number> {
  const port = portOf(options.port);
  const location = locationOf(options);
  const out = (text: string) => process.stdout.write(text);
  let server: Awaited<ReturnType<typeof startConfigToolServer>>;
  try {
    server = await startConfigToolServer({
      location,
      env: process.env,
      port,
      onApplied: (event) => {
        out(
          event.alreadyApplied
            ? `\nAlready applied: revision ${event.revision} at ${event.at}; the settings have not changed since.\n`
            : `\nApplied: revision ${event.revision} recorded in ${event.path}${event.forced ? ' (forced)' : ''}.\n`,
        );
        out(`\n${event.nextSteps}\n`);
      },
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'EADDRINUSE') {
      throw new UsageError(`Port ${port} is in use on 127.0.0.1. Choose another --port, or leave it out.`);
    }
    throw error;
  }

  out(
    `Configuration Tool for ${location.path}\n\n` +
      `Open this address in a browser on this machine (it works once):\n\n  ${server.url}\n\n` +
      'Stop with Ctrl-C (nothing is applied), or with Apply and Exit in the browser.\n',
  );
  if (options.open) openBrowser(server.url);

  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    out('\nStopped: nothing was applied.\n');
    void server.close();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const reason = await server.stopped;
    const code = reason === 'applied' && !interrupted ? EXIT_CODES.ok : INTERRUPTED_EXIT_CODE;
    // The tool is done once stopped: a browser that still holds a connection open
    // (keep-alive, a stream it has not finished reading) must not keep it running.
    setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
    return code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function portOf(text: string | undefined): number {
  if (text === undefined) return 0;
  const port = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new UsageError(
      `--port must be a port number from 1 to 65535 (or 0 for a free port), not "${text}".`,
    );
  }
  return port;
}

/** Opens `url` in the desktop's browser, if there is one; the printed address is the fallback. */
function openBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url.replaceAll('&', '^&')]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => {
      // No browser here (a server without a desktop): the printed address is enough.
    });
    child.unref();
  } catch {
    // Same: the address is printed.
  }
}
