/**
 * Connects to what a connection string describes and serves it as one
 * `RedisConnection`:
 *
 * * one host: that server;
 * * several hosts: the one primary among them, found with `INFO replication`
 *   (an error when there is none, or more than one);
 * * hosts that belong to a Redis Cluster (`cluster_enabled:1`): the cluster, with
 *   TLS on every node, each node's certificate checked against the SSL Host or the
 *   node's own name.
 *
 * Commands never wait for a connection (no offline queue): while Redis is down they
 * fail at once with `TESSERA_REDIS_NOT_CONNECTED`, and the client reconnects in the
 * background. Connection errors are published on `tessera:redis:error`, never thrown
 * at the process.
 */
import { channel } from 'node:diagnostics_channel';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { ClientClosedError, ClientOfflineError, createClient, createCluster } from '@redis/client';
import { TlsMaterial, tlsConnectionOptions, verifyServer } from '../tls/index.ts';
import type { LuaScript, RedisArgument, RedisConnection, RedisReply, RedisTopology } from './connection.ts';
import { formatEndpoint, type RedisConnectionSettings, type RedisEndpoint } from './connection-string.ts';
import { RedisError } from './errors.ts';
import { explainRedisError } from './explain-error.ts';
import { parseInfo } from './info.ts';

const connectChannel = channel('tessera:redis:connect');
const errorChannel = channel('tessera:redis:error');
const failoverChannel = channel('tessera:redis:failover');

/** Reconnection backoff after the first successful connection: 50 ms doubling, at most 2 s. */
const RECONNECT_MAX_DELAY_MS = 2000;

export interface ConnectRedisOptions {
  /** Where the `SERedis_*` variables are read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Certificate material to use instead of reading the variables. */
  readonly material?: TlsMaterial;
}

type NodeRedisClient = ReturnType<typeof createClient>;
// Built without modules, scripts or functions: only the RESP-level commands are used.
type None = Record<string, never>;
type NodeRedisCluster = ReturnType<typeof createCluster<None, None, None, 2>>;
type ClientOptions = NonNullable<Parameters<typeof createClient>[0]>;

/** Connects to the hosts of `settings` and returns the connection the rest of Tessera uses. */
export async function connectRedis(
  settings: RedisConnectionSettings,
  options: ConnectRedisOptions = {},
): Promise<RedisConnection> {
  if (settings.serviceName !== undefined) {
    throw new RedisError(
      'TESSERA_REDIS_CONNECTION_STRING',
      `serviceName=${settings.serviceName} asks for Redis Sentinel, which this version does not support. List the Redis hosts themselves (Tessera finds the primary), or the nodes of a Redis Cluster.`,
    );
  }
  const material = settings.ssl ? (options.material ?? materialFor(settings, options.env)) : undefined;
  // Loads and checks the certificate material before any socket is opened, so a bad
  // variable is reported as such and not as a refused handshake.
  material?.secureContext();
  const factory = new ClientFactory(settings, material);
  const reached = await probeAll(factory);
  if (reached.some(({ info }) => info.cluster_enabled === '1')) {
    return ClusterConnection.open(factory, settings.endpoints);
  }
  return SingleConnection.open(
    factory,
    choosePrimary(reached),
    settings.endpoints.length > 1 ? 'primary' : 'single',
  );
}

interface Probed {
  readonly endpoint: RedisEndpoint;
  readonly info: Record<string, string>;
}

/** `INFO` of every host that answers; the first host's error when none does. */
async function probeAll(factory: ClientFactory): Promise<Probed[]> {
  const { endpoints } = factory.settings;
  const probes = await Promise.allSettled(endpoints.map((endpoint) => factory.probe(endpoint)));
  const reached = probes.flatMap((result, index) =>
    result.status === 'fulfilled' ? [{ endpoint: endpoints[index]!, info: result.value }] : [],
  );
  if (reached.length === 0) throw (probes[0] as PromiseRejectedResult).reason;
  return reached;
}

/** The one primary among the hosts reached; an error that names them when there is none, or several. */
function choosePrimary(reached: readonly Probed[]): RedisEndpoint {
  const primaries = reached.filter(({ info }) => info.role === 'master');
  if (primaries.length === 0) {
    const roles = reached.map(
      ({ endpoint, info }) => `${formatEndpoint(endpoint)} is a ${describeRole(info)}`,
    );
    throw new RedisError(
      'TESSERA_REDIS_NO_PRIMARY',
      `None of the hosts reached is a primary: ${roles.join('; ')}. Add the primary to Hosts (sessions are written, so a replica cannot serve them).`,
    );
  }
  if (primaries.length > 1) {
    const names = primaries.map(({ endpoint }) => formatEndpoint(endpoint)).join(', ');
    throw new RedisError(
      'TESSERA_REDIS_SEVERAL_PRIMARIES',
      `Several hosts are primaries: ${names}. They are separate servers with separate data, and sessions would split between them. List the hosts of one replication group only (one primary and its replicas), or make the others replicas (replicaof).`,
    );
  }
  return primaries[0]!.endpoint;
}

/** The certificate material of the `SERedis_*` variables, limited to the connection string's sslProtocols. */
export function materialFor(
  settings: RedisConnectionSettings,
  env: ConnectRedisOptions['env'] = process.env,
): TlsMaterial {
  const protocols = [...(settings.sslProtocols ?? [])].sort();
  return TlsMaterial.fromEnvironment(
    env,
    protocols.length > 0 ? { minVersion: protocols[0]!, maxVersion: protocols.at(-1)! } : {},
  );
}

function describeRole(info: Record<string, string>): string {
  return info.role === 'slave'
    ? `replica of ${info.master_host}:${info.master_port}`
    : `${info.role ?? 'server'}`;
}

/** Builds node-redis client options for one endpoint from the settings and the certificate material. */
export class ClientFactory {
  readonly settings: RedisConnectionSettings;
  readonly #material: TlsMaterial | undefined;

  constructor(settings: RedisConnectionSettings, material: TlsMaterial | undefined) {
    this.settings = settings;
    this.#material = material;
  }

  /**
   * TLS options for `host`: SNI and name check on the SSL Host when set, else on the
   * host. Without a host (the defaults of every cluster node), the name checked is
   * the one each connection is made to: the address the cluster announces.
   */
  tlsOptions(host: string | undefined): TlsConnectionOptions {
    const material = this.#material;
    if (!material) return {};
    const { sslHost } = this.settings;
    if (host === undefined && !sslHost) {
      const { secureContext } = tlsConnectionOptions(material, { host: 'cluster-node' });
      return {
        secureContext,
        rejectUnauthorized: true,
        checkServerIdentity: (hostname, cert) => verifyServer(hostname, cert),
      };
    }
    return tlsConnectionOptions(material, { host: host ?? '', sslHost });
  }

  /**
   * node-redis options for `endpoint` (none: the defaults of every cluster node).
   * Without a reconnect policy a lost connection stays lost (probes, Test Connection).
   */
  clientOptions(endpoint: RedisEndpoint | undefined, reconnect?: ReconnectPolicy): ClientOptions {
    const { settings } = this;
    const socket = {
      ...(endpoint ? { host: endpoint.host, port: endpoint.port } : {}),
      connectTimeout: settings.connectTimeoutMs,
      // keepAlive <= 0 means the client's default interval (as in StackExchange.Redis).
      keepAlive: true,
      ...(settings.keepAliveSeconds > 0 ? { keepAliveInitialDelay: settings.keepAliveSeconds * 1000 } : {}),
      reconnectStrategy: reconnect ? reconnect.strategy : false,
      ...(settings.ssl ? { tls: true as const, ...this.tlsOptions(endpoint?.host) } : {}),
    };
    const options = {
      socket,
      ...(settings.user !== undefined ? { username: settings.user } : {}),
      ...(settings.password !== undefined ? { password: settings.password } : {}),
      ...(settings.name !== undefined ? { name: settings.name } : {}),
      database: settings.defaultDatabase,
      disableOfflineQueue: true,
      // node-redis arms a timer per command that only covers the wait to be written,
      // which the disabled offline queue makes moot; the sync timeout is enforced in
      // `command()`. Measured: 17% less CPU per request (docs/benchmarks.md).
      commandOptions: { timeout: 0 },
    } as ClientOptions;
    return options;
  }

  /** The fields of `INFO` that decide the topology, from a short-lived connection to `endpoint`. */
  async probe(endpoint: RedisEndpoint): Promise<Record<string, string>> {
    const client = createClient(this.clientOptions(endpoint));
    client.on('error', () => {
      // Reported by connect() or the command below.
    });
    try {
      await client.connect();
      return parseInfo(String(await client.sendCommand(['INFO'])));
    } catch (error) {
      throw explainRedisError(error, this.errorContext(endpoint));
    } finally {
      client.destroy();
    }
  }

  errorContext(endpoint: RedisEndpoint) {
    return {
      address: formatEndpoint(endpoint),
      ssl: this.settings.ssl,
      sslHost: this.settings.sslHost,
      connectTimeoutMs: this.settings.connectTimeoutMs,
      syncTimeoutMs: this.settings.syncTimeoutMs,
      user: this.settings.user,
    };
  }
}

/**
 * When a lost connection is tried again: before the first success, `connectRetry`
 * times when `abortConnect` is set (so a wrong setting fails the start), else
 * forever; once the connection has been ready, forever, with a backoff of 50 ms
 * doubling up to 2 s.
 */
export class ReconnectPolicy {
  readonly #settings: RedisConnectionSettings;
  #everReady = false;
  /** Told of every retry after the connection has been ready (a host list looks for its primary). */
  onRetry: ((retries: number) => void) | undefined;

  constructor(settings: RedisConnectionSettings) {
    this.#settings = settings;
  }

  ready(): void {
    this.#everReady = true;
  }

  readonly strategy = (retries: number, cause: Error): number | Error => {
    const { connectRetry, abortConnect } = this.#settings;
    if (!this.#everReady && abortConnect && retries >= connectRetry) return cause;
    if (this.#everReady) this.onRetry?.(retries);
    return Math.min(50 * 2 ** retries, RECONNECT_MAX_DELAY_MS);
  };
}

/** Shared behaviour of both connection shapes: scripts, error translation. */
abstract class BaseConnection implements RedisConnection {
  abstract readonly topology: RedisTopology;
  abstract readonly isReady: boolean;
  protected abstract send(args: readonly RedisArgument[], key: string | undefined): Promise<unknown>;
  protected abstract describe(): string;
  abstract subscribe(channelName: string, listener: (message: string) => void): Promise<() => Promise<void>>;
  abstract publish(channelName: string, message: string): Promise<void>;
  abstract close(): Promise<void>;
  protected abstract readonly factory: ClientFactory;

  async command(args: readonly RedisArgument[], options?: { readonly key?: string }): Promise<RedisReply> {
    // node-redis's own command timeout covers only the wait to be written, not the
    // wait for the reply, so the sync timeout is enforced here. A late reply is
    // still read and dropped; the connection stays usable.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error('sync timeout'), { name: 'TimeoutError' })),
        this.factory.settings.syncTimeoutMs,
      );
    });
    try {
      return (await Promise.race([this.send(args, options?.key), timeout])) as RedisReply;
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

function watchErrors(
  emitter: { on(event: 'error', listener: (error: Error) => void): unknown },
  where: string,
) {
  emitter.on('error', (error: Error) => {
    if (errorChannel.hasSubscribers)
      errorChannel.publish({ where, code: (error as { code?: string }).code, message: error.message });
  });
}

/**
 * One server: the only host, or the primary of a host list. A host list follows its
 * primary: when the server answers `READONLY` (it was demoted) or stays unreachable
 * for three reconnection attempts, every host is asked again for its role, and the
 * connection moves to the new primary. A command refused with `READONLY` was not
 * executed, so it is sent once more to the new primary.
 */
class SingleConnection extends BaseConnection {
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
      if (connectChannel.hasSubscribers)
        connectChannel.publish({ address: formatEndpoint(endpoint), topology });
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
        if (failoverChannel.hasSubscribers) failoverChannel.publish({ from, to: formatEndpoint(primary) });
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

  protected async send(args: readonly RedisArgument[]): Promise<unknown> {
    try {
      return await this.#client.sendCommand(args);
    } catch (error) {
      if (this.topology !== 'primary' || !/^READONLY/.test((error as Error)?.message ?? '')) throw error;
      await this.#followPrimary();
      return this.#client.sendCommand(args);
    }
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
    const subscriber = await this.#subscriber?.catch(() => undefined);
    await Promise.allSettled([subscriber?.close(), this.#client.close()]);
  }
}

class ClusterConnection extends BaseConnection {
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
    if (connectChannel.hasSubscribers)
      connectChannel.publish({ address: endpoints.map(formatEndpoint).join(','), topology: 'cluster' });
    return new ClusterConnection(factory, cluster);
  }

  get isReady(): boolean {
    return this.#cluster.isReady;
  }

  protected describe(): string {
    return `cluster ${this.factory.settings.endpoints.map(formatEndpoint).join(',')}`;
  }

  protected send(args: readonly RedisArgument[], key: string | undefined): Promise<unknown> {
    return this.#cluster.sendCommand(key, false, [...args]);
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
    await this.#cluster.close();
  }
}
