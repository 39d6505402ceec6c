// Versions of the server configuration file: an older file is upgraded (in memory
// when read, on disk at the next save with a byte-identical backup), a newer one
// is refused and never touched.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import {
  CONFIG_UPGRADES,
  CONFIG_VERSION,
  type ConfigError,
  type ConfigLocation,
  readConfiguration,
  resolveConfigLocation,
  Secret,
  saveConfiguration,
} from '../../src/config/index.ts';
import { runTessera } from '../configtool/run-tessera.ts';
import { bytesOf, filesIn, freshFolder, freshLocation, rejectsWithCode } from './helpers.ts';

/** A version 1 file as the first Tessera wrote it: no platformDatabase, no asyncTimeoutMs, no noEffectOptions. */
const VERSION_1_FILE = `{
  "version": 1,
  "session": {
    "provider": "redis",
    "redis": {
      "hosts": ["redis1.example.com:6380", "redis2.example.com:6380"],
      "password": "plain-text-secret",
      "useSsl": true,
      "sslHost": "redis.example.com",
      "connectTimeoutMs": 8000
    }
  },
  "applied": {
    "revision": 2,
    "at": "2026-11-28T10:00:00.000Z",
    "provider": "redis",
    "providerBefore": "memory",
    "settingsHash": "hmac-sha256:00",
    "serviceCenterStep": "republish"
  }
}
`;

function writeText(location: ConfigLocation, text: string): void {
  mkdirSync(dirname(location.path), { recursive: true });
  writeFileSync(location.path, text);
}

const asRoot = process.getuid?.() === 0;

describe('a configuration file of an older version', () => {
  it('is read as the current version, in memory only: the file is not touched', async () => {
    const location = freshLocation();
    writeText(location, VERSION_1_FILE);
    const loaded = await readConfiguration(location);
    assert.equal(loaded.upgradedFrom, 1);
    assert.equal(loaded.configuration.version, CONFIG_VERSION);
    const redis = loaded.configuration.session.redis;
    assert.deepEqual(redis?.hosts, ['redis1.example.com:6380', 'redis2.example.com:6380']);
    assert.equal(redis?.password?.reveal(), 'plain-text-secret');
    assert.equal(redis?.connectTimeoutMs, 8000);
    assert.equal(loaded.configuration.applied?.revision, 2);
    assert.equal(bytesOf(location.path).toString('utf8'), VERSION_1_FILE);
    assert.deepEqual(filesIn(dirname(location.path)), ['server.json']);
  });

  it('is saved as the current version after a byte-identical backup beside it, with its owner and mode', async () => {
    const location = freshLocation();
    writeText(location, VERSION_1_FILE);
    chmodSync(location.path, 0o640);
    // As root, the file belongs to a service user, as on a server; otherwise to this user.
    if (asRoot) chownSync(location.path, 1234, 1234);
    const before = statSync(location.path);
    const loaded = await readConfiguration(location);
    const saved = await saveConfiguration(loaded, {
      ...loaded.configuration,
      platformDatabase: { provider: 'sqlite', path: join(dirname(location.path), 'platform.db') },
    });
    const backup = `${location.path}.v1.bak`;
    assert.equal(saved.backup, backup);
    assert.equal(bytesOf(backup).toString('utf8'), VERSION_1_FILE);
    const kept = statSync(backup);
    assert.deepEqual(
      [kept.uid, kept.gid, kept.mode & 0o7777],
      [before.uid, before.gid, 0o640],
      'the backup keeps the owner and mode',
    );
    const now = statSync(location.path);
    assert.deepEqual([now.uid, now.gid, now.mode & 0o7777], [before.uid, before.gid, 0o640]);
    assert.equal(JSON.parse(bytesOf(location.path).toString('utf8')).version, CONFIG_VERSION);
    assert.deepEqual(filesIn(dirname(location.path)), ['private.key', 'server.json', 'server.json.v1.bak']);

    // Read again, it is current: the next save keeps no other backup.
    const again = await readConfiguration(location);
    assert.equal(again.upgradedFrom, undefined);
    assert.equal(again.configuration.session.redis?.password?.reveal(), 'plain-text-secret');
    await saveConfiguration(again, { ...again.configuration, session: { provider: 'memory' } });
    assert.deepEqual(filesIn(dirname(location.path)), ['private.key', 'server.json', 'server.json.v1.bak']);
    assert.equal(bytesOf(backup).toString('utf8'), VERSION_1_FILE);
  });

  it('never overwrites an older backup that differs: the new one gets the next free name', async () => {
    const location = freshLocation();
    writeText(location, VERSION_1_FILE);
    const other = '{"version": 1, "session": {"provider": "memory"}}\n';
    writeFileSync(`${location.path}.v1.bak`, other);
    const loaded = await readConfiguration(location);
    const saved = await saveConfiguration(loaded, loaded.configuration);
    assert.equal(saved.backup, `${location.path}.v1.2.bak`);
    assert.equal(bytesOf(`${location.path}.v1.bak`).toString('utf8'), other);
    assert.equal(bytesOf(`${location.path}.v1.2.bak`).toString('utf8'), VERSION_1_FILE);
  });

  it('keeps the backup beside the file a symbolic link leads to', async () => {
    const target = freshLocation();
    writeText(target, VERSION_1_FILE);
    const link = join(freshFolder(), 'server.json');
    symlinkSync(target.path, link);
    const location = resolveConfigLocation({
      path: link,
      env: { TESSERA_PRIVATE_KEY: target.privateKeyPath },
    });
    const saved = await saveConfiguration(await readConfiguration(location), {
      version: CONFIG_VERSION,
      session: { provider: 'database' },
    });
    assert.equal(saved.backup, `${target.path}.v1.bak`);
    assert.deepEqual(filesIn(dirname(link)), ['server.json']);
    assert.equal(bytesOf(`${target.path}.v1.bak`).toString('utf8'), VERSION_1_FILE);
  });

  it('is shown by `tessera config show` with a note that the next save upgrades it', async () => {
    const location = freshLocation();
    writeText(location, VERSION_1_FILE);
    const outcome = await runTessera(['config', 'show', '--config', location.path]);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.ok(
      outcome.stdout.includes(
        `Note: the file is version 1; it is read as version ${CONFIG_VERSION}, and the next save writes version ` +
          `${CONFIG_VERSION} after keeping it as ${location.path}.v1.bak.`,
      ),
      outcome.stdout,
    );
    assert.equal(bytesOf(location.path).toString('utf8'), VERSION_1_FILE);
    assert.deepEqual(filesIn(dirname(location.path)), ['server.json']);
  });

  it('is upgraded by `tessera config session`, which says where the old file was kept', async () => {
    const location = freshLocation();
    writeText(location, VERSION_1_FILE);
    const outcome = await runTessera([
      'config',
      'session',
      '--config',
      location.path,
      '--provider',
      'database',
    ]);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.ok(outcome.stdout.includes(`${location.path}.v1.bak`), outcome.stdout);
    assert.equal(bytesOf(`${location.path}.v1.bak`).toString('utf8'), VERSION_1_FILE);
  });
});

describe('`tessera config apply` on a version 1 file', () => {
  it('records the apply in a version 2 file and says where the version 1 file was kept', async () => {
    const location = freshLocation();
    const text = '{"version": 1, "session": {"provider": "memory"}}\n';
    writeText(location, text);
    const outcome = await runTessera(['config', 'apply', '--config', location.path]);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.ok(
      outcome.stdout.includes(`the previous one was kept as ${location.path}.v1.bak`),
      outcome.stdout,
    );
    assert.equal(bytesOf(`${location.path}.v1.bak`).toString('utf8'), text);
    const now = JSON.parse(bytesOf(location.path).toString('utf8'));
    assert.equal(now.version, CONFIG_VERSION);
    assert.equal(now.applied.revision, 1);
  });
});

describe('a configuration file of a newer version', () => {
  const newer = JSON.stringify(
    { version: CONFIG_VERSION + 1, session: { provider: 'memory' }, aSectionOfTomorrow: { on: true } },
    null,
    2,
  );

  it('is refused with TESSERA_CONFIG_NEWER_VERSION, naming both versions and what to do, and never touched', async () => {
    const location = freshLocation();
    writeText(location, newer);
    chmodSync(location.path, 0o640);
    const error = await rejectsWithCode<ConfigError>(
      readConfiguration(location),
      'TESSERA_CONFIG_NEWER_VERSION',
    );
    assert.equal(error.field, 'version');
    assert.ok(error.message.includes(location.path), error.message);
    assert.match(error.message, new RegExp(`version ${CONFIG_VERSION + 1} configuration`));
    assert.match(error.message, new RegExp(`up to ${CONFIG_VERSION}\\b`));
    assert.match(error.message, /Upgrade Tessera on this server/);
    assert.match(error.message, new RegExp(`restore .*server\\.json\\.v${CONFIG_VERSION}\\.bak`));
    assert.equal(bytesOf(location.path).toString('utf8'), newer);
    assert.equal(statSync(location.path).mode & 0o7777, 0o640);
    assert.deepEqual(filesIn(dirname(location.path)), ['server.json']);
  });

  it('is left untouched by a command that would save (exit 2)', async () => {
    const location = freshLocation();
    writeText(location, newer);
    const outcome = await runTessera([
      'config',
      'session',
      '--config',
      location.path,
      '--provider',
      'database',
    ]);
    assert.equal(outcome.code, 2, outcome.stderr);
    assert.match(outcome.stderr, /TESSERA_CONFIG_NEWER_VERSION/);
    assert.equal(bytesOf(location.path).toString('utf8'), newer);
    assert.deepEqual(filesIn(dirname(location.path)), ['server.json']);
  });
});

describe('a version that is not a whole number from 1', () => {
  for (const version of [1.5, 0, -1, '2', null, true, [2], { v: 2 }, 1e21]) {
    it(`refuses ${JSON.stringify(version)} with TESSERA_CONFIG_VERSION and leaves the file as it was`, async () => {
      const location = freshLocation();
      const text = `{"version": ${JSON.stringify(version)}, "session": {"provider": "memory"}}`;
      writeText(location, text);
      const error = await rejectsWithCode<ConfigError>(readConfiguration(location), 'TESSERA_CONFIG_VERSION');
      assert.match(error.message, new RegExp(`must be a whole number from 1 to ${CONFIG_VERSION}`));
      assert.equal(bytesOf(location.path).toString('utf8'), text);
      assert.deepEqual(filesIn(dirname(location.path)), ['server.json']);
    });
  }
});

describe('the table of upgrades', () => {
  it('has one upgrade per version, from 1 to the one before the current', () => {
    assert.deepEqual(
      CONFIG_UPGRADES.map((upgrade) => upgrade.from),
      Array.from({ length: CONFIG_VERSION - 1 }, (_, i) => i + 1),
    );
  });

  it('upgrades a version 1 file that a secret makes need the private key, and keeps the secret', async () => {
    const location = freshLocation();
    writeText(location, VERSION_1_FILE);
    const loaded = await readConfiguration(location);
    const saved = await saveConfiguration(loaded, {
      ...loaded.configuration,
      session: {
        provider: 'redis',
        redis: { ...loaded.configuration.session.redis!, password: new Secret('another') },
      },
    });
    assert.equal(saved.backup, `${location.path}.v1.bak`);
    assert.equal(
      (await readConfiguration(location)).configuration.session.redis?.password?.reveal(),
      'another',
    );
  });
});
