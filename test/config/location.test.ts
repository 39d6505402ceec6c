import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { defaultConfigPath, resolveConfigLocation } from '../../src/config/index.ts';

describe('where the server configuration is', () => {
  it('is the --config option first, then TESSERA_CONFIG, then the default', () => {
    const env = { TESSERA_CONFIG: '/srv/tessera/env.json', HOME: '/home/op' };
    assert.deepEqual(resolveConfigLocation({ path: 'given.json', env, isRoot: false }), {
      path: resolve('given.json'),
      source: 'option',
      privateKeyPath: join(process.cwd(), 'private.key'),
      privateKeySource: 'beside',
    });
    assert.equal(resolveConfigLocation({ env, isRoot: false }).path, '/srv/tessera/env.json');
    assert.equal(resolveConfigLocation({ env, isRoot: false }).source, 'environment');
    assert.equal(resolveConfigLocation({ env: { HOME: '/home/op' }, isRoot: false }).source, 'default');
  });

  it('defaults to /etc/tessera/server.json for root, and to the user configuration folder otherwise', () => {
    assert.equal(defaultConfigPath({}, true), '/etc/tessera/server.json');
    assert.equal(defaultConfigPath({ HOME: '/home/op' }, false), '/home/op/.config/tessera/server.json');
    assert.equal(
      defaultConfigPath({ XDG_CONFIG_HOME: '/cfg', HOME: '/home/op' }, false),
      '/cfg/tessera/server.json',
    );
  });

  it('puts the private key file beside the configuration, or at TESSERA_PRIVATE_KEY', () => {
    assert.equal(
      resolveConfigLocation({ path: '/etc/t/server.json', env: {} }).privateKeyPath,
      '/etc/t/private.key',
    );
    const keyed = resolveConfigLocation({
      path: '/etc/t/server.json',
      env: { TESSERA_PRIVATE_KEY: '/secrets/t.key' },
    });
    assert.equal(keyed.privateKeyPath, '/secrets/t.key');
    assert.equal(keyed.privateKeySource, 'environment');
  });

  it('ignores an empty TESSERA_CONFIG', () => {
    assert.equal(
      resolveConfigLocation({ env: { TESSERA_CONFIG: ' ', HOME: '/h' }, isRoot: false }).source,
      'default',
    );
  });
});
