/**
 * Lock releases that could not reach the store (it went away while a request held
 * the lock), kept and retried in the background until the store answers, and
 * drained, for a bounded time, when the provider closes. Without them a lock left
 * behind by an outage would block its session for the whole request timeout after
 * the store is back. The Redis and Database providers share this; each brings the
 * release itself, which must release only a lock its token still holds, so a retry
 * is always safe.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { SessionKey } from './session-provider.ts';

/** The first retry of a release that could not reach the store; doubles up to the maximum. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 1000;
/** The most releases kept (a release is only pending when the store went away mid-request). */
const MAX_PENDING = 10_000;

export interface PendingReleasesInit {
  /** Releases one lock; rejects when the store cannot be reached (or for any other reason). */
  readonly release: (key: SessionKey, lockToken: string) => Promise<void>;
  /** Whether a failure of `release` means the store is still away (keep the release and retry). */
  readonly isAway: (error: unknown) => boolean;
}

export class PendingReleases {
  readonly #init: PendingReleasesInit;
  /** By token, oldest first. */
  readonly #pending = new Map<string, SessionKey>();
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelayMs = RETRY_FIRST_MS;
  /** No new release is kept once closing; none is tried once closed. */
  #closing = false;
  #closed = false;

  constructor(init: PendingReleasesInit) {
    this.#init = init;
  }

  /** Locks whose release waits for the store to come back. */
  get size(): number {
    return this.#pending.size;
  }

  /** Keeps a release that found the store away, and retries it in the background. */
  add(key: SessionKey, lockToken: string): void {
    if (this.#closing) return;
    if (this.#pending.size >= MAX_PENDING) {
      // The oldest lock has had the longest to expire by itself.
      this.#pending.delete(this.#pending.keys().next().value!);
    }
    this.#pending.set(lockToken, key);
    this.#retryTimer ??= setTimeout(() => void this.#retry(), this.#retryDelayMs).unref();
  }

  /**
   * Stops the background retries, then retries what is pending until none is left
   * or `timeoutMs` has passed; what is left then is dropped (those locks end by
   * themselves after the request timeout). Call once, when the provider closes.
   */
  async close(timeoutMs: number): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    if (this.#pending.size > 0) {
      const timer = new AbortController();
      await Promise.race([
        this.#drain(),
        sleep(timeoutMs, undefined, { signal: timer.signal }).catch(() => {}),
      ]);
      timer.abort();
    }
    this.#closed = true;
  }

  async #retry(): Promise<void> {
    await this.#releasePending();
    this.#retryTimer = undefined;
    if (this.#closing || this.#pending.size === 0) {
      this.#retryDelayMs = RETRY_FIRST_MS;
      return;
    }
    this.#retryDelayMs = Math.min(this.#retryDelayMs * 2, RETRY_MAX_MS);
    this.#retryTimer = setTimeout(() => void this.#retry(), this.#retryDelayMs).unref();
  }

  /** One pass over the pending releases, in order; stops at the first that finds the store still away. */
  async #releasePending(): Promise<void> {
    for (const [token, key] of this.#pending) {
      if (this.#closed) return;
      try {
        await this.#init.release(key, token);
        this.#pending.delete(token);
      } catch (error) {
        if (this.#init.isAway(error)) return; // still away: try again later
        this.#pending.delete(token);
      }
    }
  }

  /** Retries the pending releases until none is left, with the same back-off as in the background. */
  async #drain(): Promise<void> {
    let delayMs = RETRY_FIRST_MS;
    for (;;) {
      await this.#releasePending();
      if (this.#closed || this.#pending.size === 0) return;
      await sleep(delayMs, undefined, { ref: false });
      delayMs = Math.min(delayMs * 2, RETRY_MAX_MS);
    }
  }
}
