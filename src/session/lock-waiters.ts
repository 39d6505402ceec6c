/**
 * The requests of this process that wait for a session's lock, by session. A
 * provider wakes them when it releases a lock itself and, through `listen`, when
 * another front-end server does (Redis pub/sub, a database notification). The cap
 * per session keeps a stuck session from piling up requests.
 */
import { SessionError } from './errors.ts';
import type { LockWatch } from './session-provider.ts';

/** Starts listening for remote releases of one session; resolves to a function that stops. */
export type ReleaseListener = (key: string, wake: () => void) => Promise<() => Promise<void>>;

export const DEFAULT_MAX_WAITERS_PER_SESSION = 50;

interface Entry {
  readonly watches: Set<Watch>;
  readonly listening: Promise<(() => Promise<void>) | undefined>;
}

export class LockWaiters {
  readonly #maxPerSession: number;
  readonly #listen: ReleaseListener | undefined;
  readonly #entries = new Map<string, Entry>();

  constructor(options: { readonly maxPerSession?: number; readonly listen?: ReleaseListener } = {}) {
    this.#maxPerSession = options.maxPerSession ?? DEFAULT_MAX_WAITERS_PER_SESSION;
    this.#listen = options.listen;
  }

  /** Registers a waiter for `key`; resolves once remote releases are being listened for. */
  async watch(key: string): Promise<LockWatch> {
    let entry = this.#entries.get(key);
    if (entry && entry.watches.size >= this.#maxPerSession) {
      throw new SessionError(
        'TESSERA_SESSION_TOO_MANY_WAITERS',
        `${entry.watches.size} requests already wait for the lock of one session on this server (the cap is ${this.#maxPerSession}). The client sends many concurrent requests with one session; retry later, make such requests read-only (mode "readonly") or lock-free (mode "none"), or raise maxWaitersPerSession.`,
      );
    }
    if (!entry) {
      const listening = this.#listen ? this.#listen(key, () => this.wake(key)) : Promise.resolve(undefined);
      entry = { watches: new Set(), listening };
      this.#entries.set(key, entry);
    }
    const watch = new Watch(() => this.#remove(key, watch));
    entry.watches.add(watch);
    try {
      await entry.listening;
    } catch (error) {
      watch.close();
      throw error;
    }
    return watch;
  }

  /** Wakes every waiter of `key` (a lock was released or the session was removed). */
  wake(key: string): void {
    for (const watch of this.#entries.get(key)?.watches ?? []) watch.signal();
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
        // The subscription failed or the connection is gone: nothing left to stop.
      });
  }
}

class Watch implements LockWatch {
  readonly #onClose: () => void;
  #signalled = false;
  #closed = false;
  #resolve: (() => void) | undefined;

  constructor(onClose: () => void) {
    this.#onClose = onClose;
  }

  signal(): void {
    this.#signalled = true;
    this.#resolve?.();
  }

  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.#signalled || this.#closed) {
      this.#signalled = false;
      return Promise.resolve();
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#resolve = undefined;
        this.#signalled = false;
      };
      const onAbort = () => {
        finish();
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        finish();
        resolve();
      }, timeoutMs);
      this.#resolve = () => {
        finish();
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#resolve?.();
    this.#onClose();
  }
}
