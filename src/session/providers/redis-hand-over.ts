/**
 * The hand-over of a session's lock between requests of one front-end server, for
 * the Redis provider. When a request of this server releases the lock (a save that
 * releases it, or a release) while another request of this server waits for it,
 * the release script gives the lock to the waiter's token in the same atomic step,
 * and the waiter gets the session from this server's copy (`SessionCache`) instead
 * of loading it: a burst of one user's requests then costs about one round trip
 * each, not a release, a wake and a load.
 *
 * The lock is handed over only when this server's copy is the version the
 * releasing request loaded or saved (the waiter then holds exactly what Redis
 * holds), and at most `MAX_HAND_OVERS` times in a row per session: then it is
 * released, and published, so that the waiters of other servers get their turn.
 */
import type { HandOverTarget, LockWaiters } from '../lock-waiters.ts';
import type { SessionKey } from '../session-provider.ts';
import type { SessionCache } from './session-cache.ts';

/** The most times in a row a lock passes from a request of this server to another one waiting here. */
const MAX_HAND_OVERS = 8;

/** The arguments of a release script that name whom it hands the lock to (`''`: nobody). */
export interface HandOverArgs {
  readonly handTo: string;
  readonly handTimeoutMs: string;
}

export class LockHandOver {
  readonly #waiters: LockWaiters;
  readonly #cache: SessionCache;
  /** Releases a lock given to a waiter that no longer waits; failures are the caller's to absorb. */
  readonly #release: (key: SessionKey, lockToken: string) => void;
  /** Hand-overs in a row, by session (see MAX_HAND_OVERS). */
  readonly #inARow = new Map<string, number>();

  constructor(
    waiters: LockWaiters,
    cache: SessionCache,
    release: (key: SessionKey, lockToken: string) => void,
  ) {
    this.#waiters = waiters;
    this.#cache = cache;
    this.#release = release;
  }

  /**
   * A request of this server to hand the lock of `tag` over to, when this server
   * knows the session at `version` (the one the releasing request loaded or saved).
   */
  target(tag: string, version: number | null): HandOverTarget | undefined {
    if (version === null || (this.#inARow.get(tag) ?? 0) >= MAX_HAND_OVERS) return undefined;
    if (this.#cache.get(tag)?.version !== version) return undefined;
    return this.#waiters.handOverTarget(tag);
  }

  /** What a release script is told of `target`. */
  static args(target: HandOverTarget | undefined): HandOverArgs {
    return {
      handTo: target?.handOver.lockToken ?? '',
      handTimeoutMs: String(target?.handOver.lockTimeoutMs ?? 0),
    };
  }

  /**
   * After a release script: gives `target` the session it now holds the lock of, or,
   * when it no longer waits, releases that lock. Without a hand-over, wakes a waiter.
   */
  after(key: SessionKey, tag: string, target: HandOverTarget | undefined, handed: boolean): void {
    if (!target || !handed) {
      this.#inARow.delete(tag);
      this.#waiters.wake(tag);
      return;
    }
    this.#inARow.set(tag, (this.#inARow.get(tag) ?? 0) + 1);
    this.#waiters.hold(tag, target.handOver.lockToken, target.handOver.lockTimeoutMs);
    if (target.take(this.#cache.get(tag)) === 'gone') this.#release(key, target.handOver.lockToken);
  }
}
