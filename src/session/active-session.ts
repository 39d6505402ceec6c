/**
 * One request's use of one session: its items, its lock, and the single write at
 * the end. Framework-independent; `http/` wraps it as `req.session`.
 *
 * Two concerns, kept apart: what the request changed (`RequestChanges`: the items,
 * the timeout, the principal, `touch`) and where the session stands in the store
 * (`SessionState`, in `session-state.ts`). Every store call starts from a state and
 * its outcome is the next state; the methods read as "in this state, do this". The
 * write at the end (or at `save()`) is `SessionWriter`'s (`session-write.ts`).
 */
import { hasErrorCode } from '../errors.ts';
import { reportUnavailable } from './diagnostics.ts';
import { idCollision, lockLost, readOnlySession, type SessionError, sessionAbandoned } from './errors.ts';
import { acquireSession } from './lock-acquire.ts';
import { RequestChanges } from './request-changes.ts';
import { emitSessionEvent } from './session-events.ts';
import { newSessionId } from './session-id.ts';
import { checkMinutes, type SessionMode, type SessionOptions } from './session-options.ts';
import type { SessionKey, SessionPrincipal, SessionProvider, StoredSession } from './session-provider.ts';
import {
  arrive,
  type EndedState,
  enter,
  type OpenState,
  type SessionState,
  standing,
  storedState,
} from './session-state.ts';
import { SessionWriter } from './session-write.ts';

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

export class ActiveSession {
  readonly mode: SessionMode;
  readonly #provider: SessionProvider;
  readonly #options: Readonly<SessionOptions>;
  readonly #clientId: string | undefined;
  #id: string;
  #state: SessionState;
  readonly #changes: RequestChanges;
  readonly #writer: SessionWriter;
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
      stored === undefined ? { name: 'new', replacedStored: false } : storedState(lockToken, stored);
    this.#changes = new RequestChanges(init.provider.name, stored, init.options.timeoutMinutes);
    this.#writer = new SessionWriter(init.provider, init.options, init.mode, this.#changes);
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
    return this.#changes.timeoutMinutes;
  }

  /** Changes this session's sliding expiry; persisted with the session. */
  set timeoutMinutes(minutes: number) {
    checkMinutes('timeoutMinutes', minutes);
    this.#writable('change the timeout');
    this.#changes.timeoutMinutes = minutes;
  }

  get(name: string): unknown {
    return this.#changes.items.get(name);
  }

  has(name: string): boolean {
    return this.#changes.items.has(name);
  }

  set(name: string, value: unknown): void {
    this.#writable(`set item "${name}"`);
    this.#changes.items.set(name, value);
  }

  delete(name: string): void {
    this.#writable(`delete item "${name}"`);
    this.#changes.items.delete(name);
  }

  names(): string[] {
    return this.#changes.items.names();
  }

  /**
   * Names the session's user (at sign-in), written with the session's next save;
   * `null` clears it (at sign-out). The store then lists this session among the
   * principal's (`PrincipalSessions`). Setting one stores a new session even with no items.
   */
  setPrincipal(principal: SessionPrincipal | null): void {
    this.#writable('set the principal');
    this.#changes.setPrincipal(principal);
  }

  /** Asks for the expiry to slide again when the request ends (a long request). */
  touch(): void {
    this.#changes.touch();
  }

  /** What the response should do with the cookie, given the state now. */
  cookieAction(): CookieAction {
    const standing = this.#standing;
    if (standing.name === 'abandoned') return this.#clientId !== undefined ? 'clear' : 'none';
    const willExist = standing.name !== 'new' || this.#changes.storesNew;
    if (willExist) return this.#id !== this.#clientId ? 'set' : 'none';
    return standing.replacedStored && this.#clientId !== undefined ? 'clear' : 'none';
  }

  /** Writes the changes now and keeps the lock (express-session's `save`). */
  async save(): Promise<void> {
    const state = this.#state;
    if (state.name === 'ended') return state.done;
    this.#changes.keep();
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
    this.#changes.clear(this.#options.timeoutMinutes);
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
      if (result === 'exists') throw idCollision();
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
      this.#changes.reload(undefined);
      this.#arrive({ name: 'new', replacedStored: false });
      return;
    }
    this.#changes.reload(load.session);
    this.#arrive(storedState(lockToken, load.session));
  }

  get #key(): SessionKey {
    return { appKey: this.#options.appKey, id: this.#id };
  }

  /** Where the session stands in the store: the state, or after `commit` the state it left. */
  get #standing(): OpenState {
    return standing(this.#state);
  }

  /** Makes `next` the state, or once ended, what the store holds. */
  #arrive(next: OpenState): void {
    this.#state = arrive(this.#state, next);
  }

  #enter(next: SessionState): void {
    this.#state = enter(this.#state, next);
  }

  /** Writes what changed, from `state`; returns the state the store is left in. */
  async #write(state: OpenState, release: boolean): Promise<OpenState> {
    try {
      return await this.#writer.write(this.#key, state, release, this.#awaitRelease);
    } catch (error) {
      // The lock is another request's now: nothing of ours to release.
      if (hasErrorCode(error, 'TESSERA_SESSION_LOCK_LOST') && 'version' in state)
        this.#arrive(storedState(null, state));
      throw error;
    }
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
    if (this.mode === 'readonly') throw readOnlySession(action);
    if (this.#standing.name === 'abandoned') throw sessionAbandoned(action);
  }

  #lockLost(action: string): SessionError {
    return lockLost(action, this.#options.requestTimeoutMs);
  }
}
