/**
 * Sessions in Redis, over any `RedisConnection` (single server, primary of a host
 * list, Cluster). Each operation is one Lua script (`redis-scripts.ts`): loading
 * locks, reads and slides the expiry in one round trip; saving writes only the
 * changed fields of the data hash and releases the lock in one more. Waiting
 * requests are woken by a message on the session's channel (and at once by this
 * process's own releases), not by polling.
 */
import { hasErrorCode } from '../../errors.ts';
// From errors.ts, not the layer's index: the memory store must not load the Redis client.
import { isRedisUnavailable } from '../../redis/errors.ts';
import type { RedisArgument, RedisConnection, RedisReply } from '../../redis/index.ts';
import { outcomeUnknown, SessionError, storeUnavailable } from '../errors.ts';
import { DEFAULT_MAX_WAITERS_PER_SESSION, LockWaiters } from '../lock-waiters.ts';
import {
  BOOLEAN,
  MAX_TIMER_MS,
  type ResolvedOptions,
  resolveOptions,
  wholeNumber,
} from '../option-checks.ts';
import { PendingReleases } from '../pending-releases.ts';
import type {
  ExclusiveLoad,
  LockWatch,
  NewSession,
  ReadOnlyLoad,
  RegenerateResult,
  SaveCondition,
  SaveResult,
  SessionChanges,
  SessionKey,
  SessionProvider,
  StoredSession,
} from '../session-provider.ts';
import { pairs, type RedisScript, type ScriptReply, type SessionKeyName, text } from './redis-script.ts';
import * as scripts from './redis-scripts.ts';

/** Options of the Redis provider; an absent or `undefined` one takes its default. */
export interface RedisProviderOptions {
  /** The most requests of this process waiting for one session's lock (default 50). */
  readonly maxWaitersPerSession?: number | undefined;
  /** Close the connection with the provider (default false). */
  readonly ownsConnection?: boolean | undefined;
  /**
   * How long `close()` may spend releasing locks whose release could not reach
   * Redis (an outage) before it closes the connection (default 5000 ms). Locks not
   * released by then end by themselves after the request timeout.
   */
  readonly closeTimeoutMs?: number | undefined;
}

export const REDIS_PROVIDER_DEFAULTS = {
  maxWaitersPerSession: DEFAULT_MAX_WAITERS_PER_SESSION,
  ownsConnection: false,
  closeTimeoutMs: 5000,
} as const satisfies RedisProviderOptions;

export const REDIS_PROVIDER_KINDS = {
  maxWaitersPerSession: wholeNumber(1, 1_000_000, ''),
  ownsConnection: BOOLEAN,
  closeTimeoutMs: wholeNumber(0, MAX_TIMER_MS, ' of milliseconds'),
} as const;

/** Whether a call changes the session: a write whose answer is lost has an unknown outcome. */
interface Effect {
  readonly writes: boolean;
}
const READS: Effect = { writes: false };
const WRITES: Effect = { writes: true };

/** The keys and channel of one session, all with the hash tag `{app_id}`. */
function keysOf(key: SessionKey) {
  const tag = `{${key.appKey}_${key.id}}`;
  return {
    tag,
    data: `${tag}_Data`,
    internal: `${tag}_Internal`,
    lock: `${tag}_WriteLock`,
    channel: `${tag}_Released`,
  };
}

export class RedisProvider implements SessionProvider {
  readonly name = 'redis';
  readonly #connection: RedisConnection;
  readonly #options: ResolvedOptions<RedisProviderOptions>;
  readonly #waiters: LockWaiters;
  /** PUBLISH, or SPUBLISH on a cluster (the channel lives on the session's node). */
  readonly #publish: string;
  /** Locks whose release could not reach Redis: released once it can be. */
  readonly #pendingReleases = new PendingReleases({
    release: (key, lockToken) => this.#release(key, lockToken),
    isAway: isStoreUnavailable,
  });
  #closing: Promise<void> | undefined;

  constructor(connection: RedisConnection, options: RedisProviderOptions = {}) {
    const defaults: ResolvedOptions<RedisProviderOptions> = REDIS_PROVIDER_DEFAULTS;
    this.#options = resolveOptions('The Redis session store', defaults, REDIS_PROVIDER_KINDS, options);
    this.#connection = connection;
    this.#publish = connection.topology === 'cluster' ? 'SPUBLISH' : 'PUBLISH';
    this.#waiters = new LockWaiters({
      maxPerSession: this.#options.maxWaitersPerSession,
      listen: (tag, onRelease) =>
        this.#run('watch the lock', () =>
          connection.subscribe(`${tag}_Released`, (message) =>
            onRelease(message === 'gone' ? 'gone' : 'released'),
          ),
        ),
    });
  }

  async loadExclusive(
    key: SessionKey,
    lockToken: string,
    options: { lockTimeoutMs: number },
  ): Promise<ExclusiveLoad> {
    const k = keysOf(key);
    const reply = await this.#call(scripts.LOAD_EXCLUSIVE, k, {
      token: lockToken,
      lockTimeoutMs: String(options.lockTimeoutMs),
    }).catch((error: unknown) => {
      // The script may have run and only its answer been lost (Redis stopped
      // mid-reply, a timeout): release what the token may hold rather than leave the
      // session locked for the request timeout. Not when the command was never sent.
      if (isStoreUnavailable(error) && answerLost((error as SessionError).cause))
        this.release(key, lockToken).catch(() => {});
      throw error;
    });
    if (reply.state === 'missing') return { state: 'missing' };
    if (reply.state === 'locked') return { state: 'locked', lockAgeMs: Number(text(reply.lockAgeMs)) };
    const took = text(reply.tookOver);
    return {
      state: 'loaded',
      session: storedSession(reply),
      tookOverLockAgedMs: took === '' ? null : Number(took),
    };
  }

  async loadReadOnly(key: SessionKey): Promise<ReadOnlyLoad> {
    const reply = await this.#call(scripts.LOAD_READ_ONLY, keysOf(key), {});
    return reply.state === 'missing' ? reply : { state: 'loaded', session: storedSession(reply) };
  }

  watchLock(key: SessionKey): Promise<LockWatch> {
    return this.#waiters.watch(keysOf(key).tag);
  }

  async create(
    key: SessionKey,
    session: NewSession,
    options: { lockToken: string | null; lockTimeoutMs: number },
  ): Promise<{ state: 'created'; version: number } | { state: 'exists' }> {
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
    return reply.state === 'exists' ? reply : { state: 'created', version: Number(text(reply.version)) };
  }

  async save(key: SessionKey, changes: SessionChanges, condition: SaveCondition): Promise<SaveResult> {
    const k = keysOf(key);
    const reply = await this.#call(
      scripts.SAVE,
      k,
      {
        token: condition.lockToken ?? '',
        expectedVersion: condition.expectedVersion === null ? '' : String(condition.expectedVersion),
        release: condition.releaseLock ? '1' : '0',
        timeout: changes.timeoutMinutes === undefined ? '' : String(changes.timeoutMinutes),
        setCount: String(changes.set.size),
        publish: this.#publish,
        channel: k.channel,
      },
      [...flatten(changes.set), ...changes.remove],
      WRITES,
    );
    if (reply.state !== 'saved') return reply;
    if (condition.releaseLock && condition.lockToken !== null) this.#waiters.wake(k.tag);
    return { state: 'saved', version: Number(text(reply.version)) };
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
      await this.#release(key, lockToken);
    } catch (error) {
      if (isStoreUnavailable(error)) this.#pendingReleases.add(key, lockToken);
      throw error;
    }
  }

  async #release(key: SessionKey, lockToken: string): Promise<void> {
    const k = keysOf(key);
    await this.#call(scripts.RELEASE, k, { token: lockToken, publish: this.#publish, channel: k.channel });
    this.#waiters.wake(k.tag);
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
    await this.#call(scripts.ABANDON, k, { publish: this.#publish, channel: k.channel }, [], WRITES);
    this.#waiters.wakeAll(k.tag);
  }

  async regenerate(
    key: SessionKey,
    newId: string,
    options: { lockToken: string | null; lockTimeoutMs: number },
  ): Promise<RegenerateResult> {
    const old = keysOf(key);
    const fresh = keysOf({ appKey: key.appKey, id: newId });
    // Two scripts: the ids hash to different cluster slots. The old id goes first, so
    // a failure in between can lose the session but never leaves the old id working.
    const taken = await this.#call(
      scripts.REGENERATE_TAKE,
      old,
      { token: options.lockToken ?? '', publish: this.#publish, channel: old.channel },
      [],
      WRITES,
    );
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
    return put.state;
  }

  /**
   * `SCAN` for the application's `_Internal` keys (every session has one, even with
   * no items) on every primary, `pageSize` as the `COUNT` of each call: one round
   * trip per page.
   */
  async *listIds(appKey: string, options: { readonly pageSize: number }): AsyncIterable<readonly string[]> {
    const head = `{${appKey}_`;
    const tail = '}_Internal';
    // An appKey has no "_", so `{shop_` never begins app `shop_admin`'s keys.
    const pages = this.#connection.scan(`${escapeGlob(head)}*${tail}`, { count: options.pageSize });
    const iterator = pages[Symbol.asyncIterator]();
    while (true) {
      const next = await this.#run('list the sessions', () => iterator.next());
      if (next.done) return;
      yield next.value.map((name) => name.slice(head.length, -tail.length));
    }
  }

  async peek(key: SessionKey): Promise<ReadOnlyLoad> {
    const reply = await this.#call(scripts.PEEK, keysOf(key), {});
    return reply.state === 'missing' ? reply : { state: 'loaded', session: storedSession(reply) };
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
    const reply = await this.#run(
      script.name,
      () => this.#connection.script(script.lua, script.keys(keys), script.args(args, rest)),
      effect,
    );
    return script.read(reply);
  }

  /**
   * Runs a Redis call; transport failures and transient replies become
   * `STORE_UNAVAILABLE`, except that a call which changes the session and may have
   * reached Redis before its answer was lost (a timeout, a connection cut mid-reply)
   * becomes `OUTCOME_UNKNOWN`: it may have been applied.
   */
  async #run<T>(operation: string, call: () => Promise<T>, effect: Effect = READS): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof SessionError) throw error;
      if (!isUnavailable(error)) throw error;
      if (effect.writes && answerLost(error)) throw outcomeUnknown(this.name, operation, error);
      throw storeUnavailable(this.name, operation, error);
    }
  }
}

/**
 * True when `error` means Redis cannot serve now: the Redis layer's codes for a
 * connection that is down, silent or closed, and for a server that refuses for a
 * while (out of memory, loading, cluster down). Matched by code, so errors of
 * another copy of the package count too. Anything else (a reply of Redis to a
 * malformed command, a permission refused, a bug in Tessera) is not an outage:
 * it propagates as it is and the request fails with a 500.
 */
function isUnavailable(error: unknown): boolean {
  return isRedisUnavailable(error);
}

function isStoreUnavailable(error: unknown): boolean {
  return hasErrorCode(error, 'TESSERA_SESSION_STORE_UNAVAILABLE');
}

/**
 * The command was sent and its answer never came (a timeout, or the connection
 * closed under it): Redis may have run it, or may still run it when it resumes.
 * Every other failure is known not to have changed anything: the command was never
 * sent (not connected, a server known to be silent), or Redis answered with a
 * refusal (out of memory, loading, cluster down), which it gives before a script runs.
 */
function answerLost(error: unknown): boolean {
  return (
    hasErrorCode(error, 'TESSERA_REDIS_TIMEOUT') || hasErrorCode(error, 'TESSERA_REDIS_CONNECTION_CLOSED')
  );
}

/** `text` as a `SCAN … MATCH` pattern that matches only itself. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** A session from the fields of a load reply. */
function storedSession(
  reply: { readonly [F in 'timeout' | 'created' | 'version' | 'absolute' | 'items']: RedisReply },
): StoredSession {
  const absolute = text(reply.absolute);
  return {
    items: pairs(reply.items),
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
