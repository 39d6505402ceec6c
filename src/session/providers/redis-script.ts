/**
 * One typed description per Lua script of the Redis provider: the names of its
 * keys, of its arguments and of the fields of each reply. The description is the
 * only place that knows their order, on both sides: it writes the Lua locals that
 * name `KEYS[i]` and `ARGV[i]` and the Lua function that returns each reply, and
 * it builds the argument list and reads the reply by the same names in TypeScript.
 * Adding an argument or a reply field therefore cannot shift the others.
 *
 * In Lua, a script's body sees each key and argument as a local of its name,
 * `REST` as the index in ARGV of the first argument after the named ones (a
 * variable-length tail: item names and values), and `reply.<state>({ field = … })`
 * to return a reply. Replies are arrays `[state, field…]` on the wire, whatever
 * the client's protocol (RESP2 or RESP3).
 */
import { createHash } from 'node:crypto';
import type { LuaScript, RedisArgument, RedisReply } from '../../redis/index.ts';

/** The keys of one session, by name (built by the provider from the session's hash tag); scripts of the principal index name theirs (`index`). */
export type SessionKeyName = 'data' | 'internal' | 'lock';

/** A reply's states and, for each, the names of its fields in order. */
type ReplyShapes = Readonly<Record<string, readonly string[]>>;

/** A decoded reply: its state and each field by name (`''` for a nil scalar). */
export type ScriptReply<R extends ReplyShapes> = {
  [S in keyof R & string]: { readonly state: S } & { readonly [F in R[S][number]]: RedisReply };
}[keyof R & string];

export interface ScriptShape<K extends string, A extends string, R extends ReplyShapes> {
  /** What the script is for, in error messages (`load`, `save`). */
  readonly name: string;
  readonly keys: readonly K[];
  readonly args: readonly A[];
  readonly replies: R;
  /** Lua, using the names above; shared helpers come from the prelude. */
  readonly body: string;
}

export class RedisScript<K extends string, A extends string, R extends ReplyShapes> {
  readonly name: string;
  readonly lua: LuaScript;
  readonly #shape: ScriptShape<K, A, R>;

  constructor(prelude: string, shape: ScriptShape<K, A, R>) {
    this.name = shape.name;
    this.#shape = shape;
    const source = [header(shape), prelude, shape.body].join('\n');
    this.lua = Object.freeze({ source, sha1: createHash('sha1').update(source).digest('hex') });
  }

  /** The KEYS of a call, in the script's order. */
  keys(keys: Readonly<Record<K, string>>): string[] {
    return this.#shape.keys.map((name) => keys[name]);
  }

  /** The ARGV of a call: the named arguments in the script's order, then `rest`. */
  args(args: Readonly<Record<A, RedisArgument>>, rest: readonly RedisArgument[] = []): RedisArgument[] {
    const list = this.#shape.args.map((name) => args[name]);
    for (const value of rest) list.push(value);
    return list;
  }

  /** Reads a reply by the names of its state's fields. */
  read(reply: RedisReply): ScriptReply<R> {
    if (!Array.isArray(reply) || reply.length === 0)
      throw new Error(`Unexpected reply of the ${this.name} script: ${describe(reply)}`);
    const state = text(reply[0]);
    const fields = this.#shape.replies[state];
    if (fields === undefined)
      throw new Error(`Unexpected reply of the ${this.name} script: state "${state}"`);
    const read: Record<string, RedisReply> = { state };
    fields.forEach((field, i) => {
      read[field] = reply[i + 1] ?? null;
    });
    return read as ScriptReply<R>;
  }
}

/** The Lua that names the keys, the arguments and the replies of a script. */
function header(shape: ScriptShape<string, string, ReplyShapes>): string {
  const lines: string[] = [];
  const locals = (names: readonly string[], table: string) => {
    if (names.length > 0)
      lines.push(`local ${names.join(', ')} = ${names.map((_, i) => `${table}[${i + 1}]`).join(', ')}`);
  };
  for (const name of [...shape.keys, ...shape.args, ...Object.values(shape.replies).flat()]) {
    if (!/^[a-z][A-Za-z0-9]*$/.test(name)) throw new Error(`Not a Lua name: ${name}`);
  }
  locals(shape.keys, 'KEYS');
  locals(shape.args, 'ARGV');
  lines.push(`local REST = ${shape.args.length + 1}`);
  lines.push('local reply = {}');
  for (const [state, fields] of Object.entries(shape.replies)) {
    const values = fields.map((field) => `r.${field} or ''`);
    lines.push(`reply['${state}'] = function(r) return {${[`'${state}'`, ...values].join(', ')}} end`);
  }
  return lines.join('\n');
}

/** A scalar reply as text (`''` for nil), whatever the client's reply types (strings or Buffers). */
export function text(reply: RedisReply | undefined): string {
  if (reply === null || reply === undefined) return '';
  if (typeof reply === 'string') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  if (typeof reply === 'number' || typeof reply === 'bigint') return String(reply);
  throw new Error(`Expected a scalar reply from Redis, got ${describe(reply)}`);
}

/** A flat `[name, value, …]` reply (`HGETALL`) as a map. */
export function pairs(reply: RedisReply): Map<string, string> {
  const map = new Map<string, string>();
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) map.set(text(reply[i]), text(reply[i + 1]));
  }
  return map;
}

function describe(reply: RedisReply): string {
  if (Array.isArray(reply)) return 'an empty array';
  return reply !== null && typeof reply === 'object' && !Buffer.isBuffer(reply) ? 'a map' : typeof reply;
}
