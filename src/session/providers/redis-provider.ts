/**
 * Sessions in Redis, over any `RedisConnection` (single server, primary of a host
 * list, Cluster). Each operation is one Lua script (`redis-scripts.ts`): loading
 * locks, reads and slides the expiry in one round trip; saving writes only the
 * changed fields of the data hash and releases the lock in one more. Waiting
 * requests are woken by a message on the session's channel (and at once by this
 * provider's own releases, whose echo it ignores), not by polling. The sessions
 * this provider loaded or saved last are kept (`cacheBytes`, `session-cache.ts`),
 * so that loading one nobody changed since transfers no items: the load checks its
 * version in Redis. A lock released while a request of this server waits for it
 * passes to that request in the same step (`redis-hand-over.ts`).
 */
import { randomBytes } from 'node:crypto';
import { hasErrorCode } from '../../errors.ts';
// From errors.ts, not the layer's index: the memory store must not load the Redis client.
import { isRedisUnavailable } from '../../redis/errors.ts';
import type { RedisArgument, RedisConnection, RedisReply } from '../../redis/index.ts';
import { type Effect, READS, WRITES } from '../errors.ts';
import { type HandOver, type HandOverTarget, LockWaiters } from '../lock-waiters.ts';
import {
  BOOLEAN,
  MAX_TIMER_MS,
  optionTable,
  type ResolvedOptions,
  resolveOptions,
  wholeNumber,
} from '../option-checks.ts';
import { PendingReleases } from '../pending-releases.ts';
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
  SessionProvider,
  StoredSession,
} from '../session-provider.ts';
import { SHARED_PROVIDER_OPTIONS, type SharedProviderOptions } from './provider-options.ts';
import { LockHandOver } from './redis-hand-over.ts';
import { keysOf, releaseChannel, type SessionKeys, sessionsOf } from './redis-keys.ts';
import { RedisPrincipalIndex, STALE_GRACE_MS } from './redis-principal-index.ts';
import { pairs, type RedisScript, type ScriptReply, type SessionKeyName, text } from './redis-script.ts';
import * as scripts from './redis-scripts.ts';
import { type CachedSession, SessionCache, type SessionFacts } from './session-cache.ts';
import { isStoreUnavailable, StoreCalls, type TransportFailures } from './store-calls.ts';

/** Options of the Redis provider; an absent or `undefined` one takes its default. */
export interface RedisProviderOptions
  extends Pick<SharedProviderOptions, 'maxWaitersPerSession' | 'closeTimeoutMs'> {
  /** Close the connection with the provider (default false). */
  readonly ownsConnection?: boolean | undefined;
  /**
   * How old a principal index entry whose session no longer names the principal
   * must be before a listing removes it (default 60000 ms): a younger one may be a
   * sign-in still being written.
   */
  readonly principalStaleGraceMs?: number | undefined;
  /**
   * Bytes of session items (names and values, in characters) this front-end server
   * keeps of the sessions it loaded or saved last, so that a load of a session that
   * nobody changed since transfers no items (default 64 MiB; 0: keep none). Never
   * stale: each load checks the session's version in Redis, atomically.
   */
  readonly cacheBytes?: number | undefined;
}

const REDIS_PROVIDER_OPTIONS = optionTable({
  maxWaitersPerSession: SHARED_PROVIDER_OPTIONS.maxWaitersPerSession,
  ownsConnection: { default: false, kind: BOOLEAN },
  closeTimeoutMs: SHARED_PROVIDER_OPTIONS.closeTimeoutMs,
  principalStaleGraceMs: { default: STALE_GRACE_MS, kind: wholeNumber(0, MAX_TIMER_MS, ' of milliseconds') },
  cacheBytes: { default: 64 * 1024 * 1024, kind: wholeNumber(0, Number.MAX_SAFE_INTEGER, ' of bytes') },
});
export const REDIS_PROVIDER_DEFAULTS = REDIS_PROVIDER_OPTIONS.defaults satisfies RedisProviderOptions;
export const REDIS_PROVIDER_KINDS = REDIS_PROVIDER_OPTIONS.kinds;

export class RedisProvider implements SessionProvider {
  readonly name = 'redis';
  readonly #connection: RedisConnection;
  readonly #options: ResolvedOptions<RedisProviderOptions>;
  readonly #waiters: LockWaiters;
  /** PUBLISH, or SPUBLISH on a cluster (the channel lives on the session's node). */
  readonly #publish: string;
  /** What this provider's releases publish: its own echo is ignored (its waiters were woken already). */
  readonly #released = `released ${randomBytes(9).toString('base64url')}`;
  readonly #cache: SessionCache;
  readonly #handOver: LockHandOver;
  readonly #calls = new StoreCalls(this.name, REDIS_FAILURES);
  /** Locks whose release could not reach Redis: released once it can be. */
  readonly #pendingReleases = new PendingReleases({
    release: (key, lockToken) => this.#release(key, lockToken, false),
    isAway: isStoreUnavailable,
  });
  /** Which sessions belong to a principal (see `redis-principal-index.ts`). */
  readonly #principals: RedisPrincipalIndex;
  #closing: Promise<void> | undefined;

  constructor(connection: RedisConnection, options: RedisProviderOptions = {}) {
    const defaults: ResolvedOptions<RedisProviderOptions> = REDIS_PROVIDER_DEFAULTS;
    this.#options = resolveOptions('The Redis session store', defaults, REDIS_PROVIDER_KINDS, options);
    this.#connection = connection;
    this.#publish = connection.topology === 'cluster' ? 'SPUBLISH' : 'PUBLISH';
    this.#principals = new RedisPrincipalIndex(
      connection,
      (operation, call, writes) => this.#calls.run(operation, call, writes ? WRITES : READS),
      this.#options.principalStaleGraceMs,
    );
    this.#cache = new SessionCache(this.#options.cacheBytes);
    this.#waiters = new LockWaiters({
      maxPerSession: this.#options.maxWaitersPerSession,
      listen: (tag, onRelease) =>
        this.#calls.run('watch the lock', () =>
          connection.subscribe(releaseChannel(tag), (message) => {
            if (message !== this.#released) onRelease(message === 'gone' ? 'gone' : 'released');
          }),
        ),
    });
    this.#handOver = new LockHandOver(this.#waiters, this.#cache, (key, lockToken) => {
      this.release(key, lockToken).catch(() => {});
    });
  }

  async loadExclusive(
    key: SessionKey,
    lockToken: string,
    options: Pick<LockRequest, 'lockTimeoutMs'>,
  ): Promise<ExclusiveLoad> {
    const k = keysOf(key);
    const copy = this.#cache.get(k.tag);
    // While this load is in flight, requests of this server for the session wait for
    // its outcome instead of loading too (a burst of one user's requests).
    this.#waiters.hold(k.tag, lockToken, options.lockTimeoutMs);
    const reply = await this.#call(scripts.LOAD_EXCLUSIVE, k, {
      token: lockToken,
      lockTimeoutMs: String(options.lockTimeoutMs),
      known: SessionCache.known(copy),
    }).catch((error: unknown) => {
      this.#waiters.wake(k.tag);
      // The script may have run and only its answer been lost (Redis stopped
      // mid-reply, a timeout): release what the token may hold rather than leave the
      // session locked for the request timeout. Not when the command was never sent.
      if (this.#calls.mayHaveRun(error)) this.release(key, lockToken).catch(() => {});
      throw error;
    });
    if (reply.state === 'locked') {
      // Held by another server: a request that waited for this load loads itself.
      this.#waiters.wake(k.tag);
      return { state: 'locked', lockAgeMs: Number(text(reply.lockAgeMs)) };
    }
    if (reply.state === 'missing') {
      this.#waiters.wakeAll(k.tag);
      this.#cache.delete(k.tag);
      return { state: 'missing' };
    }
    this.#waiters.hold(k.tag, lockToken, options.lockTimeoutMs);
    const took = text(reply.tookOver);
    return {
      state: 'loaded',
      session: this.#loaded(k.tag, reply, copy),
      tookOverLockAgedMs: took === '' ? null : Number(took),
    };
  }

  async loadReadOnly(key: SessionKey): Promise<ReadOnlyLoad> {
    const k = keysOf(key);
    const copy = this.#cache.get(k.tag);
    const reply = await this.#call(scripts.LOAD_READ_ONLY, k, { known: SessionCache.known(copy) });
    if (reply.state !== 'missing') return { state: 'loaded', session: this.#loaded(k.tag, reply, copy) };
    this.#cache.delete(k.tag);
    return reply;
  }

  isBusy(key: SessionKey, lockToken: string): boolean {
    return this.#waiters.isBusy(keysOf(key).tag, lockToken);
  }

  /** The session of a load reply: its items from the reply, or from `copy` when Redis found it unchanged. */
  #loaded(
    tag: string,
    reply: SessionFields &
      ({ readonly state: 'loaded'; readonly items: RedisReply } | { readonly state: 'unchanged' }),
    copy: CachedSession | undefined,
  ): StoredSession {
    const items = reply.state === 'loaded' ? pairs(reply.items) : 'unchanged';
    return this.#cache.loaded(tag, copy, sessionFacts(reply), items);
  }

  watchLock(key: SessionKey, handOver?: HandOver): Promise<LockWatch> {
    return this.#waiters.watch(keysOf(key).tag, handOver);
  }

  /** The arguments of a script that releases the lock: how to publish the release, and whom to hand the lock to. */
  #releaseArgs(k: SessionKeys, target: HandOverTarget | undefined) {
    return {
      publish: this.#publish,
      channel: k.channel,
      released: this.#released,
      ...LockHandOver.args(target),
    };
  }

  async create(
    key: SessionKey,
    session: NewSession,
    options: LockRequest,
  ): Promise<{ state: 'created'; version: number } | { state: 'exists' }> {
    const principal = session.principal ?? null;
    const before =
      principal &&
      (await this.#principals.prepare(key, principal, { absoluteLeftMs: session.absoluteLifetimeMs }));
    const reply = await this.#call(
      scripts.CREATE,
      keysOf(key),
      {
        timeout: String(session.timeoutMinutes),
        absoluteLifetimeMs: session.absoluteLifetimeMs === null ? '' : String(session.absoluteLifetimeMs),
        token: options.lockToken ?? '',
        lockTimeoutMs: String(options.lockTimeoutMs),
      },
      flatten(session.items),
      WRITES,
    );
    if (reply.state === 'exists') return reply;
    if (before) await this.#principals.finish(key, principal, before);
    const version = Number(text(reply.version));
    this.#cache.created(keysOf(key).tag, session, Number(text(reply.created)), version);
    return { state: 'created', version };
  }

  async save(key: SessionKey, changes: SessionChanges, condition: SaveCondition): Promise<SaveResult> {
    const k = keysOf(key);
    const principal = changes.principal;
    const before = principal !== undefined && (await this.#principals.prepare(key, principal));
    const releases = condition.releaseLock && condition.lockToken !== null;
    const target = releases ? this.#handOver.target(k.tag, condition.expectedVersion) : undefined;
    const reply = await this.#call(
      scripts.SAVE,
      k,
      {
        token: condition.lockToken ?? '',
        expectedVersion: condition.expectedVersion === null ? '' : String(condition.expectedVersion),
        release: condition.releaseLock ? '1' : '0',
        timeout: changes.timeoutMinutes === undefined ? '' : String(changes.timeoutMinutes),
        setCount: String(changes.set.size),
        ...this.#releaseArgs(k, target),
      },
      [...flatten(changes.set), ...changes.remove],
      WRITES,
    ).catch((error: unknown) => {
      // The release may have happened with its answer lost: its echo is ignored, so
      // wake here (a waiter the lock was handed to finds it its own when it loads).
      if (releases) this.#waiters.wake(k.tag);
      throw error;
    });
    if (reply.state !== 'saved') {
      this.#cache.delete(k.tag);
      if (condition.releaseLock) this.#waiters.wake(k.tag);
      return reply;
    }
    if (before) await this.#principals.finish(key, principal ?? null, before);
    const version = Number(text(reply.version));
    this.#cache.saved(k.tag, condition.expectedVersion, version, changes);
    if (releases) this.#handOver.after(key, k.tag, target, text(reply.handed) === '1');
    return { state: 'saved', version };
  }

  /**
   * Releases the lock. When Redis cannot be reached (it went away while the request
   * held the lock), the release is also kept and retried in the background until
   * Redis answers: a lock left behind by an outage would otherwise block its session
   * for the whole request timeout after Redis is back. Retrying is safe: the script
   * releases only a lock that this token still holds.
   */
  async release(key: SessionKey, lockToken: string): Promise<void> {
    try {
      await this.#release(key, lockToken, true);
    } catch (error) {
      if (isStoreUnavailable(error)) this.#pendingReleases.add(key, lockToken);
      throw error;
    }
  }

  /** `handOver`: the lock may pass to a request waiting here (not for a release retried after an outage). */
  async #release(key: SessionKey, lockToken: string, handOver: boolean): Promise<void> {
    const k = keysOf(key);
    const copy = handOver ? this.#cache.get(k.tag) : undefined;
    const target = copy ? this.#handOver.target(k.tag, copy.version) : undefined;
    const reply = await this.#call(scripts.RELEASE, k, {
      token: lockToken,
      ...this.#releaseArgs(k, target),
      known: SessionCache.known(copy),
    }).catch((error: unknown) => {
      // The release may have happened with its answer lost, and its echo is ignored.
      this.#waiters.wake(k.tag);
      throw error;
    });
    this.#handOver.after(key, k.tag, target, reply.state === 'released' && text(reply.handed) === '1');
  }

  /** Locks whose release is waiting for Redis to come back (for tests and diagnostics). */
  get pendingReleases(): number {
    return this.#pendingReleases.size;
  }

  async touch(key: SessionKey): Promise<boolean> {
    const reply = await this.#call(scripts.TOUCH, keysOf(key), {});
    return reply.state === 'touched';
  }

  async abandon(key: SessionKey): Promise<void> {
    const k = keysOf(key);
    this.#cache.delete(k.tag);
    await this.#call(scripts.ABANDON, k, { publish: this.#publish, channel: k.channel }, [], WRITES);
    this.#waiters.wakeAll(k.tag);
  }

  async regenerate(key: SessionKey, newId: string, options: LockRequest): Promise<RegenerateResult> {
    const old = keysOf(key);
    const fresh = keysOf({ appKey: key.appKey, id: newId });
    // The principal is in the old `_Internal` hash; carried to the new id once it exists.
    const carried = await this.#principals.read(key);
    if (carried.principal)
      await this.#principals.add({ ...key, id: newId }, carried.principal.name, carried.absoluteLeftMs);
    // Two scripts: the ids hash to different cluster slots. The old id goes first, so
    // a failure in between can lose the session but never leaves the old id working.
    const taken = await this.#call(
      scripts.REGENERATE_TAKE,
      old,
      { token: options.lockToken ?? '', publish: this.#publish, channel: old.channel },
      [],
      WRITES,
    );
    this.#cache.delete(old.tag);
    if (taken.state !== 'taken') return taken.state;
    this.#waiters.wakeAll(old.tag);
    const put = await this.#call(
      scripts.REGENERATE_PUT,
      fresh,
      {
        timeout: text(taken.timeout),
        created: text(taken.created),
        version: text(taken.version),
        absolute: text(taken.absolute),
        ttl: text(taken.ttl),
        token: options.lockToken ?? '',
        lockTimeoutMs: String(options.lockTimeoutMs),
      },
      flatten(pairs(taken.items)),
      WRITES,
    );
    if (put.state === 'exists') return 'exists';
    await this.#principals.carry(key, { ...key, id: newId }, carried);
    return 'regenerated';
  }

  listByPrincipal(appKey: string, principal: string): Promise<PrincipalSessionRecord[]> {
    return this.#principals.list(appKey, principal);
  }

  /**
   * `SCAN` for the application's `_Internal` keys (every session has one, even with
   * no items) on every primary, `pageSize` as the `COUNT` of each call: one round
   * trip per page.
   */
  async *listIds(appKey: string, options: { readonly pageSize: number }): AsyncIterable<readonly string[]> {
    const sessions = sessionsOf(appKey);
    const pages = this.#connection.scan(sessions.pattern, { count: options.pageSize });
    const iterator = pages[Symbol.asyncIterator]();
    while (true) {
      const next = await this.#calls.run('list the sessions', () => iterator.next());
      if (next.done) return;
      yield next.value.map(sessions.idOf);
    }
  }

  async peek(key: SessionKey): Promise<ReadOnlyLoad> {
    const reply = await this.#call(scripts.PEEK, keysOf(key), {});
    return reply.state === 'missing'
      ? reply
      : { state: 'loaded', session: { ...sessionFacts(reply), items: pairs(reply.items) } };
  }

  /**
   * Releases the locks still waiting for Redis (for at most `closeTimeoutMs`), then
   * stops the timers and, with `ownsConnection`, closes the connection. A lock
   * dropped here would keep its session locked until the request timeout after
   * Redis is back. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await this.#pendingReleases.close(this.#options.closeTimeoutMs);
    if (this.#options.ownsConnection) await this.#connection.close();
  }

  /** Runs a script with its keys and arguments by name, and reads its reply by name. */
  async #call<
    K extends SessionKeyName,
    A extends string,
    R extends Readonly<Record<string, readonly string[]>>,
  >(
    script: RedisScript<K, A, R>,
    keys: Readonly<Record<K, string>>,
    args: Readonly<Record<A, RedisArgument>>,
    rest: readonly RedisArgument[] = [],
    effect: Effect = READS,
  ): Promise<ScriptReply<R>> {
    const reply = await this.#calls.run(
      script.name,
      () => this.#connection.script(script.lua, script.keys(keys), script.args(args, rest)),
      effect,
    );
    return script.read(reply);
  }
}

/**
 * How a Redis call fails. An outage: the Redis layer's codes for a connection that
 * is down, silent or closed, and for a server that refuses for a while (out of
 * memory, loading, cluster down). The answer is lost when the command was sent and
 * its answer never came (a timeout, or the connection closed under it): Redis may
 * have run it, or may still run it when it resumes. Every other outage is known not
 * to have changed anything: the command was never sent (not connected, a server
 * known to be silent), or Redis answered with a refusal, which it gives before a
 * script runs.
 */
const REDIS_FAILURES: TransportFailures = {
  isOutage: isRedisUnavailable,
  answerLost: (error) =>
    hasErrorCode(error, 'TESSERA_REDIS_TIMEOUT') || hasErrorCode(error, 'TESSERA_REDIS_CONNECTION_CLOSED'),
};

/** The fields of a load reply that describe the session (besides its items). */
type SessionFields = { readonly [F in 'timeout' | 'created' | 'version' | 'absolute']: RedisReply };

/** What the fields of a load reply say of the session, besides its items. */
function sessionFacts(reply: SessionFields): SessionFacts {
  const absolute = text(reply.absolute);
  return {
    timeoutMinutes: Number(text(reply.timeout)),
    createdAtMs: Number(text(reply.created)),
    absoluteExpiresAtMs: absolute === '' ? null : Number(absolute),
    version: Number(text(reply.version)),
  };
}

function flatten(items: ReadonlyMap<string, string>): string[] {
  const args: string[] = [];
  for (const [name, value] of items) args.push(name, value);
  return args;
}
