import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../../src/cli/index.ts';

export interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const root = join(import.meta.dirname, '..', '..');

/**
 * Runs `tessera …` in this process, capturing what it writes. For the many
 * bad-input cases; the end-to-end cases spawn the real binary (`spawnTessera`).
 */
export async function runTessera(args: readonly string[]): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const writeOut = process.stdout.write;
  const writeErr = process.stderr.write;
  // The commands write strings. The test runner reports to its parent process on
  // this same stdout, in Buffers, while a command runs: those go through.
  const capture = (
    original: typeof process.stdout.write,
    stream: NodeJS.WriteStream,
    append: (text: string) => void,
  ) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (typeof chunk !== 'string')
        return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
      append(chunk);
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture(writeOut, process.stdout, (text) => {
    stdout += text;
  });
  process.stderr.write = capture(writeErr, process.stderr, (text) => {
    stderr += text;
  });
  process.exitCode = undefined;
  try {
    const code = await main(['node', 'tessera', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    process.exitCode = undefined;
  }
}

/** Runs `node bin/tessera.js …` (the built package), with `input` on its standard input. */
export function spawnTessera(
  args: readonly string[],
  options: { readonly input?: string; readonly env?: Readonly<Record<string, string>> } = {},
): Promise<Outcome> {
  const child = spawn(process.execPath, [join(root, 'bin', 'tessera.js'), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
