import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  appliedState,
  CONFIG_VERSION,
  loadOrCreatePrivateKey,
  Secret,
  type ServerConfiguration,
  serviceCenterStep,
  settingsFingerprint,
  withApplied,
} from '../../src/config/index.ts';
import { freshLocation } from './helpers.ts';

const redis = (sslHost: string, password = 'pw'): ServerConfiguration => ({
  version: CONFIG_VERSION,
  session: {
    provider: 'redis',
    redis: { hosts: ['r1:6380'], useSsl: true, sslHost, password: new Secret(password) },
  },
});

describe('the applied record', () => {
  it('tells whether the settings changed since they were applied, the password included', async () => {
    const key = await loadOrCreatePrivateKey(freshLocation().privateKeyPath);
    const configuration = withApplied(redis('a.test'), key);
    assert.equal(configuration.applied?.revision, 1);
    assert.equal(appliedState(configuration, key), 'current');
    assert.equal(appliedState({ ...redis('b.test'), applied: configuration.applied! }, key), 'changed');
    assert.equal(
      appliedState({ ...redis('a.test', 'other'), applied: configuration.applied! }, key),
      'changed',
    );
    assert.equal(appliedState(redis('a.test'), key), 'never');
    assert.equal(appliedState(configuration, null), 'unknown');
    assert.equal(withApplied(configuration, key).applied?.revision, 2);
  });

  it('tells whether the platform database settings changed since, its password included', async () => {
    const key = await loadOrCreatePrivateKey(freshLocation().privateKeyPath);
    const withDatabase = (port: number, password: string): ServerConfiguration => ({
      ...redis('a.test'),
      platformDatabase: {
        provider: 'postgres',
        host: 'db',
        port,
        database: 'd',
        user: 'u',
        password: new Secret(password),
        ssl: false,
      },
    });
    const { applied } = withApplied(withDatabase(5432, 'pw'), key);
    assert.equal(appliedState({ ...withDatabase(5432, 'pw'), applied: applied! }, key), 'current');
    assert.equal(appliedState({ ...withDatabase(5433, 'pw'), applied: applied! }, key), 'changed');
    assert.equal(appliedState({ ...withDatabase(5432, 'other'), applied: applied! }, key), 'changed');
    assert.equal(appliedState({ ...redis('a.test'), applied: applied! }, key), 'changed');
    assert.ok(!applied!.settingsHash.includes('pw'));
    // A configuration without platform database settings keeps the fingerprint it had.
    assert.equal(
      settingsFingerprint(redis('a.test'), key),
      withApplied(redis('a.test'), key).applied!.settingsHash,
    );
  });

  it('holds a keyed fingerprint that does not contain the password', async () => {
    const key = await loadOrCreatePrivateKey(freshLocation().privateKeyPath);
    const fingerprint = settingsFingerprint(redis('a.test', 'hunter2'), key);
    assert.match(fingerprint, /^hmac-sha256:[0-9a-f]{64}$/);
    const other = await loadOrCreatePrivateKey(freshLocation().privateKeyPath);
    assert.notEqual(settingsFingerprint(redis('a.test', 'hunter2'), other), fingerprint);
  });

  it('says Apply Settings when Redis stays the provider, Republish when the provider changes', async () => {
    const key = await loadOrCreatePrivateKey(freshLocation().privateKeyPath);
    assert.equal(serviceCenterStep(undefined, 'redis'), 'republish');
    assert.equal(serviceCenterStep(undefined, 'memory'), 'none');
    const first = withApplied(redis('a.test'), key);
    assert.equal(first.applied?.serviceCenterStep, 'republish');
    assert.equal(first.applied?.providerBefore, 'memory');
    const second = withApplied({ ...redis('b.test'), applied: first.applied! }, key);
    assert.equal(second.applied?.serviceCenterStep, 'apply-settings');
    assert.equal(serviceCenterStep(second.applied, 'database'), 'republish');
  });
});
