/**
 * Session items are stored as JSON, and an item must come back as it was set.
 * `JSON.stringify` changes some values without a word (a `Map` or a `Set` becomes
 * `{}`, `NaN` becomes `null`, `undefined` in an object disappears, a class
 * instance loses its class); `itemJson` refuses those, naming the item and the
 * place inside it. Three conversions are kept because applications rely on them: an
 * object with a `toJSON` method is stored as what it returns (a valid `Date` as its
 * ISO string, which comes back as that string; express-session's cookie as its
 * plain fields), a property whose value is `undefined` is left out (reading it
 * gives `undefined` either way), and `-0` is stored as `0`.
 */
import { quoteInput } from '../errors.ts';
import { SessionError } from './errors.ts';

/** The deepest nesting of objects and arrays accepted in one item. */
export const MAX_ITEM_DEPTH = 1000;

/** The item's JSON, or `TESSERA_SESSION_ITEM_NOT_SERIALIZABLE` naming the item and where inside it the problem is. */
export function itemJson(name: string, value: unknown): string {
  let problem: Loss | undefined;
  try {
    problem = findLoss(value, '', new Set(), 0);
  } catch (cause) {
    // A getter threw, or a proxy refused to list its keys.
    throw notSerializable(name, '', `a value that cannot be read (${(cause as Error)?.message})`, cause);
  }
  if (problem) throw notSerializable(name, problem.path, problem.what);
  try {
    // findLoss accepted it: only plain data remains, which JSON writes as it is.
    return JSON.stringify(value);
  } catch (cause) {
    throw notSerializable(name, '', `not serializable as JSON (${(cause as Error).message})`, cause);
  }
}

interface Loss {
  readonly path: string;
  /** What is there and what JSON would make of it. */
  readonly what: string;
}

function findLoss(value: unknown, path: string, ancestors: Set<object>, depth: number): Loss | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : { path, what: `${value}, which JSON stores as null` };
    case 'undefined':
      return { path, what: 'undefined, which JSON drops (delete the property instead)' };
    case 'function':
      return { path, what: 'a function, which JSON cannot represent' };
    case 'symbol':
      return { path, what: 'a symbol, which JSON cannot represent' };
    case 'bigint':
      return { path, what: 'a BigInt, which JSON cannot represent (store it as a string)' };
  }
  if (value === null) return undefined;
  const object = value as object;
  if (ancestors.has(object)) return { path, what: 'a reference to itself (a circular structure)' };
  if (depth >= MAX_ITEM_DEPTH) return { path, what: `nested deeper than ${MAX_ITEM_DEPTH} levels` };
  if (Array.isArray(object)) return arrayLoss(object, path, ancestors, depth);
  const prototype = Object.getPrototypeOf(object);
  if (prototype === Date.prototype) {
    return Number.isNaN((object as Date).getTime())
      ? { path, what: 'an invalid Date, which JSON stores as null' }
      : undefined;
  }
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    // Stored as what toJSON returns (a Date's ISO string, express-session's cookie):
    // the object's own way of saying how JSON should keep it. That must be plain data.
    return findLoss(toJSON.call(object, ''), path, ancestors, depth + 1);
  }
  if (prototype !== Object.prototype && prototype !== null) {
    const kind = (prototype?.constructor as { name?: unknown } | undefined)?.name;
    const named = typeof kind === 'string' && kind !== '' && kind !== 'Object';
    const shown = named ? kind : 'an object with a prototype';
    return { path, what: `${article(shown)}, which JSON stores as ${stored(object)}` };
  }
  if (Object.getOwnPropertySymbols(object).some((symbol) => Object.hasOwn(object, symbol)))
    return { path, what: 'an object with symbol keys, which JSON drops' };
  ancestors.add(object);
  try {
    for (const [key, child] of Object.entries(object)) {
      if (child === undefined) continue; // left out; reading it gives undefined either way
      const loss = findLoss(child, `${path}.${key}`, ancestors, depth + 1);
      if (loss) return loss;
    }
  } finally {
    ancestors.delete(object);
  }
  return undefined;
}

function arrayLoss(array: unknown[], path: string, ancestors: Set<object>, depth: number): Loss | undefined {
  if (Object.keys(array).length !== array.length)
    return { path, what: 'an array with holes or extra properties, which JSON does not keep' };
  ancestors.add(array);
  try {
    for (let i = 0; i < array.length; i++) {
      if (array[i] === undefined)
        return { path: `${path}[${i}]`, what: 'undefined, which JSON stores as null' };
      const loss = findLoss(array[i], `${path}[${i}]`, ancestors, depth + 1);
      if (loss) return loss;
    }
  } finally {
    ancestors.delete(array);
  }
  return undefined;
}

function article(kind: string): string {
  if (kind.startsWith('an object')) return kind;
  return /^[AEIOU]/i.test(kind) ? `an ${kind}` : `a ${kind}`;
}

/** What JSON would make of an object with a prototype (bounded: never the value itself). */
function stored(object: object): string {
  if (object instanceof Map || object instanceof Set || object instanceof RegExp || object instanceof WeakMap)
    return '{}';
  return 'a plain object, without its class';
}

function notSerializable(name: string, path: string, what: string, cause?: unknown): SessionError {
  const where = path === '' ? '' : ` at ${quoteInput(path.startsWith('.') ? path.slice(1) : path, 120)}`;
  return new SessionError(
    'TESSERA_SESSION_ITEM_NOT_SERIALIZABLE',
    `Session item ${quoteInput(name)} holds${where} ${what}. Session items are stored as JSON and must come back as they were set: store plain objects, arrays, strings, finite numbers, booleans or null (a Date is stored as its ISO string, an object with toJSON as what it returns). The session was not saved.`,
    cause === undefined ? undefined : { cause },
  );
}
