import { definedOnly } from '../defined-only.ts';
import { quoteInput } from '../errors.ts';
import { SessionError } from './errors.ts';

/**
 * How requests of an application share a session:
 * * `exclusive` — a request takes the session's lock for its whole duration;
 *   concurrent requests of one session run one after the other (ASP.NET's default).
 * * `readonly` — no lock, no write: the request sees the last saved state.
 * * `none` — no lock; only the items the request changed are written, so requests
 *   that change different items all keep their changes (the last writer of one item wins).
 */
export const SESSION_MODES = ['exclusive', 'readonly', 'none'] as const;
export type SessionMode = (typeof SESSION_MODES)[number];

export interface SessionOptions {
  /** Names the application in the store's keys; letters, digits, `.`, `_`, `-`. */
  readonly appKey: string;
  readonly mode: SessionMode;
  /** Sliding expiry: the session ends after this many minutes without a request. */
  readonly timeoutMinutes: number;
  /** The session ends this many minutes after it was created whatever its activity; `null`: never. */
  readonly absoluteLifetimeMinutes: number | null;
  /**
   * How long a request may hold the session's lock; a lock older than this is taken
   * over by the next request. Also the longest a request waits for the lock.
   */
  readonly requestTimeoutMs: number;
  /** While waiting for a lock, re-check this often even when no release was signalled. */
  readonly lockPollMs: number;
  /**
   * The most bytes of item names and values (as JSON) one session may hold; a save
   * past it fails with `TESSERA_SESSION_TOO_LARGE` and writes nothing.
   */
  readonly maxSessionBytes: number;
}

/** Every default, with its unit. */
export const SESSION_DEFAULTS = {
  appKey: 'app',
  mode: 'exclusive',
  timeoutMinutes: 20,
  absoluteLifetimeMinutes: null,
  requestTimeoutMs: 110_000,
  lockPollMs: 2_000,
  maxSessionBytes: 1_048_576,
} as const satisfies SessionOptions;

/** A year: the longest timeout or lifetime accepted. */
const MAX_MINUTES = 525_600;
// No "_": it separates the appKey from the session id in every key, so that listing
// app `shop` can never match app `shop_admin`'s sessions.
const APP_KEY = /^[A-Za-z0-9.-]{1,100}$/;

/** Fills in the defaults, checks every value, and freezes the result. */
export function resolveSessionOptions(options: Partial<SessionOptions> = {}): Readonly<SessionOptions> {
  const resolved: SessionOptions = { ...SESSION_DEFAULTS, ...definedOnly(options) };
  if (!APP_KEY.test(resolved.appKey)) {
    fail(
      `appKey ${quoteInput(String(resolved.appKey))} must be 1-100 letters, digits, "." or "-" (it is part of every key, where "_" separates it from the session id).`,
    );
  }
  if (!SESSION_MODES.includes(resolved.mode)) {
    fail(`mode "${String(resolved.mode)}" is not one of ${SESSION_MODES.join(', ')}.`);
  }
  checkMinutes('timeoutMinutes', resolved.timeoutMinutes);
  if (resolved.absoluteLifetimeMinutes !== null)
    checkMinutes('absoluteLifetimeMinutes', resolved.absoluteLifetimeMinutes);
  checkPositiveMs('requestTimeoutMs', resolved.requestTimeoutMs);
  checkPositiveMs('lockPollMs', resolved.lockPollMs);
  if (
    typeof resolved.maxSessionBytes !== 'number' ||
    !Number.isSafeInteger(resolved.maxSessionBytes) ||
    resolved.maxSessionBytes <= 0
  ) {
    fail(
      `maxSessionBytes must be a positive whole number of bytes (got ${String(resolved.maxSessionBytes)}).`,
    );
  }
  return Object.freeze(resolved);
}

/** Checks a session timeout in minutes (fractions allowed). */
export function checkMinutes(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_MINUTES) {
    fail(`${name} must be a number of minutes above 0 and at most ${MAX_MINUTES} (got ${String(value)}).`);
  }
}

function checkPositiveMs(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    fail(`${name} must be a positive whole number of milliseconds (got ${String(value)}).`);
  }
}

function fail(message: string): never {
  throw new SessionError('TESSERA_SESSION_OPTIONS', `Session option ${message}`);
}
