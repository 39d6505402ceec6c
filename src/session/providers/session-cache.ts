/**
 * The sessions a front-end server loaded or saved last, kept so that a load of a
 * session nobody changed since does not transfer its items again. The copy is
 * only ever used after the store confirmed, in the same atomic step as the load,
 * that the session still has the creation time and version of the copy (every
 * save bumps the version): a load answers exactly what it would without the
 * cache. Bounded by bytes (item names and values, in characters), least recently
 * used first out.
 */
import type { NewSession, StoredSession } from '../session-provider.ts';

/** A session as this server last saw it stored; its `items` map is never changed once cached (a save caches a new one). */
export type CachedSession = StoredSession;

/** What a load answers of a session besides its items. */
export type SessionFacts = Omit<StoredSession, 'items'>;

interface Entry extends CachedSession {
  readonly bytes: number;
}

export class SessionCache {
  readonly #maxBytes: number;
  /** By session, least recently used first. */
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** The copy of `key`, marked as recently used; `undefined` when none is kept. */
  get(key: string): CachedSession | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry;
  }

  /** What a load sends to have the items left out when the stored session is still this copy. */
  static known(copy: CachedSession | undefined): string {
    return copy === undefined ? '' : `${copy.createdAtMs}:${copy.version}`;
  }

  /**
   * The session a load of `key` answered, having sent `known(copy)`: with the
   * items it transferred, kept as the new copy; or, when the store found the
   * session unchanged since `copy`, with the copy's items.
   */
  loaded(
    key: string,
    copy: CachedSession | undefined,
    facts: SessionFacts,
    items: ReadonlyMap<string, string> | 'unchanged',
  ): StoredSession {
    if (items !== 'unchanged') {
      const session = { ...facts, items };
      this.set(key, session);
      return session;
    }
    if (copy === undefined) throw new Error('The store answered "unchanged" to a load that sent no version');
    return { ...facts, items: copy.items };
  }

  /** Keeps the session just created as `key` (at `createdAtMs` on the store's clock) as its copy. */
  created(key: string, session: NewSession, createdAtMs: number, version: number): void {
    this.set(key, {
      items: new Map(session.items),
      timeoutMinutes: session.timeoutMinutes,
      createdAtMs,
      absoluteExpiresAtMs:
        session.absoluteLifetimeMs === null ? null : createdAtMs + session.absoluteLifetimeMs,
      version,
    });
  }

  /** Keeps `session` as the copy of `key` (too large a session is not kept). */
  set(key: string, session: CachedSession): void {
    this.delete(key);
    let bytes = 0;
    for (const [name, value] of session.items) bytes += name.length + value.length;
    if (this.#maxBytes === 0 || bytes > this.#maxBytes / 4) return;
    this.#entries.set(key, { ...session, bytes });
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }

  /**
   * A save of `key` by a caller that loaded `loadedVersion` produced `version`: the
   * copy follows when it was that version and nobody else saved in between;
   * otherwise it is dropped.
   */
  saved(
    key: string,
    loadedVersion: number | null,
    version: number,
    changes: {
      readonly set: ReadonlyMap<string, string>;
      readonly remove: readonly string[];
      readonly timeoutMinutes?: number | undefined;
    },
  ): void {
    const copy = this.#entries.get(key);
    if (copy === undefined) return;
    if (loadedVersion === null || copy.version !== loadedVersion || version !== loadedVersion + 1) {
      this.delete(key);
      return;
    }
    const items = new Map(copy.items);
    for (const name of changes.remove) items.delete(name);
    for (const [name, value] of changes.set) items.set(name, value);
    this.set(key, { ...copy, version, items, timeoutMinutes: changes.timeoutMinutes ?? copy.timeoutMinutes });
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }
}
