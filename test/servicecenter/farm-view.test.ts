import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type FarmFingerprint, formatFarmFingerprint, parseFarmFingerprint } from '../../src/config/index.ts';
import type { FrontendRecord } from '../../src/platform/index.ts';
import { driftOf, FARM_VIEW_DEFAULTS, farmView } from '../../src/servicecenter/index.ts';
import { fingerprint } from './harness.ts';

const NOW = Date.parse('2026-12-01T12:00:00Z');

function frontend(
  name: string,
  print: FarmFingerprint | null,
  overrides: Partial<FrontendRecord> = {},
): FrontendRecord {
  const stored = print === null ? 'hmac-sha256:older-server' : formatFarmFingerprint(print);
  return {
    id: name.length,
    name,
    address: `http://${name}:8080/`,
    state: 'ready',
    lastHeartbeatAtMs: NOW - 1_000,
    settingsFingerprint: stored,
    fingerprint: parseFarmFingerprint(stored),
    registeredAtMs: NOW - 60_000,
    ...overrides,
  };
}

describe('drift between front-end servers', () => {
  it('finds none when every front-end runs the same settings, whatever their revisions', () => {
    const drift = driftOf([
      frontend('fe1', fingerprint({ revision: 3 })),
      frontend('fe2', fingerprint({ revision: 7 })),
      frontend('fe3', fingerprint()),
    ]);
    assert.deepEqual([...drift.values()], [[], [], []]);
  });

  it('names the front-end that differs from the others, and how', () => {
    const drift = driftOf([
      frontend('fe1', fingerprint()),
      frontend('fe2', fingerprint({ sslHost: 'redis.internal' })),
      frontend('fe3', fingerprint()),
    ]);
    assert.deepEqual(drift.get('fe2'), [
      "fe2's SSL Host is redis.internal, the others' is redis.example.com",
    ]);
    assert.deepEqual(drift.get('fe1'), []);
  });

  it('explains each field that differs: provider, hosts, Use SSL, certificate, version', () => {
    const drift = driftOf([
      frontend('fe1', fingerprint()),
      frontend('fe2', fingerprint()),
      frontend('fe3', {
        ...fingerprint({ version: '0.2.0', hosts: ['redis3.example.com:6380'] }),
        clientCertificate: null,
      }),
    ]);
    assert.deepEqual(drift.get('fe3'), [
      "fe3's Hosts is redis3.example.com:6380, the others' is redis1.example.com:6380, redis2.example.com:6380",
      `fe3's client certificate is none, the others' is CN=tessera-frontend, O=Example (issuer CN=Example CA, expires ${fingerprint().clientCertificate!.notAfter.slice(0, 10)})`,
      "fe3's Tessera version is 0.2.0, the others' is 0.1.0",
    ]);
    const memory = driftOf([
      frontend('fe1', fingerprint()),
      frontend('fe2', {
        ...fingerprint(),
        provider: 'memory',
        hosts: [],
        useSsl: false,
        sslHost: null,
        clientCertificate: null,
      }),
    ]);
    // Two front-ends, no majority: each is told what the other runs.
    assert.equal(memory.get('fe2')![0], "fe2's Session Provider is In-memory, fe1's is Redis");
    assert.equal(memory.get('fe1')![0], "fe1's Session Provider is Redis, fe2's is In-memory");
  });

  it('leaves out stopped front-ends and those that report no fingerprint', () => {
    const drift = driftOf([
      frontend('fe1', fingerprint()),
      frontend('fe2', fingerprint({ sslHost: 'redis.internal' }), { state: 'stopped' }),
      frontend('fe3', null),
    ]);
    assert.deepEqual([...drift.entries()], [['fe1', []]]);
  });
});

describe('the farm view', () => {
  it('shows a front-end whose heartbeat stopped as down, with a warning', () => {
    const { view, notes } = farmView(
      [
        frontend('fe1', fingerprint()),
        frontend('fe2', fingerprint(), { lastHeartbeatAtMs: NOW - FARM_VIEW_DEFAULTS.heartbeatStaleMs - 1 }),
      ],
      NOW,
    );
    assert.deepEqual(
      view.frontends.map((fe) => fe.state),
      ['up', 'down'],
    );
    assert.match(notes.get('fe2')!.warnings[0]!, /^fe2's heartbeat stopped: last report at /);
    assert.equal(notes.get('fe2')!.downSinceMs, NOW - FARM_VIEW_DEFAULTS.heartbeatStaleMs - 1);
  });

  it('flags a client certificate that expires within 30 days, and one that expired', () => {
    const soon = fingerprint();
    const { notes } = farmView(
      [
        frontend('fe1', {
          ...soon,
          clientCertificate: {
            ...soon.clientCertificate!,
            notAfter: new Date(NOW + 12 * 86_400_000).toISOString(),
          },
        }),
        frontend('fe2', {
          ...soon,
          clientCertificate: {
            ...soon.clientCertificate!,
            notAfter: new Date(NOW - 86_400_000).toISOString(),
          },
        }),
        frontend('fe3', {
          ...soon,
          clientCertificate: {
            ...soon.clientCertificate!,
            notAfter: new Date(NOW + 40 * 86_400_000).toISOString(),
          },
        }),
      ],
      NOW,
    );
    assert.match(notes.get('fe1')!.warnings[0]!, /expires on 2026-12-13 \(in 12 days\)/);
    assert.match(notes.get('fe2')!.warnings[0]!, /expired on 2026-11-30/);
    assert.deepEqual(notes.get('fe3')!.warnings, []);
  });
});
