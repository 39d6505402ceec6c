/**
 * The requests of this process that wait for a session's lock, by session. A
 * provider wakes them when it releases a lock itself and, through `listen`, when
 * another front-end server does (Redis pub/sub, a database notification). The cap
 * per session keeps a stuck session from piling up requests.
 *
 * A release wakes one waiter, the longest waiting, not all of them: only one can
 * take the lock, and waking all (each then loading the session again to find it
 * locked) costs a store round trip per waiter per release, quadratic in the number
 * of waiters. A woken waiter that closes its watch (it got the lock, gave up, or
 * failed) passes the wake on to the next one, so a wake is never lost with it. When
 * the session is gone (abandoned, moved to a new id) every waiter is woken.
 */
import { SessionError } from './errors.ts';
import type { LockWatch, StoredSession } from './session-provider.ts';

/** The lock token and timeout a waiter takes the lock with, when it is handed over. */
export interface HandOver {
  readonly lockToken: string;
  readonly lockTimeoutMs: number;
}

/** What a release message says: the lock was released, or the session is gone. */
export type ReleaseKind = 'released' | 'gone';

/** Starts listening for remote releases of one session; resolves to a function that stops. */
export type ReleaseListener = (
  key: string,
  onRelease: (kind: ReleaseKind) => void,
) => Promise<() => Promise<void>>;

export const DEFAULT_MAX_WAITERS_PER_SESSION = 50;

interface Entry {
  readonly watches: Set<Watch>;
  /** Resolves to the function that stops listening, or `undefined` when not listening. Never rejects. */
  listening: Promise<(() => Promise<void>) | undefined>;
  /** Listening failed: the next watch tries again. */
  listenFailed: boolean;
}

export class LockWaiters {
  readonly #maxPerSession: number;
  readonly #listen: ReleaseListener | undefined;
  readonly #entries = new Map<string, Entry>();
  /** The locks this server holds, by key: until when (performance.now() ms; a lock ends by itself then). */
  readonly #held = new Map<string, { readonly untilMs: number; readonly lockToken: string }>();

  constructor(options: { readonly maxPerSession?: number; readonly listen?: ReleaseListener } = {}) {
    this.#maxPerSession = options.maxPerSession ?? DEFAULT_MAX_WAITERS_PER_SESSION;
    this.#listen = options.listen;
  }

  /**
   * Registers a waiter for `key`; resolves once remote releases are being listened
   * for. When listening fails (Redis's pub/sub connection is still reconnecting
   * while commands already work), the waiter is registered anyway and relies on
   * local releases and on re-checking every `lockPollMs`; the next waiter of the
   * session tries to listen again. A store that is down fails the waiter's next
   * load instead, so the request still fails fast.
   */
  async watch(key: string, handOver?: HandOver): Promise<LockWatch> {
    let entry = this.#entries.get(key);
    if (entry && entry.watches.size >= this.#maxPerSession) {
      throw new SessionError(
        'TESSERA_SESSION_TOO_MANY_WAITERS',
        `${entry.watches.size} requests already wait for the lock of one session on this server (the cap is ${this.#maxPerSession}). The client sends many concurrent requests with one session; retry later, make such requests read-only (mode "readonly") or lock-free (mode "none"), or raise maxWaitersPerSession.`,
      );
    }
    if (!entry) {
      entry = { watches: new Set(), listening: Promise.resolve(undefined), listenFailed: true };
      this.#entries.set(key, entry);
    }
    if (entry.listenFailed && this.#listen) {
      const current = entry;
      current.listenFailed = false;
      current.listening = this.#listen(key, (kind) =>
        kind === 'gone' ? this.wakeAll(key) : this.wake(key),
      ).catch(() => {
        current.listenFailed = true;
        return undefined;
      });
    }
    const held = this.#holder(key, handOver?.lockToken);
    const joined = held === 'other' || (held === 'none' && entry.watches.size > 0);
    const watch = new Watch(joined, handOver, (passOn) => {
      this.#remove(key, watch);
      if (passOn) this.wake(key);
    });
    entry.watches.add(watch);
    await entry.listening;
    return watch;
  }

  /**
   * A lock of `key` was released: wakes the longest-waiting waiter that is not
   * already loading after an earlier wake; when all are, the first of those loads
   * once more (its load may have read the lock before this release).
   */
  wake(key: string): void {
    this.#held.delete(key);
    const watches = this.#entries.get(key)?.watches ?? [];
    for (const watch of watches) if (watch.idle && watch.signal()) return;
    for (const watch of watches) if (watch.signal()) return;
  }

  /**
   * The longest-waiting waiter of `key` that is waiting now (not loading) and can
   * take the lock by hand-over; `undefined` when none.
   */
  handOverTarget(key: string): HandOverTarget | undefined {
    for (const watch of this.#entries.get(key)?.watches ?? []) if (watch.canTakeOver) return watch;
    return undefined;
  }

  /** The session of `key` is gone (abandoned, new id): wakes every waiter. */
  wakeAll(key: string): void {
    this.#held.delete(key);
    for (const watch of this.#entries.get(key)?.watches ?? []) watch.signal();
  }

  /**
   * This server took the lock of `key` for `lockTimeoutMs`: until it releases it
   * (`wake`), a new request of this server waits for that release without loading.
   */
  hold(key: string, lockToken: string, lockTimeoutMs: number): void {
    this.#held.set(key, { untilMs: performance.now() + lockTimeoutMs, lockToken });
  }

  /** True when this server holds the lock of `key` with another token, or has requests waiting for it. */
  isBusy(key: string, lockToken: string): boolean {
    const held = this.#holder(key, lockToken);
    return held === 'other' || (held === 'none' && this.#entries.has(key));
  }

  /** Whether this server holds the lock of `key`: with `lockToken` (a request reloading its session), another, or none. */
  #holder(key: string, lockToken: string | undefined): 'mine' | 'other' | 'none' {
    const held = this.#held.get(key);
    if (held === undefined) return 'none';
    if (held.untilMs <= performance.now()) {
      this.#held.delete(key);
      return 'none';
    }
    return held.lockToken === lockToken ? 'mine' : 'other';
  }

  /** How many requests wait for `key` (for tests and diagnostics). */
  count(key: string): number {
    return this.#entries.get(key)?.watches.size ?? 0;
  }

  #remove(key: string, watch: Watch): void {
    const entry = this.#entries.get(key);
    if (!entry?.watches.delete(watch) || entry.watches.size > 0) return;
    this.#entries.delete(key);
    entry.listening
      .then((stop) => stop?.())
      .catch(() => {
        // The connection is gone: nothing left to stop.
      });
  }
}

/** A waiter the lock can be handed over to. */
export interface HandOverTarget {
  readonly handOver: HandOver;
  /**
   * Ends the wait with `session`: the waiter holds the lock now (`taken`). When a
   * timer or a wake ended its wait first, it loads (again) and finds the lock its
   * own (`loads`); when it gave up without the lock (`gone`), the caller must
   * release the lock it gave this waiter's token. Without `session` (the caller
   * no longer knows it), the waiter is woken to load it.
   */
  take(session: StoredSession | undefined): 'taken' | 'loads' | 'gone';
}

class Watch implements LockWatch, HandOverTarget {
  readonly joined: boolean;
  readonly #handOver: HandOver | undefined;
  readonly #onClose: (passOn: boolean) => void;
  /** A wake the waiter has not acted on: its next `wait` returns at once. */
  #owed = false;
  /** A wake ended the current wait, and the waiter has not waited again since (it is loading). */
  #delivered = false;
  /** Woken at least once. */
  #woken = false;
  #closed = false;
  /** Closed holding the lock. */
  #acquired = false;
  #resolve: ((session?: StoredSession) => void) | undefined;

  constructor(joined: boolean, handOver: HandOver | undefined, onClose: (passOn: boolean) => void) {
    this.joined = joined;
    this.#handOver = handOver;
    this.#onClose = onClose;
  }

  /** Neither holding a wake it has not acted on, nor loading after one. */
  get idle(): boolean {
    return !this.#closed && !this.#owed && !this.#delivered;
  }

  get handOver(): HandOver {
    return this.#handOver!;
  }

  /** Waiting now, idle, and given a token to take the lock with. */
  get canTakeOver(): boolean {
    return this.#handOver !== undefined && this.#resolve !== undefined && this.idle;
  }

  take(session: StoredSession | undefined): 'taken' | 'loads' | 'gone' {
    if (this.#closed) return this.#acquired ? 'loads' : 'gone';
    if (this.#resolve === undefined || session === undefined) {
      this.signal(); // its load under way may have found the lock still held: load again
      return 'loads';
    }
    this.#woken = true;
    this.#delivered = true;
    this.#resolve(session);
    return 'taken';
  }

  /** Wakes this waiter; false when it is closed or already owes a load. */
  signal(): boolean {
    if (this.#closed || this.#owed) return false;
    this.#woken = true;
    if (this.#resolve) {
      this.#delivered = true;
      this.#resolve();
    } else {
      this.#owed = true;
    }
    return true;
  }

  wait(timeoutMs: number, signal?: AbortSignal): Promise<StoredSession | undefined> {
    this.#delivered = false;
    if (this.#owed || this.#closed) {
      this.#owed = false;
      return Promise.resolve(undefined);
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<StoredSession | undefined>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#resolve = undefined;
      };
      const onAbort = () => {
        finish();
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        finish();
        resolve(undefined);
      }, timeoutMs);
      this.#resolve = (session) => {
        finish();
        resolve(session);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  close(options: { readonly lockAcquired?: boolean } = {}): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#acquired = options.lockAcquired ?? false;
    this.#resolve?.();
    // A waiter that was woken and leaves without the lock (it gave up, failed, or
    // found the session gone) passes its wake on. One that took the lock wakes the
    // next waiter when it releases.
    this.#onClose(this.#woken && !options.lockAcquired);
  }
}
