/**
 * The write that ends a request's use of its session, or that `save()` makes before
 * the end: from where the session stands, it creates the session, writes what the
 * request changed, or only slides the expiry and releases the lock, in at most one
 * store call, and answers where that leaves the session. Each write is reported on
 * `tessera:session:save`. What changed is `RequestChanges`'; where the session
 * stands, `session-state.ts`.
 */
import { publishSave, saveHasSubscribers } from './diagnostics.ts';
import { idCollision, lockLost } from './errors.ts';
import type { PendingChanges, RequestChanges } from './request-changes.ts';
import { emitSessionEvent } from './session-events.ts';
import { newLockToken } from './session-id.ts';
import { checkSessionSize, itemsBytes } from './session-items.ts';
import type { SessionMode, SessionOptions } from './session-options.ts';
import type { SessionKey, SessionProvider } from './session-provider.ts';
import { type OpenState, type StoredState, storedState } from './session-state.ts';

export class SessionWriter {
  readonly #provider: SessionProvider;
  readonly #options: Readonly<SessionOptions>;
  readonly #mode: SessionMode;
  readonly #changes: RequestChanges;

  constructor(
    provider: SessionProvider,
    options: Readonly<SessionOptions>,
    mode: SessionMode,
    changes: RequestChanges,
  ) {
    this.#provider = provider;
    this.#options = options;
    this.#mode = mode;
    this.#changes = changes;
  }

  /**
   * Writes what changed, from `state`, for the session `key`; returns the state the
   * store is left in. With `release`, the lock is released too; with `awaitRelease`
   * false, a release that is all there is to do is not waited for.
   */
  async write(key: SessionKey, state: OpenState, release: boolean, awaitRelease = true): Promise<OpenState> {
    if (state.name === 'abandoned' || this.#mode === 'readonly') {
      this.#report('unchanged', 0, 0, 0, null);
      if (state.name !== 'abandoned' && state.name !== 'new' && release) return { ...state, name: 'loaded' };
      return state;
    }
    if (state.name === 'new') return this.#create(key, state, release);
    const changes = this.#changes.pending();
    if (changes === undefined) return this.#finishUnchanged(key, state, release, awaitRelease);
    return this.#saveChanges(key, state, changes, release);
  }

  /** `new`: creates the session when it holds something (or `save()` was called). */
  async #create(key: SessionKey, state: OpenState & { name: 'new' }, release: boolean): Promise<OpenState> {
    if (!this.#changes.storesNew) return state;
    const session = this.#changes.newSession(this.#absoluteLifetimeMs(), this.#options.maxSessionBytes);
    // A session saved early in an exclusive request stays locked until the request ends.
    const lockToken = release || this.#mode !== 'exclusive' ? null : newLockToken();
    const result = await this.#provider.create(key, session, {
      lockToken,
      lockTimeoutMs: this.#options.requestTimeoutMs,
    });
    if (result.state === 'exists') throw idCollision();
    const { items } = session;
    this.#changes.saved({ set: items, remove: [] });
    this.#report('created', items.size, 0, itemsBytes(items), itemsBytes(items));
    emitSessionEvent(this.#provider, 'created', key);
    return storedState(lockToken, { version: result.version, createdAtMs: null });
  }

  /** Nothing changed: at most a touch, and the lock's release. */
  async #finishUnchanged(
    key: SessionKey,
    state: StoredState,
    release: boolean,
    awaitRelease: boolean,
  ): Promise<OpenState> {
    if (this.#changes.touched) await this.#provider.touch(key);
    this.#report('unchanged', 0, 0, 0, null);
    if (!release || state.name === 'loaded') return state;
    if (state.name === 'locked') {
      const released = this.#provider.release(key, state.lockToken);
      if (awaitRelease) await released;
      else released.catch(() => {}); // retried by the provider; the lock ends by itself in any case
    }
    return { name: 'loaded', version: state.version, createdAtMs: state.createdAtMs };
  }

  /** Writes the changes, only while the session exists and (with a token) nobody took its lock. */
  async #saveChanges(
    key: SessionKey,
    state: StoredState,
    changes: PendingChanges,
    release: boolean,
  ): Promise<OpenState> {
    const { items } = this.#changes;
    if (changes.set.size > 0) checkSessionSize(items.storedAfter(changes), this.#options.maxSessionBytes);
    const lockToken = state.name === 'loaded' ? null : state.lockToken;
    const result = await this.#provider.save(
      key,
      {
        set: changes.set,
        remove: changes.remove,
        timeoutMinutes: changes.timeoutMinutes,
        principal: changes.principal,
      },
      { lockToken, expectedVersion: state.version, releaseLock: release },
    );
    const sessionBytes =
      result.state === 'saved' && saveHasSubscribers() ? itemsBytes(items.storedAfter(changes)) : null;
    this.#report(result.state, changes.set.size, changes.remove.length, changes.bytes, sessionBytes);
    // The lock is another request's now: the caller no longer holds it.
    if (result.state === 'lock-lost') throw lockLost('save the session', this.#options.requestTimeoutMs);
    // Abandoned or expired meanwhile: it stays gone, and this request's changes with it.
    if (result.state === 'missing') return { name: 'abandoned' };
    this.#changes.saved(changes);
    const facts = { version: result.version, createdAtMs: state.createdAtMs };
    if (release || state.name === 'loaded') return { name: 'loaded', ...facts };
    return { ...state, ...facts };
  }

  #absoluteLifetimeMs(): number | null {
    const minutes = this.#options.absoluteLifetimeMinutes;
    return minutes === null ? null : Math.round(minutes * 60_000);
  }

  #report(
    outcome: Parameters<typeof publishSave>[0]['outcome'],
    written: number,
    removed: number,
    bytes: number,
    sessionBytes: number | null,
  ) {
    publishSave({
      provider: this.#provider.name,
      mode: this.#mode,
      outcome,
      itemsWritten: written,
      itemsRemoved: removed,
      bytesWritten: bytes,
      sessionBytes,
    });
  }
}
