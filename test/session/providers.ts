/**
 * Every session provider the semantics suite runs against, each with a factory.
 * Redis runs on a real plain `redis-server`, through `PlainRedisConnection` and
 * through the connection layer.
 */
import { MemoryProvider, RedisSessionStore, type SessionProvider } from '../../src/session/index.ts';
import { RedisProvider } from '../../src/session/providers/redis-provider.ts';
import { type RedisServer, startRedisServer } from '../support/redis-server.ts';
import { PlainRedisConnection } from './plain-redis-connection.ts';

export interface ProviderOptions {
  readonly maxWaitersPerSession?: number;
}

export interface ProviderFactory {
  readonly name: string;
  /** Prepares shared resources (a Redis server). */
  setup(): Promise<void>;
  create(options?: ProviderOptions): Promise<SessionProvider>;
  teardown(): Promise<void>;
}

const memory: ProviderFactory = {
  name: 'memory',
  async setup() {},
  async create(options = {}) {
    return new MemoryProvider(options);
  },
  async teardown() {},
};

/** Redis through the connection layer's `connectRedis`, on a plain server (the TLS ones come with the layer's tests). */
function redisConnectionLayer(): ProviderFactory {
  let server: RedisServer | undefined;
  return {
    name: 'redis (connection layer, plain, single)',
    async setup() {
      server = await startRedisServer();
    },
    async create(options = {}) {
      const store = await RedisSessionStore.connect(`127.0.0.1:${server!.port}`, { ...options, env: {} });
      return store.provider;
    },
    async teardown() {
      await server?.stop();
    },
  };
}

function redisPlain(): ProviderFactory {
  let server: RedisServer | undefined;
  const connections: PlainRedisConnection[] = [];
  return {
    name: 'redis (plain, single)',
    async setup() {
      server = await startRedisServer();
    },
    async create(options = {}) {
      const connection = await PlainRedisConnection.connect(server!.port);
      connections.push(connection);
      return new RedisProvider(connection, { ...options, ownsConnection: true });
    },
    async teardown() {
      await Promise.allSettled(connections.map((connection) => connection.close()));
      await server?.stop();
    },
  };
}

export const PROVIDERS: readonly ProviderFactory[] = [memory, redisPlain(), redisConnectionLayer()];
