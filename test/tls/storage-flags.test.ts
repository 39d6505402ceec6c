import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { parseStorageFlags, TLS_VARIABLES, TlsMaterial } from '../../src/tls/index.ts';
import { createPki, PFX_PASSWORD, type Pki } from '../support/pki.ts';
import { assertTlsError } from './assertions.ts';

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

  for (const raw of ['64', '-1', 'Bogus', '1.5', 'UserKeySet|', '0x9', 'UserKeySet+Exportable']) {
    it(`refuses ${JSON.stringify(raw)}, naming the variable and the accepted forms`, () => {
      assertTlsError(() => parseStorageFlags(raw), 'TESSERA_TLS_STORAGE_FLAGS', {
        variable: FLAGS,
        mentions: [`"${raw}"`, '0 to 63', 'UserKeySet'],
      });
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
