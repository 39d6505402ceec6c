import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { parseStorageFlags, TLS_VARIABLES, TlsMaterial } from '../../src/tls/index.ts';
import { createPki, PFX_PASSWORD, type Pki } from '../support/pki.ts';
import { assertNoSecret, assertTlsError } from './assertions.ts';

const FLAGS = TLS_VARIABLES.storageFlags;

describe('SERedis_ClientCertStorageFlags', () => {
  const accepted: [string, number, string[]][] = [
    ['0', 0, ['DefaultKeySet']],
    ['1', 1, ['UserKeySet']],
    ['9', 9, ['UserKeySet', 'UserProtected']],
    [
      '63',
      63,
      ['UserKeySet', 'MachineKeySet', 'Exportable', 'UserProtected', 'PersistKeySet', 'EphemeralKeySet'],
    ],
    ['UserKeySet|Exportable', 5, ['UserKeySet', 'Exportable']],
    ['userkeyset, exportable', 5, ['UserKeySet', 'Exportable']],
    [' EphemeralKeySet ', 32, ['EphemeralKeySet']],
    ['DefaultKeySet', 0, ['DefaultKeySet']],
  ];
  for (const [raw, value, names] of accepted) {
    it(`reads ${JSON.stringify(raw)} as ${names.join(' + ')}`, () => {
      const flags = parseStorageFlags(raw);
      assert.equal(flags.value, value);
      assert.deepEqual(flags.names, names);
      assert.match(flags.meaning, /only ever held in this process’s memory/);
    });
  }

  it('says what each flag changes on this platform', () => {
    const flags = parseStorageFlags('MachineKeySet|PersistKeySet');
    assert.match(flags.meaning, /MachineKeySet: .*nothing is imported/);
    assert.match(flags.meaning, /PersistKeySet: .*nothing is persisted/);
  });

  it('notes the combinations .NET would refuse, and accepts them', () => {
    assert.match(parseStorageFlags('63').meaning, /\.NET on Windows refuses/);
  });

  for (const raw of ['64', '-1', 'Bogus', '1.5', 'UserKeySet|', 'UserKeySet+Exportable']) {
    it(`refuses ${JSON.stringify(raw)}, naming the variable and the accepted forms`, () => {
      assertTlsError(() => parseStorageFlags(raw), 'TESSERA_TLS_STORAGE_FLAGS', {
        variable: FLAGS,
        mentions: [`"${raw}"`, '0 to 63', 'UserKeySet'],
      });
    });
  }

  // A value that is neither a number nor words cannot be flags: most likely a password
  // set in the wrong variable. Only its length is told.
  for (const raw of [PFX_PASSWORD, 'hunter2!', '0x9', 'p@ss w0rd', '🔑🔑🔑', 'UserKeySet|S3cret']) {
    it(`does not quote ${JSON.stringify(raw)}, which is no flag list, and says what it is instead`, () => {
      const error = assertTlsError(() => parseStorageFlags(raw), 'TESSERA_TLS_STORAGE_FLAGS', {
        variable: FLAGS,
        mentions: [
          `a value of ${Array.from(raw).length} characters`,
          'neither a number nor a list of flag names',
          '0 to 63',
        ],
      });
      assert.ok(!error.message.includes(raw), error.message);
    });
  }

  for (const [what, raw] of [
    ['a 100 KB number', '1'.repeat(100_000)],
    ['100 KB of flag names', 'UserKeySet|'.repeat(10_000)],
  ] as const) {
    it(`quotes ${what} cut short, with its length`, () => {
      const error = assertTlsError(() => parseStorageFlags(raw), 'TESSERA_TLS_STORAGE_FLAGS', {
        variable: FLAGS,
        mentions: [`(${raw.trim().length} characters)`],
      });
      assert.ok(error.message.length < 1000, `${error.message.length} characters`);
    });
  }

  describe('in the material', () => {
    let pki: Pki;
    before(async () => {
      pki = await createPki();
    });
    const env = (flags: string) => ({
      [TLS_VARIABLES.pfxPath]: pki.pfx.aes,
      [TLS_VARIABLES.password]: PFX_PASSWORD,
      [FLAGS]: flags,
    });

    it('shows the decoded flags in the report and changes nothing else', () => {
      const material = TlsMaterial.fromEnvironment(env('9'));
      assert.ok(material.secureContext());
      const report = material.report();
      assert.equal(report.ok, true);
      assert.deepEqual(report.storageFlags?.names, ['UserKeySet', 'UserProtected']);
      assert.equal(report.variables.find((v) => v.name === FLAGS)?.shown, '9');
    });

    it('never shows a password set in it by mistake, in the report or its problems', () => {
      const material = TlsMaterial.fromEnvironment(env(PFX_PASSWORD));
      const report = material.report();
      const flags = report.variables.find((v) => v.name === FLAGS);
      assert.equal(flags?.problem?.code, 'TESSERA_TLS_STORAGE_FLAGS');
      assert.match(
        flags?.shown ?? '',
        /^a value of 15 characters that is neither a number nor a list of flag names/,
      );
      assertNoSecret(JSON.stringify(report));
    });

    it('refuses invalid flags, as a problem of that variable only', () => {
      const material = TlsMaterial.fromEnvironment(env('Bogus'));
      assertTlsError(() => material.secureContext(), 'TESSERA_TLS_STORAGE_FLAGS', { variable: FLAGS });
      const report = material.report();
      const flags = report.variables.find((v) => v.name === FLAGS);
      assert.equal(flags?.ok, false);
      assert.equal(flags?.problem?.code, 'TESSERA_TLS_STORAGE_FLAGS');
      assert.equal(report.variables.find((v) => v.name === TLS_VARIABLES.pfxPath)?.ok, true);
      assert.match(report.clientCertificate?.subject ?? '', /tessera-frontend-1/);
    });
  });
});
