import { inspect } from 'node:util';

/**
 * A secret setting (the Redis password, later database passwords) held in memory.
 *
 * The value is only reachable through `reveal()`: `JSON.stringify`, `String()`,
 * template strings and `console.log` all print `[redacted]`, so a configuration
 * object can be logged or serialised by mistake without leaking it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret in clear. Call it only where the value is used (a connection string, encryption). */
  reveal(): string {
    return this.#value;
  }

  equals(other: Secret | undefined): boolean {
    return other !== undefined && other.#value === this.#value;
  }

  toJSON(): string {
    return '[redacted]';
  }

  toString(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}
