/**
 * The Redis provider's principal index: which sessions belong to a principal, on a
 * single server and on a Cluster alike.
 *
 * A session's keys share its own hash tag, so a principal's sessions lie in many
 * slots, and the index cannot share a slot with all of them: no script can change a
 * session and the index in one step. The index is therefore kept a **superset**,
 * checked on read:
 *
 * * The session's `_Internal` hash holds `principal` (with `frontEnd`, `userAgent`):
 *   that field is the truth.
 * * The index is one sorted set per principal, `{<appKey>:principal:<sha256>}_Sessions`
 *   (its own slot), member the session id, score the index server's time of the
 *   entry. An entry is added **before** the session's `principal` field is set (a
 *   failure in between leaves a stale entry, never an unlisted session), and removed
 *   only after the field was cleared or changed.
 * * Listing reads each entry's session (one script in the session's slot, all sent
 *   at once) and lists only those whose `principal` field still names the principal.
 *   Entries whose session ended or changed principal are stale: listing removes them,
 *   but only those older than `STALE_GRACE_MS` (a younger one may be a sign-in whose
 *   field is being set right now).
 * * The index key expires by itself only when every session in it has an absolute
 *   expiry (it then lives until the last of them ends, plus a margin for the nodes'
 *   clocks); one sliding-only session makes it persistent, since a session's slides
 *   cannot reach the index's slot. Stale entries are then removed when listed, and a
 *   set emptied by that disappears.
 *
 * Costs: setting a principal costs three round trips more than the save (read,
 * index, field; a fourth removes the entry of a principal it replaces), only in the
 * request that changes it; every `regenerate` costs one more (reading the principal
 * it must carry); other requests nothing.
 */
import { createHash } from 'node:crypto';
import type { RedisConnection, RedisReply as Reply } from '../../redis/index.ts';
import { lastAccessAtMs } from '../principal.ts';
import type { PrincipalSessionRecord, SessionKey, SessionPrincipal } from '../session-provider.ts';
import { keysOf } from './redis-keys.ts';
import * as scripts from './redis-principal-scripts.ts';
import { type RedisScript, type ScriptReply, text } from './redis-script.ts';

/** By default, a stale entry younger than this is kept: its session's principal may be being set. */
export const STALE_GRACE_MS = 60_000;
/** Added to an index key's expiry: the session's absolute expiry is on another node's clock. */
const CLOCK_MARGIN_MS = 60_000;

/** Runs one Redis call as the provider does (failures become the session layer's errors). */
type Run = <T>(operation: string, call: () => Promise<T>, writes?: boolean) => Promise<T>;

/** What a session held before its principal changes. */
export interface PrincipalBefore {
  readonly exists: boolean;
  readonly principal: SessionPrincipal | null;
  /** Ms until the session's absolute expiry (its clock), `null`: none. */
  readonly absoluteLeftMs: number | null;
}

function indexKey(appKey: string, principal: string): string {
  const digest = createHash('sha256').update(principal).digest('hex').slice(0, 32);
  return `{${appKey}:principal:${digest}}_Sessions`;
}

export class RedisPrincipalIndex {
  readonly #connection: RedisConnection;
  readonly #run: Run;
  readonly #staleGraceMs: number;

  constructor(connection: RedisConnection, run: Run, staleGraceMs = STALE_GRACE_MS) {
    this.#connection = connection;
    this.#run = run;
    this.#staleGraceMs = staleGraceMs;
  }

  /** Runs one script of the index (its description names the operation), its keys and arguments by name. */
  async #call<K extends string, A extends string, R extends Readonly<Record<string, readonly string[]>>>(
    script: RedisScript<K, A, R>,
    keys: Readonly<Record<K, string>>,
    args: Readonly<Record<A, string>>,
    options: { readonly rest?: readonly string[]; readonly writes?: boolean } = {},
  ): Promise<ScriptReply<R>> {
    const reply = await this.#run(
      script.name,
      () => this.#connection.script(script.lua, script.keys(keys), script.args(args, options.rest)),
      options.writes,
    );
    return script.read(reply);
  }

  /** The session's principal and absolute expiry now. */
  async read(key: SessionKey): Promise<PrincipalBefore> {
    const reply = await this.#call(scripts.PRINCIPAL_READ, { internal: keysOf(key).internal }, {});
    if (reply.state === 'missing') return { exists: false, principal: null, absoluteLeftMs: null };
    const name = text(reply.principal);
    const absolute = text(reply.absolute);
    return {
      exists: true,
      principal:
        name === '' ? null : { name, frontEnd: orNull(reply.frontEnd), userAgent: orNull(reply.userAgent) },
      absoluteLeftMs: absolute === '' ? null : Number(absolute) - Number(text(reply.now)),
    };
  }

  /** Adds the session to `principal`'s index: call before the session's field names it. */
  async add(key: SessionKey, principal: string, absoluteLeftMs: number | null): Promise<void> {
    const lifetime = absoluteLeftMs === null ? '' : String(Math.max(1, absoluteLeftMs) + CLOCK_MARGIN_MS);
    await this.#call(
      scripts.INDEX_ADD,
      { index: indexKey(key.appKey, principal) },
      { id: key.id, lifetimeMs: lifetime },
      { writes: true },
    );
  }

  /** Sets (or, with `null`, clears) the session's principal field; false when the session is gone. */
  async set(key: SessionKey, principal: SessionPrincipal | null): Promise<boolean> {
    const args = principal
      ? { name: principal.name, frontEnd: principal.frontEnd ?? '', userAgent: principal.userAgent ?? '' }
      : { name: '', frontEnd: '', userAgent: '' };
    const reply = await this.#call(scripts.PRINCIPAL_SET, { internal: keysOf(key).internal }, args, {
      writes: true,
    });
    return reply.state === 'set';
  }

  /** Removes the session from `principal`'s index: call once its field no longer names it. */
  async remove(key: SessionKey, principal: string): Promise<void> {
    const index = indexKey(key.appKey, principal);
    await this.#run(
      'index the principal',
      () => this.#connection.command(['ZREM', index, key.id], { key: index }),
      true,
    );
  }

  /**
   * Before a save or create that changes the principal: indexes the new one, and
   * says what to undo after (the old principal). `absoluteLeftMs` when known (a new
   * session); otherwise the session is read.
   */
  async prepare(
    key: SessionKey,
    next: SessionPrincipal | null,
    known?: { readonly absoluteLeftMs: number | null },
  ): Promise<PrincipalBefore> {
    const before = known ? { exists: false, principal: null, ...known } : await this.read(key);
    if (next && (known || before.exists)) await this.add(key, next.name, before.absoluteLeftMs);
    return before;
  }

  /** After the save or create succeeded: writes the field, then drops the old principal's entry. */
  async finish(key: SessionKey, next: SessionPrincipal | null, before: PrincipalBefore): Promise<void> {
    if (!(await this.set(key, next))) return;
    const old = before.principal?.name;
    if (old !== undefined && old !== next?.name) await this.remove(key, old);
  }

  /** Carries the principal read before a regenerate to the new id, and drops the old id's entry. */
  async carry(oldKey: SessionKey, newKey: SessionKey, before: PrincipalBefore): Promise<void> {
    if (!before.principal) return;
    if (await this.set(newKey, before.principal)) await this.remove(oldKey, before.principal.name);
  }

  /** The principal's live sessions, checked one by one; removes stale entries past their grace. */
  async list(appKey: string, principal: string): Promise<PrincipalSessionRecord[]> {
    const index = indexKey(appKey, principal);
    const members = (await this.#run('list the principal', () =>
      this.#connection.command(['ZRANGE', index, '0', '-1'], { key: index }),
    )) as Reply[];
    const ids = members.map((member) => text(member));
    const checked = await Promise.all(
      ids.map(async (id) => {
        const reply = await this.#call(
          scripts.PRINCIPAL_PEEK,
          { internal: keysOf({ appKey, id }).internal },
          { name: principal },
        );
        return { id, reply };
      }),
    );
    const live: PrincipalSessionRecord[] = [];
    const stale: string[] = [];
    for (const { id, reply } of checked) {
      if (reply.state !== 'live') {
        stale.push(id);
        continue;
      }
      const absolute = text(reply.absolute);
      const expiresAtMs = Number(text(reply.expiresAt));
      live.push({
        id,
        createdAtMs: Number(text(reply.created)),
        lastAccessAtMs: lastAccessAtMs(
          expiresAtMs,
          Number(text(reply.timeout)),
          absolute === '' ? null : Number(absolute),
        ),
        expiresAtMs,
        frontEnd: orNull(reply.frontEnd),
        userAgent: orNull(reply.userAgent),
      });
    }
    if (stale.length > 0) {
      await this.#call(
        scripts.INDEX_PRUNE,
        { index },
        { graceMs: String(this.#staleGraceMs) },
        { rest: stale, writes: true },
      );
    }
    return live.sort((a, b) => a.createdAtMs - b.createdAtMs);
  }
}

function orNull(reply: Reply | undefined): string | null {
  const value = text(reply);
  return value === '' ? null : value;
}
