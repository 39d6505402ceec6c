/**
 * Slows down repeated failed logins: after `freeFailures` failures for one user
 * name or from one address within `windowMs`, each further attempt must wait twice
 * as long as the one before (1 s, 2 s, 4 s … up to `maxDelayMs`) after the last
 * failure, and is refused (429) until then, without checking the password.
 *
 * The failures are counted in the platform database (`LoginFailuresRepository`),
 * not in a worker's memory: every worker of every front-end server sees the same
 * counts, so a farm allows the limit once, not once per worker. An attempt is
 * counted as a failure *before* its password is checked, so attempts sent at the
 * same moment to several front-ends each see the ones before them; `failed` then
 * dates the failure from when the check ended (as if counted then), `succeeded`
 * forgets the failures.
 */
import { createHash } from 'node:crypto';
import type { LoginFailures, LoginFailuresRepository } from '../platform/index.ts';

export const LOGIN_THROTTLE_DEFAULTS = {
  freeFailures: 5,
  windowMs: 15 * 60_000,
  firstDelayMs: 1_000,
  maxDelayMs: 60_000,
  /** A subject longer than this (a user name of any length can be typed) is kept as its SHA-256. */
  maxSubjectChars: 200,
} as const;

export type LoginThrottleOptions = typeof LOGIN_THROTTLE_DEFAULTS;

/** Milliseconds an attempt of `entry`'s subject must still wait at `nowMs` (0: it may go on). */
export function loginWaitMs(entry: LoginFailures, nowMs: number, options: LoginThrottleOptions): number {
  if (nowMs - entry.lastFailureAtMs > options.windowMs) return 0;
  const over = entry.failures - options.freeFailures;
  if (over < 0) return 0;
  const delay = Math.min(options.firstDelayMs * 2 ** over, options.maxDelayMs);
  return Math.max(0, entry.lastFailureAtMs + delay - nowMs);
}

export class LoginThrottle {
  readonly #failures: LoginFailuresRepository;
  readonly #options: LoginThrottleOptions;

  constructor(failures: LoginFailuresRepository, options: Partial<LoginThrottleOptions> = {}) {
    this.#failures = failures;
    this.#options = Object.freeze({ ...LOGIN_THROTTLE_DEFAULTS, ...options });
  }

  /**
   * An attempt for `keys` (e.g. `ip:10.0.0.9`, `user:alice`): when one of them must
   * still wait, the milliseconds left, and nothing is counted; else 0, and the
   * attempt is counted as a failure of each key until `succeeded` forgets it.
   */
  async attempt(keys: readonly string[], nowMs = Date.now()): Promise<number> {
    const o = this.#options;
    const waitMs = await this.#failures.update(keys.map(subjectOf(o)), (current) => {
      const wait = Math.max(0, ...current.map((entry) => loginWaitMs(entry, nowMs, o)));
      if (wait > 0) return { write: null, result: wait };
      const write = current.map((entry) => ({
        subject: entry.subject,
        failures: nowMs - entry.lastFailureAtMs > o.windowMs ? 1 : entry.failures + 1,
        lastFailureAtMs: nowMs,
      }));
      return { write, result: 0 };
    });
    // Failures too old to count are forgotten (from time to time would do; this is one indexed delete).
    await this.#failures.prune(nowMs - o.windowMs);
    return waitMs;
  }

  /** The password was wrong: the wait runs from now, the end of the check. */
  async failed(keys: readonly string[], nowMs = Date.now()): Promise<void> {
    await this.#failures.stamp(keys.map(subjectOf(this.#options)), nowMs);
  }

  /** The password was right: the keys' failures are forgotten. */
  async succeeded(keys: readonly string[]): Promise<void> {
    await this.#failures.forget(keys.map(subjectOf(this.#options)));
  }
}

function subjectOf(options: LoginThrottleOptions): (key: string) => string {
  return (key) =>
    key.length <= options.maxSubjectChars ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}
