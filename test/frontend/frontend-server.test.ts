// Front-end servers as an operator runs them: `tessera start` processes sharing one
// SQLite platform database, modules published with `tessera module publish`, Apply
// Settings and Republish under a steady load, a broken version, a late front-end,
// and signals. Memory sessions: per front-end, kept across reloads.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PlatformDatabase } from '../../src/platform/index.ts';
import { createSqliteFile, type TestSqliteFile } from '../support/sqlite-file.ts';
import {
  Browser,
  MODULES,
  type RunningFrontend,
  runTessera,
  serverConfiguration,
  startFrontend,
  steadyLoad,
} from './platform-process.ts';

describe('front-end servers over one SQLite platform database (memory sessions)', () => {
  let sqlite: TestSqliteFile;
  let a: RunningFrontend;
  let b: RunningFrontend;
  const started: RunningFrontend[] = [];

  before(async () => {
    sqlite = await createSqliteFile();
    const database = { provider: 'sqlite', path: sqlite.path } as const;
    [a, b] = await Promise.all([
      startFrontend('web-a', serverConfiguration({ name: 'web-a', database, workers: 2 })),
      startFrontend('web-b', serverConfiguration({ name: 'web-b', database })),
    ]);
    started.push(a, b);
  });

  after(async () => {
    await Promise.all(started.map((frontend) => frontend.stop('SIGKILL')));
    await sqlite?.remove();
  });

  it('publishes a module to both front-ends, printing a line for each, and both serve it', async () => {
    const published = await runTessera(a.configPath, ['module', 'publish', join(MODULES, 'counter')]);
    assert.equal(published.code, 0, published.stderr);
    assert.match(published.stdout, /^web-a +counter@1 +ok \(\d+\.\d s\)$/m);
    assert.match(published.stdout, /^web-b +counter@1 +ok \(\d+\.\d s\)$/m);
    for (const frontend of [a, b]) {
      const reply = await new Browser().get(new URL('/counter/', frontend.url).toString());
      assert.equal(reply.status, 200);
      assert.equal(JSON.parse(reply.body).visits, 1);
    }
    const listed = await runTessera(b.configPath, ['module', 'list', '--json']);
    const [counter] = JSON.parse(listed.stdout).modules;
    assert.equal(counter.name, 'counter');
    assert.equal(counter.application, 'Counter');
    assert.equal(counter.runningVersion, 1);
    assert.deepEqual(
      counter.frontends.map(
        (f: { frontend: string; deployedVersion: number }) => `${f.frontend}@${f.deployedVersion}`,
      ),
      ['web-a@1', 'web-b@1'],
    );
    const health = JSON.parse((await new Browser().get(new URL('/_tessera/health', a.url).toString())).body);
    assert.deepEqual(
      { status: health.status, frontend: health.frontend, modules: health.modules },
      { status: 'ready', frontend: 'web-a', modules: [{ name: 'counter', version: 1, revision: '0' }] },
    );
  });

  it('refuses to publish what is not a module, naming it, and stores nothing', async () => {
    const refused = await runTessera(a.configPath, ['module', 'publish', join(MODULES, 'missing')]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^error \(TESSERA_MODULE_SOURCE\): .*missing cannot be read/m);
    const listed = JSON.parse((await runTessera(a.configPath, ['module', 'list', '--json'])).stdout);
    assert.deepEqual(
      listed.modules.map((m: { name: string }) => m.name),
      ['counter'],
    );
  });

  it('keeps memory sessions per front-end, shared by the workers of one', async () => {
    const browser = new Browser();
    for (let visit = 1; visit <= 4; visit++) {
      const reply = await browser.get(new URL('/counter/', a.url).toString());
      assert.equal(JSON.parse(reply.body).visits, visit);
    }
    const elsewhere = await browser.get(new URL('/counter/', b.url).toString());
    assert.equal(JSON.parse(elsewhere.body).visits, 1, "web-b does not know web-a's memory session");
    browser.close();
  });

  it('carries out Apply Settings and Republish under load: no failed request, no dropped connection, no lost update', async (t) => {
    const load = steadyLoad([a.url, b.url], { users: 6, path: '/counter/', alternate: false });
    const before = new Set(load.report.servedBy);
    try {
      for (const command of ['apply-settings', 'republish']) {
        const outcome = await runTessera(a.configPath, ['module', command, '--all']);
        assert.equal(outcome.code, 0, `${outcome.stdout}${outcome.stderr}`);
        assert.match(outcome.stdout, /succeeded on 2 front-end servers/);
      }
    } finally {
      await load.stop();
    }
    const report = load.report;
    t.diagnostic(`${report.requests} requests during two reloads on two front-ends`);
    assert.deepEqual(report.errors, []);
    assert.equal(report.failed, 0);
    assert.equal(report.dropped, 0);
    assert.equal(report.lostUpdates, 0);
    assert.ok(report.requests > 50, `only ${report.requests} requests`);
    assert.ok(report.servedBy.size > before.size + 3, 'new workers served after each reload');
    const database = await PlatformDatabase.open(sqlite.url);
    try {
      const [latest] = await database.operations.recent(1);
      const pickups = latest!.progress.map((p) => p.startedAtMs! - latest!.requestedAtMs);
      t.diagnostic(`operation picked up by polling SQLite after ${pickups.join(', ')} ms`);
      // Each front-end recorded the settings its new artifacts were written from.
      const recorded = (await database.frontends.deployments()).map((d) => [
        d.frontend,
        d.settingsFingerprint?.provider,
      ]);
      assert.deepEqual(recorded, [
        ['web-a', 'memory'],
        ['web-b', 'memory'],
      ]);
    } finally {
      await database.close();
    }
  });

  it('aborts a version that fails to load: the failures named, the previous version still served', async () => {
    const published = await runTessera(a.configPath, ['module', 'publish', join(MODULES, 'broken')]);
    assert.equal(published.code, 1, published.stderr);
    for (const name of ['web-a', 'web-b'])
      assert.match(
        published.stdout,
        new RegExp(
          `^${name} +counter@2 +FAILED: .*Front-end server ${name} could not load module counter`,
          'm',
        ),
      );
    assert.match(published.stdout, /failed on web-a, web-b/);
    const reply = await new Browser().get(new URL('/counter/', b.url).toString());
    assert.equal(reply.status, 200);
    const listed = JSON.parse((await runTessera(a.configPath, ['module', 'list', '--json'])).stdout);
    assert.equal(listed.modules[0].runningVersion, 1, 'the running version is the one the front-ends serve');
  });

  it('starts a front-end that was down during the publish on what the farm runs', async () => {
    const late = await startFrontend(
      'web-c',
      serverConfiguration({ name: 'web-c', database: { provider: 'sqlite', path: sqlite.path } }),
    );
    started.push(late);
    const reply = await new Browser().get(new URL('/counter/', late.url).toString());
    assert.equal(reply.status, 200);
    assert.equal(JSON.parse(reply.body).visits, 1);
  });

  it('replaces a worker that crashes, and logs it', async () => {
    const health = JSON.parse((await new Browser().get(new URL('/_tessera/health', b.url).toString())).body);
    process.kill(health.pid, 'SIGKILL');
    const crash = await b.log((event) => event.msg === 'worker exited unexpectedly; replacing it');
    assert.equal(crash.pid, health.pid);
    assert.equal(crash.signal, 'SIGKILL');
    await b.log(
      (event) =>
        event.msg === 'worker ready' && event.pid !== health.pid && event.generation === crash.generation,
    );
    const reply = await new Browser().get(new URL('/counter/', b.url).toString());
    assert.equal(reply.status, 200);
  });

  it('drains on SIGTERM and exits 0, recorded as stopped', async () => {
    const frontend = started.pop()!;
    assert.equal(await frontend.stop('SIGTERM'), 0);
    assert.ok(frontend.logs.some((event) => event.msg === 'stopped'));
    const database = await PlatformDatabase.open(sqlite.url);
    try {
      const record = (await database.frontends.list()).find((f) => f.name === frontend.name);
      assert.equal(record?.state, 'stopped');
    } finally {
      await database.close();
    }
  });

  it('exits at once on a second signal while draining', async () => {
    // A kept-alive connection keeps the drain going for a second: the second signal comes within it.
    const browser = new Browser();
    await browser.get(new URL('/counter/', a.url).toString());
    a.child.kill('SIGTERM');
    await a.log((event) => event.msg === 'draining');
    const startedAt = Date.now();
    assert.equal(await a.stop('SIGTERM'), 1);
    assert.ok(Date.now() - startedAt < 1_000, 'exited without waiting for the drain');
    assert.ok(a.logs.some((event) => event.msg === 'second signal: exiting at once'));
    browser.close();
  });
});
