import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TLS_VARIABLES, TlsMaterial, tlsConnectionOptions } from '../../src/tls/index.ts';
import { createPki, PFX_PASSWORD, type Pki } from '../support/pki.ts';
import { assertTlsError } from './assertions.ts';
import { exchange, startTlsServer } from './tls-server.ts';

const CERT = TLS_VARIABLES.pemCertPath;
const KEY = TLS_VARIABLES.pemKeyPath;
const PASSWORD = TLS_VARIABLES.password;

let pki: Pki;
let scratch: string;
before(async () => {
  pki = await createPki();
  scratch = mkdtempSync(join(tmpdir(), 'tessera-tls-pem-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

function material(env: Record<string, string | undefined>): TlsMaterial {
  return TlsMaterial.fromEnvironment({ [TLS_VARIABLES.issuerPath]: pki.issuerPem, ...env });
}

function write(name: string, content: string): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

describe('SERedis_ClientCertPemPath and SERedis_ClientCertPasswordPath', () => {
  it('load a PEM certificate and the key file the second variable names', () => {
    const report = material({ [CERT]: pki.clientPem, [KEY]: pki.clientKeyPem }).report();
    assert.equal(report.ok, true, JSON.stringify(report.problems));
    assert.equal(report.clientCertificate?.source, 'pem');
    assert.equal(report.clientCertificate?.chainLength, 1);
    assert.match(report.clientCertificate?.subject ?? '', /tessera-frontend-1/);
  });

  it('load an EC key', () => {
    const report = material({ [CERT]: pki.clientEc.cert, [KEY]: pki.clientEc.key }).report();
    assert.equal(report.ok, true);
    assert.equal(report.clientCertificate?.keyType, 'EC P-256');
  });

  it('send the certificates after the first one as its chain', async () => {
    const chain = write(
      'client-chain.pem',
      readFileSync(pki.clientPem, 'utf8') + readFileSync(pki.intermediateCa.cert, 'utf8'),
    );
    const m = material({ [CERT]: chain, [KEY]: pki.clientKeyPem });
    assert.equal(m.report().clientCertificate?.chainLength, 2);
    const server = await startTlsServer(pki.server, { trust: pki.issuerPem });
    try {
      await exchange(server.port, tlsConnectionOptions(m, { host: 'localhost' }));
      assert.equal(server.seen[0]?.subject, 'tessera-frontend-1');
    } finally {
      await server.close();
    }
  });

  it('are ignored when SERedis_ClientCertPfxPath is set, with a note saying so', () => {
    const report = material({
      [TLS_VARIABLES.pfxPath]: pki.pfx.ec,
      [PASSWORD]: PFX_PASSWORD,
      [CERT]: pki.clientPem,
      [KEY]: pki.clientKeyPem,
    }).report();
    assert.equal(report.ok, true);
    assert.equal(report.clientCertificate?.source, 'pfx');
    assert.match(report.clientCertificate?.subject ?? '', /tessera-frontend-ec/);
    assert.deepEqual(report.notes, [
      'SERedis_ClientCertPfxPath is set, so SERedis_ClientCertPemPath and SERedis_ClientCertPasswordPath are ignored.',
    ]);
  });

  it('must both be set: a certificate without key path', () => {
    assertTlsError(
      () => material({ [CERT]: pki.clientPem }).secureContext(),
      'TESSERA_TLS_PEM_PAIR_INCOMPLETE',
      {
        variable: KEY,
        path: pki.clientPem,
      },
    );
  });

  it('must both be set: a key path without certificate', () => {
    assertTlsError(
      () => material({ [KEY]: pki.clientKeyPem }).secureContext(),
      'TESSERA_TLS_PEM_PAIR_INCOMPLETE',
      {
        variable: CERT,
        path: pki.clientKeyPem,
      },
    );
  });

  it('name a key file that does not exist', () => {
    const missing = join(scratch, 'missing.key');
    assertTlsError(
      () => material({ [CERT]: pki.clientPem, [KEY]: missing }).secureContext(),
      'TESSERA_TLS_FILE_NOT_FOUND',
      {
        variable: KEY,
        path: missing,
      },
    );
  });

  it('refuse a certificate file that is not PEM', () => {
    assertTlsError(
      () => material({ [CERT]: pki.pfx.aes, [KEY]: pki.clientKeyPem }).secureContext(),
      'TESSERA_TLS_PEM_INVALID',
      {
        variable: CERT,
        path: pki.pfx.aes,
      },
    );
  });

  it('refuse a key file without a private key', () => {
    assertTlsError(
      () => material({ [CERT]: pki.clientPem, [KEY]: pki.clientPem }).secureContext(),
      'TESSERA_TLS_PEM_INVALID',
      {
        variable: KEY,
        path: pki.clientPem,
      },
    );
  });

  it('refuse a key that does not belong to the certificate', () => {
    assertTlsError(
      () => material({ [CERT]: pki.clientPem, [KEY]: pki.clientEc.key }).secureContext(),
      'TESSERA_TLS_KEY_MISMATCH',
      { variable: KEY, path: pki.clientEc.key, mentions: [pki.clientPem] },
    );
  });

  describe('with an encrypted key', () => {
    let encrypted: string;
    before(() => {
      const key = createPrivateKey(readFileSync(pki.clientKeyPem));
      encrypted = write(
        'client-encrypted.key',
        key.export({
          type: 'pkcs8',
          format: 'pem',
          cipher: 'aes-256-cbc',
          passphrase: PFX_PASSWORD,
        }) as string,
      );
    });

    it('open it with SERedis_ClientCertPassword', () => {
      const m = material({ [CERT]: pki.clientPem, [KEY]: encrypted, [PASSWORD]: PFX_PASSWORD });
      assert.ok(m.secureContext());
    });

    it('say the password is missing', () => {
      assertTlsError(
        () => material({ [CERT]: pki.clientPem, [KEY]: encrypted }).secureContext(),
        'TESSERA_TLS_PEM_KEY_PASSWORD',
        {
          variable: PASSWORD,
          path: encrypted,
          mentions: ['not set'],
        },
      );
    });

    it('say the password is wrong', () => {
      assertTlsError(
        () => material({ [CERT]: pki.clientPem, [KEY]: encrypted, [PASSWORD]: 'nope' }).secureContext(),
        'TESSERA_TLS_PEM_KEY_PASSWORD',
        { variable: PASSWORD, path: encrypted, mentions: ['wrong password'] },
      );
    });
  });
});
