/**
 * The subset of a Redis connection that Tessera's other layers use. The session
 * engine types Redis structurally through this interface, so it never imports the
 * client library's types, and the same code runs on a single server, a host list
 * with one primary, and a Redis Cluster.
 */

/** A command argument as Redis receives it. */
export type RedisArgument = string | Buffer;

/** A RESP reply: simple values, `null`, or arrays of replies. */
export type RedisReply =
  | string
  | number
  | bigint
  | Buffer
  | null
  | RedisReply[]
  | { [key: string]: RedisReply };

/** A Lua script that is sent once and then called by its SHA1 (`EVALSHA`, falling back to `EVAL`). */
export interface LuaScript {
  readonly source: string;
  readonly sha1: string;
}

export type RedisTopology = 'single' | 'primary' | 'cluster';

export interface RedisConnection {
  /** How the hosts of the connection string are served. */
  readonly topology: RedisTopology;

  /**
   * Sends one command. On a cluster, `key` routes it to the node that owns the key's
   * slot (give it for every command that touches a key). Rejects at once with a
   * `RedisError` when the connection is down (`TESSERA_REDIS_NOT_CONNECTED`: no
   * offline queue, callers fail fast) or the server has stopped answering
   * (`TESSERA_REDIS_UNRESPONSIVE`, from the first command that outlived
   * `syncTimeout` until the server answers a `PING` again); after `syncTimeout` when
   * Redis does not answer (`TESSERA_REDIS_TIMEOUT`). Replies of Redis that name a
   * state of the server (out of memory, no permission, cluster down, loading) are
   * `RedisError`s too; other replies reject with node-redis's `ErrorReply`.
   */
  command(args: readonly RedisArgument[], options?: { readonly key?: string }): Promise<RedisReply>;

  /**
   * Runs a Lua script with `EVALSHA`, loading it with `EVAL` when the server does
   * not know it yet (`NOSCRIPT`, e.g. after a restart or on another cluster node).
   * All `keys` must share one hash tag on a cluster.
   */
  script(script: LuaScript, keys: readonly string[], args: readonly RedisArgument[]): Promise<RedisReply>;

  /**
   * Subscribes to a channel (sharded pub/sub on a cluster, routed by the channel's
   * hash tag) and returns a function that unsubscribes.
   */
  subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>>;

  /** Publishes on a channel (sharded on a cluster). */
  publish(channel: string, message: string): Promise<void>;

  /**
   * Walks the keys matching `pattern` (a `SCAN … MATCH` glob) on every primary — the
   * one server, or each primary of a cluster in turn — yielding each `SCAN … COUNT
   * count` reply's keys as one page (possibly empty). One round trip per page; the
   * walk visits every key the primaries hold, so its cost grows with the whole
   * keyspace. SCAN's guarantees hold per primary: a key present for the whole walk is
   * yielded at least once (maybe twice); a key moved between primaries during the
   * walk (resharding) may be missed.
   */
  scan(pattern: string, options: { readonly count: number }): AsyncIterable<readonly string[]>;

  /** True while commands can be sent. */
  readonly isReady: boolean;

  /** Closes every socket; pending commands are answered first. */
  close(): Promise<void>;
}
