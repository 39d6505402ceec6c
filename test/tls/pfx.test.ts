import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import forge from 'node-forge';
import { type LoadedWith, TLS_VARIABLES, TlsMaterial } from '../../src/tls/index.ts';
import { createPki, PFX_PASSWORD, type PfxVariant, type Pki } from '../support/pki.ts';
import { assertNoSecret, assertTlsError } from './assertions.ts';
import { exchange, startTlsServer } from './tls-server.ts';

const PFX = TLS_VARIABLES.pfxPath;
const PASSWORD = TLS_VARIABLES.password;

let pki: Pki;
before(async () => {
  pki = await createPki();
});

/** The material for `pfx`, opened with `password` (`null`: SERedis_ClientCertPassword unset). */
function material(pfx: string, password: string | null = PFX_PASSWORD): TlsMaterial {
  return TlsMaterial.fromEnvironment({ [PFX]: pfx, [PASSWORD]: password ?? undefined });
}

describe('SERedis_ClientCertPfxPath: the files that load', () => {
  const variants: {
    title: string;
    variant: PfxVariant;
    password?: string | null;
    loadedWith: LoadedWith;
    subject: string;
    keyType: string;
  }[] = [
    {
      title: 'AES-256 (OpenSSL 3 default)',
      variant: 'aes',
      loadedWith: 'native',
      subject: 'tessera-frontend-1',
      keyType: 'RSA 2048',
    },
    {
      title: 'AES-256 without password, with SERedis_ClientCertPassword unset',
      variant: 'aesNoPassword',
      password: null,
      loadedWith: 'native',
      subject: 'tessera-frontend-1',
      keyType: 'RSA 2048',
    },
    {
      title: 'AES-256 without password, with SERedis_ClientCertPassword empty',
      variant: 'aesNoPassword',
      password: '',
      loadedWith: 'native',
      subject: 'tessera-frontend-1',
      keyType: 'RSA 2048',
    },
    {
      title: '3DES',
      variant: 'tripleDes',
      loadedWith: 'native',
      subject: 'tessera-frontend-1',
      keyType: 'RSA 2048',
    },
    {
      title: 'legacy RC2-40 with a password (Node refuses it)',
      variant: 'rc2',
      loadedWith: 'legacy (RC2-40) fallback',
      subject: 'tessera-frontend-1',
      keyType: 'RSA 2048',
    },
    {
      title: 'legacy RC2-40 without password',
      variant: 'rc2NoPassword',
      password: null,
      loadedWith: 'legacy (RC2-40) fallback',
      subject: 'tessera-frontend-1',
      keyType: 'RSA 2048',
    },
    {
      title: 'an EC P-256 key',
      variant: 'ec',
      loadedWith: 'native',
      subject: 'tessera-frontend-ec',
      keyType: 'EC P-256',
    },
    {
      title: 'an EC P-256 key with legacy RC2-40',
      variant: 'ecRc2',
      loadedWith: 'legacy (RC2-40) fallback',
      subject: 'tessera-frontend-ec',
      keyType: 'EC P-256',
    },
  ];

  for (const entry of variants) {
    const { title, variant, loadedWith, subject, keyType } = entry;
    const password = 'password' in entry ? entry.password : PFX_PASSWORD;
    it(`loads a PFX with ${title}`, () => {
      const tlsMaterial = material(pki.pfx[variant], password);
      assert.ok(tlsMaterial.secureContext());
      const report = tlsMaterial.report();
      assert.equal(report.ok, true, JSON.stringify(report.problems));
      const cert = report.clientCertificate;
      assert.ok(cert);
      assert.match(cert.subject, new RegExp(`CN=${subject}`));
      assert.match(cert.issuer, /CN=Tessera Test Intermediate CA/);
      assert.equal(cert.loadedWith, loadedWith);
      assert.equal(cert.keyType, keyType);
      assert.equal(cert.keyMatches, true);
      assert.equal(cert.chainLength, 2, 'the client certificate and the intermediate CA');
    });
  }

  for (const variant of ['aes', 'rc2'] as const) {
    it(`sends the extra certificate of a ${variant} PFX as the chain, so a server trusting only the root accepts the client`, async () => {
      const server = await startTlsServer(pki.server, { trust: pki.issuerPem });
      try {
        const m = TlsMaterial.fromEnvironment({
          [PFX]: pki.pfx[variant],
          [PASSWORD]: PFX_PASSWORD,
          [TLS_VARIABLES.issuerPath]: pki.issuerPem,
        });
        const secureContext = m.secureContext();
        await exchange(server.port, { secureContext, servername: 'localhost' });
        assert.deepEqual(server.seen, [
          {
            subject: 'tessera-frontend-1',
            fingerprint256: new X509Certificate(await readFile(pki.client.cert)).fingerprint256,
            chain: ['Tessera Test Intermediate CA', 'Tessera Test Root CA'],
            servername: 'localhost',
          },
        ]);
      } finally {
        await server.close();
      }
    });
  }
});

describe('SERedis_ClientCertPfxPath: errors name the variable, the file and the fix', () => {
  let scratch: string;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'tessera-tls-pfx-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('refuses to go on without SERedis_ClientCertPfxPath when SSL is on', () => {
    const m = TlsMaterial.fromEnvironment({});
    assertTlsError(() => m.secureContext(), 'TESSERA_TLS_PFX_MISSING_VARIABLE', { variable: PFX });
    const report = m.report();
    assert.equal(report.ok, false);
    assert.equal(
      report.variables.find((v) => v.name === PFX)?.problem?.code,
      'TESSERA_TLS_PFX_MISSING_VARIABLE',
    );
  });

  it('reports no problem for the missing variable when SSL is off', () => {
    const report = TlsMaterial.fromEnvironment({}, { ssl: false }).report();
    assert.equal(report.ok, true);
    assert.deepEqual(report.problems, []);
  });

  it('names a file that does not exist', () => {
    const missing = join(scratch, 'nowhere', 'client.pfx');
    assertTlsError(() => material(missing).secureContext(), 'TESSERA_TLS_FILE_NOT_FOUND', {
      variable: PFX,
      path: missing,
    });
  });

  it('says when a relative path was resolved against the working folder', () => {
    assertTlsError(() => material('certs/missing.pfx').secureContext(), 'TESSERA_TLS_FILE_NOT_FOUND', {
      variable: PFX,
      path: join(process.cwd(), 'certs/missing.pfx'),
      mentions: ['full path'],
    });
  });

  it('names a folder given instead of a file', () => {
    assertTlsError(() => material(scratch).secureContext(), 'TESSERA_TLS_FILE_NOT_REGULAR', {
      variable: PFX,
      path: scratch,
      mentions: ['folder'],
    });
  });

  it('names a file this process may not read', {
    skip: process.getuid?.() === 0 && 'root reads every file',
  }, () => {
    const locked = join(scratch, 'locked.pfx');
    copyFileSync(pki.pfx.aes, locked);
    chmodSync(locked, 0o000);
    assertTlsError(() => material(locked).secureContext(), 'TESSERA_TLS_FILE_UNREADABLE', {
      variable: PFX,
      path: locked,
      mentions: ['permission denied'],
    });
  });

  it('refuses a file that is not PKCS#12', () => {
    assertTlsError(() => material(pki.notAPfx).secureContext(), 'TESSERA_TLS_PFX_NOT_PKCS12', {
      variable: PFX,
      path: pki.notAPfx,
    });
  });

  it('points a PEM file given as PFX to the PEM variables', () => {
    assertTlsError(() => material(pki.clientPem).secureContext(), 'TESSERA_TLS_PFX_NOT_PKCS12', {
      variable: PFX,
      path: pki.clientPem,
      mentions: [TLS_VARIABLES.pemCertPath, TLS_VARIABLES.pemKeyPath],
    });
  });

  for (const variant of ['aes', 'rc2'] as const) {
    it(`says the password is wrong (${variant})`, () => {
      const error = assertTlsError(
        () => material(pki.pfx[variant], 'not the password').secureContext(),
        'TESSERA_TLS_PFX_PASSWORD',
        {
          variable: PASSWORD,
          path: pki.pfx[variant],
        },
      );
      assert.equal(
        error.message,
        `SERedis_ClientCertPassword does not open "${pki.pfx[variant]}" (wrong password). Set it to the password the certificate was exported with. ` +
          '(Should it be right, the file was damaged after it was exported: copy it again from the original.)',
      );
      assert.ok(!error.message.includes('not the password'));
    });

    it(`says a password is needed when none is set (${variant})`, () => {
      assertTlsError(
        () => material(pki.pfx[variant], null).secureContext(),
        'TESSERA_TLS_PFX_PASSWORD_REQUIRED',
        {
          variable: PASSWORD,
          path: pki.pfx[variant],
          mentions: ['not set'],
        },
      );
    });
  }

  it('says a password is needed when the variable is empty', () => {
    assertTlsError(() => material(pki.pfx.aes, '').secureContext(), 'TESSERA_TLS_PFX_PASSWORD_REQUIRED', {
      variable: PASSWORD,
      path: pki.pfx.aes,
      mentions: ['empty'],
    });
  });

  it('says a password-less file was given a password', () => {
    assertTlsError(
      () => material(pki.pfx.aesNoPassword, PFX_PASSWORD).secureContext(),
      'TESSERA_TLS_PFX_PASSWORD',
      {
        variable: PASSWORD,
        path: pki.pfx.aesNoPassword,
      },
    );
  });

  it('refuses a PFX without a private key', () => {
    assertTlsError(() => material(pki.pfx.noKey).secureContext(), 'TESSERA_TLS_PFX_NO_KEY', {
      variable: PFX,
      path: pki.pfx.noKey,
    });
  });

  it('refuses a PFX without a certificate', () => {
    assertTlsError(() => material(pki.pfx.noCertificate).secureContext(), 'TESSERA_TLS_PFX_NO_CERTIFICATE', {
      variable: PFX,
      path: pki.pfx.noCertificate,
    });
  });

  it('refuses a PFX whose private key belongs to another certificate', async () => {
    const mismatched = join(scratch, 'mismatched.pfx');
    const [key, cert, extra] = await Promise.all(
      [pki.server.key, pki.client.cert, pki.intermediateCa.cert].map((f) => readFile(f, 'utf8')),
    );
    const p12 = forge.pkcs12.toPkcs12Asn1(
      forge.pki.privateKeyFromPem(key ?? ''),
      [forge.pki.certificateFromPem(cert ?? ''), forge.pki.certificateFromPem(extra ?? '')],
      PFX_PASSWORD,
      { algorithm: '3des' },
    );
    writeFileSync(mismatched, Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary'));
    assertTlsError(() => material(mismatched).secureContext(), 'TESSERA_TLS_KEY_MISMATCH', {
      variable: PFX,
      path: mismatched,
    });
  });

  it('refuses a PFX with encryption neither Node nor node-forge reads (RC4), saying how to export it', () => {
    assertTlsError(() => material(pki.pfx.rc4).secureContext(), 'TESSERA_TLS_PFX_UNSUPPORTED', {
      variable: PFX,
      path: pki.pfx.rc4,
      mentions: ['AES-256'],
    });
  });

  it('refuses an expired client certificate, and still describes it', () => {
    const m = material(pki.pfx.expired);
    assertTlsError(() => m.secureContext(), 'TESSERA_TLS_CLIENT_CERT_EXPIRED', {
      variable: PFX,
      path: pki.pfx.expired,
      mentions: ['tessera-frontend-expired', 'expired on'],
    });
    const report = m.report();
    assert.equal(report.ok, false);
    assert.ok(report.clientCertificate && report.clientCertificate.daysLeft < 0);
  });

  it('refuses a client certificate that is not valid yet', () => {
    assertTlsError(
      () => material(pki.pfx.notYetValid).secureContext(),
      'TESSERA_TLS_CLIENT_CERT_NOT_YET_VALID',
      {
        variable: PFX,
        path: pki.pfx.notYetValid,
        mentions: ['clock'],
      },
    );
  });

  it('warns, without failing, about a client certificate that expires within 30 days', () => {
    const m = material(pki.pfx.expiringSoon);
    assert.ok(m.secureContext());
    const report = m.report();
    assert.equal(report.ok, true);
    assert.ok(report.clientCertificate && report.clientCertificate.daysLeft <= 10);
    assert.equal(report.warnings.length, 1);
    assert.match(report.warnings[0] ?? '', /tessera-frontend-soon.*expires on .* in (9|10) days/);
  });

  it('never shows the password, in the report or in errors', () => {
    for (const m of [material(pki.pfx.aes), material(pki.pfx.aes, 'wrong'), material(pki.pfx.rc2)]) {
      const report = m.report();
      assertNoSecret(JSON.stringify(report));
      assert.equal(report.variables.find((v) => v.name === PASSWORD)?.shown, 'set');
    }
  });
});

describe('SERedis_ClientCertPfxPath: a damaged or truncated file is said to be one', () => {
  let scratch: string;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'tessera-tls-damaged-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  /** The material for a copy of `variant` changed by `change`, opened with the variant's own password. */
  async function damagedCopy(variant: PfxVariant, change: (bytes: Buffer) => Buffer): Promise<TlsMaterial> {
    const copy = join(scratch, `${variant}-${Math.random().toString(36).slice(2)}.pfx`);
    writeFileSync(copy, change(await readFile(pki.pfx[variant])));
    return material(copy, variant.endsWith('NoPassword') ? null : PFX_PASSWORD);
  }

  const VARIANTS = ['aes', 'aesNoPassword', 'tripleDes', 'rc2', 'rc2NoPassword', 'ec', 'ecRc2'] as const;

  for (const variant of VARIANTS) {
    it(`says a ${variant} file cut at any of several offsets is truncated, not a wrong password or legacy encryption`, async () => {
      const size = (await readFile(pki.pfx[variant])).length;
      const offsets = [0, 1, 2, 4, 40, 500, Math.floor(size / 2), size - 100, size - 40, size - 1];
      for (const offset of offsets) {
        const m = await damagedCopy(variant, (bytes) => bytes.subarray(0, offset));
        const error = assertTlsError(() => m.secureContext(), 'TESSERA_TLS_PFX_DAMAGED', {
          variable: PFX,
          mentions: ['damaged or truncated', 'Copy the file again'],
        });
        assert.match(
          error.message,
          offset === 0 ? /empty \(0 bytes\)/ : new RegExp(`ends after ${offset}\\b`),
        );
      }
    });
  }

  for (const variant of VARIANTS) {
    it(`says a ${variant} file with a byte changed in its content is damaged, although the password is right`, async () => {
      const m = await damagedCopy(variant, (bytes) => {
        const changed = Buffer.from(bytes);
        const middle = Math.floor(bytes.length / 2);
        changed[middle] = (bytes[middle] ?? 0) ^ 0x01;
        return changed;
      });
      assertTlsError(() => m.secureContext(), 'TESSERA_TLS_PFX_DAMAGED', {
        variable: PFX,
        mentions: ['integrity check (MAC) fails'],
      });
      assert.equal(m.report().problems[0]?.code, 'TESSERA_TLS_PFX_DAMAGED');
    });
  }

  it('says a file whose structure is broken is damaged', async () => {
    // The first byte of the authenticated safe's header, made to claim more than it holds.
    const m = await damagedCopy('aes', (bytes) => {
      const changed = Buffer.from(bytes);
      const at = changed.indexOf(
        Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]),
      );
      changed[at + 12] = 0xa1;
      return changed;
    });
    assertTlsError(() => m.secureContext(), 'TESSERA_TLS_PFX_DAMAGED', {
      variable: PFX,
      mentions: ['broken at byte'],
    });
  });

  it('still says the password is wrong for a whole file', async () => {
    const m = await damagedCopy('aes', (bytes) => bytes);
    assert.throws(
      () => TlsMaterial.fromEnvironment({ [PFX]: pki.pfx.aes, [PASSWORD]: 'wrong' }).secureContext(),
      {
        code: 'TESSERA_TLS_PFX_PASSWORD',
      },
    );
    assert.ok(m.report().ok);
  });
});
