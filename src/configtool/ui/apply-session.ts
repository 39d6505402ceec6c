/**
 * **Apply and Exit** of the browser tool: the apply of `tessera config apply`
 * (`../apply.ts`) on the settings of the form, with failures shown as the page
 * shows them.
 */
import { ConfigError } from '../../config/index.ts';
import { TesseraError } from '../../errors.ts';
import type { ProgressEvent } from '../apply.ts';

export { applySession, type Emit, type ProgressEvent, testSession } from '../apply.ts';

/**
 * A failure as the page shows it: Tessera's own errors with their code and message
 * (which never hold a secret); any other error without detail, printed on the terminal.
 */
export function errorEvent(error: unknown): ProgressEvent {
  if (error instanceof ConfigError || error instanceof TesseraError) {
    return { type: 'error', code: error.code, message: error.message };
  }
  process.stderr.write(
    `Unexpected error in the Configuration Tool: ${(error as Error)?.stack ?? String(error)}\n`,
  );
  return {
    type: 'error',
    message: 'An unexpected error stopped the operation; the terminal running `tessera config ui` shows it.',
  };
}
