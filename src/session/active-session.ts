/**
 * One request's use of one session: its items, its lock, and the single write at
 * the end. Framework-independent; `http/` wraps it as `req.session`.
 *
 * Two concerns, kept apart: what the request changed (`SessionItems`, the timeout,
 * `touch`) and where the session stands in the store (`SessionState` below). Every
 * store call starts from a state and its outcome is the next state; the methods
 * read as "in this state, do this".
 */
import { publishSave, reportUnavailable, saveHasSubscribers } from './diagnostics.ts';
import { SessionError } from './errors.ts';
import { acquireSession } from './lock-acquire.ts';
import { emitSessionEvent } from './session-events.ts';
import { newLockToken, newSessionId } from './session-id.ts';
import { checkSessionSize, type ItemChanges, itemsBytes, SessionItems } from './session-items.ts';
import { checkMinutes, type SessionMode, type SessionOptions } from './session-options.ts';
import type { SessionKey, SessionPrincipal, SessionProvider, StoredSession } from './session-provider.ts';

/** What the response must do with the session cookie. */
export type CookieAction = 'set' | 'clear' | 'none';

export interface ActiveSessionInit {
  readonly provider: SessionProvider;
  readonly options: Readonly<SessionOptions>;
  readonly mode: SessionMode;
  /** The id the client presented (may be unknown to the store, or malformed). */
  readonly clientId: string | undefined;
  readonly id: string;
  /** The stored session, or `undefined` for a new one. */
  readonly stored: StoredSession | undefined;
  /** The token of the lock this request holds (exclusive mode, stored session). */
  readonly lockToken: string | null;
}

/** What this request knows of a session that exists in the store. */
interface StoredFacts {
  /** The version last loaded or saved: a save with a lock token is refused if someone saved since. */
  readonly version: number;
  /** Creation time on the store's clock; `null` when this request created it. */
  readonly createdAtMs: number | null;
}

/**
 * Where the request's session stands.
 *
 * | state       | in the store | lock held by this request                          |
 * | ----------- | ------------ | -------------------------------------------------- |
 * | `new`       | no           | none                                               |
 * | `loaded`    | yes          | none (modes `readonly`, `none`)                    |
 * | `locked`    | yes          | yes, with `lockToken` (mode `exclusive`)           |
 * | `released`  | yes          | no longer: released early (`discard`, the client went away); a save still happens with `lockToken` when nobody saved since `version` |
 * | `abandoned` | no, for good | none; its cookie is cleared                        |
 * | `ended`     | `final` says | none; `commit` ran (`done`), the request is done with the store |
 *
 * Transitions (all made by `#enter`, checked against `TRANSITIONS`):
 * - `new` → `loaded` | `locked` by `save` (the store creates it; `locked` in mode
 *   `exclusive`), → `abandoned` by `abandon`.
 * - any stored state → `new` by `regenerate` (the stored session is deleted).
 * - `loaded` | `locked` → the same state with a new version by `save`; →
 *   `new` when a save, reload or regenerate finds the session gone (expired);
 *   `locked` → `released` by `discard`; `released` → `locked` by `reload`.
 * - any but `ended` → `abandoned` by `abandon` or a save that finds it gone.
 * - any → `ended` by `commit`; `final` is the state the commit left in the store.
 */
type SessionState =
  /** `replacedStored`: `regenerate` deleted the session the client presented. */
  | { readonly name: 'new'; readonly replacedStored: boolean }
  | ({ readonly name: 'loaded' } & StoredFacts)
  | ({ readonly name: 'locked'; readonly lockToken: string } & StoredFacts)
  | ({ readonly name: 'released'; readonly lockToken: string } & StoredFacts)
  | { readonly name: 'abandoned' }
  | EndedState;

interface EndedState {
  readonly name: 'ended';
  done: Promise<void>;
  final: OpenState;
}

type StateName = SessionState['name'];
type OpenState = Exclude<SessionState, EndedState>;
type StoredState = Extract<SessionState, StoredFacts>;

const TRANSITIONS = {
  new: ['new', 'loaded', 'locked', 'abandoned', 'ended'],
  loaded: ['loaded', 'new', 'abandoned', 'ended'],
  locked: ['locked', 'released', 'loaded', 'new', 'abandoned', 'ended'],
  released: ['released', 'locked', 'loaded', 'new', 'abandoned', 'ended'],
  abandoned: ['abandoned', 'ended'],
  ended: [],
} as const satisfies Record<StateName, readonly StateName[]>;

export class ActiveSession {
  readonly mode: SessionMode;
  readonly #provider: SessionProvider;
  readonly #options: Readonly<SessionOptions>;
  readonly #clientId: string | undefined;
  #id: string;
  #state: SessionState;
  // What the request changed, beside the items: saved with them.
  readonly #items: SessionItems;
  #timeoutMinutes: number;
  #timeoutChanged = false;
  #touched = false;
  /** `save()` was called: a new session is stored even when it holds no item. */
  #keep = false;
  /** A principal to write with the next save; `undefined`: unchanged. */
  #principal: SessionPrincipal | null | undefined;
  /** `commit({ awaitRelease: false })`: a release that is all there is to do is not waited for. */
  #awaitRelease = true;

  constructor(init: ActiveSessionInit) {
    this.mode = init.mode;
    this.#provider = init.provider;
    this.#options = init.options;
    this.#clientId = init.clientId;
    this.#id = init.id;
    const { stored, lockToken } = init;
    this.#state =
      stored === undefined
        ? { name: 'new', replacedStored: false }
        : lockToken === null
          ? { name: 'loaded', version: stored.version, createdAtMs: stored.createdAtMs }
          : { name: 'locked', lockToken, version: stored.version, createdAtMs: stored.createdAtMs };
    this.#timeoutMinutes = stored?.timeoutMinutes ?? init.options.timeoutMinutes;
    this.#items = new SessionItems(init.provider.name, stored?.items);
  }

  get id(): string {
    return this.#id;
  }

  /** True until the session exists in the store. */
  get isNew(): boolean {
    return this.#standing.name === 'new';
  }

  get abandoned(): boolean {
    return this.#standing.name === 'abandoned';
  }

  /** When the session was created (store clock), `null` for a new session. */
  get createdAt(): Date | null {
    const standing = this.#standing;
    return 'createdAtMs' in standing && standing.createdAtMs !== null ? new Date(standing.createdAtMs) : null;
  }

  get timeoutMinutes(): number {
    return this.#timeoutMinutes;
  }

  /** Changes this session's sliding expiry; persisted with the session. */
  set timeoutMinutes(minutes: number) {
    checkMinutes('timeoutMinutes', minutes);
    this.#writable('change the timeout');
    this.#timeoutMinutes = minutes;
    this.#timeoutChanged = true;
  }

  get(name: string): unknown {
    return this.#items.get(name);
  }

  has(name: string): boolean {
    return this.#items.has(name);
  }

  set(name: string, value: unknown): void {
    this.#writable(`set item "${name}"`);
    this.#items.set(name, value);
  }

  delete(name: string): void {
    this.#writable(`delete item "${name}"`);
    this.#items.delete(name);
  }

  names(): string[] {
    return this.#items.names();
  }

  /**
   * Names the session's user (at sign-in), written with the session's next save;
   * `null` clears it (at sign-out). The store then lists this session among the
   * principal's (`PrincipalSessions`). Setting one stores a new session even with no items.
   */
  setPrincipal(principal: SessionPrincipal | null): void {
    this.#writable('set the principal');
    this.#principal = principal;
    if (principal) this.#keep = true;
  }

  /** Asks for the expiry to slide again when the request ends (a long request). */
  touch(): void {
    this.#touched = true;
  }

  /** What the response should do with the cookie, given the state now. */
  cookieAction(): CookieAction {
    const standing = this.#standing;
    if (standing.name === 'abandoned') return this.#clientId !== undefined ? 'clear' : 'none';
    const willExist = standing.name !== 'new' || this.#keep || this.#items.size > 0;
    if (willExist) return this.#id !== this.#clientId ? 'set' : 'none';
    return standing.replacedStored && this.#clientId !== undefined ? 'clear' : 'none';
  }

  /** Writes the changes now and keeps the lock (express-session's `save`). */
  async save(): Promise<void> {
    const state = this.#state;
    if (state.name === 'ended') return state.done;
    this.#keep = true;
    this.#arrive(await this.#write(state, false));
  }

  /**
   * Ends the request's use of the session: writes what changed (nothing when nothing
   * changed) and releases the lock, in at most one store call. Idempotent. With
   * `awaitRelease: false`, a release that is all there is to do (nothing changed)
   * is sent without waiting for its answer (a response need not wait for it; one
   * that fails is retried by the provider, and a lock ends by itself in any case).
   */
  commit(options: { readonly awaitRelease?: boolean } = {}): Promise<void> {
    const state = this.#state;
    if (state.name === 'ended') return state.done;
    this.#awaitRelease = options.awaitRelease ?? true;
    const ended: EndedState = { name: 'ended', final: state, done: Promise.resolve() };
    this.#enter(ended);
    ended.done = this.#write(state, true).then(
      (final) => {
        ended.final = final;
      },
      async (error: unknown) => {
        reportUnavailable(this.#provider.name, error);
        await this.#releaseQuietly(ended);
        throw error;
      },
    );
    return ended.done;
  }

  /**
   * Releases the lock early (the client went away before the application answered),
   * so other requests need not wait for it to expire. A later `commit` still saves,
   * provided nobody saved the session in between.
   */
  async discard(): Promise<void> {
    const state = this.#state;
    if (state.name !== 'locked') return;
    this.#enter({ ...state, name: 'released' });
    // The lock also ends by itself after requestTimeoutMs; a failure here only delays others.
    await this.#provider.release(this.#key, state.lockToken).catch(() => {});
  }

  /**
   * As express-session's `regenerate`: the stored session is deleted for good (one
   * atomic store call, whoever holds its lock), and the request continues with an
   * empty new session under a new id, stored only if something is put in it (or it
   * is saved). The response sets the new cookie, or clears the old one when nothing
   * is stored. Call it at logout; at login, `changeId` keeps the items instead.
   */
  async regenerate(): Promise<void> {
    this.#writable('regenerate the session');
    const state = this.#standing;
    if (state.name !== 'new') {
      await this.#provider.abandon(this.#key);
      emitSessionEvent(this.#provider, 'destroyed', { ...this.#key, cause: 'abandon' });
    }
    this.#id = newSessionId();
    this.#items.reset(new Map());
    this.#principal = undefined;
    this.#timeoutMinutes = this.#options.timeoutMinutes;
    this.#timeoutChanged = false;
    this.#keep = false;
    this.#arrive({ name: 'new', replacedStored: state.name !== 'new' || state.replacedStored });
  }

  /**
   * Moves the session to a new id, keeping its items, creation time and remaining
   * lifetime, in one atomic store call; the old id never works again. Call it at
   * login (and whenever the user's privileges change) against session fixation.
   */
  async changeId(): Promise<void> {
    this.#writable('change the session id');
    const state = this.#standing;
    if (state.name === 'new' || state.name === 'abandoned') {
      this.#id = newSessionId();
      return;
    }
    for (let attempt = 0; ; attempt++) {
      const newId = newSessionId();
      const result = await this.#provider.regenerate(this.#key, newId, {
        lockToken: state.name === 'loaded' ? null : state.lockToken,
        lockTimeoutMs: this.#options.requestTimeoutMs,
      });
      if (result === 'lock-lost') throw this.#lockLost('change the session id');
      if (result === 'exists' && attempt < 2) continue;
      if (result === 'exists') throw collision();
      const previousId = this.#id;
      this.#id = newId;
      if (result === 'missing') this.#arrive({ name: 'new', replacedStored: false });
      else
        emitSessionEvent(this.#provider, 'regenerated', {
          appKey: this.#options.appKey,
          id: newId,
          previousId,
        });
      return;
    }
  }

  /** Deletes the session for good; the response clears the cookie. */
  async abandon(): Promise<void> {
    const state = this.#standing;
    if (state.name === 'abandoned') return;
    if (this.mode === 'readonly') this.#writable('abandon the session');
    if (state.name !== 'new') {
      await this.#provider.abandon(this.#key);
      emitSessionEvent(this.#provider, 'destroyed', { ...this.#key, cause: 'abandon' });
    }
    this.#arrive({ name: 'abandoned' });
  }

  /** Loads the session again from the store, dropping unsaved changes. */
  async reload(): Promise<void> {
    const state = this.#standing;
    if (state.name === 'new' || state.name === 'abandoned') return;
    const lockToken = state.name === 'loaded' || this.#state.name === 'ended' ? null : state.lockToken;
    const load =
      lockToken === null
        ? await this.#provider.loadReadOnly(this.#key)
        : await acquireSession(this.#provider, this.#key, lockToken, this.#options);
    if (load.state === 'missing') {
      this.#items.reset(new Map());
      this.#arrive({ name: 'new', replacedStored: false });
      return;
    }
    this.#items.reset(load.session.items);
    this.#timeoutMinutes = load.session.timeoutMinutes;
    this.#timeoutChanged = false;
    const facts = { version: load.session.version, createdAtMs: load.session.createdAtMs };
    this.#arrive(lockToken === null ? { name: 'loaded', ...facts } : { name: 'locked', lockToken, ...facts });
  }

  get #key(): SessionKey {
    return { appKey: this.#options.appKey, id: this.#id };
  }

  /** Where the session stands in the store: the state, or after `commit` the state it left. */
  get #standing(): OpenState {
    return this.#state.name === 'ended' ? this.#state.final : this.#state;
  }

  /** Makes `next` the state, or once ended, what the store holds. */
  #arrive(next: OpenState): void {
    const state = this.#state;
    if (state.name === 'ended') state.final = next;
    else this.#enter(next);
  }

  #enter(next: SessionState): void {
    const allowed: readonly StateName[] = TRANSITIONS[this.#state.name];
    if (!allowed.includes(next.name))
      throw new Error(`Tessera bug: a session cannot go from "${this.#state.name}" to "${next.name}".`);
    this.#state = next;
  }

  /** Writes what changed, from `state`; returns the state the store is left in. */
  async #write(state: OpenState, release: boolean): Promise<OpenState> {
    if (state.name === 'abandoned' || this.mode === 'readonly') {
      this.#report('unchanged', 0, 0, 0, null);
      if (state.name !== 'abandoned' && state.name !== 'new' && release) return { ...state, name: 'loaded' };
      return state;
    }
    if (state.name === 'new') return this.#create(state, release);
    const changes = this.#items.changes();
    const unchanged =
      changes.set.size === 0 &&
      changes.remove.length === 0 &&
      !this.#timeoutChanged &&
      this.#principal === undefined;
    if (unchanged) return this.#finishUnchanged(state, release);
    return this.#saveChanges(state, changes, release);
  }

  /** `new`: creates the session when it holds something (or `save()` was called). */
  async #create(state: OpenState & { name: 'new' }, release: boolean): Promise<OpenState> {
    if (!this.#keep && this.#items.size === 0) return state;
    const items = this.#items.serializedAll();
    checkSessionSize(items, this.#options.maxSessionBytes);
    // A session saved early in an exclusive request stays locked until the request ends.
    const lockToken = release || this.mode !== 'exclusive' ? null : newLockToken();
    const result = await this.#provider.create(
      this.#key,
      {
        items,
        timeoutMinutes: this.#timeoutMinutes,
        absoluteLifetimeMs: this.#absoluteLifetimeMs(),
        principal: this.#principal,
      },
      { lockToken, lockTimeoutMs: this.#options.requestTimeoutMs },
    );
    if (result.state === 'exists') throw collision();
    this.#items.saved({ set: items, remove: [] });
    this.#timeoutChanged = false;
    this.#principal = undefined;
    this.#report('created', items.size, 0, itemsBytes(items), itemsBytes(items));
    emitSessionEvent(this.#provider, 'created', this.#key);
    const facts = { version: result.version, createdAtMs: null };
    return lockToken === null ? { name: 'loaded', ...facts } : { name: 'locked', lockToken, ...facts };
  }

  /** Nothing changed: at most a touch, and the lock's release. */
  async #finishUnchanged(state: StoredState, release: boolean): Promise<OpenState> {
    if (this.#touched) await this.#provider.touch(this.#key);
    this.#report('unchanged', 0, 0, 0, null);
    if (!release || state.name === 'loaded') return state;
    if (state.name === 'locked') {
      const released = this.#provider.release(this.#key, state.lockToken);
      if (this.#awaitRelease) await released;
      else released.catch(() => {}); // retried by the provider; the lock ends by itself in any case
    }
    return { name: 'loaded', version: state.version, createdAtMs: state.createdAtMs };
  }

  /** Writes the changes, only while the session exists and (with a token) nobody took its lock. */
  async #saveChanges(state: StoredState, changes: ItemChanges, release: boolean): Promise<OpenState> {
    if (changes.set.size > 0)
      checkSessionSize(this.#items.storedAfter(changes), this.#options.maxSessionBytes);
    const lockToken = state.name === 'loaded' ? null : state.lockToken;
    const result = await this.#provider.save(
      this.#key,
      {
        set: changes.set,
        remove: changes.remove,
        timeoutMinutes: this.#timeoutChanged ? this.#timeoutMinutes : undefined,
        principal: this.#principal,
      },
      { lockToken, expectedVersion: state.version, releaseLock: release },
    );
    const sessionBytes =
      result.state === 'saved' && saveHasSubscribers() ? itemsBytes(this.#items.storedAfter(changes)) : null;
    this.#report(result.state, changes.set.size, changes.remove.length, changes.bytes, sessionBytes);
    if (result.state === 'lock-lost') {
      // The lock is another request's now: nothing of ours to release.
      this.#arrive({ name: 'loaded', version: state.version, createdAtMs: state.createdAtMs });
      throw this.#lockLost('save the session');
    }
    // Abandoned or expired meanwhile: it stays gone, and this request's changes with it.
    if (result.state === 'missing') return { name: 'abandoned' };
    this.#items.saved(changes);
    this.#timeoutChanged = false;
    this.#principal = undefined;
    const facts = { version: result.version, createdAtMs: state.createdAtMs };
    if (release || state.name === 'loaded') return { name: 'loaded', ...facts };
    return { ...state, ...facts };
  }

  #absoluteLifetimeMs(): number | null {
    const minutes = this.#options.absoluteLifetimeMinutes;
    return minutes === null ? null : Math.round(minutes * 60_000);
  }

  /** After a failed commit: releases the lock the session was left holding, if any. */
  async #releaseQuietly(ended: EndedState): Promise<void> {
    const state = ended.final;
    if (state.name !== 'locked') return;
    ended.final = { ...state, name: 'loaded' };
    // The lock also ends by itself after requestTimeoutMs; a failure here only delays others.
    await this.#provider.release(this.#key, state.lockToken).catch(() => {});
  }

  #writable(action: string): void {
    if (this.mode === 'readonly') {
      throw new SessionError(
        'TESSERA_SESSION_READ_ONLY',
        `This request uses its session in mode "readonly" and cannot ${action}. Use mode "exclusive" or "none" for requests that change the session.`,
      );
    }
    if (this.#standing.name === 'abandoned') {
      throw new SessionError(
        'TESSERA_SESSION_ABANDONED',
        `The session was abandoned; this request cannot ${action}. The next request starts a new session.`,
      );
    }
  }

  #lockLost(action: string): SessionError {
    return new SessionError(
      'TESSERA_SESSION_LOCK_LOST',
      `Could not ${action}: this request held the session's lock longer than requestTimeoutMs (${this.#options.requestTimeoutMs} ms) and another request took it over. Nothing was written. Make the request faster or raise requestTimeoutMs.`,
    );
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
      mode: this.mode,
      outcome,
      itemsWritten: written,
      itemsRemoved: removed,
      bytesWritten: bytes,
      sessionBytes,
    });
  }
}

function collision(): SessionError {
  return new SessionError(
    'TESSERA_SESSION_ID_COLLISION',
    'A newly generated session id was already in use, three times in a row. The random source is not random; check the platform CSPRNG.',
  );
}
