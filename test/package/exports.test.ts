/**
 * The package's surface: `tessera` for applications, and the subpaths that load
 * what only some applications or tools need (express-session, Fastify, the Redis
 * tooling). Each import runs in a fresh process, so what it loads is its own.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const root = join(import.meta.dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | Record<string, string>>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

/**
 * Imports `specifier` in a fresh process (from source, as the tests run) and lists
 * the packages it loaded: ES modules seen by a loader hook, CommonJS files in
 * `require.cache`.
 */
async function packagesLoadedBy(specifier: string): Promise<{ exports: string[]; packages: string[] }> {
  const script = `
    import { createRequire, register } from 'node:module';
    import { MessageChannel } from 'node:worker_threads';
    const { port1, port2 } = new MessageChannel();
    const urls = [];
    port1.on('message', (url) => urls.push(url));
    const hooks = 'let port; export function initialize(data) { port = data.port; } ' +
      'export async function load(url, context, next) { port.postMessage(url); return next(url, context); }';
    register('data:text/javascript,' + encodeURIComponent(hooks), { data: { port: port2 }, transferList: [port2] });
    const imported = await import(${JSON.stringify(specifier)});
    await new Promise((resolve) => setTimeout(resolve, 100));
    port1.close();
    const packages = new Set();
    for (const path of [...urls, ...Object.keys(createRequire(import.meta.url).cache)]) {
      const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(path);
      if (match) packages.add(match[1]);
    }
    console.log(JSON.stringify({ exports: Object.keys(imported).sort(), packages: [...packages].sort() }));
  `;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=tessera-source', '--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: root },
  );
  return JSON.parse(stdout);
}

describe('the package surface', () => {
  it("loads no dependency for import 'tessera': the stores load theirs when they connect", async () => {
    const { exports, packages } = await packagesLoadedBy('tessera');
    // tsx runs the source here; any other package would be a dependency loaded at import
    // (express-session, fastify-plugin, @redis/client, kysely, node-forge…).
    const runner = ['tsx', 'esbuild', 'get-tsconfig', 'resolve-pkg-maps'];
    assert.deepEqual(
      packages.filter((name) => !runner.includes(name)),
      [],
    );
    for (const name of [
      'sessionMiddleware',
      'MemorySessionStore',
      'RedisSessionStore',
      'DatabaseSessionStore',
    ])
      assert.ok(exports.includes(name), name);
    for (const name of ['TesseraExpressStore', 'fastifySession', 'runTestConnection', 'connectRedis'])
      assert.ok(!exports.includes(name), `${name} belongs to a subpath`);
  });

  it('gives the express-session Store at tessera/express-session', async () => {
    const { exports, packages } = await packagesLoadedBy('tessera/express-session');
    assert.ok(exports.includes('TesseraExpressStore'));
    assert.ok(packages.includes('express-session'));
  });

  it('gives the Fastify plugin at tessera/fastify', async () => {
    const { exports } = await packagesLoadedBy('tessera/fastify');
    assert.deepEqual(exports, ['fastifySession']);
  });

  it('gives the connection layer and Test Connection at tessera/redis', async () => {
    const { exports, packages } = await packagesLoadedBy('tessera/redis');
    assert.ok(packages.includes('@redis/client'));
    for (const name of [
      'connectRedis',
      'parseConnectionString',
      'redactConnectionString',
      'runTestConnection',
    ])
      assert.ok(exports.includes(name), name);
  });

  it('declares types, source and default for every entry point, the built files beside the source ones', () => {
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (subpath === './package.json') continue;
      assert.equal(typeof target, 'object', subpath);
      const conditions = target as Record<string, string>;
      assert.deepEqual(Object.keys(conditions), ['types', 'tessera-source', 'default'], subpath);
      const base = /^\.\/src\/(.+)\.ts$/.exec(conditions['tessera-source'] ?? '')?.[1];
      assert.ok(base, subpath);
      assert.equal(conditions.types, `./dist/${base}.d.ts`, subpath);
      assert.equal(conditions.default, `./dist/${base}.js`, subpath);
      readFileSync(join(root, 'src', `${base}.ts`));
    }
  });

  it('makes express-session and Fastify optional peers; Fastify stays installed for the Configuration Tool', () => {
    for (const name of ['express-session', 'fastify']) {
      assert.ok(manifest.peerDependencies[name], name);
      assert.equal(manifest.peerDependenciesMeta[name]?.optional, true, name);
    }
    assert.equal(manifest.dependencies['express-session'], undefined);
    assert.ok(manifest.dependencies.fastify, 'the CLI serves the Configuration Tool with Fastify');
  });
});
