import { channel } from 'node:diagnostics_channel';
import { ClientClosedError, ClientOfflineError } from '@redis/client';
import type { ClientFactory } from './client-factory.ts';
import type { LuaScript, RedisArgument, RedisConnection, RedisReply, RedisTopology } from './connection.ts';
import { commandTimeoutMs } from './connection-string.ts';
import { RedisError } from './errors.ts';
import { explainRedisError } from './explain-error.ts';

export const connectChannel = channel('tessera:redis:connect');
const errorChannel = channel('tessera:redis:error');

/** Shared behaviour of both connection shapes: scripts, error translation. */
export abstract class BaseConnection implements RedisConnection {
  abstract readonly topology: RedisTopology;
  abstract readonly isReady: boolean;
  protected abstract send(args: readonly RedisArgument[], key: string | undefined): Promise<unknown>;
  protected abstract describe(): string;
  abstract subscribe(channelName: string, listener: (message: string) => void): Promise<() => Promise<void>>;
  abstract publish(channelName: string, message: string): Promise<void>;
  abstract close(): Promise<void>;
  protected abstract readonly factory: ClientFactory;
  /** A sender of commands to each primary (the one server, or every primary of a cluster). */
  protected abstract primaries(): Promise<Array<(args: readonly RedisArgument[]) => Promise<unknown>>>;

  command(args: readonly RedisArgument[], options?: { readonly key?: string }): Promise<RedisReply> {
    return this.bounded(() => this.send(args, options?.key)) as Promise<RedisReply>;
  }

  async *scan(pattern: string, options: { readonly count: number }): AsyncIterable<readonly string[]> {
    for (const send of await this.bounded(() => this.primaries())) {
      let cursor = '0';
      do {
        const reply = (await this.bounded(() =>
          send(['SCAN', cursor, 'MATCH', pattern, 'COUNT', String(options.count)]),
        )) as [RedisReply, RedisReply[]];
        cursor = String(reply[0]);
        yield reply[1].map(String);
      } while (cursor !== '0');
    }
  }

  /** Runs one call to Redis within the sync timeout, translating connection failures. */
  protected async bounded<T>(call: () => Promise<T>): Promise<T> {
    // node-redis's own command timeout covers only the wait to be written, not the
    // wait for the reply, so the sync timeout is enforced here. A late reply is
    // still read and dropped; the connection stays usable.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error('sync timeout'), { name: 'TimeoutError' })),
        commandTimeoutMs(this.factory.settings),
      );
    });
    try {
      return await Promise.race([call(), timeout]);
    } catch (error) {
      throw this.translate(error);
    } finally {
      clearTimeout(timer);
    }
  }

  async script(
    script: LuaScript,
    keys: readonly string[],
    args: readonly RedisArgument[],
  ): Promise<RedisReply> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.command(['EVALSHA', script.sha1, ...tail], { key: keys[0] });
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.command(['EVAL', script.source, ...tail], { key: keys[0] });
    }
  }

  /** Connection problems become a `RedisError`; replies of Redis (ErrorReply) pass through. */
  protected translate(error: unknown): unknown {
    // node-redis's errors keep the name "Error": only their class tells them apart.
    if (error instanceof ClientOfflineError || error instanceof ClientClosedError) {
      return new RedisError(
        'TESSERA_REDIS_NOT_CONNECTED',
        `Redis (${this.describe()}) is not connected; Tessera is reconnecting. Retry shortly; run \`tessera config test-connection\` if it lasts.`,
        { cause: error },
      );
    }
    if ((error as Error | undefined)?.name === 'TimeoutError') {
      return explainRedisError(error, {
        ...this.factory.errorContext(this.factory.settings.endpoints[0]!),
        address: this.describe(),
      });
    }
    return error;
  }
}

/** Publishes a client's connection errors on `tessera:redis:error`, so none reaches the process. */
export function watchErrors(
  emitter: { on(event: 'error', listener: (error: Error) => void): unknown },
  where: string,
) {
  emitter.on('error', (error: Error) => {
    if (errorChannel.hasSubscribers)
      errorChannel.publish({ where, code: (error as { code?: string }).code, message: error.message });
  });
}
