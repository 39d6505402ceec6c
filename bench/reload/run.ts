/**
 * The reload benchmark: two front-end servers (`tessera start`, one worker each)
 * sharing a SQLite platform database, N modules published, a steady load of
 * requests across both, then Apply Settings of every module with a new settings
 * revision. Measures the time from the request to every front-end serving every
 * module with the new revision (their `/_tessera/health`), and the request latency
 * p99 during the reload against p99 in as long a window just before it.
 *
 *   node --conditions=tessera-source --import tsx bench/reload/run.ts [1 10 50]
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type RunningFrontend,
  runTessera,
  serverConfiguration,
  startFrontend,
} from '../../test/frontend/platform-process.ts';
import { createSqliteFile } from '../../test/support/sqlite-file.ts';

const COUNTER = resolve(import.meta.dirname, '../../test/frontend/modules/counter');
const counts = process.argv.slice(2).map(Number);

function get(agent: Agent, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function p99(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? Number.NaN;
}

function setRevision(configPath: string, revision: number): void {
  const file = JSON.parse(readFileSync(configPath, 'utf8'));
  file.applied = {
    revision,
    at: new Date().toISOString(),
    provider: 'memory',
    providerBefore: 'memory',
    settingsHash: 'hmac-sha256:bench',
    serviceCenterStep: 'none',
  };
  writeFileSync(configPath, JSON.stringify(file));
}

async function allServe(
  frontends: readonly RunningFrontend[],
  modules: number,
  revision: string,
): Promise<void> {
  for (;;) {
    const ok = await Promise.all(
      frontends.map(async (frontend) => {
        const agent = new Agent({ keepAlive: false });
        const health = JSON.parse(
          (await get(agent, new URL('/_tessera/health', frontend.url).toString())).body,
        );
        return (
          health.modules.length === modules &&
          health.modules.every((m: { revision: string }) => m.revision === revision)
        );
      }),
    );
    if (ok.every(Boolean)) return;
    await sleep(20);
  }
}

async function run(moduleCount: number): Promise<void> {
  const sqlite = await createSqliteFile();
  const database = { provider: 'sqlite', path: sqlite.path } as const;
  const configs = ['bench-a', 'bench-b'].map((name) => serverConfiguration({ name, database }));
  const sources = join(tmpdir(), `tessera-bench-modules-${process.pid}-${moduleCount}`);
  for (let i = 0; i < moduleCount; i++) {
    const folder = join(sources, `m${i}`);
    mkdirSync(folder, { recursive: true });
    cpSync(COUNTER, folder, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ ...manifest, name: `m${i}` }));
    // Published before any front-end is up: they load all modules at start.
    const published = await runTessera(configs[0]!, ['module', 'publish', folder, '--no-wait']);
    if (published.code !== 0) throw new Error(published.stderr);
  }
  const frontends = await Promise.all(configs.map((config, i) => startFrontend(`bench-${'ab'[i]}`, config)));
  try {
    const samples: { at: number; ms: number; ok: boolean }[] = [];
    let stopped = false;
    const users = Array.from({ length: 8 }, async (_, user) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      let turn = user;
      while (!stopped) {
        const target = frontends[turn++ % 2]!;
        const started = performance.now();
        try {
          const reply = await get(agent, new URL(`/m${user % moduleCount}/`, target.url).toString());
          samples.push({ at: started, ms: performance.now() - started, ok: reply.status === 200 });
        } catch {
          samples.push({ at: started, ms: performance.now() - started, ok: false });
        }
      }
      agent.destroy();
    });
    await sleep(3_000);
    for (const config of configs) setRevision(config, 7);
    const requested = performance.now();
    const applied = await runTessera(configs[0]!, ['module', 'apply-settings', '--all', '--no-wait']);
    if (applied.code !== 0) throw new Error(applied.stderr);
    await allServe(frontends, moduleCount, '7');
    const servingMs = performance.now() - requested;
    await sleep(1_000);
    stopped = true;
    await Promise.all(users);
    const during = samples.filter((s) => s.at >= requested && s.at <= requested + servingMs);
    const outside = samples.filter((s) => s.at < requested && s.at >= requested - Math.max(servingMs, 2_000));
    const failed = samples.filter((s) => !s.ok).length;
    console.log(
      `| ${moduleCount} | ${(servingMs / 1000).toFixed(1)} s | ${p99(outside.map((s) => s.ms)).toFixed(1)} ms | ` +
        `${p99(during.map((s) => s.ms)).toFixed(1)} ms | ${samples.length} | ${failed} |`,
    );
  } finally {
    await Promise.all(frontends.map((frontend) => frontend.stop('SIGTERM')));
    await sqlite.remove();
  }
}

console.log('| modules | Apply Settings → all serving | p99 outside | p99 during | requests | failed |');
console.log('|---|---|---|---|---|---|');
for (const count of counts.length > 0 ? counts : [1, 10, 50]) await run(count);
