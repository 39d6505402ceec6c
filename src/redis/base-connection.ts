import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  ErrorReply,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError,
} from '@redis/client';
import { hasErrorCode } from '../errors.ts';
import type { ClientFactory } from './client-factory.ts';
import type { LuaScript, RedisArgument, RedisConnection, RedisReply, RedisTopology } from './connection.ts';
import { commandTimeoutMs } from './connection-string.ts';
import { publishError } from './diagnostics.ts';
import { RedisError } from './errors.ts';
import {
  commandTimeout,
  connectionClosed,
  type ErrorContext,
  explainRedisError,
  explainReply,
  unresponsive,
} from './explain-error.ts';
import { Responsiveness } from './responsiveness.ts';

/** node-redis's errors for a connection that failed under a command (they keep the name "Error"). */
const TRANSPORT_ERRORS = [
  SocketClosedUnexpectedlyError,
  DisconnectsClientError,
  ConnectionTimeoutError,
  SocketTimeoutError,
  TimeoutError,
];

/** Shared behaviour of both connection shapes: the sync timeout, fail-fast while silent, scripts, errors. */
export abstract class BaseConnection implements RedisConnection {
  abstract readonly topology: RedisTopology;
  abstract readonly isReady: boolean;
  protected abstract send(args: readonly RedisArgument[], key: string | undefined): Promise<unknown>;
  protected abstract describe(): string;
  /** `host:port` of the server that serves `key` (the connection's one server, or a cluster node). */
  protected abstract serverOf(key: string | undefined): string;
  abstract subscribe(channelName: string, listener: (message: string) => void): Promise<() => Promise<void>>;
  abstract publish(channelName: string, message: string): Promise<void>;
  abstract close(): Promise<void>;
  protected abstract readonly factory: ClientFactory;
  /** A sender of commands to each primary (the one server, or every primary of a cluster). */
  protected abstract primaries(): Promise<Array<(args: readonly RedisArgument[]) => Promise<unknown>>>;
  /** Whether each server answers, by `host:port`. */
  readonly #responsiveness = new Map<string, Responsiveness>();

  command(args: readonly RedisArgument[], options?: { readonly key?: string }): Promise<RedisReply> {
    const key = options?.key;
    return this.#bounded(() => this.send(args, key), this.#responsivenessOf(key)) as Promise<RedisReply>;
  }

  async *scan(pattern: string, options: { readonly count: number }): AsyncIterable<readonly string[]> {
    for (const send of await this.#bounded(() => this.primaries())) {
      let cursor = '0';
      do {
        const reply = (await this.#bounded(() =>
          send(['SCAN', cursor, 'MATCH', pattern, 'COUNT', String(options.count)]),
        )) as [RedisReply, RedisReply[]];
        cursor = String(reply[0]);
        yield reply[1].map(String);
      } while (cursor !== '0');
    }
  }

  /**
   * Runs one call to Redis within the command timeout, translating its failures.
   * With `server`, a server known to be silent refuses the call at once, and a
   * timeout marks it silent until it answers again.
   */
  async #bounded<T>(call: () => Promise<T>, server?: Responsiveness): Promise<T> {
    const refusal = server?.refusal();
    if (refusal) throw refusal;
    // node-redis's own command timeout covers only the wait to be written, not the
    // wait for the reply, so the command timeout is enforced here. A late reply is
    // still read and dropped; the connection stays usable.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        server?.timedOut();
        reject(commandTimeout(this.#context()));
      }, commandTimeoutMs(this.factory.settings));
    });
    try {
      const reply = await Promise.race([call(), timeout]);
      server?.answered();
      return reply;
    } catch (error) {
      if (error instanceof ErrorReply) server?.answered();
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
      if (!(error instanceof ErrorReply) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.command(['EVAL', script.source, ...tail], { key: keys[0] });
    }
  }

  /**
   * What a failed command rejects with: a `RedisError` for a connection that is
   * down, silent or closed, and for the replies of Redis that name a state of the
   * server (out of memory, no permission, cluster down, loading); published on
   * `tessera:redis:error`. Other replies of Redis (`ErrorReply`: a malformed
   * command) and every other error (a bug) pass through unchanged.
   */
  protected translate(error: unknown): unknown {
    if (error instanceof ClientOfflineError || error instanceof ClientClosedError) {
      return new RedisError(
        'TESSERA_REDIS_NOT_CONNECTED',
        `Redis (${this.describe()}) is not connected; Tessera is reconnecting. Retry shortly; run \`tessera config test-connection\` if it lasts.`,
        { cause: error },
      );
    }
    let translated: RedisError | undefined;
    if (hasErrorCode(error, { prefix: 'TESSERA_REDIS_' })) translated = error as RedisError;
    else if (error instanceof ErrorReply) translated = explainReply(error, this.#context());
    else if (TRANSPORT_ERRORS.some((kind) => error instanceof kind) || isSocketError(error)) {
      translated = explainRedisError(error, this.#context());
      // A socket or TLS error under a command that has no name of its own still
      // broke the connection: an outage, not a bug.
      if (translated.code === 'TESSERA_REDIS_UNEXPECTED')
        translated = connectionClosed(this.#context(), error);
    }
    if (!translated) return error;
    publishError({ where: this.describe(), code: translated.code, message: translated.message });
    return translated;
  }

  /** Stops the background probes of silent servers. */
  protected stopProbes(): void {
    for (const server of this.#responsiveness.values()) server.close();
    this.#responsiveness.clear();
  }

  #responsivenessOf(key: string | undefined): Responsiveness {
    const address = this.serverOf(key);
    let server = this.#responsiveness.get(address);
    if (!server) {
      const context = { ...this.#context(), address };
      server = new Responsiveness({
        address,
        ping: () => this.send(['PING'], key),
        isReply: (error) => error instanceof ErrorReply,
        probeTimeoutMs: commandTimeoutMs(this.factory.settings),
        unresponsive: (since) => unresponsive(context, since),
      });
      this.#responsiveness.set(address, server);
    }
    return server;
  }

  #context(): ErrorContext {
    return { ...this.factory.errorContext(this.factory.settings.endpoints[0]!), address: this.describe() };
  }
}

/** An error of Node's socket or TLS layer (`ECONNRESET`, `EPIPE`, `ERR_SSL_…`), which carries a `code`. */
function isSocketError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(E[A-Z]+$|ERR_SSL_|ERR_TLS_)/.test(code);
}

/** Publishes a client's connection errors on `tessera:redis:error`, so none reaches the process. */
export function watchErrors(
  emitter: { on(event: 'error', listener: (error: Error) => void): unknown },
  where: string,
) {
  emitter.on('error', (error: Error) => {
    publishError({ where, code: (error as { code?: string }).code, message: error.message });
  });
}
