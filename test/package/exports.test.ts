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

/** Imports `specifier` in a fresh process (from source, as the tests run) and lists the packages it loaded. */
async function packagesLoadedBy(specifier: string): Promise<{ exports: string[]; packages: string[] }> {
  const script = `
    import { createRequire } from 'node:module';
    const imported = await import(${JSON.stringify(specifier)});
    const packages = new Set();
    for (const path of Object.keys(createRequire(import.meta.url).cache)) {
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
  it("loads neither express-session nor Fastify's plugin helper for import 'tessera'", async () => {
    const { exports, packages } = await packagesLoadedBy('tessera');
    for (const name of ['express-session', 'fastify', 'fastify-plugin'])
      assert.ok(!packages.includes(name), name);
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
    const { exports } = await packagesLoadedBy('tessera/redis');
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
