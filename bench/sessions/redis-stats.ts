/**
 * Counters of the benchmark's redis-server, read with `INFO` over one connection the
 * orchestrator keeps open for the whole run (so reading them opens no connection).
 * A cell's cost on Redis is the difference of two snapshots divided by its requests.
 */
import { createClient } from 'redis';
import { type BenchRedis, benchRedisSocket } from './config.ts';

export interface RedisCounters {
  /** Bytes received by Redis from all clients: every command, with its arguments. */
  readonly inputBytes: number;
  /** Bytes sent by Redis to all clients: every reply. */
  readonly outputBytes: number;
  /** Connections accepted (each one a TLS handshake on this server). */
  readonly connections: number;
  /** CPU time of redis-server (user + system), microseconds. */
  readonly cpuMicros: number;
  /** Calls by command (`INFO commandstats`), those run inside scripts included. */
  readonly calls: ReadonlyMap<string, number>;
}

export class RedisStats {
  readonly #client: ReturnType<typeof createClient>;

  private constructor(client: ReturnType<typeof createClient>) {
    this.#client = client;
  }

  static async connect(redis: BenchRedis): Promise<RedisStats> {
    const client = createClient({ socket: benchRedisSocket(redis) });
    client.on('error', (error: Error) => console.error(`INFO connection: ${error.message}`));
    await client.connect();
    return new RedisStats(client);
  }

  async snapshot(): Promise<RedisCounters> {
    const stats = parseInfo(String(await this.#client.sendCommand(['INFO', 'stats'])));
    const cpu = parseInfo(String(await this.#client.sendCommand(['INFO', 'cpu'])));
    const commands = parseInfo(String(await this.#client.sendCommand(['INFO', 'commandstats'])));
    const calls = new Map<string, number>();
    for (const [field, value] of Object.entries(commands)) {
      const found = /^cmdstat_(.+)$/.exec(field);
      const n = /(?:^|,)calls=(\d+)/.exec(value);
      if (found && n) calls.set(found[1]!, Number(n[1]));
    }
    return {
      inputBytes: Number(stats.total_net_input_bytes),
      outputBytes: Number(stats.total_net_output_bytes),
      connections: Number(stats.total_connections_received),
      cpuMicros: Math.round((Number(cpu.used_cpu_user) + Number(cpu.used_cpu_sys)) * 1e6),
      calls,
    };
  }

  /** `redis_version` of the server. */
  async version(): Promise<string> {
    return parseInfo(String(await this.#client.sendCommand(['INFO', 'server']))).redis_version ?? '?';
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}

export function difference(after: RedisCounters, before: RedisCounters): RedisCounters {
  return {
    inputBytes: after.inputBytes - before.inputBytes,
    outputBytes: after.outputBytes - before.outputBytes,
    connections: after.connections - before.connections,
    cpuMicros: after.cpuMicros - before.cpuMicros,
    calls: new Map([...after.calls].map(([name, n]) => [name, n - (before.calls.get(name) ?? 0)])),
  };
}

function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}
