/**
 * The publish-time check of a module's entry: imported in a child process (a
 * throwing, exiting or hanging entry cannot hurt the caller), it must export a
 * factory. The factory is not called here.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { extname } from 'node:path';
import type { EntryCheckResult } from './entry-check-child.ts';
import { ModuleError } from './errors.ts';

export const ENTRY_CHECK_DEFAULTS = { timeoutMs: 30_000 } as const;

/** The child runs the same way as this process (tsx when running from source), never as a test runner or debugger. */
function childExecArgv(): string[] {
  return process.execArgv.filter((arg) => !/^--(test|inspect|watch|prof|cpu-prof|heap-prof)/.test(arg));
}

/**
 * Imports a module's `entryFile` in a child process (`label` names it in messages). Throws
 * `TESSERA_MODULE_ENTRY_FAILED` (it throws or exits), `TESSERA_MODULE_NO_FACTORY`,
 * `TESSERA_MODULE_LOAD_TIMEOUT`.
 */
export async function checkModuleEntry(
  entryFile: string,
  label: string,
  timeoutMs: number = ENTRY_CHECK_DEFAULTS.timeoutMs,
): Promise<void> {
  const script = new URL(`./entry-check-child${extname(import.meta.url)}`, import.meta.url);
  // The caller's working folder, not the module's: `--import tsx` (running from source) resolves from it.
  const child = fork(script, [entryFile], {
    execArgv: childExecArgv(),
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'json',
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-2000);
  });
  let result: EntryCheckResult | undefined;
  child.once('message', (message) => {
    result = message as EntryCheckResult;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  let exit: [number | null, NodeJS.Signals | null];
  try {
    exit = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  } finally {
    clearTimeout(timer);
  }
  if (result?.ok) return;
  if (result?.kind === 'no-factory') {
    throw new ModuleError(
      'TESSERA_MODULE_NO_FACTORY',
      `${label} exports ${result.exports}, not a factory. Make it default-export the function that builds the module: \`export default function createModule(context) { return (req, res) => { … }; }\` (CommonJS: \`module.exports = createModule\`).`,
      { file: label },
    );
  }
  if (result?.kind === 'throws') {
    throw new ModuleError(
      'TESSERA_MODULE_ENTRY_FAILED',
      `${label} throws when it is imported: ${result.error}. Fix the entry so that \`node ${label}\` runs without error (its dependencies must ship inside the module, in its node_modules or bundled).`,
      { file: label },
    );
  }
  if (timedOut) {
    throw new ModuleError(
      'TESSERA_MODULE_LOAD_TIMEOUT',
      `${label} was still loading after ${timeoutMs} ms. Keep the entry's top level to imports and definitions; start servers, timers and connections from createModule, not at import.`,
      { file: label },
    );
  }
  const said = stderr.trim() === '' ? '' : `; it wrote: ${stderr.trim().split('\n').slice(-3).join(' | ')}`;
  throw new ModuleError(
    'TESSERA_MODULE_ENTRY_FAILED',
    `${label} ended the process while it was imported (exit code ${exit[0] ?? exit[1]})${said}. An entry must not call process.exit(); fix it so that importing it only defines createModule.`,
    { file: label },
  );
}
