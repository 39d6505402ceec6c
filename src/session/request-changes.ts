/**
 * What one request changed in its session, apart from where the session stands in
 * the store: its items (`SessionItems`), its sliding timeout, its principal, and
 * whether it must be stored even without items (`save()`, a principal) or its
 * expiry slid again (`touch`). `ActiveSession` writes it with the session's next
 * save and then marks it saved; this knows nothing of locks, versions or the store.
 */
import { checkSessionSize, type ItemChanges, SessionItems } from './session-items.ts';
import type { NewSession, SessionChanges, SessionPrincipal, StoredSession } from './session-provider.ts';

/** What a save of a stored session writes: the items' changes, and the timeout and principal when they changed. */
export interface PendingChanges extends ItemChanges {
  readonly timeoutMinutes: number | undefined;
  readonly principal: SessionPrincipal | null | undefined;
}

export class RequestChanges {
  readonly items: SessionItems;
  #timeoutMinutes: number;
  #timeoutChanged = false;
  #touched = false;
  /** `save()` was called, or a principal set: a new session is stored even when it holds no item. */
  #keep = false;
  /** A principal to write with the next save; `undefined`: unchanged. */
  #principal: SessionPrincipal | null | undefined;

  /** The changes of a request that loaded `stored` (`undefined`: a new session, with `timeoutMinutes`). */
  constructor(provider: string, stored: StoredSession | undefined, timeoutMinutes: number) {
    this.items = new SessionItems(provider, stored?.items);
    this.#timeoutMinutes = stored?.timeoutMinutes ?? timeoutMinutes;
  }

  get timeoutMinutes(): number {
    return this.#timeoutMinutes;
  }

  set timeoutMinutes(minutes: number) {
    this.#timeoutMinutes = minutes;
    this.#timeoutChanged = true;
  }

  get touched(): boolean {
    return this.#touched;
  }

  touch(): void {
    this.#touched = true;
  }

  keep(): void {
    this.#keep = true;
  }

  setPrincipal(principal: SessionPrincipal | null): void {
    this.#principal = principal;
    if (principal) this.#keep = true;
  }

  /** A new session is stored: it holds an item, or `save()` or a principal asked for it. */
  get storesNew(): boolean {
    return this.#keep || this.items.size > 0;
  }

  /** Starts over with an empty session of `timeoutMinutes` (regenerate): nothing changed yet. */
  clear(timeoutMinutes: number): void {
    this.items.reset(new Map());
    this.#principal = undefined;
    this.#timeoutMinutes = timeoutMinutes;
    this.#timeoutChanged = false;
    this.#keep = false;
  }

  /** Drops what changed for the session as loaded again (reload); `undefined`: it is gone. */
  reload(session: StoredSession | undefined): void {
    this.items.reset(session?.items ?? new Map());
    if (session === undefined) return;
    this.#timeoutMinutes = session.timeoutMinutes;
    this.#timeoutChanged = false;
  }

  /**
   * What creating the session writes: every item, serialized. Throws
   * `TESSERA_SESSION_TOO_LARGE` when they hold more than `maxSessionBytes`.
   */
  newSession(absoluteLifetimeMs: number | null, maxSessionBytes: number): NewSession {
    const items = this.items.serializedAll();
    checkSessionSize(items, maxSessionBytes);
    return { items, timeoutMinutes: this.#timeoutMinutes, absoluteLifetimeMs, principal: this.#principal };
  }

  /** What a save writes; `undefined` when nothing changed. */
  pending(): PendingChanges | undefined {
    const changes = this.items.changes();
    const unchanged =
      changes.set.size === 0 &&
      changes.remove.length === 0 &&
      !this.#timeoutChanged &&
      this.#principal === undefined;
    if (unchanged) return undefined;
    return {
      ...changes,
      timeoutMinutes: this.#timeoutChanged ? this.#timeoutMinutes : undefined,
      principal: this.#principal,
    };
  }

  /** The store now holds `changes` (and the timeout and principal written with them). */
  saved(changes: Pick<SessionChanges, 'set' | 'remove'>): void {
    this.items.saved(changes);
    this.#timeoutChanged = false;
    this.#principal = undefined;
  }
}
