/**
 * Runtime settings from the applied server configuration, and the configuration
 * artifact that carries them to a module: round trip, secret never in clear on
 * disk, bound to its module, written atomically with mode 0600.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  CONFIG_VERSION,
  loadOrCreatePrivateKey,
  Secret,
  type ServerConfiguration,
  withApplied,
} from '../../src/config/index.ts';
import {
  createSessionStoreForModule,
  type ModuleRuntimeSettings,
  publicRuntimeSettings,
  readConfigurationArtifact,
  runtimeSettingsFromServerConfiguration,
  writeConfigurationArtifact,
} from '../../src/modules/index.ts';
import { MemorySessionStore } from '../../src/session/index.ts';
import { freshLocation, rejectsWithCode } from '../config/helpers.ts';
import { freshFolder } from './module-fixtures.ts';

const PASSWORD = 'S3cret-redis-pa55word';
const redisConfiguration: ServerConfiguration = {
  version: CONFIG_VERSION,
  session: {
    provider: 'redis',
    redis: {
      hosts: ['redis1:6380', 'redis2:6380'],
      useSsl: true,
      sslHost: 'redis.test',
      password: new Secret(PASSWORD),
    },
  },
};

describe('runtimeSettingsFromServerConfiguration', () => {
  it('carries the Redis connection string, the session defaults and the applied revision', async () => {
    const location = freshLocation();
    const key = await loadOrCreatePrivateKey(location.privateKeyPath);
    const applied = withApplied(withApplied(redisConfiguration, key), key);
    const settings = runtimeSettingsFromServerConfiguration({ configuration: applied, location });
    assert.equal(settings.provider, 'redis');
    assert.equal(
      settings.connectionString,
      `redis1:6380,redis2:6380,password=${PASSWORD},ssl=true,sslHost=redis.test`,
    );
    assert.equal(settings.timeoutMinutes, 20);
    assert.equal(settings.mode, 'exclusive');
    assert.equal(settings.revision, '2');
  });

  it('gives the memory provider no connection string, and revision 0 before any apply', () => {
    const settings = runtimeSettingsFromServerConfiguration({
      configuration: { version: CONFIG_VERSION, session: { provider: 'memory' } },
      location: freshLocation(),
    });
    assert.deepEqual(
      { ...settings },
      { provider: 'memory', timeoutMinutes: 20, mode: 'exclusive', revision: '0' },
    );
  });

  it('gives the database provider the platform database address, SQLite beside the configuration by default', () => {
    const location = freshLocation();
    const sqlite = runtimeSettingsFromServerConfiguration({
      configuration: { version: CONFIG_VERSION, session: { provider: 'database' } },
      location,
    });
    assert.equal(sqlite.connectionString, `sqlite:${join(location.path, '..', 'platform.db')}`);
    const postgres = runtimeSettingsFromServerConfiguration({
      configuration: {
        version: CONFIG_VERSION,
        session: { provider: 'database' },
        platformDatabase: {
          provider: 'postgres',
          host: 'db.test',
          port: 5433,
          database: 'tessera farm',
          user: 'app@x',
          password: new Secret('p@ss:/word'),
          ssl: true,
        },
      },
      location,
    });
    assert.equal(
      postgres.connectionString,
      'postgres://app%40x:p%40ss%3A%2Fword@db.test:5433/tessera%20farm?ssl=true',
    );
  });

  it('shows a module its settings without the password', () => {
    const settings: ModuleRuntimeSettings = {
      provider: 'redis',
      connectionString: `redis1:6380,password=${PASSWORD},ssl=true`,
      timeoutMinutes: 20,
      mode: 'exclusive',
      revision: '3',
    };
    const shown = publicRuntimeSettings(settings);
    assert.ok(!JSON.stringify(shown).includes(PASSWORD));
    assert.match(shown.connection ?? '', /^redis1:6380,password=\*+,ssl=true$/);
    const database = publicRuntimeSettings({
      ...settings,
      provider: 'database',
      connectionString: `postgres://u:${PASSWORD}@db:5432/t`,
    });
    assert.equal(database.connection, 'PostgreSQL u@db:5432/t');
  });
});

describe('the configuration artifact', () => {
  const settings: ModuleRuntimeSettings = {
    provider: 'redis',
    connectionString: `redis1:6380,password=${PASSWORD},ssl=true,sslHost=redis.test`,
    timeoutMinutes: 30,
    mode: 'none',
    revision: '7',
  };

  it('round-trips, with the connection string encrypted on disk and mode 0600', async () => {
    const key = await loadOrCreatePrivateKey(freshLocation().privateKeyPath);
    const folder = freshFolder();
    const file = join(folder, 'tessera-module.json');
    await writeConfigurationArtifact(file, { module: 'shop', version: 3, settings }, key);
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes(PASSWORD), 'no password in clear');
    assert.ok(!text.includes('redis1'), 'no part of the connection string in clear');
    assert.match(text, /"\$encrypted": "v1:/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(folder), ['tessera-module.json'], 'no temporary file left');
    const read = await readConfigurationArtifact(file, key);
    assert.deepEqual({ ...read, settings: { ...read.settings } }, { module: 'shop', version: 3, settings });
  });

  it("refuses a connection string moved into another module's artifact", async () => {
    const key = await loadOrCreatePrivateKey(freshLocation().privateKeyPath);
    const file = join(freshFolder(), 'a.json');
    await writeConfigurationArtifact(file, { module: 'shop', version: 1, settings }, key);
    writeFileSync(file, readFileSync(file, 'utf8').replace('"module": "shop"', '"module": "admin"'));
    const error = await rejectsWithCode(readConfigurationArtifact(file, key), 'TESSERA_MODULE_ARTIFACT');
    assert.match(error.message, /does not decrypt with the private key/);
    assert.ok(!error.message.includes(PASSWORD));
  });

  it('refuses an artifact read with another private key, a damaged one and a missing one', async () => {
    const key = await loadOrCreatePrivateKey(freshLocation().privateKeyPath);
    const other = await loadOrCreatePrivateKey(freshLocation().privateKeyPath);
    const file = join(freshFolder(), 'a.json');
    await writeConfigurationArtifact(file, { module: 'shop', version: 1, settings }, key);
    await rejectsWithCode(readConfigurationArtifact(file, other), 'TESSERA_MODULE_ARTIFACT');
    writeFileSync(file, '{"format": 1,');
    const damaged = await rejectsWithCode(readConfigurationArtifact(file, key), 'TESSERA_MODULE_ARTIFACT');
    assert.match(damaged.message, /is not valid JSON\. Apply Settings \(or Republish\) writes it again\./);
    await rejectsWithCode(
      readConfigurationArtifact(join(freshFolder(), 'none.json'), key),
      'TESSERA_MODULE_ARTIFACT',
    );
  });

  it('refuses to write settings that name no store', async () => {
    const key = await loadOrCreatePrivateKey(freshLocation().privateKeyPath);
    const error = await rejectsWithCode(
      writeConfigurationArtifact(
        join(freshFolder(), 'a.json'),
        { module: 'shop', version: 1, settings: { ...settings, connectionString: undefined } },
        key,
      ),
      'TESSERA_MODULE_SETTINGS',
    );
    assert.match(error.message, /the redis provider needs its connection string/);
  });
});

describe('createSessionStoreForModule', () => {
  it('opens the memory store for the memory provider', async () => {
    const store = await createSessionStoreForModule({
      provider: 'memory',
      timeoutMinutes: 20,
      mode: 'exclusive',
      revision: '1',
    });
    assert.ok(store instanceof MemorySessionStore);
    await store.close();
  });

  it('opens the platform database for the database provider', async () => {
    const file = join(freshFolder(), 'platform.db');
    const store = await createSessionStoreForModule({
      provider: 'database',
      connectionString: `sqlite:${file}`,
      timeoutMinutes: 20,
      mode: 'exclusive',
      revision: '1',
    });
    try {
      assert.equal(store.provider.name, 'database');
    } finally {
      await store.close();
    }
  });

  it('refuses settings that name no store', async () => {
    await rejectsWithCode(
      createSessionStoreForModule({
        provider: 'cache' as 'memory',
        timeoutMinutes: 20,
        mode: 'exclusive',
        revision: '1',
      }),
      'TESSERA_MODULE_SETTINGS',
    );
  });
});
