import { createCluster } from '@redis/client';
import { BaseConnection, watchErrors } from './base-connection.ts';
import { type ClientFactory, type NodeRedisCluster, ReconnectPolicy } from './client-factory.ts';
import type { RedisArgument } from './connection.ts';
import { formatEndpoint, type RedisEndpoint } from './connection-string.ts';
import { publishConnect } from './diagnostics.ts';
import { explainRedisError } from './explain-error.ts';
import { keySlot } from './slots.ts';

/**
 * A Redis Cluster: every command is routed by its key's slot; pub/sub is sharded
 * (`SSUBSCRIBE`/`SPUBLISH`, Redis 7), routed by the channel's hash tag.
 */
export class ClusterConnection extends BaseConnection {
  readonly topology = 'cluster' as const;
  protected readonly factory: ClientFactory;
  readonly #cluster: NodeRedisCluster;

  private constructor(factory: ClientFactory, cluster: NodeRedisCluster) {
    super();
    this.factory = factory;
    this.#cluster = cluster;
  }

  static async open(factory: ClientFactory, endpoints: readonly RedisEndpoint[]): Promise<ClusterConnection> {
    // Every node, found or listed, connects with the same defaults: TLS material,
    // credentials, timeouts. The node's own host is the name checked in its
    // certificate unless an SSL Host is set (see ClientFactory.tlsOptions).
    const reconnect = new ReconnectPolicy(factory.settings);
    const defaults = factory.clientOptions(undefined, reconnect);
    const cluster: NodeRedisCluster = createCluster({
      rootNodes: endpoints.map((endpoint) => ({ socket: { host: endpoint.host, port: endpoint.port } })),
      defaults: defaults as never,
    });
    watchErrors(cluster, endpoints.map(formatEndpoint).join(','));
    try {
      await cluster.connect();
      reconnect.ready();
    } catch (error) {
      cluster.destroy();
      throw explainRedisError(error, factory.errorContext(endpoints[0]!));
    }
    publishConnect({ address: endpoints.map(formatEndpoint).join(','), topology: 'cluster' });
    return new ClusterConnection(factory, cluster);
  }

  get isReady(): boolean {
    return this.#cluster.isReady;
  }

  protected describe(): string {
    return `cluster ${this.factory.settings.endpoints.map(formatEndpoint).join(',')}`;
  }

  protected serverOf(key: string | undefined): string {
    const shard = key === undefined ? undefined : this.#cluster.slots[keySlot(key)];
    return shard?.master.address ?? this.describe();
  }

  protected send(args: readonly RedisArgument[], key: string | undefined): Promise<unknown> {
    return this.#cluster.sendCommand(key, false, [...args]);
  }

  protected async primaries(): Promise<Array<(args: readonly RedisArgument[]) => Promise<unknown>>> {
    const clients = await Promise.all(this.#cluster.masters.map((node) => this.#cluster.nodeClient(node)));
    return clients.map((client) => (args) => client.sendCommand([...args]));
  }

  async subscribe(channelName: string, listener: (message: string) => void): Promise<() => Promise<void>> {
    try {
      await this.#cluster.sSubscribe(channelName, listener);
    } catch (error) {
      throw this.translate(error);
    }
    return async () => {
      await this.#cluster.sUnsubscribe(channelName, listener);
    };
  }

  async publish(channelName: string, message: string): Promise<void> {
    try {
      await this.#cluster.sPublish(channelName, message);
    } catch (error) {
      throw this.translate(error);
    }
  }

  async close(): Promise<void> {
    this.stopProbes();
    await this.#cluster.close();
  }
}
