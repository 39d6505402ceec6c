import { createClient } from '@redis/client';
import { BaseConnection, watchErrors } from './base-connection.ts';
import { type ClientFactory, type NodeRedisClient, ReconnectPolicy } from './client-factory.ts';
import type { RedisArgument, RedisTopology } from './connection.ts';
import { formatEndpoint, type RedisEndpoint } from './connection-string.ts';
import { publishConnect, publishFailover } from './diagnostics.ts';
import { explainRedisError } from './explain-error.ts';
import { choosePrimary, probeAll } from './topology.ts';

/**
 * One server: the only host, or the primary of a host list. A host list follows its
 * primary: when the server answers `READONLY` (it was demoted) or stays unreachable
 * for three reconnection attempts, every host is asked again for its role, and the
 * connection moves to the new primary. A command refused with `READONLY` was not
 * executed, so it is sent once more to the new primary.
 */
export class SingleConnection extends BaseConnection {
  readonly topology: RedisTopology;
  protected readonly factory: ClientFactory;
  #client: NodeRedisClient;
  #endpoint: RedisEndpoint;
  #subscriber: Promise<NodeRedisClient> | undefined;
  #following: Promise<void> | undefined;

  private constructor(
    factory: ClientFactory,
    client: NodeRedisClient,
    endpoint: RedisEndpoint,
    topology: RedisTopology,
  ) {
    super();
    this.factory = factory;
    this.#client = client;
    this.#endpoint = endpoint;
    this.topology = topology;
  }

  static async open(
    factory: ClientFactory,
    endpoint: RedisEndpoint,
    topology: RedisTopology,
  ): Promise<SingleConnection> {
    let connection: SingleConnection | undefined;
    const client = await SingleConnection.#connect(factory, endpoint, topology, () => connection);
    connection = new SingleConnection(factory, client, endpoint, topology);
    return connection;
  }

  /** A client of `endpoint`; `owner` (once there is one) follows the primary when it stays unreachable. */
  static async #connect(
    factory: ClientFactory,
    endpoint: RedisEndpoint,
    topology: RedisTopology,
    owner: () => SingleConnection | undefined,
  ): Promise<NodeRedisClient> {
    const reconnect = new ReconnectPolicy(factory.settings);
    if (topology === 'primary') {
      reconnect.onRetry = (retries) => {
        const connection = owner();
        if (retries >= 3 && connection) connection.#followPrimary().catch(() => undefined);
      };
    }
    const client = createClient(factory.clientOptions(endpoint, reconnect));
    watchErrors(client, formatEndpoint(endpoint));
    client.on('ready', () => {
      reconnect.ready();
      publishConnect({ address: formatEndpoint(endpoint), topology });
    });
    try {
      await client.connect();
    } catch (error) {
      client.destroy();
      throw explainRedisError(error, factory.errorContext(endpoint));
    }
    return client;
  }

  /** Moves to the primary the hosts now report, if it changed. One search at a time. */
  #followPrimary(): Promise<void> {
    this.#following ??= (async () => {
      try {
        const primary = choosePrimary(await probeAll(this.factory));
        if (formatEndpoint(primary) === formatEndpoint(this.#endpoint)) return;
        const client = await SingleConnection.#connect(this.factory, primary, this.topology, () => this);
        const [previous, subscriber] = [this.#client, this.#subscriber];
        const from = formatEndpoint(this.#endpoint);
        [this.#client, this.#endpoint, this.#subscriber] = [client, primary, undefined];
        previous.destroy();
        subscriber?.then((old) => old.destroy()).catch(() => undefined);
        publishFailover({ from, to: formatEndpoint(primary) });
      } finally {
        this.#following = undefined;
      }
    })();
    return this.#following;
  }

  get isReady(): boolean {
    return this.#client.isReady;
  }

  protected describe(): string {
    return formatEndpoint(this.#endpoint);
  }

  protected serverOf(): string {
    return formatEndpoint(this.#endpoint);
  }

  protected async send(args: readonly RedisArgument[]): Promise<unknown> {
    try {
      return await this.#client.sendCommand(args);
    } catch (error) {
      if (this.topology !== 'primary' || !/^READONLY/.test((error as Error)?.message ?? '')) throw error;
      await this.#followPrimary();
      return this.#client.sendCommand(args);
    }
  }

  protected async primaries(): Promise<Array<(args: readonly RedisArgument[]) => Promise<unknown>>> {
    return [(args) => this.send(args)];
  }

  async subscribe(channelName: string, listener: (message: string) => void): Promise<() => Promise<void>> {
    this.#subscriber ??= (async () => {
      const subscriber = this.#client.duplicate();
      watchErrors(subscriber, this.describe());
      await subscriber.connect();
      return subscriber;
    })();
    const pending = this.#subscriber;
    let subscriber: NodeRedisClient;
    try {
      subscriber = await pending;
    } catch (error) {
      // A subscriber that never connected is not kept: the next call tries again.
      if (this.#subscriber === pending) this.#subscriber = undefined;
      throw this.translate(error);
    }
    try {
      await subscriber.subscribe(channelName, listener);
    } catch (error) {
      throw this.translate(error);
    }
    return async () => {
      if (subscriber.isOpen) await subscriber.unsubscribe(channelName, listener);
    };
  }

  async publish(channelName: string, message: string): Promise<void> {
    await this.command(['PUBLISH', channelName, message]);
  }

  async close(): Promise<void> {
    this.stopProbes();
    const subscriber = await this.#subscriber?.catch(() => undefined);
    await Promise.allSettled([subscriber?.close(), this.#client.close()]);
  }
}
