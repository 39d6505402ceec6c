/**
 * The results of a run as Markdown tables (one per workload, pasted as-is into
 * docs/benchmarks.md), and the issue's targets checked against them. Every ratio
 * compares cells of the same run, round by round: round i of two apps ran one
 * right after the other, so their ratio is the least disturbed by a noisy machine;
 * the ratio shown is the median of the rounds' ratios.
 */
import { type AppName, PROGRAMS } from './app-process.ts';
import type { RedisCounters } from './redis-stats.ts';
import type { Workload } from './workloads.ts';

export interface CellResult {
  readonly app: AppName;
  /** Over all rounds: responses ÷ seconds. */
  readonly requestsPerSecond: number;
  /** Each round's own rate, to show the noise. */
  readonly roundsPerSecond: readonly number[];
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Responses received during the measured window. */
  readonly requests: number;
  /** Connection errors, timeouts and non-2xx responses. */
  readonly failures: number;
  /** Redis counters over the measured window. */
  readonly redis: RedisCounters;
  /** CPU time of the app process over the measured window, microseconds. */
  readonly appCpuMicros: number;
  /** CPU time of the PostgreSQL backends serving the app (its contender only; `undefined` elsewhere or unreadable). */
  readonly postgresCpuMicros: number | undefined;
  /** The app's longest event-loop delay in any round, ms. */
  readonly loopMaxMs: number;
  /** The highest of the rounds' 99th percentiles of event-loop delay, ms. */
  readonly loopP99Ms: number;
}

export type WorkloadResults = ReadonlyMap<AppName, CellResult>;

const LABELS: Readonly<Record<AppName, string>> = {
  tessera: 'Tessera (exclusive)',
  'tessera-get-readonly': 'Tessera (GET readonly)',
  'tessera-sqlite': 'Tessera on SQLite (exclusive)',
  'tessera-postgres': 'Tessera on PostgreSQL (exclusive)',
  'connect-redis': 'express-session + connect-redis',
  baseline: 'no session',
};

/** Where an app keeps its sessions: what its Redis and server columns mean. */
function storeOf(app: AppName): 'redis' | 'sqlite' | 'postgres' | 'none' {
  if (app === 'baseline') return 'none';
  return PROGRAMS[app].database ?? 'redis';
}

/** Commands a client sends itself; with scripts, the commands they run inside are counted by Redis too. */
const CLIENT_COMMANDS = ['evalsha', 'eval', 'subscribe', 'unsubscribe', 'ssubscribe', 'sunsubscribe'];

/**
 * Round trips to Redis: for Tessera, its scripts and pub/sub commands (the commands
 * a script runs are not round trips); for connect-redis, every command. `INFO`
 * (the orchestrator's own) is never counted.
 */
export function redisCalls(cell: CellResult): number {
  const calls = cell.redis.calls;
  if (cell.app.startsWith('tessera'))
    return CLIENT_COMMANDS.reduce((sum, name) => sum + (calls.get(name) ?? 0), 0);
  let sum = 0;
  for (const [name, n] of calls) if (name !== 'info') sum += n;
  return sum;
}

/** CPU of the server process(es) holding the sessions: redis-server, the PostgreSQL backends; none for SQLite (in the app) or no session. */
function serverCpuMicros(cell: CellResult): number | undefined {
  const store = storeOf(cell.app);
  if (store === 'redis') return cell.redis.cpuMicros;
  if (store === 'postgres') return cell.postgresCpuMicros;
  return undefined;
}

export function workloadTable(workload: Workload, results: WorkloadResults): string {
  const anchor = results.get('connect-redis');
  const onRedis = results.get('tessera');
  const baseline = results.get('baseline');
  const header = [
    '',
    'app CPU µs/req',
    'server CPU µs/req',
    'app + server CPU µs/req',
    'Redis calls/req',
    'req/s',
    'rounds',
    'p50 ms',
    'p99 ms',
    'vs connect-redis',
    'vs Tessera on Redis',
    'overhead vs no session',
    'Redis in B/req',
    'Redis out B/req',
    'TLS handshakes/req',
    'loop max ms',
    'loop p99 ms',
    'failed',
  ];
  const rows = [...results.values()].map((cell) => {
    const perRequest = (value: number) => (cell.requests > 0 ? value / cell.requests : Number.NaN);
    const isAnchor = cell.app === 'connect-redis';
    const store = storeOf(cell.app);
    const onDatabase = store === 'sqlite' || store === 'postgres';
    const server = serverCpuMicros(cell);
    return [
      LABELS[cell.app],
      perRequest(cell.appCpuMicros).toFixed(0),
      server === undefined ? (store === 'sqlite' ? 'in app' : '') : perRequest(server).toFixed(0),
      perRequest(cell.appCpuMicros + (server ?? 0)).toFixed(0),
      store === 'redis' ? perRequest(redisCalls(cell)).toFixed(2) : '',
      Math.round(cell.requestsPerSecond).toString(),
      spread(cell.roundsPerSecond),
      cell.p50Ms.toFixed(0),
      cell.p99Ms.toFixed(0),
      anchor && !isAnchor && store !== 'none' ? `${pairedRatio(cell, anchor).toFixed(2)}x` : '',
      onRedis && onDatabase ? `${pairedRatio(cell, onRedis).toFixed(2)}x` : '',
      baseline && store !== 'none' ? percent(overhead(cell, baseline)) : '',
      store === 'redis' ? bytes(perRequest(cell.redis.inputBytes)) : '',
      store === 'redis' ? bytes(perRequest(cell.redis.outputBytes)) : '',
      store === 'redis' ? perRequest(cell.redis.connections).toFixed(4) : '',
      cell.loopMaxMs.toFixed(1),
      cell.loopP99Ms.toFixed(1),
      cell.failures.toString(),
    ];
  });
  return `### ${workload.title}\n\n${markdownTable(header, rows)}`;
}

export interface TargetCheck {
  readonly target: string;
  readonly met: boolean;
  readonly measured: string;
}

/** The longest stall an app's event loop may have during a run, ms. */
const LOOP_STALL_LIMIT_MS = 20;

/**
 * The targets of the issues, each with what this run measured. `loopMaxSinceReadyMs`:
 * each app's longest event-loop delay from ready to the end of the run.
 */
export function checkTargets(
  results: ReadonlyMap<string, WorkloadResults>,
  loopMaxSinceReadyMs: ReadonlyMap<AppName, number>,
): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const cell = (id: string, app: AppName) => results.get(id)?.get(app);
  const variant = (id: string, check: (tessera: CellResult) => string) => {
    const readOnlyGet = cell(id, 'tessera-get-readonly');
    return readOnlyGet ? `; GET readonly: ${check(readOnlyGet)}` : '';
  };

  const mixedAnchor = cell('80-20', 'connect-redis');
  const mixed = cell('80-20', 'tessera');
  if (mixed && mixedAnchor) {
    const value = pairedRatio(mixed, mixedAnchor);
    checks.push({
      target: '80/20: Tessera ≥ 1.3x connect-redis req/s',
      met: value >= 1.3,
      measured: `${value.toFixed(2)}x${variant('80-20', (other) => `${pairedRatio(other, mixedAnchor).toFixed(2)}x`)}`,
    });
  }
  const writes = cell('write-heavy', 'tessera');
  const writesAnchor = cell('write-heavy', 'connect-redis');
  if (writes && writesAnchor) {
    const value = pairedRatio(writes, writesAnchor);
    checks.push({
      target: 'write-heavy, locking: Tessera ≥ 1.1x connect-redis req/s',
      met: value >= 1.1,
      measured: `${value.toFixed(2)}x`,
    });
  }
  checks.push(...costTargets(results));
  const reads = cell('read-only', 'tessera');
  const readsBaseline = cell('read-only', 'baseline');
  if (reads && readsBaseline) {
    const value = overhead(reads, readsBaseline);
    const readsAnchor = cell('read-only', 'connect-redis');
    const anchor = readsAnchor ? `; connect-redis ${percent(overhead(readsAnchor, readsBaseline))}` : '';
    checks.push({
      target: 'read-only: session overhead < 15% (1 − req/s ÷ no-session req/s)',
      met: value < 0.15,
      measured: `${percent(value)}${variant('read-only', (other) => percent(overhead(other, readsBaseline)))}${anchor}`,
    });
  }
  const large = cell('large-session', 'tessera');
  if (large && writes) {
    const big = large.redis.inputBytes / large.requests;
    const small = writes.redis.inputBytes / writes.requests;
    const largeAnchor = cell('large-session', 'connect-redis');
    const anchor = largeAnchor
      ? `; connect-redis ${bytes(largeAnchor.redis.inputBytes / largeAnchor.requests)}`
      : '';
    checks.push({
      target: 'bytes written follow the change: 100 KB session ≤ 1.1 × small session, same one-item change',
      met: big <= small * 1.1,
      measured: `${bytes(big)} vs ${bytes(small)} per request${anchor}`,
    });
  }
  const mixedOnRedis = cell('80-20', 'tessera');
  for (const [app, limit] of [
    ['tessera-sqlite', 1.5],
    ['tessera-postgres', 2],
  ] as const) {
    const onDatabase = cell('80-20', app);
    if (!onDatabase || !mixedOnRedis) continue;
    const slower = 1 / pairedRatio(onDatabase, mixedOnRedis);
    checks.push({
      target: `80/20: ${LABELS[app]} within ${limit}x of Tessera on Redis (Redis req/s ÷ its req/s ≤ ${limit})`,
      met: slower <= limit,
      measured: `${slower.toFixed(2)}x (${Math.round(onDatabase.requestsPerSecond)} against ${Math.round(mixedOnRedis.requestsPerSecond)} req/s)`,
    });
  }
  if (loopMaxSinceReadyMs.size > 0) {
    const inRounds = new Map<AppName, number>();
    for (const cells of results.values()) {
      for (const found of cells.values())
        inRounds.set(found.app, Math.max(inRounds.get(found.app) ?? 0, found.loopMaxMs));
    }
    const worst = Math.max(...loopMaxSinceReadyMs.values());
    checks.push({
      target: `no event-loop stall over ${LOOP_STALL_LIMIT_MS} ms during a run (per app: measured rounds / since ready, warm-ups and seeding included)`,
      met: worst <= LOOP_STALL_LIMIT_MS,
      measured: [...loopMaxSinceReadyMs]
        .map(([app, ms]) => `${app} ${(inRounds.get(app) ?? Number.NaN).toFixed(1)} / ${ms.toFixed(1)} ms`)
        .join('; '),
    });
  }
  const tesseraCells = [...results.values()].flatMap((cells) =>
    [cells.get('tessera'), cells.get('tessera-get-readonly')].filter((found) => found !== undefined),
  );
  if (tesseraCells.length > 0) {
    const connections = tesseraCells.reduce((sum, found) => sum + found.redis.connections, 0);
    const requests = tesseraCells.reduce((sum, found) => sum + found.requests, 0);
    checks.push({
      target: 'zero TLS handshakes per request (after warm-up)',
      met: connections === 0,
      measured: `${connections} new connections in ${requests} requests`,
    });
  }
  return checks;
}

/** Issue 13: what a locking request costs against connect-redis's unlocked one, on Redis. */
function costTargets(results: ReadonlyMap<string, WorkloadResults>): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const perRequest = (found: CellResult, value: number) => value / found.requests;
  for (const id of ['read-only', '80-20', 'write-heavy']) {
    const tessera = results.get(id)?.get('tessera');
    const anchor = results.get(id)?.get('connect-redis');
    if (!tessera || !anchor) continue;
    const total = (found: CellResult) => perRequest(found, found.appCpuMicros + found.redis.cpuMicros);
    const cpu = total(tessera) / total(anchor);
    checks.push({
      target: `${id}: app + Redis CPU per request ≤ 0.8x connect-redis's`,
      met: cpu <= 0.8,
      measured: `${cpu.toFixed(2)}x (${total(tessera).toFixed(0)} / ${total(anchor).toFixed(0)} µs)`,
    });
    const redisCpu =
      perRequest(tessera, tessera.redis.cpuMicros) / perRequest(anchor, anchor.redis.cpuMicros);
    checks.push({
      target: `${id}: Redis CPU per request ≤ 1.5x connect-redis's`,
      met: redisCpu <= 1.5,
      measured: `${redisCpu.toFixed(2)}x (${perRequest(tessera, tessera.redis.cpuMicros).toFixed(0)} / ${perRequest(anchor, anchor.redis.cpuMicros).toFixed(0)} µs)`,
    });
  }
  const reads = results.get('read-only');
  const readsAnchor = reads?.get('connect-redis');
  for (const [app, limit] of [
    ['tessera', 1.3],
    ['tessera-get-readonly', 1.6],
  ] as const) {
    const found = reads?.get(app);
    if (!found || !readsAnchor) continue;
    const value = pairedRatio(found, readsAnchor);
    checks.push({
      target: `read-only: ${LABELS[app]} ≥ ${limit}x connect-redis req/s`,
      met: value >= limit,
      measured: `${value.toFixed(2)}x`,
    });
  }
  const hot = results.get('hot-session')?.get('tessera');
  const hotAnchor = results.get('hot-session')?.get('connect-redis');
  if (hot) {
    const calls = perRequest(hot, redisCalls(hot));
    checks.push({
      target: 'hot session: ≤ 2.5 Redis calls per request',
      met: calls <= 2.5,
      measured: calls.toFixed(2),
    });
  }
  if (hot && hotAnchor) {
    const value = pairedRatio(hot, hotAnchor);
    checks.push({
      target: 'hot session: ≥ 0.8x connect-redis req/s (which loses updates)',
      met: value >= 0.8,
      measured: `${value.toFixed(2)}x`,
    });
    checks.push({
      target: "hot session: p99 ≤ 2x connect-redis's",
      met: hot.p99Ms <= 2 * hotAnchor.p99Ms,
      measured: `${hot.p99Ms.toFixed(0)} against ${hotAnchor.p99Ms.toFixed(0)} ms`,
    });
  }
  const large = results.get('large-session')?.get('tessera');
  const largeAnchor = results.get('large-session')?.get('connect-redis');
  if (large && largeAnchor) {
    const value = pairedRatio(large, largeAnchor);
    checks.push({
      target: '100 KB session: ≥ 4x connect-redis req/s',
      met: value >= 4,
      measured: `${value.toFixed(2)}x`,
    });
  }
  if (large) {
    const out = perRequest(large, large.redis.outputBytes);
    checks.push({
      target: '100 KB session: Redis bytes out per request < 10 KB once warm',
      met: out < 10_000,
      measured: bytes(out),
    });
  }
  return checks;
}

export function targetsTable(checks: readonly TargetCheck[]): string {
  return markdownTable(
    ['target', 'measured', ''],
    checks.map((check) => [check.target, check.measured, check.met ? 'met' : 'MISSED']),
  );
}

/** The median, over the rounds, of `cell`'s req/s ÷ `other`'s req/s in the same round. */
function pairedRatio(cell: CellResult, other: CellResult): number {
  const ratios = cell.roundsPerSecond.map((rate, i) => rate / (other.roundsPerSecond[i] ?? Number.NaN));
  const sorted = ratios.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return cell.requestsPerSecond / other.requestsPerSecond;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The share of the no-session throughput that the session costs (paired by round). */
function overhead(cell: CellResult, baseline: CellResult): number {
  return 1 - pairedRatio(cell, baseline);
}

/** The lowest and highest round, e.g. `1250–1390`. */
function spread(values: readonly number[]): string {
  if (values.length < 2) return '';
  return `${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))}`;
}

function percent(value: number): string {
  return `${(value * 100).toFixed(0)}%`;
}

function bytes(value: number): string {
  if (!Number.isFinite(value)) return '';
  return value >= 10_000 ? `${(value / 1024).toFixed(1)} KiB` : `${Math.round(value)} B`;
}

function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, 3, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  const rule = `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
