/** Exit codes of every `tessera` command. Scripts rely on them; they never change. */
export const EXIT_CODES = {
  ok: 0,
  checkFailed: 1,
  badInput: 2,
} as const;

/** How a command reports an error it knows: the line for stderr and the exit code. */
export interface CommandFailure {
  readonly message: string;
  readonly exitCode: number;
}

/**
 * Runs a command's body and sets `process.exitCode` to what it returns. An error
 * that `failure` knows is printed as it says and exits with its code; any other is
 * thrown (a bug: Node prints its stack).
 */
export function commandAction<A extends unknown[]>(
  body: (...args: A) => Promise<number>,
  failure: (error: unknown) => CommandFailure | undefined,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = await body(...args);
    } catch (error) {
      const known = failure(error);
      if (known === undefined) throw error;
      process.stderr.write(`${known.message}\n`);
      process.exitCode = known.exitCode;
    }
  };
}
