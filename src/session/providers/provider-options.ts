/**
 * The options more than one session provider takes, each described once (its
 * default and what it accepts, for `optionTable`), and the behaviour they share.
 */
import { DEFAULT_MAX_WAITERS_PER_SESSION } from '../lock-waiters.ts';
import { MAX_TIMER_MS, type OptionSpec, wholeNumber } from '../option-checks.ts';

/** The options more than one provider takes; each provider's options pick the ones it takes. */
export interface SharedProviderOptions {
  /** The most requests of this process waiting for one session's lock (default 50). */
  readonly maxWaitersPerSession?: number | undefined;
  /** How often expired sessions are swept, in ms (default 60 s). */
  readonly sweepIntervalMs?: number | undefined;
  /**
   * How long `close()` may spend releasing locks whose release could not reach the
   * store (an outage) before it closes its connection (default 5000 ms). Locks not
   * released by then end by themselves after the request timeout.
   */
  readonly closeTimeoutMs?: number | undefined;
}

/** Their descriptions; each provider's table names the ones it takes. */
export const SHARED_PROVIDER_OPTIONS = {
  /** The most requests of this process waiting for one session's lock. */
  maxWaitersPerSession: { default: DEFAULT_MAX_WAITERS_PER_SESSION, kind: wholeNumber(1, 1_000_000, '') },
  /** How often expired sessions are swept. */
  sweepIntervalMs: { default: 60_000, kind: wholeNumber(1, MAX_TIMER_MS, ' of milliseconds') },
  /** How long `close()` may spend releasing locks an outage kept from being released. */
  closeTimeoutMs: { default: 5000, kind: wholeNumber(0, MAX_TIMER_MS, ' of milliseconds') },
} as const satisfies Record<string, OptionSpec>;

/**
 * When a load slides the expiry: once a tenth of the session's timeout, or one
 * minute if that is less, has passed since the expiry was last slid. A session may
 * so end up to that much sooner than its timeout after its last request (a
 * 20-minute session: between 19 and 20 minutes). Saves and `touch` always slide. The
 * Redis and Database providers both slide so.
 */
export const SLIDE_AFTER = { share: 0.1, maxMs: 60_000 } as const;
