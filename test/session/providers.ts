/**
 * Every session provider the semantics suite runs against, each with a factory.
 * Redis runs on real `redis-server` processes over mutual TLS (the test PKI's
 * client certificate from the `SERedis_*` variables), through the connection
 * layer, as a front-end server reaches it: one server, and a three-primary cluster.
 */
import { MemoryProvider, RedisSessionStore, type SessionProvider } from '../../src/session/index.ts';
import { startTlsRedis, startTlsRedisCluster, type TlsRedisTarget } from '../support/tls-redis.ts';

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

/** Redis through `RedisSessionStore.connect`, over mutual TLS. */
function redis(name: string, start: () => Promise<TlsRedisTarget>): ProviderFactory {
  let target: TlsRedisTarget | undefined;
  return {
    name,
    async setup() {
      target = await start();
    },
    async create(options = {}) {
      const store = await RedisSessionStore.connect(target!.connectionString, {
        ...options,
        env: target!.env,
      });
      return store.provider;
    },
    async teardown() {
      await target?.stop();
    },
  };
}

export const PROVIDERS: readonly ProviderFactory[] = [
  memory,
  redis('redis (mutual TLS, single)', () => startTlsRedis()),
  redis('redis (mutual TLS, three-primary cluster)', () => startTlsRedisCluster()),
];
