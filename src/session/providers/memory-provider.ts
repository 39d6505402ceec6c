/**
 * Sessions in this process's memory: one front-end server, or tests. Every
 * operation runs synchronously inside one call, so each is atomic. Expired
 * sessions are removed when touched and by a periodic sweep (its timer never keeps
 * the process alive). The bytes of item names and values are counted against
 * `maxBytes`; a write that would pass it fails with `TESSERA_SESSION_MEMORY_LIMIT`.
 */
import { SessionError } from '../errors.ts';
import { LockWaiters } from '../lock-waiters.ts';
import {
  FUNCTION,
  optionTable,
  type ResolvedOptions,
  resolveOptions,
  wholeNumber,
} from '../option-checks.ts';
import { lastAccessAtMs } from '../principal.ts';
import { emitSessionEvent } from '../session-events.ts';
import { itemBytes, itemsBytes } from '../session-items.ts';
import type {
  ExclusiveLoad,
  LockRequest,
  LockWatch,
  NewSession,
  PrincipalSessionRecord,
  ReadOnlyLoad,
  RegenerateResult,
  SaveCondition,
  SaveResult,
  SessionChanges,
  SessionKey,
  SessionPrincipal,
  SessionProvider,
  StoredSession,
} from '../session-provider.ts';
import { SHARED_PROVIDER_OPTIONS, type SharedProviderOptions } from './provider-options.ts';

/** Options of the memory provider (and `MemorySessionStore`); an absent or `undefined` one takes its default. */
export interface MemoryProviderOptions
  extends Pick<SharedProviderOptions, 'maxWaitersPerSession' | 'sweepIntervalMs'> {
  /** The most bytes of item names and values held in all (default 256 MiB). */
  readonly maxBytes?: number | undefined;
  /**
   * The clock that counts for expiry and locks, in milliseconds since the epoch
   * (default `Date.now`). Tests pass their own to move time on without waiting.
   */
  readonly clock?: (() => number) | undefined;
}

const MEMORY_PROVIDER_OPTIONS = optionTable({
  maxBytes: { default: 256 * 1024 * 1024, kind: wholeNumber(1, Number.MAX_SAFE_INTEGER, ' of bytes') },
  sweepIntervalMs: SHARED_PROVIDER_OPTIONS.sweepIntervalMs,
  maxWaitersPerSession: SHARED_PROVIDER_OPTIONS.maxWaitersPerSession,
  clock: { default: Date.now, kind: FUNCTION },
});
export const MEMORY_PROVIDER_DEFAULTS = MEMORY_PROVIDER_OPTIONS.defaults satisfies MemoryProviderOptions;

/** The memory provider's options with their defaults, checked and frozen (`TESSERA_SESSION_OPTIONS`). */
export function resolveMemoryProviderOptions(
  options: MemoryProviderOptions = {},
): ResolvedOptions<MemoryProviderOptions> {
  const defaults: ResolvedOptions<MemoryProviderOptions> = MEMORY_PROVIDER_DEFAULTS;
  return resolveOptions('The memory session store', defaults, MEMORY_PROVIDER_OPTIONS.kinds, options);
}

interface Entry {
  readonly items: Map<string, string>;
  timeoutMinutes: number;
  readonly createdAtMs: number;
  readonly absoluteExpiresAtMs: number | null;
  version: number;
  expiresAtMs: number;
  bytes: number;
  principal: SessionPrincipal | null;
  lock: { readonly token: string; readonly acquiredAtMs: number; readonly expiresAtMs: number } | undefined;
}

export class MemoryProvider implements SessionProvider {
  readonly name = 'memory';
  readonly #entries = new Map<string, Entry>();
  /** The principal index: the entry keys of each principal's sessions, by `principalKey`. */
  readonly #principals = new Map<string, Set<string>>();
  readonly #maxBytes: number;
  readonly #waiters: LockWaiters;
  readonly #sweep: NodeJS.Timeout;
  readonly #clock: () => number;
  #bytes = 0;

  constructor(options: MemoryProviderOptions = {}) {
    const settings = resolveMemoryProviderOptions(options);
    this.#maxBytes = settings.maxBytes;
    this.#clock = settings.clock;
    this.#waiters = new LockWaiters({ maxPerSession: settings.maxWaitersPerSession });
    this.#sweep = setInterval(() => this.#removeExpired(), settings.sweepIntervalMs);
    this.#sweep.unref();
  }

  /** Bytes of item names and values held now. */
  get bytes(): number {
    return this.#bytes;
  }

  async loadExclusive(
    key: SessionKey,
    lockToken: string,
    options: Pick<LockRequest, 'lockTimeoutMs'>,
  ): Promise<ExclusiveLoad> {
    const now = this.#clock();
    const entry = this.#live(key, now);
    if (!entry) return { state: 'missing' };
    let tookOverLockAgedMs: number | null = null;
    if (entry.lock && entry.lock.token !== lockToken && entry.lock.expiresAtMs > now) {
      const lockAgeMs = now - entry.lock.acquiredAtMs;
      if (lockAgeMs < options.lockTimeoutMs) return { state: 'locked', lockAgeMs };
      tookOverLockAgedMs = lockAgeMs;
    }
    entry.lock = { token: lockToken, acquiredAtMs: now, expiresAtMs: now + options.lockTimeoutMs };
    slide(entry, now);
    return { state: 'loaded', session: snapshot(entry), tookOverLockAgedMs };
  }

  async loadReadOnly(key: SessionKey): Promise<ReadOnlyLoad> {
    const now = this.#clock();
    const entry = this.#live(key, now);
    if (!entry) return { state: 'missing' };
    slide(entry, now);
    return { state: 'loaded', session: snapshot(entry) };
  }

  watchLock(key: SessionKey): Promise<LockWatch> {
    return this.#waiters.watch(entryKey(key));
  }

  async create(
    key: SessionKey,
    session: NewSession,
    options: LockRequest,
  ): Promise<{ state: 'created'; version: number } | { state: 'exists' }> {
    const now = this.#clock();
    if (this.#live(key, now)) return { state: 'exists' };
    const bytes = itemsBytes(session.items);
    this.#reserve(bytes);
    const entry: Entry = {
      items: new Map(session.items),
      timeoutMinutes: session.timeoutMinutes,
      createdAtMs: now,
      absoluteExpiresAtMs: session.absoluteLifetimeMs === null ? null : now + session.absoluteLifetimeMs,
      version: 1,
      expiresAtMs: 0,
      bytes,
      principal: null,
      lock: options.lockToken
        ? { token: options.lockToken, acquiredAtMs: now, expiresAtMs: now + options.lockTimeoutMs }
        : undefined,
    };
    slide(entry, now);
    this.#entries.set(entryKey(key), entry);
    this.#setPrincipal(key.appKey, entryKey(key), entry, session.principal ?? null);
    return { state: 'created', version: 1 };
  }

  async save(key: SessionKey, changes: SessionChanges, condition: SaveCondition): Promise<SaveResult> {
    const now = this.#clock();
    const entry = this.#live(key, now);
    if (!entry) return { state: 'missing' };
    if (condition.lockToken !== null && !holds(entry, condition, now)) return { state: 'lock-lost' };
    let delta = 0;
    for (const [name, value] of changes.set)
      delta += itemBytes(name, value) - storedBytes(name, entry.items.get(name));
    for (const name of changes.remove) delta -= storedBytes(name, entry.items.get(name));
    this.#reserve(delta);
    for (const [name, value] of changes.set) entry.items.set(name, value);
    for (const name of changes.remove) entry.items.delete(name);
    entry.bytes += delta;
    if (changes.timeoutMinutes !== undefined) entry.timeoutMinutes = changes.timeoutMinutes;
    if (changes.principal !== undefined)
      this.#setPrincipal(key.appKey, entryKey(key), entry, changes.principal);
    entry.version += 1;
    slide(entry, now);
    if (condition.releaseLock && condition.lockToken !== null) this.#unlock(key, entry);
    return { state: 'saved', version: entry.version };
  }

  async release(key: SessionKey, lockToken: string): Promise<void> {
    const entry = this.#entries.get(entryKey(key));
    if (entry?.lock?.token === lockToken) this.#unlock(key, entry);
  }

  async touch(key: SessionKey): Promise<boolean> {
    const now = this.#clock();
    const entry = this.#live(key, now);
    if (entry) slide(entry, now);
    return entry !== undefined;
  }

  async abandon(key: SessionKey): Promise<void> {
    this.#delete(entryKey(key));
    this.#waiters.wakeAll(entryKey(key));
  }

  async regenerate(key: SessionKey, newId: string, options: LockRequest): Promise<RegenerateResult> {
    const now = this.#clock();
    const entry = this.#live(key, now);
    if (!entry) return 'missing';
    if (options.lockToken !== null && entry.lock?.token !== options.lockToken) return 'lock-lost';
    const newKey = { appKey: key.appKey, id: newId };
    if (this.#live(newKey, now)) return 'exists';
    this.#entries.delete(entryKey(key));
    this.#unindex(entryKey(key), entry);
    this.#entries.set(entryKey(newKey), entry);
    this.#setPrincipal(key.appKey, entryKey(newKey), entry, entry.principal);
    entry.lock = options.lockToken
      ? { token: options.lockToken, acquiredAtMs: now, expiresAtMs: now + options.lockTimeoutMs }
      : undefined;
    this.#waiters.wakeAll(entryKey(key));
    return 'regenerated';
  }

  async *listIds(appKey: string, options: { readonly pageSize: number }): AsyncIterable<readonly string[]> {
    const prefix = `${appKey}_`;
    let page: string[] = [];
    // The Map is walked live: entries deleted while the consumer holds a page are
    // skipped, entries added (a regenerated id) are visited, as the contract allows.
    for (const [name, entry] of this.#entries) {
      if (!name.startsWith(prefix) || entry.expiresAtMs <= this.#clock()) continue;
      page.push(name.slice(prefix.length));
      if (page.length < options.pageSize) continue;
      yield page;
      page = [];
    }
    if (page.length > 0) yield page;
  }

  async peek(key: SessionKey): Promise<ReadOnlyLoad> {
    const entry = this.#live(key, this.#clock());
    return entry ? { state: 'loaded', session: snapshot(entry) } : { state: 'missing' };
  }

  async listByPrincipal(appKey: string, principal: string): Promise<PrincipalSessionRecord[]> {
    const now = this.#clock();
    const sessions: PrincipalSessionRecord[] = [];
    const prefix = `${appKey}_`;
    for (const name of this.#principals.get(principalKey(appKey, principal)) ?? []) {
      const entry = this.#live({ appKey, id: name.slice(prefix.length) }, now);
      if (!entry) continue;
      sessions.push({
        id: name.slice(prefix.length),
        createdAtMs: entry.createdAtMs,
        lastAccessAtMs: lastAccessAtMs(entry.expiresAtMs, entry.timeoutMinutes, entry.absoluteExpiresAtMs),
        expiresAtMs: entry.expiresAtMs,
        frontEnd: entry.principal?.frontEnd ?? null,
        userAgent: entry.principal?.userAgent ?? null,
      });
    }
    return sessions.sort((a, b) => a.createdAtMs - b.createdAtMs);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
  }

  /** Sets the entry's principal and moves it in the index (entries of one principal are one Set). */
  #setPrincipal(appKey: string, name: string, entry: Entry, principal: SessionPrincipal | null): void {
    this.#unindex(name, entry);
    entry.principal = principal;
    if (!principal) return;
    const index = principalKey(appKey, principal.name);
    let names = this.#principals.get(index);
    if (!names) {
      names = new Set();
      this.#principals.set(index, names);
    }
    names.add(name);
  }

  #unindex(name: string, entry: Entry): void {
    if (!entry.principal) return;
    const index = principalKey(name.slice(0, name.indexOf('_')), entry.principal.name);
    const names = this.#principals.get(index);
    names?.delete(name);
    if (names?.size === 0) this.#principals.delete(index);
  }

  #live(key: SessionKey, now: number): Entry | undefined {
    const name = entryKey(key);
    const entry = this.#entries.get(name);
    if (entry && entry.expiresAtMs <= now) {
      this.#expire(name);
      return undefined;
    }
    return entry;
  }

  #reserve(bytes: number): void {
    if (bytes <= 0 || this.#bytes + bytes <= this.#maxBytes) {
      this.#bytes += bytes;
      return;
    }
    throw new SessionError(
      'TESSERA_SESSION_MEMORY_LIMIT',
      `The memory session provider holds ${this.#bytes} bytes of session items and its maxBytes is ${this.#maxBytes}; this write needs ${bytes} more. Nothing was written. Raise maxBytes, store less in sessions, shorten timeoutMinutes, or use the Redis provider.`,
    );
  }

  #unlock(key: SessionKey, entry: Entry): void {
    entry.lock = undefined;
    this.#waiters.wake(entryKey(key));
  }

  #delete(name: string): void {
    const entry = this.#entries.get(name);
    if (!entry) return;
    this.#bytes -= entry.bytes;
    this.#entries.delete(name);
    this.#unindex(name, entry);
  }

  #expire(name: string): void {
    this.#delete(name);
    const at = name.indexOf('_');
    emitSessionEvent(this, 'expired', { appKey: name.slice(0, at), id: name.slice(at + 1) });
  }

  #removeExpired(): void {
    const now = this.#clock();
    for (const [name, entry] of this.#entries) if (entry.expiresAtMs <= now) this.#expire(name);
  }
}

function entryKey(key: SessionKey): string {
  return `${key.appKey}_${key.id}`;
}

/** The index key of a principal: the appKey never contains a NUL. */
function principalKey(appKey: string, principal: string): string {
  return `${appKey}\u0000${principal}`;
}

function holds(entry: Entry, condition: SaveCondition, now: number): boolean {
  const lock = entry.lock && entry.lock.expiresAtMs > now ? entry.lock : undefined;
  if (lock) return lock.token === condition.lockToken;
  // The caller's lock ran out; nobody saved since it loaded, so its changes are still the latest.
  return condition.expectedVersion === entry.version;
}

function slide(entry: Entry, now: number): void {
  const sliding = now + entry.timeoutMinutes * 60_000;
  entry.expiresAtMs =
    entry.absoluteExpiresAtMs === null ? sliding : Math.min(sliding, entry.absoluteExpiresAtMs);
}

function snapshot(entry: Entry): StoredSession {
  return {
    items: new Map(entry.items),
    timeoutMinutes: entry.timeoutMinutes,
    createdAtMs: entry.createdAtMs,
    absoluteExpiresAtMs: entry.absoluteExpiresAtMs,
    version: entry.version,
  };
}

function storedBytes(name: string, value: string | undefined): number {
  return value === undefined ? 0 : itemBytes(name, value);
}
