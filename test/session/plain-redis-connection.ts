/**
 * A thin `RedisConnection` over `@redis/client` to a plain-text `redis-server`, for
 * the provider tests. Like the real connection layer: no offline queue (commands
 * fail at once with a `RedisError` while Redis is down), reconnects by itself,
 * EVALSHA with an EVAL fallback.
 */
import { createClient } from '@redis/client';
import type { LuaScript, RedisArgument, RedisConnection, RedisReply } from '../../src/redis/connection.ts';
import { RedisError } from '../../src/redis/errors.ts';

function plainClient(port: number) {
  return createClient({
    socket: {
      host: '127.0.0.1',
      port,
      connectTimeout: 1000,
      reconnectStrategy: (retries) => Math.min(20 * 2 ** retries, 200),
    },
    disableOfflineQueue: true,
    commandOptions: { timeout: 2000 },
  });
}

type Client = ReturnType<typeof plainClient>;

const CONNECTION_ERRORS = new Set([
  'ClientOfflineError',
  'ClientClosedError',
  'SocketClosedUnexpectedlyError',
  'TimeoutError',
]);

export class PlainRedisConnection implements RedisConnection {
  readonly topology = 'single' as const;
  readonly #client: Client;
  #subscriber: Promise<Client> | undefined;
  readonly #port: number;

  private constructor(client: Client, port: number) {
    this.#client = client;
    this.#port = port;
  }

  static async connect(port: number): Promise<PlainRedisConnection> {
    const client = plainClient(port);
    client.on('error', () => {
      // Reported through failed commands.
    });
    await client.connect();
    return new PlainRedisConnection(client, port);
  }

  get isReady(): boolean {
    return this.#client.isReady;
  }

  async command(args: readonly RedisArgument[]): Promise<RedisReply> {
    try {
      return (await this.#client.sendCommand([...args])) as RedisReply;
    } catch (error) {
      // node-redis errors keep name 'Error'; their class tells what happened.
      if (CONNECTION_ERRORS.has((error as Error).constructor.name)) {
        throw new RedisError(
          'TESSERA_REDIS_NOT_CONNECTED',
          `Redis is not connected (${(error as Error).message}).`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
  }

  async script(
    script: LuaScript,
    keys: readonly string[],
    args: readonly RedisArgument[],
  ): Promise<RedisReply> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.command(['EVALSHA', script.sha1, ...tail]);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.command(['EVAL', script.source, ...tail]);
    }
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>> {
    this.#subscriber ??= (async () => {
      const subscriber = plainClient(this.#port);
      subscriber.on('error', () => {});
      await subscriber.connect();
      return subscriber;
    })();
    const subscriber = await this.#subscriber;
    await subscriber.subscribe(channel, listener);
    return async () => {
      if (subscriber.isOpen) await subscriber.unsubscribe(channel, listener);
    };
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.command(['PUBLISH', channel, message]);
  }

  async close(): Promise<void> {
    const subscriber = await this.#subscriber?.catch(() => undefined);
    await Promise.allSettled([subscriber?.close(), this.#client.close()]);
  }
}
