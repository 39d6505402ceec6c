/**
 * How Tessera's node-redis clients are made: options for one endpoint from the
 * connection string and the certificate material, and when a lost connection is
 * tried again.
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { createClient, type createCluster } from '@redis/client';
import { TlsMaterial, tlsConnectionOptions, verifyServer } from '../tls/index.ts';
import {
  commandTimeoutMs,
  formatEndpoint,
  type RedisConnectionSettings,
  type RedisEndpoint,
} from './connection-string.ts';
import { explainRedisError } from './explain-error.ts';
import { parseInfo } from './info.ts';

/** Reconnection backoff after the first successful connection: 50 ms doubling, at most 2 s. */
const RECONNECT_MAX_DELAY_MS = 2000;

/** Where the `SERedis_*` variables are read. */
export type VariableSource = Readonly<Record<string, string | undefined>>;

// Built without modules, scripts or functions: only the RESP-level commands are used.
type None = Record<string, never>;
export type NodeRedisClient = ReturnType<typeof createClient>;
export type NodeRedisCluster = ReturnType<typeof createCluster<None, None, None, 2>>;
type ClientOptions = NonNullable<Parameters<typeof createClient>[0]>;

/** The certificate material of the `SERedis_*` variables, limited to the connection string's sslProtocols. */
export function materialFor(
  settings: RedisConnectionSettings,
  env: VariableSource = process.env,
): TlsMaterial {
  const protocols = [...(settings.sslProtocols ?? [])].sort();
  return TlsMaterial.fromEnvironment(
    env,
    protocols.length > 0 ? { minVersion: protocols[0]!, maxVersion: protocols.at(-1)! } : {},
  );
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
      syncTimeoutMs: commandTimeoutMs(this.settings),
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
