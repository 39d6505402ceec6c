import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  farmFingerprint,
  formatFarmFingerprint,
  parseFarmFingerprint,
  Secret,
  type ServerConfiguration,
} from '../../src/config/index.ts';
import { TLS_VARIABLES, TlsMaterial } from '../../src/tls/index.ts';
import { createPki, PFX_PASSWORD, type Pki } from '../support/pki.ts';

let pki: Pki;
before(async () => {
  pki = await createPki();
});

const REDIS_PASSWORD = 'farm-fingerprint-password-7781';

function redisConfiguration(sslHost?: string): ServerConfiguration {
  return {
    version: 2,
    session: {
      provider: 'redis',
      redis: {
        hosts: ['redis1.example.com:6380', 'redis2.example.com:6380'],
        password: new Secret(REDIS_PASSWORD),
        useSsl: true,
        ...(sslHost === undefined ? {} : { sslHost }),
      },
    },
    applied: {
      revision: 4,
      at: '2026-12-01T10:00:00.000Z',
      provider: 'redis',
      providerBefore: 'memory',
      // Per-server HMACs: two servers configured alike have different ones.
      settingsHash: `hmac-sha256:${Math.random()}`,
      serviceCenterStep: 'republish',
    },
  } as ServerConfiguration;
}

describe('the farm-wide settings fingerprint', () => {
  it('is the same on two front-ends configured alike, whatever their private keys', () => {
    const tls = TlsMaterial.fromEnvironment({
      [TLS_VARIABLES.pfxPath]: pki.pfx.aes,
      [TLS_VARIABLES.password]: PFX_PASSWORD,
    }).report();
    const one = formatFarmFingerprint(
      farmFingerprint(redisConfiguration('redis.example.com'), { tls, version: '1.0.0' }),
    );
    const two = formatFarmFingerprint(
      farmFingerprint(redisConfiguration('redis.example.com'), { tls, version: '1.0.0' }),
    );
    assert.equal(one, two);
    const parsed = parseFarmFingerprint(one);
    assert.deepEqual(parsed?.hosts, ['redis1.example.com:6380', 'redis2.example.com:6380']);
    assert.equal(parsed?.sslHost, 'redis.example.com');
    assert.equal(parsed?.useSsl, true);
    assert.equal(parsed?.revision, 4);
    assert.equal(parsed?.clientCertificate?.subject, tls.clientCertificate?.subject);
    assert.equal(parsed?.clientCertificate?.notAfter, tls.clientCertificate?.validTo);
    assert.notEqual(
      one,
      formatFarmFingerprint(farmFingerprint(redisConfiguration('redis.internal'), { tls, version: '1.0.0' })),
    );
  });

  it('reveals no secret: neither the Redis password nor the certificate password', () => {
    const tls = TlsMaterial.fromEnvironment({
      [TLS_VARIABLES.pfxPath]: pki.pfx.aes,
      [TLS_VARIABLES.password]: PFX_PASSWORD,
    }).report();
    const text = formatFarmFingerprint(farmFingerprint(redisConfiguration(), { tls, version: '1.0.0' }));
    assert.ok(!text.includes(REDIS_PASSWORD));
    assert.ok(!text.includes(PFX_PASSWORD));
    assert.ok(!text.includes('password'));
  });

  it('shows no Redis setting for the memory provider, and refuses what is not a fingerprint', () => {
    const memory = farmFingerprint({ version: 2, session: { provider: 'memory' } } as ServerConfiguration, {
      tls: null,
      version: '1.0.0',
    });
    assert.deepEqual(memory, {
      provider: 'memory',
      hosts: [],
      useSsl: false,
      sslHost: null,
      clientCertificate: null,
      version: '1.0.0',
      revision: 0,
    });
    assert.equal(parseFarmFingerprint('hmac-sha256:abc'), null);
    assert.equal(parseFarmFingerprint('{"provider":"other"}'), null);
  });
});
