/**
 * Every session provider the semantics suite runs against, each with a factory.
 * Redis runs on real `redis-server` processes over mutual TLS (the test PKI's
 * client certificate from the `SERedis_*` variables), through the connection
 * layer, as a front-end server reaches it: one server, and a three-primary cluster.
 */

import { DatabaseSessionStore } from '../../src/platform/index.ts';
import { MemoryProvider, RedisSessionStore, type SessionProvider } from '../../src/session/index.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { createSqliteFile } from '../support/sqlite-file.ts';
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

/**
 * The platform database through `DatabaseSessionStore.connect`: a SQLite file in a
 * temporary folder, or a fresh PostgreSQL database on 127.0.0.1:5432, removed after.
 */
function database(
  name: string,
  start: () => Promise<{ url: string; stop(): Promise<void> }>,
): ProviderFactory {
  let target: { url: string; stop(): Promise<void> } | undefined;
  return {
    name,
    async setup() {
      target = await start();
    },
    async create(options = {}) {
      return (await DatabaseSessionStore.connect(target!.url, options)).provider;
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
  database('database (SQLite file)', async () => {
    const file = await createSqliteFile();
    return { url: file.url, stop: () => file.remove() };
  }),
  database('database (PostgreSQL)', async () => {
    const db = await createTestDatabase();
    return { url: db.url, stop: () => db.drop() };
  }),
];
