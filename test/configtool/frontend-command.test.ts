// `tessera config frontend`: the settings `tessera start` reads, stored in the server
// configuration; a refused command leaves the file as it was.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freshFolder } from '../config/helpers.ts';
import { runTessera } from './run-tessera.ts';

function configPath(): string {
  return join(freshFolder(), 'server.json');
}

describe('tessera config frontend', () => {
  it('stores the settings given and keeps the others at their defaults', async () => {
    const path = configPath();
    const saved = await runTessera([
      'config',
      'frontend',
      '--config',
      path,
      '--name',
      'web1',
      '--port',
      '9000',
    ]);
    assert.equal(saved.code, 0, saved.stderr);
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')).frontend, { name: 'web1', port: 9000 });
    assert.match(saved.stdout, /Workers\s+1 \(the default\)/);
    const shown = await runTessera(['config', 'show', '--config', path, '--json']);
    assert.deepEqual(JSON.parse(shown.stdout).frontend, {
      name: 'web1',
      port: 9000,
      host: '127.0.0.1',
      workers: 1,
    });
  });

  it('returns a setting to its default when given ""', async () => {
    const path = configPath();
    await runTessera(['config', 'frontend', '--config', path, '--workers', '3', '--host', '0.0.0.0']);
    const reset = await runTessera(['config', 'frontend', '--config', path, '--workers', '']);
    assert.equal(reset.code, 0, reset.stderr);
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')).frontend, { host: '0.0.0.0' });
  });

  for (const [option, value, named] of [
    ['--name', 'web 1', /--name: "web 1" is not a front-end name/],
    ['--port', '70000', /--port: "70000" is not a port/],
    ['--port', 'eighty', /--port must be a whole number/],
    ['--workers', '0', /--workers: "0" is not a worker count \(1 to 64\)/],
    ['--host', 'http://x', /--host: "http:\/\/x" is not an address/],
  ] as const) {
    it(`refuses ${option} ${value}, naming it, and writes nothing`, async () => {
      const path = configPath();
      const refused = await runTessera(['config', 'frontend', '--config', path, option, value]);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /TESSERA_CONFIG_INVALID/);
      assert.match(refused.stderr, named);
      assert.equal(existsSync(path), false);
    });
  }

  it('says what to give when nothing is given', async () => {
    const refused = await runTessera(['config', 'frontend', '--config', configPath()]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /Nothing to change\. Give --name, --port, --host or --workers/);
  });
});
