// Two front-end servers over one PostgreSQL platform database, with the Database
// session provider: a user's session is shared by both, and Apply Settings under a
// load that alternates between them loses no request and no update. Operations
// reach the front-ends by LISTEN/NOTIFY.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PlatformDatabase } from '../../src/platform/index.ts';
import { createTestDatabase, POSTGRES_SERVER, type TestDatabase } from '../support/postgres.ts';
import {
  Browser,
  MODULES,
  type RunningFrontend,
  runTessera,
  serverConfiguration,
  startFrontend,
  steadyLoad,
} from './platform-process.ts';

describe('front-end servers over one PostgreSQL platform database (Database sessions)', () => {
  let postgres: TestDatabase;
  let frontends: RunningFrontend[] = [];

  before(async () => {
    postgres = await createTestDatabase();
    const database = {
      provider: 'postgres',
      host: POSTGRES_SERVER.host,
      port: POSTGRES_SERVER.port,
      database: postgres.name,
      user: POSTGRES_SERVER.user,
    } as const;
    frontends = await Promise.all(
      ['pg-a', 'pg-b'].map((name) =>
        startFrontend(name, serverConfiguration({ name, database, provider: 'database' })),
      ),
    );
  });

  after(async () => {
    await Promise.all(frontends.map((frontend) => frontend.stop('SIGKILL')));
    await postgres?.drop();
  });

  it('publishes to both, and one session is shared by both front-ends', async () => {
    const [a, b] = frontends as [RunningFrontend, RunningFrontend];
    const published = await runTessera(a.configPath, ['module', 'publish', join(MODULES, 'counter')]);
    assert.equal(published.code, 0, `${published.stdout}${published.stderr}`);
    assert.match(published.stdout, /^pg-a +counter@1 +ok/m);
    assert.match(published.stdout, /^pg-b +counter@1 +ok/m);
    const browser = new Browser();
    for (let visit = 1; visit <= 4; visit++) {
      const reply = await browser.get(new URL('/counter/', visit % 2 ? a.url : b.url).toString());
      assert.deepEqual(
        { visits: JSON.parse(reply.body).visits, provider: JSON.parse(reply.body).provider },
        { visits: visit, provider: 'database' },
      );
    }
    browser.close();
  });

  it('applies settings under a load alternating between the front-ends: no failed request, no lost update', async (t) => {
    const load = steadyLoad(
      frontends.map((f) => f.url),
      { users: 4, path: '/counter/', alternate: true },
    );
    try {
      const outcome = await runTessera(frontends[0]!.configPath, ['module', 'apply-settings', 'counter']);
      assert.equal(outcome.code, 0, `${outcome.stdout}${outcome.stderr}`);
    } finally {
      await load.stop();
    }
    const report = load.report;
    t.diagnostic(`${report.requests} requests during Apply Settings on two front-ends`);
    assert.deepEqual(report.errors, []);
    assert.equal(report.failed + report.dropped + report.lostUpdates, 0);
    const database = await PlatformDatabase.open(postgres.url);
    try {
      const [latest] = await database.operations.recent(1);
      const pickups = latest!.progress.map((p) => p.startedAtMs! - latest!.requestedAtMs);
      t.diagnostic(`operation picked up by LISTEN/NOTIFY after ${pickups.join(', ')} ms`);
      assert.ok(Math.max(...pickups) < 2_000, 'picked up before the slow poll would have');
    } finally {
      await database.close();
    }
  });
});
