/**
 * The items of one session during one request. Stored items stay serialized until
 * the request reads them (a 100 KB session where one item is used parses one
 * item). At save, every item the request read or set is serialized again and
 * compared with what was loaded, so a change deep inside an object counts and an
 * unchanged item is not written.
 */
import { quoteInput } from '../errors.ts';
import { publishItemCorrupt } from './diagnostics.ts';
import { SessionError } from './errors.ts';
import { itemJson } from './item-json.ts';
import type { SessionChanges } from './session-provider.ts';

export interface ItemChanges {
  readonly set: Map<string, string>;
  readonly remove: string[];
  /** Bytes of the names and values in `set`. */
  readonly bytes: number;
}

/** The bytes an item counts for against size limits: its name and its serialized value, in UTF-8. */
export function itemBytes(name: string, serialized: string): number {
  return Buffer.byteLength(name) + Buffer.byteLength(serialized);
}

/** The bytes of every item of a session (see `itemBytes`). */
export function itemsBytes(items: ReadonlyMap<string, string>): number {
  let bytes = 0;
  for (const [name, serialized] of items) bytes += itemBytes(name, serialized);
  return bytes;
}

export class SessionItems {
  readonly #provider: string;
  /** Serialized items as the store holds them (as loaded, then as saved). */
  readonly #stored: Map<string, string>;
  /** Items the request read or set, as live values. */
  readonly #live = new Map<string, unknown>();
  /** Stored items the request deleted. */
  readonly #deleted = new Set<string>();

  constructor(provider: string, stored: ReadonlyMap<string, string> = new Map()) {
    this.#provider = provider;
    this.#stored = new Map(stored);
  }

  has(name: string): boolean {
    return this.#live.has(name) || (this.#stored.has(name) && !this.#deleted.has(name));
  }

  /** The item's value; `undefined` when absent. Throws `TESSERA_SESSION_ITEM_CORRUPT` when it cannot be read back. */
  get(name: string): unknown {
    if (this.#live.has(name)) return this.#live.get(name);
    if (this.#deleted.has(name)) return undefined;
    const serialized = this.#stored.get(name);
    if (serialized === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(serialized);
    } catch (cause) {
      publishItemCorrupt({ provider: this.#provider, item: name });
      throw new SessionError(
        'TESSERA_SESSION_ITEM_CORRUPT',
        `Session item "${name}" in the ${this.#provider} store is not valid JSON and cannot be read. It was written by something other than Tessera, or damaged. Delete the item (delete req.session["${name}"]) or abandon the session; nothing else was changed.`,
        { cause },
      );
    }
    this.#live.set(name, value);
    return value;
  }

  /** Sets an item; `undefined` deletes it. The value must survive JSON (checked at save). */
  set(name: string, value: unknown): void {
    if (value === undefined) {
      this.delete(name);
      return;
    }
    this.#live.set(name, value);
    this.#deleted.delete(name);
  }

  delete(name: string): void {
    this.#live.delete(name);
    if (this.#stored.has(name)) this.#deleted.add(name);
  }

  /** Every item name, in insertion order (stored first). */
  names(): string[] {
    const names = new Set<string>();
    for (const name of this.#stored.keys()) if (!this.#deleted.has(name)) names.add(name);
    for (const name of this.#live.keys()) names.add(name);
    return [...names];
  }

  get size(): number {
    return this.names().length;
  }

  /**
   * What a save must write: items whose serialized form differs from the stored one,
   * and stored items deleted. Throws `TESSERA_SESSION_ITEM_NOT_SERIALIZABLE`, naming
   * the item, when a value cannot be written as JSON.
   */
  changes(): ItemChanges {
    const set = new Map<string, string>();
    let bytes = 0;
    for (const [name, value] of this.#live) {
      const serialized = itemJson(name, value);
      if (this.#stored.get(name) === serialized) continue;
      set.set(name, serialized);
      bytes += itemBytes(name, serialized);
    }
    const remove = [...this.#deleted];
    return { set, remove, bytes };
  }

  /** Every item as the store will hold it once `changes` are saved (for the size limit). */
  storedAfter(changes: ItemChanges): Map<string, string> {
    const after = new Map(this.#stored);
    for (const name of changes.remove) after.delete(name);
    for (const [name, serialized] of changes.set) after.set(name, serialized);
    return after;
  }

  /** Records a successful save: the store now holds these changes. */
  saved(changes: Pick<SessionChanges, 'set' | 'remove'>): void {
    for (const [name, serialized] of changes.set) this.#stored.set(name, serialized);
    for (const name of changes.remove) this.#stored.delete(name);
    this.#deleted.clear();
  }

  /** Replaces everything with a fresh load (reload). */
  reset(stored: ReadonlyMap<string, string>): void {
    this.#stored.clear();
    for (const [name, value] of stored) this.#stored.set(name, value);
    this.#live.clear();
    this.#deleted.clear();
  }

  /** Serialized form of every item, for a new session or a copy. */
  serializedAll(): Map<string, string> {
    const all = new Map<string, string>();
    for (const name of this.names()) {
      all.set(name, this.#live.has(name) ? itemJson(name, this.#live.get(name)) : this.#stored.get(name)!);
    }
    return all;
  }
}

/** How many of the largest items a size error names. */
const LARGEST_SHOWN = 3;

/**
 * Throws `TESSERA_SESSION_TOO_LARGE` when `items` (every item of the session as it
 * would be stored) hold more than `maxBytes` bytes of names and values, naming the
 * largest items and their sizes.
 */
export function checkSessionSize(items: ReadonlyMap<string, string>, maxBytes: number): void {
  const sizes: [string, number][] = [];
  let total = 0;
  for (const [name, serialized] of items) {
    const bytes = itemBytes(name, serialized);
    sizes.push([name, bytes]);
    total += bytes;
  }
  if (total <= maxBytes) return;
  const largest = sizes
    .sort((a, b) => b[1] - a[1])
    .slice(0, LARGEST_SHOWN)
    .map(([name, bytes]) => `${quoteInput(name)} ${bytes} bytes`);
  throw new SessionError(
    'TESSERA_SESSION_TOO_LARGE',
    `The session would hold ${total} bytes of items, more than maxSessionBytes (${maxBytes}); the largest: ${largest.join(', ')}. Nothing was written. Keep large data out of the session (store a key to it instead), or raise maxSessionBytes.`,
  );
}
