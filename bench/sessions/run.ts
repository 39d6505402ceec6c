/**
 * bench/sessions: sessions measured in one run — Tessera's `sessionMiddleware` over
 * `RedisSessionStore` (one mutual-TLS redis-server) and over `DatabaseSessionStore`
 * (a SQLite file, and PostgreSQL on 127.0.0.1:5432), `express-session` +
 * `connect-redis` 9 over node-redis on the same Redis, and the same Express app with
 * no session. Each app runs in its own process; autocannon loads it from this one.
 * See docs/benchmarks.md for what each column means.
 *
 *   npm run bench
 *   npm run bench -- --duration 8 --rounds 4 --workloads 80-20,write-heavy --apps tessera,connect-redis
 *   npm run bench -- --profile tessera,connect-redis   also writes V8 CPU profiles of those apps
 *   npm run bench -- --help
 */
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createPki, PFX_PASSWORD } from '../../test/support/pki.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { startRedisServer } from '../../test/support/redis-server.ts';
import { createSqliteFile, type TestSqliteFile } from '../../test/support/sqlite-file.ts';
import type { AppSample } from './app-child.ts';
import { APP_NAMES, type AppName, AppProcess, PROGRAMS } from './app-process.ts';
import type { BenchDatabases, BenchRedis } from './config.ts';
import { type BackendCpu, backendCpuBetween, PostgresStats } from './postgres-stats.ts';
import { difference, type RedisCounters, RedisStats } from './redis-stats.ts';
import {
  type CellResult,
  checkTargets,
  targetsTable,
  type WorkloadResults,
  workloadTable,
} from './report.ts';
import { FILLER_KB, requestSequence, type SessionSize, WORKLOADS, type Workload } from './workloads.ts';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '4' },
    connections: { type: 'string', default: '32' },
    sessions: { type: 'string', default: '200' },
    workloads: { type: 'string', default: WORKLOADS.map((workload) => workload.id).join(',') },
    apps: { type: 'string', default: APP_NAMES.join(',') },
    profile: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (args.help) {
  console.log(usage());
  process.exit(0);
}

const settings = {
  durationSeconds: positive('duration', args.duration),
  warmupSeconds: positive('warmup', args.warmup),
  rounds: Math.round(positive('rounds', args.rounds)),
  connections: Math.round(positive('connections', args.connections)),
  sessionsPerApp: Math.round(positive('sessions', args.sessions)),
  workloads: pick('workloads', args.workloads, WORKLOADS, (workload) => workload.id),
  apps: pick('apps', args.apps, APP_NAMES, (name) => name),
  profile: args.profile === undefined ? [] : pick('profile', args.profile, APP_NAMES, (name) => name),
};

const started = performance.now();
const log = (line: string) =>
  console.error(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${line}`);

process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

async function main(): Promise<void> {
  if (settings.sessionsPerApp < settings.connections * 2) {
    log(
      `warning: ${settings.sessionsPerApp} sessions for ${settings.connections} connections: concurrent requests will share sessions and wait for each other's locks, which is not what this benchmark compares`,
    );
  }
  log('generating the PKI');
  const pki = await createPki();
  const server = await startRedisServer({
    tls: { cert: pki.server.chain, key: pki.server.key, caCert: pki.issuerBundle },
  });
  const redis: BenchRedis = {
    host: server.host,
    tlsPort: server.tlsPort,
    caPath: pki.issuerPem,
    certPath: pki.client.cert,
    keyPath: pki.client.key,
    pfxPath: pki.pfx.aes,
    pfxPassword: PFX_PASSWORD,
  };
  const apps: AppProcess[] = [];
  let stats: RedisStats | undefined;
  let sqliteFile: TestSqliteFile | undefined;
  let postgresDatabase: TestDatabase | undefined;
  let postgresStats: PostgresStats | undefined;
  const profileDir =
    settings.profile.length > 0 ? mkdtempSync(join(tmpdir(), 'tessera-bench-profile-')) : undefined;
  try {
    stats = await RedisStats.connect(redis);
    log(
      `redis-server ${await stats.version()} on ${redis.host}:${redis.tlsPort}, TLS with client certificates`,
    );
    const engines = new Set(settings.apps.map((name) => PROGRAMS[name].database));
    if (engines.has('sqlite')) {
      sqliteFile = await createSqliteFile();
      log(`SQLite file ${sqliteFile.path}`);
    }
    if (engines.has('postgres')) {
      postgresDatabase = await createTestDatabase().catch((error: Error) => {
        throw new Error(
          `tessera-postgres needs PostgreSQL at 127.0.0.1:5432 accepting the user postgres without a password (${error.message}). Start it, or leave tessera-postgres out with --apps.`,
          { cause: error },
        );
      });
      postgresStats = await PostgresStats.connect(postgresDatabase.name);
      log(
        `PostgreSQL ${await postgresStats.version()}: database ${postgresDatabase.name} created for the run`,
      );
    }
    const databases: BenchDatabases = {
      ...(sqliteFile ? { sqlite: sqliteFile.url } : {}),
      ...(postgresDatabase ? { postgres: postgresDatabase.url } : {}),
    };
    apps.push(
      ...(await Promise.all(
        settings.apps.map((name) =>
          AppProcess.start(name, {
            redis,
            databases,
            cpuProfileDir: profileDir && settings.profile.includes(name) ? join(profileDir, name) : undefined,
          }),
        ),
      )),
    );
    log(`apps ready: ${apps.map((app) => `${app.name} ${app.url}`).join(', ')}`);

    const cookies = await seedAll(apps);
    const results = new Map<string, WorkloadResults>();
    for (const [index, workload] of settings.workloads.entries()) {
      // Rotate the order per workload, and interleave the apps in rounds, so that a
      // drift of a noisy machine spreads over every app instead of favouring one.
      const contenders = apps.filter((app) => runsIn(app.name, workload));
      const order = contenders.map((_, i) => contenders[(i + index) % contenders.length]!);
      const load = new Map(
        order.map((app) => {
          const sequence = requestSequence(workload, cookies.get(app.name)?.get(workload.sessions) ?? []);
          const connections = workload.hot?.connections ?? settings.connections;
          return [app.name, (seconds: number) => runLoad(app, sequence, seconds, connections)] as const;
        }),
      );
      log(`${workload.id}: warming up ${order.map((app) => app.name).join(', ')}`);
      for (const app of order) await load.get(app.name)!(settings.warmupSeconds);
      const rounds = new Map<AppName, Round[]>(order.map((app) => [app.name, []]));
      for (let round = 0; round < settings.rounds; round++) {
        log(`${workload.id}: round ${round + 1} of ${settings.rounds}`);
        for (const app of order) {
          rounds.get(app.name)!.push(await measureRound(app, load.get(app.name)!, stats, postgresStats));
          await sleep(100);
        }
      }
      const cells = new Map(
        APP_NAMES.flatMap((name) => {
          const measured = rounds.get(name);
          return measured ? [[name, aggregate(name, measured)] as const] : [];
        }),
      );
      results.set(workload.id, cells);
      console.error(`\n${workloadTable(workload, cells)}\n`);
    }

    const sinceReady = new Map(
      await Promise.all(
        apps.map(async (app) => [app.name, (await app.sample()).loopMaxSinceReadyMs] as const),
      ),
    );
    console.log(environment(await stats.version(), await postgresStats?.version()));
    for (const workload of settings.workloads) {
      const cells = results.get(workload.id);
      if (cells) console.log(`\n${workloadTable(workload, cells)}`);
    }
    const checks = checkTargets(results, sinceReady);
    if (checks.length > 0) console.log(`\n### Targets\n\n${targetsTable(checks)}`);
  } finally {
    await Promise.allSettled(apps.map((app) => app.stop()));
    await stats?.close().catch(() => {});
    await postgresStats?.close().catch(() => {});
    await server.stop();
    await postgresDatabase
      ?.drop()
      .catch((error: Error) => log(`dropping ${postgresDatabase?.name}: ${error.message}`));
    await sqliteFile?.remove();
    if (profileDir) log(`CPU profiles (${settings.profile.join(', ')}): ${profileDir}/<app>/*.cpuprofile`);
    log('done');
  }
}

/** The GET-readonly variant differs from Tessera only on reads: it is not run where every request writes. */
function runsIn(app: AppName, workload: Workload): boolean {
  return app !== 'tessera-get-readonly' || workload.writeShare < 1;
}

/** Pre-creates the sessions of every session app: cookies by app, then by session size. */
async function seedAll(apps: readonly AppProcess[]): Promise<Map<AppName, Map<SessionSize, string[]>>> {
  const all = new Map<AppName, Map<SessionSize, string[]>>();
  for (const app of apps) {
    if (app.name === 'baseline') continue;
    const workloads = settings.workloads.filter((workload) => runsIn(app.name, workload));
    const sizes = [...new Set(workloads.map((workload) => workload.sessions))];
    const bySize = new Map<SessionSize, string[]>();
    for (const size of sizes) {
      const cookies = await seedSessions(app, settings.sessionsPerApp, FILLER_KB[size]);
      await checkSession(app, cookies[0]!);
      bySize.set(size, cookies);
    }
    all.set(app.name, bySize);
    log(`${app.name}: ${settings.sessionsPerApp} sessions of each size (${sizes.join(', ')}) created`);
  }
  return all;
}

async function seedSessions(app: AppProcess, count: number, kb: number): Promise<string[]> {
  const cookies: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      const response = await fetch(`${app.url}/seed?n=${n}&kb=${kb}`, { method: 'POST' });
      const cookie = response.headers.getSetCookie()[0]?.split(';')[0];
      if (response.status !== 204 || !cookie) {
        throw new Error(
          `${app.name}: POST /seed answered ${response.status} ${cookie ? '' : 'without a cookie'}`,
        );
      }
      cookies[n] = cookie;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return cookies;
}

/** A pre-created session must be found again: otherwise every request would create a new one. */
async function checkSession(app: AppProcess, cookie: string): Promise<void> {
  const response = await fetch(`${app.url}/item`, { headers: { cookie } });
  const body = (await response.json()) as { user?: { name?: string } };
  if (body.user?.name !== 'user-0' || response.headers.getSetCookie().length > 0) {
    throw new Error(
      `${app.name}: a pre-created session was not found again (GET /item: ${JSON.stringify(body)})`,
    );
  }
}

type Sequence = ReturnType<typeof requestSequence>;

function runLoad(
  app: AppProcess,
  sequence: Sequence,
  seconds: number,
  connections: number,
): Promise<autocannon.Result> {
  return autocannon({
    url: app.url,
    connections,
    duration: seconds,
    requests: [{ setupRequest: sequence }],
  });
}

/** One measured stretch of one app: autocannon's result and the counters around it. */
interface Round {
  readonly result: autocannon.Result;
  readonly redis: RedisCounters;
  readonly appCpuMicros: number;
  /** CPU of the PostgreSQL backends serving the run (the PostgreSQL contender only). */
  readonly postgresCpuMicros: number | undefined;
  /** The app's event-loop delay during the round. */
  readonly loop: Pick<AppSample, 'loopMaxMs' | 'loopP99Ms'>;
}

async function measureRound(
  app: AppProcess,
  load: (seconds: number) => Promise<autocannon.Result>,
  stats: RedisStats,
  postgres: PostgresStats | undefined,
): Promise<Round> {
  const onPostgres = PROGRAMS[app.name].database === 'postgres' ? postgres : undefined;
  const redisBefore = await stats.snapshot();
  const postgresBefore = await onPostgres?.snapshot();
  const before = await app.sample();
  const result = await load(settings.durationSeconds / settings.rounds);
  const after = await app.sample();
  const postgresAfter = await onPostgres?.snapshot();
  const redisAfter = await stats.snapshot();
  return {
    result,
    redis: difference(redisAfter, redisBefore),
    appCpuMicros: after.cpuMicros - before.cpuMicros,
    postgresCpuMicros: cpuBetween(postgresAfter, postgresBefore),
    loop: after,
  };
}

function cpuBetween(after: BackendCpu | undefined, before: BackendCpu | undefined): number | undefined {
  return after && before ? backendCpuBetween(after, before) : undefined;
}

/** Throughput and per-request costs over all rounds; latency percentiles: the median of the rounds'. */
function aggregate(app: AppName, rounds: readonly Round[]): CellResult {
  const sum = (value: (round: Round) => number) => rounds.reduce((total, round) => total + value(round), 0);
  const requests = sum((round) => round.result.requests.total);
  return {
    app,
    requestsPerSecond: requests / sum((round) => round.result.duration),
    roundsPerSecond: rounds.map((round) => round.result.requests.total / round.result.duration),
    p50Ms: median(rounds.map((round) => round.result.latency.p50)),
    p99Ms: median(rounds.map((round) => round.result.latency.p99)),
    requests,
    failures: sum((round) => round.result.errors + round.result.non2xx),
    redis: {
      inputBytes: sum((round) => round.redis.inputBytes),
      outputBytes: sum((round) => round.redis.outputBytes),
      connections: sum((round) => round.redis.connections),
      cpuMicros: sum((round) => round.redis.cpuMicros),
      calls: sumCalls(rounds.map((round) => round.redis.calls)),
    },
    appCpuMicros: sum((round) => round.appCpuMicros),
    postgresCpuMicros: rounds.every((round) => round.postgresCpuMicros !== undefined)
      ? sum((round) => round.postgresCpuMicros ?? 0)
      : undefined,
    loopMaxMs: Math.max(...rounds.map((round) => round.loop.loopMaxMs)),
    loopP99Ms: Math.max(...rounds.map((round) => round.loop.loopP99Ms)),
  };
}

function sumCalls(all: readonly ReadonlyMap<string, number>[]): Map<string, number> {
  const total = new Map<string, number>();
  for (const calls of all) for (const [name, n] of calls) total.set(name, (total.get(name) ?? 0) + n);
  return total;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function environment(redisVersion: string, postgresVersion: string | undefined): string {
  const cpu = cpus();
  const postgres = postgresVersion ? `, PostgreSQL ${postgresVersion} (127.0.0.1, server defaults)` : '';
  return [
    `Node ${process.version}, redis-server ${redisVersion} (TLS, tls-auth-clients yes)${postgres}, ${cpu.length} × ${cpu[0]?.model ?? 'CPU'}`,
    `${settings.connections} connections; per workload, each app warmed up ${settings.warmupSeconds} s, then measured ${settings.durationSeconds} s in ${settings.rounds} rounds interleaved with the other apps; ${settings.sessionsPerApp} sessions per app`,
  ].join('\n');
}

function usage(): string {
  const width = Math.max(...APP_NAMES.map((name) => name.length));
  return [
    'npm run bench -- [options]   (docs/benchmarks.md says what each column means)',
    '',
    '  --workloads LIST    comma-separated, default all: ' + WORKLOADS.map((w) => w.id).join(', '),
    '  --apps LIST         comma-separated contenders, default all:',
    ...APP_NAMES.map((name) => `                        ${name.padEnd(width)}  ${PROGRAMS[name].summary}`),
    '  --duration S        measured seconds per app and workload, split into the rounds (default 6)',
    '  --rounds N          rounds, the apps taking turns round by round (default 4)',
    '  --warmup S          warm-up seconds per app and workload (default 1)',
    '  --connections N     concurrent connections of the load generator (default 32)',
    '  --sessions N        sessions created per app and session size (default 200)',
    '  --profile LIST      write V8 CPU profiles of these apps (folder printed at the end)',
    '  -h, --help          this text',
    '',
    'Needs redis-server 6+ with TLS and openssl; tessera-postgres needs PostgreSQL 13+ at',
    '127.0.0.1:5432 accepting user postgres without a password (a database is created and dropped).',
  ].join('\n');
}

function positive(name: string, value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0)
    throw new Error(`--${name} must be a positive number (got ${value}).`);
  return number;
}

function pick<T>(name: string, list: string, all: readonly T[], id: (item: T) => string): T[] {
  return list.split(',').map((wanted) => {
    const found = all.find((item) => id(item) === wanted.trim());
    if (found === undefined)
      throw new Error(`--${name}: "${wanted}" is not one of ${all.map(id).join(', ')}.`);
    return found;
  });
}

await main();
