/**
 * Connects to what a connection string describes and serves it as one
 * `RedisConnection`:
 *
 * * one host: that server;
 * * several hosts: the one primary among them, found with `INFO replication`
 *   (an error when there is none, or more than one), followed after a failover;
 * * hosts that belong to a Redis Cluster (`cluster_enabled:1`): the cluster, with
 *   TLS on every node, each node's certificate checked against the SSL Host or the
 *   node's own name.
 *
 * Commands never wait for a connection (no offline queue): while Redis is down they
 * fail at once with `TESSERA_REDIS_NOT_CONNECTED`, and the client reconnects in the
 * background. Nor do they wait for a server that stopped answering: after one
 * command outlived the sync timeout, they fail at once with
 * `TESSERA_REDIS_UNRESPONSIVE` until a background `PING` is answered. Connection errors are published on `tessera:redis:error`, never thrown
 * at the process.
 */
import type { TlsMaterial } from '../tls/index.ts';
import { ClientFactory, materialFor, type VariableSource } from './client-factory.ts';
import { ClusterConnection } from './cluster-connection.ts';
import type { RedisConnection } from './connection.ts';
import type { RedisConnectionSettings } from './connection-string.ts';
import { RedisError } from './errors.ts';
import { SingleConnection } from './single-connection.ts';
import { choosePrimary, probeAll } from './topology.ts';

export interface ConnectRedisOptions {
  /** Where the `SERedis_*` variables are read (default `process.env`). */
  readonly env?: VariableSource;
  /** Certificate material to use instead of reading the variables. */
  readonly material?: TlsMaterial;
}

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
