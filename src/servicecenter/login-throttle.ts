/**
 * Slows down repeated failed logins: after `freeFailures` failures for one user
 * name or from one address within `windowMs`, each further attempt must wait twice
 * as long as the one before (1 s, 2 s, 4 s … up to `maxDelayMs`) after the last
 * failure, and is refused (429) until then, without checking the password. Kept in
 * the worker's memory: a farm multiplies the attempts by its workers, which the
 * doubling delay still makes useless for guessing.
 */
export const LOGIN_THROTTLE_DEFAULTS = {
  freeFailures: 5,
  windowMs: 15 * 60_000,
  firstDelayMs: 1_000,
  maxDelayMs: 60_000,
  /** Entries kept at most (the oldest are forgotten first). */
  maxEntries: 10_000,
} as const;

interface Failures {
  count: number;
  lastMs: number;
}

export class LoginThrottle {
  readonly #failures = new Map<string, Failures>();
  readonly #options: typeof LOGIN_THROTTLE_DEFAULTS;

  constructor(options: Partial<typeof LOGIN_THROTTLE_DEFAULTS> = {}) {
    this.#options = Object.freeze({ ...LOGIN_THROTTLE_DEFAULTS, ...options });
  }

  /** Milliseconds the attempt must still wait (0: it may go on). */
  waitMs(keys: readonly string[], nowMs = Date.now()): number {
    let wait = 0;
    for (const key of keys) {
      const entry = this.#failures.get(key);
      if (entry === undefined || nowMs - entry.lastMs > this.#options.windowMs) continue;
      const over = entry.count - this.#options.freeFailures;
      if (over < 0) continue;
      const delay = Math.min(this.#options.firstDelayMs * 2 ** over, this.#options.maxDelayMs);
      wait = Math.max(wait, entry.lastMs + delay - nowMs);
    }
    return Math.max(0, wait);
  }

  failed(keys: readonly string[], nowMs = Date.now()): void {
    for (const key of keys) {
      const entry = this.#failures.get(key);
      const fresh = entry === undefined || nowMs - entry.lastMs > this.#options.windowMs;
      this.#failures.delete(key);
      this.#failures.set(key, { count: fresh ? 1 : entry.count + 1, lastMs: nowMs });
    }
    for (const oldest of this.#failures.keys()) {
      if (this.#failures.size <= this.#options.maxEntries) break;
      this.#failures.delete(oldest);
    }
  }

  succeeded(keys: readonly string[]): void {
    for (const key of keys) this.#failures.delete(key);
  }
}
