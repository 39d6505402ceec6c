import type { RedisConnection } from '../redis/index.ts';
import {
  REDIS_PROVIDER_DEFAULTS,
  REDIS_PROVIDER_KINDS,
  RedisProvider,
  type RedisProviderOptions,
} from './providers/redis-provider.ts';
import { connectOptions, type Environment, ProviderSessionStore } from './session-store.ts';

export interface RedisSessionStoreOptions extends Omit<RedisProviderOptions, 'ownsConnection'> {
  /** Where the `SERedis_*` variables are read (default `process.env`). */
  readonly env?: Environment | undefined;
}

/** The provider's options that `connect` takes: all but `ownsConnection` (the store owns the connection it opens). */
const { ownsConnection: _, ...CONNECT_DEFAULTS } = REDIS_PROVIDER_DEFAULTS;
const { ownsConnection: __, ...CONNECT_KINDS } = REDIS_PROVIDER_KINDS;

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
export class RedisSessionStore extends ProviderSessionStore<RedisProvider> {
  readonly connection: RedisConnection;

  private constructor(connection: RedisConnection, provider: RedisProvider) {
    super(provider);
    this.connection = connection;
  }

  /** Connects as the connection string says; rejects with the Redis layer's error (`TESSERA_REDIS_*`) when it cannot. */
  static async connect(
    connectionString: string,
    options: RedisSessionStoreOptions = {},
  ): Promise<RedisSessionStore> {
    const { env, ...providerOptions } = connectOptions(
      'RedisSessionStore.connect',
      'the Redis connection string, a string such as "redis1:6380,ssl=true,sslHost=redis.example.com"',
      connectionString,
      CONNECT_DEFAULTS,
      CONNECT_KINDS,
      options,
    );
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
}
