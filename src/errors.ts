/**
 * The base of every error Tessera throws on purpose.
 *
 * Each layer declares its own subclass and its codes in its `errors.ts`; callers
 * and tests match on `code`, which never changes once released. Every code is
 * listed in `docs/errors.md` (a test keeps the two in step). Messages name the
 * variable, file, host:port or setting that is wrong and say what to do; they
 * never contain a secret. The underlying error, when there is one, is on `cause`.
 *
 * Match with {@link hasErrorCode}, not `instanceof`: two copies of the package in
 * one process (an application's and the platform's) must recognise each other's
 * errors, and only the code is shared between them.
 */
export class TesseraError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  // Each subclass sets its name explicitly (`override readonly name = 'RedisError'`
  // is not enough with class fields under some compilers, so a getter): a bundler
  // that renames classes must not change what logs and callers see.
  override get name(): string {
    return 'TesseraError';
  }
}

/** What a layer's error carries beyond its code and message (the file, the variable…). */
type ErrorDetails = Record<string, unknown>;

/** The options of a layer's error: the cause, and the details that layer's errors name. */
export type LayerErrorOptions<Details extends ErrorDetails> = { cause?: unknown } & {
  [K in keyof Details]?: Details[K];
};

/**
 * The base of one layer's error class: `name` as logs show it, the layer's codes,
 * and the detail fields (`details`) copied from the options onto the error
 * (`undefined` when not given). A layer then declares its class in one line:
 *
 * ```ts
 * export class TlsError extends layerError<TlsErrorCode, { variable: TlsVariableName }>('TlsError', ['variable']) {}
 * ```
 */
export function layerError<Code extends string, Details extends ErrorDetails = Record<never, never>>(
  name: string,
  details: readonly (keyof Details & string)[] = [],
): new (
  code: Code,
  message: string,
  options?: LayerErrorOptions<Details>,
) => TesseraError<Code> & { readonly [K in keyof Details]: Details[K] | undefined } {
  class LayerError extends TesseraError<Code> {
    constructor(code: Code, message: string, options?: LayerErrorOptions<Details>) {
      super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
      for (const detail of details) (this as Record<string, unknown>)[detail] = options?.[detail];
    }

    override get name(): string {
      return name;
    }
  }
  return LayerError as never;
}

/**
 * True when `error` carries a Tessera code: exactly `code`, or any code starting
 * with `prefix` (the Redis layer's prefix, say). Works across copies of the package, since it
 * reads only the `code` property.
 */
export function hasErrorCode(error: unknown, code: string | { readonly prefix: string }): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const actual = (error as { code?: unknown }).code;
  if (typeof actual !== 'string') return false;
  return typeof code === 'string' ? actual === code : actual.startsWith(code.prefix);
}

/** The longest piece of user input a message quotes, in characters (code points). */
export const QUOTED_INPUT_MAX_CHARS = 60;

/**
 * User input as a message quotes it: in double quotes, JSON-escaped (so control
 * characters and newlines cannot forge log lines), and cut to `maxChars` code
 * points with `…` and the full length, never in the middle of a surrogate pair.
 * Only for input that cannot be a secret: decide that before calling.
 */
export function quoteInput(text: string, maxChars = QUOTED_INPUT_MAX_CHARS): string {
  const codePoints = Array.from(text);
  if (codePoints.length <= maxChars) return JSON.stringify(text);
  const cut = codePoints.slice(0, Math.max(1, maxChars - 1)).join('');
  return `${JSON.stringify(`${cut}…`)} (${codePoints.length} characters)`;
}
