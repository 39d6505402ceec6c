/**
 * CPU time of the PostgreSQL backends that serve the benchmark's database, read
 * from `/proc/<pid>/stat` (Linux) for the backends `pg_stat_activity` lists for it,
 * over one connection the orchestrator keeps open to the `postgres` database (so
 * reading them opens no connection, and its own backend is not counted). The
 * server's shared processes (WAL writer, checkpointer, …) are not counted: other
 * databases on the same server share them.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { POSTGRES_SERVER } from '../../test/support/postgres.ts';

/** CPU time (user + system) of each backend, microseconds, by process id. */
export type BackendCpu = ReadonlyMap<number, number>;

export class PostgresStats {
  readonly #client: pg.Client;
  readonly #database: string;
  readonly #microsPerTick: number;

  private constructor(client: pg.Client, database: string) {
    this.#client = client;
    this.#database = database;
    this.#microsPerTick = 1e6 / clockTicksPerSecond();
  }

  static async connect(database: string): Promise<PostgresStats> {
    const client = new pg.Client({ ...POSTGRES_SERVER, database: 'postgres' });
    client.on('error', (error: Error) => console.error(`pg_stat_activity connection: ${error.message}`));
    await client.connect();
    return new PostgresStats(client, database);
  }

  /** The backends' CPU so far; `undefined` where `/proc` cannot be read (not Linux, another machine). */
  async snapshot(): Promise<BackendCpu | undefined> {
    const { rows } = await this.#client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1',
      [this.#database],
    );
    const cpu = new Map<number, number>();
    for (const { pid } of rows) {
      const ticks = processTicks(pid);
      if (ticks === undefined) continue;
      cpu.set(pid, ticks * this.#microsPerTick);
    }
    return rows.length > 0 && cpu.size === 0 ? undefined : cpu;
  }

  /** `server_version` */
  async version(): Promise<string> {
    const { rows } = await this.#client.query<{ server_version: string }>('SHOW server_version');
    return rows[0]?.server_version ?? '?';
  }

  async close(): Promise<void> {
    await this.#client.end();
  }
}

/**
 * The CPU the backends used between two snapshots. A backend that started in
 * between counts from zero; one that ended in between is lost (the pool keeps its
 * connections while it is busy, so this is rare within a round).
 */
export function backendCpuBetween(after: BackendCpu, before: BackendCpu): number {
  let micros = 0;
  for (const [pid, cpu] of after) micros += cpu - (before.get(pid) ?? 0);
  return micros;
}

/** utime + stime of a process, in clock ticks; `undefined` when it is gone or unreadable. */
function processTicks(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The fields after the command name (which may hold spaces), from field 3 (state) on.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}
