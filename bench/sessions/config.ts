import { readFileSync } from 'node:fs';
/**
 * What the orchestrator tells each application process: where the benchmark's
 * mutual-TLS redis-server listens and the client certificate files to present, and
 * the addresses of the run's platform databases. Passed as JSON in environment
 * variables, so every app reads the same facts.
 */

export const BENCH_REDIS_VARIABLE = 'TESSERA_BENCH_REDIS';

export interface BenchRedis {
  readonly host: string;
  /** The TLS port (the server has no plain-text port). */
  readonly tlsPort: number;
  /** PEM of the root CA that issued the server certificate. */
  readonly caPath: string;
  /** PEM client certificate and its PEM key (connect-redis over node-redis). */
  readonly certPath: string;
  readonly keyPath: string;
  /** The same client certificate as PKCS#12, and its password (Tessera's `SERedis_*` variables). */
  readonly pfxPath: string;
  readonly pfxPassword: string;
}

export function readBenchRedis(env: NodeJS.ProcessEnv = process.env): BenchRedis {
  const raw = env[BENCH_REDIS_VARIABLE];
  if (!raw) {
    throw new Error(
      `${BENCH_REDIS_VARIABLE} is not set. The apps of bench/sessions are started by bench/sessions/run.ts (npm run bench).`,
    );
  }
  return JSON.parse(raw) as BenchRedis;
}

/** node-redis socket options for the benchmark's Redis: TLS with the run's client certificate. */
export function benchRedisSocket(redis: BenchRedis) {
  return {
    host: redis.host,
    port: redis.tlsPort,
    tls: true as const,
    ca: readFileSync(redis.caPath),
    cert: readFileSync(redis.certPath),
    key: readFileSync(redis.keyPath),
  };
}

export const BENCH_DATABASES_VARIABLE = 'TESSERA_BENCH_DATABASES';

/** The platform databases created for the run (only those a contender uses), as `DatabaseSessionStore.connect` addresses. */
export interface BenchDatabases {
  /** `sqlite:/tmp/…/platform.db`: a fresh file. */
  readonly sqlite?: string;
  /** `postgres://postgres@127.0.0.1:5432/tessera_bench_…`: a fresh database, dropped after the run. */
  readonly postgres?: string;
}

export type BenchEngine = keyof BenchDatabases;

export function readBenchDatabase(engine: BenchEngine, env: NodeJS.ProcessEnv = process.env): string {
  const address = (JSON.parse(env[BENCH_DATABASES_VARIABLE] ?? '{}') as BenchDatabases)[engine];
  if (!address) {
    throw new Error(
      `${BENCH_DATABASES_VARIABLE} names no ${engine} database. The apps of bench/sessions are started by bench/sessions/run.ts (npm run bench).`,
    );
  }
  return address;
}
