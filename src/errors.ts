/**
 * The base of every error Tessera throws on purpose.
 *
 * Each layer declares its own subclass and its codes in its `errors.ts`; callers
 * and tests match on `code`, which never changes once released. Every code is
 * listed in `docs/errors.md` (a test keeps the two in step). Messages name the
 * variable, file, host:port or setting that is wrong and say what to do; they
 * never contain a secret. The underlying error, when there is one, is on `cause`.
 */
export class TesseraError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return this.constructor.name;
  }
}
