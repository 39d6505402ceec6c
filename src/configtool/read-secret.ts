// Reads a secret from standard input, never from the command line (where `ps` and
// the shell history would show it). From a pipe: everything up to the end, minus
// one trailing line break. From a terminal: one line, typed without echo.
import { Secret } from '../config/index.ts';
import { UsageError } from './config-action.ts';

export async function readSecretFromStdin(
  what: string,
  input: NodeJS.ReadStream = process.stdin,
): Promise<Secret> {
  const text = input.isTTY ? await readLineWithoutEcho(what, input) : await readAll(input);
  return new Secret(text.replace(/\r?\n$/, ''));
}

/**
 * A new password from standard input (`--password-stdin`), `what` at the prompt.
 * An empty one is refused: removing the stored password is `--clear-password`.
 */
export async function readPasswordFromStdin(what: string): Promise<Secret> {
  const password = await readSecretFromStdin(what);
  if (password.reveal() === '') {
    throw new UsageError(
      'No password was read from standard input. To remove the stored password, use --clear-password.',
    );
  }
  return password;
}

async function readAll(input: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function readLineWithoutEcho(what: string, input: NodeJS.ReadStream): Promise<string> {
  process.stderr.write(`${what}: `);
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(new UsageError('interrupted: nothing was changed'));
        if (char === '\u007f' || char === '\b') text = text.slice(0, -1);
        else text += char;
      }
    };
    input.setRawMode(true);
    input.resume();
    input.on('data', onData);
  });
}
