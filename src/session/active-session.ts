/**
 * One request's use of one session: its items, its lock, and the single write at
 * the end. Framework-independent; `http/` wraps it as `req.session`.
 */
import { publishSave, reportUnavailable } from './diagnostics.ts';
import { SessionError } from './errors.ts';
import { acquireSession } from './lock-acquire.ts';
import { newLockToken, newSessionId } from './session-id.ts';
import { checkSessionSize, SessionItems } from './session-items.ts';
import { checkMinutes, type SessionMode, type SessionOptions } from './session-options.ts';
import type { SessionKey, SessionProvider, StoredSession } from './session-provider.ts';

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
  readonly #items: SessionItems;
  #id: string;
  #isNew: boolean;
  #lockToken: string | null;
  #version: number | null;
  #createdAtMs: number | null;
  #timeoutMinutes: number;
  #timeoutChanged = false;
  #touched = false;
  #keep = false;
  #abandoned = false;
  #awaitRelease = true;
  #ended: Promise<void> | undefined;

  constructor(init: ActiveSessionInit) {
    this.mode = init.mode;
    this.#provider = init.provider;
    this.#options = init.options;
    this.#clientId = init.clientId;
    this.#id = init.id;
    this.#isNew = init.stored === undefined;
    this.#lockToken = init.lockToken;
    this.#version = init.stored?.version ?? null;
    this.#createdAtMs = init.stored?.createdAtMs ?? null;
    this.#timeoutMinutes = init.stored?.timeoutMinutes ?? init.options.timeoutMinutes;
    this.#items = new SessionItems(init.provider.name, init.stored?.items);
  }

  get id(): string {
    return this.#id;
  }

  /** True until the session exists in the store. */
  get isNew(): boolean {
    return this.#isNew;
  }

  get abandoned(): boolean {
    return this.#abandoned;
  }

  /** When the session was created (store clock), `null` for a new session. */
  get createdAt(): Date | null {
    return this.#createdAtMs === null ? null : new Date(this.#createdAtMs);
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

  /** Asks for the expiry to slide again when the request ends (a long request). */
  touch(): void {
    this.#touched = true;
  }

  /** What the response should do with the cookie, given the state now. */
  cookieAction(): CookieAction {
    if (this.#abandoned) return this.#clientId !== undefined ? 'clear' : 'none';
    const willExist = !this.#isNew || this.#keep || this.#items.size > 0;
    return willExist && this.#id !== this.#clientId ? 'set' : 'none';
  }

  /** Writes the changes now and keeps the lock (express-session's `save`). */
  async save(): Promise<void> {
    if (this.#ended) return this.#ended;
    this.#keep = true;
    await this.#write(false);
  }

  /**
   * Ends the request's use of the session: writes what changed (nothing when nothing
   * changed) and releases the lock, in at most one store call. Idempotent. With
   * `awaitRelease: false`, a release that is all there is to do (nothing changed)
   * is sent without waiting for its answer (a response need not wait for it; one
   * that fails is retried by the provider, and a lock ends by itself in any case).
   */
  commit(options: { readonly awaitRelease?: boolean } = {}): Promise<void> {
    if (!this.#ended) this.#awaitRelease = options.awaitRelease ?? true;
    this.#ended ??= this.#write(true).catch(async (error: unknown) => {
      reportUnavailable(this.#provider.name, error);
      await this.#releaseQuietly();
      throw error;
    });
    return this.#ended;
  }

  /**
   * Releases the lock early (the client went away before the application answered),
   * so other requests need not wait for it to expire. A later `commit` still saves,
   * provided nobody saved the session in between.
   */
  async discard(): Promise<void> {
    if (this.#ended || this.#lockToken === null || this.#isNew) return;
    // The lock also ends by itself after requestTimeoutMs; a failure here only delays others.
    await this.#provider.release(this.#key, this.#lockToken).catch(() => {});
  }

  /** Moves the session to a new id (call at login), keeping items and remaining lifetime. */
  async regenerate(): Promise<void> {
    this.#writable('regenerate the session id');
    for (let attempt = 0; ; attempt++) {
      const newId = newSessionId();
      if (this.#isNew) {
        this.#id = newId;
        return;
      }
      const result = await this.#provider.regenerate(this.#key, newId, {
        lockToken: this.#lockToken,
        lockTimeoutMs: this.#options.requestTimeoutMs,
      });
      if (result === 'lock-lost') throw this.#lockLost('regenerate the session id');
      if (result === 'exists' && attempt < 2) continue;
      if (result === 'exists') throw collision();
      this.#id = newId;
      if (result === 'missing') this.#becomeNew();
      return;
    }
  }

  /** Deletes the session for good; the response clears the cookie. */
  async abandon(): Promise<void> {
    if (this.#abandoned) return;
    if (this.mode === 'readonly') this.#writable('abandon the session');
    if (!this.#isNew) await this.#provider.abandon(this.#key);
    this.#abandoned = true;
    this.#lockToken = null;
  }

  /** Loads the session again from the store, dropping unsaved changes. */
  async reload(): Promise<void> {
    if (this.#isNew || this.#abandoned) return;
    const load =
      this.#lockToken === null
        ? await this.#provider.loadReadOnly(this.#key)
        : await acquireSession(this.#provider, this.#key, this.#lockToken, this.#options);
    if (load.state === 'missing') {
      this.#becomeNew();
      this.#items.reset(new Map());
      return;
    }
    this.#items.reset(load.session.items);
    this.#version = load.session.version;
    this.#timeoutMinutes = load.session.timeoutMinutes;
    this.#timeoutChanged = false;
  }

  get #key(): SessionKey {
    return { appKey: this.#options.appKey, id: this.#id };
  }

  async #write(release: boolean): Promise<void> {
    if (this.#abandoned || this.mode === 'readonly') {
      this.#report('unchanged', 0, 0, 0);
      return;
    }
    const changes = this.#items.changes();
    if (this.#isNew) {
      if (!this.#keep && this.#items.size === 0) return;
      const items = this.#items.serializedAll();
      checkSessionSize(items, this.#options.maxSessionBytes);
      const lockToken = release || this.mode !== 'exclusive' ? null : this.#lockTokenForNew();
      const result = await this.#provider.create(
        this.#key,
        { items, timeoutMinutes: this.#timeoutMinutes, absoluteLifetimeMs: this.#absoluteLifetimeMs() },
        { lockToken, lockTimeoutMs: this.#options.requestTimeoutMs },
      );
      if (result.state === 'exists') throw collision();
      this.#isNew = false;
      this.#version = result.version;
      this.#lockToken = lockToken;
      this.#items.saved({ set: items, remove: [] });
      this.#timeoutChanged = false;
      this.#report('created', items.size, 0, sizeOf(items));
      return;
    }
    const unchanged = changes.set.size === 0 && changes.remove.length === 0 && !this.#timeoutChanged;
    if (unchanged) {
      if (this.#touched) await this.#provider.touch(this.#key);
      if (release && this.#lockToken !== null) {
        const released = this.#provider.release(this.#key, this.#lockToken);
        if (this.#awaitRelease) await released;
        else released.catch(() => {});
      }
      if (release) this.#lockToken = null;
      this.#report('unchanged', 0, 0, 0);
      return;
    }
    if (changes.set.size > 0)
      checkSessionSize(this.#items.storedAfter(changes), this.#options.maxSessionBytes);
    const result = await this.#provider.save(
      this.#key,
      {
        set: changes.set,
        remove: changes.remove,
        timeoutMinutes: this.#timeoutChanged ? this.#timeoutMinutes : undefined,
      },
      { lockToken: this.#lockToken, expectedVersion: this.#version, releaseLock: release },
    );
    this.#report(result.state, changes.set.size, changes.remove.length, changes.bytes);
    if (result.state === 'lock-lost') {
      this.#lockToken = null;
      throw this.#lockLost('save the session');
    }
    if (result.state === 'missing') {
      // Abandoned or expired meanwhile: it stays gone, and this request's changes with it.
      this.#abandoned = true;
      this.#lockToken = null;
      return;
    }
    this.#items.saved(changes);
    this.#version = result.version;
    this.#timeoutChanged = false;
    if (release) this.#lockToken = null;
  }

  #lockTokenForNew(): string {
    // A session saved early in an exclusive request stays locked until the request ends.
    return newLockToken();
  }

  #absoluteLifetimeMs(): number | null {
    const minutes = this.#options.absoluteLifetimeMinutes;
    return minutes === null ? null : Math.round(minutes * 60_000);
  }

  #becomeNew(): void {
    this.#isNew = true;
    this.#version = null;
    this.#createdAtMs = null;
    this.#lockToken = null;
  }

  async #releaseQuietly(): Promise<void> {
    const token = this.#lockToken;
    this.#lockToken = null;
    if (token === null || this.#isNew) return;
    // The lock also ends by itself after requestTimeoutMs; a failure here only delays others.
    await this.#provider.release(this.#key, token).catch(() => {});
  }

  #writable(action: string): void {
    if (this.mode === 'readonly') {
      throw new SessionError(
        'TESSERA_SESSION_READ_ONLY',
        `This request uses its session in mode "readonly" and cannot ${action}. Use mode "exclusive" or "none" for requests that change the session.`,
      );
    }
    if (this.#abandoned) {
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
  ) {
    publishSave({
      provider: this.#provider.name,
      mode: this.mode,
      outcome,
      itemsWritten: written,
      itemsRemoved: removed,
      bytesWritten: bytes,
    });
  }
}

function collision(): SessionError {
  return new SessionError(
    'TESSERA_SESSION_ID_COLLISION',
    'A newly generated session id was already in use, three times in a row. The random source is not random; check the platform CSPRNG.',
  );
}

function sizeOf(items: ReadonlyMap<string, string>): number {
  let bytes = 0;
  for (const [name, value] of items) bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  return bytes;
}
