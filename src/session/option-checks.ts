/**
 * Checks of public option objects (the engine's, the stores'): defaults filled in
 * where a value is absent or `undefined`, unknown names refused, every value
 * checked against its kind, the result frozen. Every failure is a
 * `TESSERA_SESSION_OPTIONS` naming the owner, the option and the value received.
 */
import { quoteInput } from '../errors.ts';
import { SessionError } from './errors.ts';

/** The longest timer Node can arm (2^31 - 1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** An options type with every option present and defined. */
export type ResolvedOptions<T> = { readonly [K in keyof T]-?: Exclude<T[K], undefined> };

/** What one option accepts. */
export type OptionKind =
  | { readonly kind: 'whole'; readonly min: number; readonly max: number; readonly unit: string }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'object' }
  | { readonly kind: 'function' }
  | { readonly kind: 'any' };

export const wholeNumber = (min: number, max: number, unit: string): OptionKind => ({
  kind: 'whole',
  min,
  max,
  unit,
});
export const BOOLEAN: OptionKind = { kind: 'boolean' };
export const OBJECT: OptionKind = { kind: 'object' };
export const FUNCTION: OptionKind = { kind: 'function' };
/** Checked elsewhere (by the layer that owns it). */
export const ANY: OptionKind = { kind: 'any' };

/** One option: its default and what it accepts. */
export interface OptionSpec<V = unknown> {
  readonly default: V;
  readonly kind: OptionKind;
}

/** The defaults and the kinds of a table of option descriptions. */
export function optionTable<const T extends Record<string, OptionSpec>>(
  specs: T,
): {
  readonly defaults: { readonly [K in keyof T]: T[K]['default'] };
  readonly kinds: { readonly [K in keyof T]: OptionKind };
} {
  const entries = Object.entries(specs);
  return {
    defaults: Object.fromEntries(entries.map(([name, spec]) => [name, spec.default])) as {
      readonly [K in keyof T]: T[K]['default'];
    },
    kinds: Object.fromEntries(entries.map(([name, spec]) => [name, spec.kind])) as {
      readonly [K in keyof T]: OptionKind;
    },
  };
}

/**
 * `options` over `defaults`, checked against `kinds`, frozen. `owner` names the
 * object in messages (`MemorySessionStore`).
 */
export function resolveOptions<T extends object>(
  owner: string,
  defaults: T,
  kinds: { readonly [K in keyof T]-?: OptionKind },
  options: unknown,
): Readonly<T> {
  if (options === undefined || options === null) return Object.freeze({ ...defaults });
  if (typeof options !== 'object' || Array.isArray(options)) {
    fail(owner, `options must be an object (got ${describe(options)}).`);
  }
  const resolved: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [name, value] of Object.entries(options)) {
    if (!Object.hasOwn(kinds, name)) {
      fail(
        owner,
        `option ${quoteInput(name)} is not known. Known options: ${Object.keys(kinds).join(', ')}.`,
      );
    }
    if (value === undefined) continue;
    check(owner, name, (kinds as Record<string, OptionKind>)[name]!, value);
    resolved[name] = value;
  }
  return Object.freeze(resolved as T);
}

function check(owner: string, name: string, kind: OptionKind, value: unknown): void {
  switch (kind.kind) {
    case 'whole':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < kind.min || value > kind.max) {
        fail(
          owner,
          `option ${name} must be a whole number${kind.unit} from ${kind.min} to ${kind.max} (got ${describe(value)}).`,
        );
      }
      return;
    case 'boolean':
      if (typeof value !== 'boolean')
        fail(owner, `option ${name} must be true or false (got ${describe(value)}).`);
      return;
    case 'object':
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        fail(owner, `option ${name} must be an object (got ${describe(value)}).`);
      return;
    case 'function':
      if (typeof value !== 'function')
        fail(owner, `option ${name} must be a function (got ${describe(value)}).`);
      return;
    case 'any':
      return;
  }
}

/** A value as a message shows it: numbers and booleans as they are, strings quoted, else the type. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return quoteInput(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * Only the type of a value, for an argument that may hold a secret (a connection
 * string or address passed where it does not belong): `null`, `an array`, `number`…
 */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

/**
 * Refuses a store's address (a connection string, a database address) that is not
 * a string, naming only its type: the value may hold a password (an options object
 * given by mistake). `takes` says what `owner` expects, with an example.
 */
export function requireAddress(owner: string, takes: string, address: unknown): asserts address is string {
  if (typeof address !== 'string') {
    throw new SessionError(
      'TESSERA_SESSION_OPTIONS',
      `${owner}() takes ${takes}; it received ${typeName(address)}.`,
    );
  }
}

function fail(owner: string, message: string): never {
  throw new SessionError('TESSERA_SESSION_OPTIONS', `${owner} ${message}`);
}
