/** Which of the hosts of a connection string serves: asked of every host with `INFO`. */
import type { ClientFactory } from './client-factory.ts';
import { formatEndpoint, type RedisEndpoint } from './connection-string.ts';
import { RedisError } from './errors.ts';

export interface Probed {
  readonly endpoint: RedisEndpoint;
  readonly info: Record<string, string>;
}

/** `INFO` of every host that answers; the first host's error when none does. */
export async function probeAll(factory: ClientFactory): Promise<Probed[]> {
  const { endpoints } = factory.settings;
  const probes = await Promise.allSettled(endpoints.map((endpoint) => factory.probe(endpoint)));
  const reached = probes.flatMap((result, index) =>
    result.status === 'fulfilled' ? [{ endpoint: endpoints[index]!, info: result.value }] : [],
  );
  if (reached.length === 0) throw (probes[0] as PromiseRejectedResult).reason;
  return reached;
}

/** The one primary among the hosts reached; an error that names them when there is none, or several. */
export function choosePrimary(reached: readonly Probed[]): RedisEndpoint {
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

function describeRole(info: Record<string, string>): string {
  return info.role === 'slave'
    ? `replica of ${info.master_host}:${info.master_port}`
    : `${info.role ?? 'server'}`;
}
