import type { RedisConnection } from '../redis/index.ts';
import { OBJECT, requireAddress, resolveOptions } from './option-checks.ts';
import {
  REDIS_PROVIDER_DEFAULTS,
  REDIS_PROVIDER_KINDS,
  RedisProvider,
  type RedisProviderOptions,
} from './providers/redis-provider.ts';
import type { SessionStore } from './session-store.ts';

export interface RedisSessionStoreOptions extends Omit<RedisProviderOptions, 'ownsConnection'> {
  /** Where the `SERedis_*` variables are read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** `RedisSessionStore.connect`'s options checked and frozen (`TESSERA_SESSION_OPTIONS`), before any connection. */
function resolveStoreOptions(options: RedisSessionStoreOptions | undefined) {
  const { ownsConnection: _, ...defaults } = REDIS_PROVIDER_DEFAULTS;
  const { ownsConnection: __, ...kinds } = REDIS_PROVIDER_KINDS;
  return resolveOptions(
    'RedisSessionStore.connect',
    { ...defaults, env: process.env as Readonly<Record<string, string | undefined>> },
    { ...kinds, env: OBJECT },
    options,
  );
}

/**
 * Sessions in Redis, shared by every front-end server: a single server, a host list
 * with one primary, or a Cluster, over TLS with a client certificate when the
 * connection string says `ssl=true` (the certificate comes from the `SERedis_*`
 * variables).
 *
 * ```js
 * const store = await RedisSessionStore.connect('redis1:6380,password=…,ssl=true,sslHost=redis.example.com');
 * app.use(sessionMiddleware({ store }));
 * // …
 * await store.close();
 * ```
 */
export class RedisSessionStore implements SessionStore {
  readonly provider: RedisProvider;
  readonly connection: RedisConnection;

  private constructor(connection: RedisConnection, provider: RedisProvider) {
    this.connection = connection;
    this.provider = provider;
  }

  /** Connects as the connection string says; rejects with the Redis layer's error (`TESSERA_REDIS_*`) when it cannot. */
  static async connect(
    connectionString: string,
    options: RedisSessionStoreOptions = {},
  ): Promise<RedisSessionStore> {
    requireAddress(
      'RedisSessionStore.connect',
      'the Redis connection string, a string such as "redis1:6380,ssl=true,sslHost=redis.example.com"',
      connectionString,
    );
    const { env, ...providerOptions } = resolveStoreOptions(options);
    // Loaded on demand: applications on the memory store never load the Redis client or TLS code.
    const { connectRedis, parseConnectionString } = await import('../redis/index.ts');
    const connection = await connectRedis(parseConnectionString(connectionString), { env });
    return new RedisSessionStore(
      connection,
      new RedisProvider(connection, { ...providerOptions, ownsConnection: true }),
    );
  }

  /** A store over a connection opened elsewhere; `close()` closes it. */
  static fromConnection(connection: RedisConnection, options: RedisProviderOptions = {}): RedisSessionStore {
    return new RedisSessionStore(
      connection,
      new RedisProvider(connection, { ...options, ownsConnection: options?.ownsConnection ?? true }),
    );
  }

  close(): Promise<void> {
    return this.provider.close();
  }
}
