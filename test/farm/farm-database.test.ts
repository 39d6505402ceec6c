/**
 * A farm of two front-end server processes sharing sessions in the platform
 * database: over PostgreSQL (a farm of machines) and over one SQLite file (several
 * front-end processes on one machine). The same guarantees as over Redis: one
 * session whichever front-end answers, no lost update between concurrent requests
 * on different front-ends, and abandon that stays abandoned.
 */
import { after, before, describe } from 'node:test';
import { createTestDatabase } from '../support/postgres.ts';
import { createSqliteFile } from '../support/sqlite-file.ts';
import { farmSessionChecks } from './farm-checks.ts';
import { type Frontend, NO_REDIS, startFrontend } from './frontend-process.ts';

/** Every one of the 100 concurrent requests a front-end receives may wait for the lock there (see farm.test.ts). */
const MAX_WAITERS = 100;

const DATABASES = [
  {
    name: 'PostgreSQL',
    async start() {
      const database = await createTestDatabase();
      return { url: database.url, stop: () => database.drop() };
    },
  },
  {
    name: 'one SQLite file',
    async start() {
      const file = await createSqliteFile();
      return { url: file.url, stop: () => file.remove() };
    },
  },
];

for (const database of DATABASES) {
  describe(`a farm of two front-end processes sharing sessions in ${database.name}`, () => {
    let a: Frontend;
    let b: Frontend;
    const stops: (() => Promise<void>)[] = [];

    before(async () => {
      const target = await database.start();
      stops.push(() => target.stop());
      const env = { FARM_DATABASE_URL: target.url, FARM_MAX_WAITERS_PER_SESSION: String(MAX_WAITERS) };
      // One after the other: the first creates the schema (a concurrent start is the migrations test's).
      a = await startFrontend('A', NO_REDIS, env);
      stops.unshift(() => a.stop());
      b = await startFrontend('B', NO_REDIS, env);
      stops.unshift(() => b.stop());
    });
    after(async () => {
      for (const stop of stops) await stop().catch(() => {});
    });

    farmSessionChecks({ frontends: () => [a, b] });
  });
}
