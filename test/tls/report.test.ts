import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { TLS_ERROR_CODES, TLS_VARIABLES, TlsError, TlsMaterial } from '../../src/tls/index.ts';
import { createPki, PFX_PASSWORD, type Pki } from '../support/pki.ts';
import { assertNoSecret } from './assertions.ts';

let pki: Pki;
before(async () => {
  pki = await createPki();
});

describe('the report for Test Connection and the Configuration Tool', () => {
  it('shows every variable in a fixed order, with paths and never the password', () => {
    const report = TlsMaterial.fromEnvironment({
      [TLS_VARIABLES.pfxPath]: pki.pfx.aes,
      [TLS_VARIABLES.password]: PFX_PASSWORD,
      [TLS_VARIABLES.issuerPath]: pki.issuerDer,
    }).report();
    assert.deepEqual(
      report.variables.map((v) => [v.name, v.set, v.shown, v.ok]),
      [
        ['SERedis_ClientCertPfxPath', true, pki.pfx.aes, true],
        ['SERedis_ClientCertPassword', true, 'set', true],
        ['SERedis_ClientCertStorageFlags', false, 'not set', true],
        ['SERedis_IssuerCertPath', true, pki.issuerDer, true],
        ['SERedis_ClientCertPemPath', false, 'not set', true],
        ['SERedis_ClientCertPasswordPath', false, 'not set', true],
      ],
    );
    assertNoSecret(JSON.stringify(report));
  });

  it('tells an empty password from an unset one', () => {
    const shown = (password: string | undefined) =>
      TlsMaterial.fromEnvironment({
        [TLS_VARIABLES.pfxPath]: pki.pfx.aesNoPassword,
        [TLS_VARIABLES.password]: password,
      })
        .report()
        .variables.find((v) => v.name === TLS_VARIABLES.password)?.shown;
    assert.equal(shown(''), 'set (empty)');
    assert.equal(shown(undefined), 'not set');
  });

  it('describes the client certificate as the server will see it', () => {
    const report = TlsMaterial.fromEnvironment({
      [TLS_VARIABLES.pfxPath]: pki.pfx.rc2,
      [TLS_VARIABLES.password]: PFX_PASSWORD,
    }).report();
    const expected = new X509Certificate(readFileSync(pki.client.cert));
    const cert = report.clientCertificate;
    assert.ok(cert);
    assert.equal(cert.fingerprint256, expected.fingerprint256);
    assert.equal(cert.subject, 'CN=tessera-frontend-1, O=Tessera Tests');
    assert.equal(cert.issuer, 'CN=Tessera Test Intermediate CA, O=Tessera Tests');
    assert.equal(cert.validTo, new Date(expected.validTo).toISOString());
    assert.ok(cert.daysLeft > 800);
    assert.deepEqual(cert.subjectAltNames, []);
    assert.equal(cert.isCa, false);
    assert.equal(cert.path, pki.pfx.rc2);
    assert.equal(cert.variable, TLS_VARIABLES.pfxPath);
    assert.equal(report.ok, true);
    assert.match(report.version ?? '', /^[0-9a-f]{12}$/);
    assert.ok(report.loadedAt && !Number.isNaN(Date.parse(report.loadedAt)));
  });

  it('is plain data that survives JSON', () => {
    const report = TlsMaterial.fromEnvironment({
      [TLS_VARIABLES.pfxPath]: pki.pfx.aes,
      [TLS_VARIABLES.password]: 'wrong',
      [TLS_VARIABLES.storageFlags]: 'UserKeySet',
    }).report();
    assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
    assert.equal(report.ok, false);
    assert.equal(report.clientCertificate, null);
    assert.equal(report.version, null);
    assert.deepEqual(report.storageFlags?.names, ['UserKeySet']);
  });

  it('does not print the password when the material is inspected', async () => {
    const { inspect } = await import('node:util');
    const material = TlsMaterial.fromEnvironment({
      [TLS_VARIABLES.pfxPath]: pki.pfx.aes,
      [TLS_VARIABLES.password]: PFX_PASSWORD,
    });
    material.secureContext();
    assertNoSecret(inspect(material, { depth: 10, showHidden: true }));
    assertNoSecret(JSON.stringify(material));
  });
});

describe('TlsError', () => {
  it('carries a stable code from TLS_ERROR_CODES, prefixed TESSERA_TLS_', () => {
    for (const code of TLS_ERROR_CODES) assert.match(code, /^TESSERA_TLS_[A-Z0-9_]+$/);
    assert.equal(new Set(TLS_ERROR_CODES).size, TLS_ERROR_CODES.length);
    const error = new TlsError('TESSERA_TLS_STORAGE_FLAGS', 'message', {
      variable: TLS_VARIABLES.storageFlags,
    });
    assert.equal(error.name, 'TlsError');
    assert.equal(error.variable, 'SERedis_ClientCertStorageFlags');
  });
});

describe('TlsMaterial options', () => {
  it('refuses an invalid interval with a bounded message', () => {
    const huge = '9'.repeat(100_000);
    assert.throws(
      () => TlsMaterial.fromEnvironment({}, { recheckIntervalMs: huge as unknown as number }),
      (error: Error) =>
        error instanceof RangeError && error.message.length < 200 && /100000 characters/.test(error.message),
    );
  });
});
