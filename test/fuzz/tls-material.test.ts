// The certificate material read from hostile variables and files: damaged PFX bytes,
// storage flags and path values. Every case loads, or fails with a TESSERA_TLS_ code
// whose message is bounded and holds neither the password nor a value that may be one.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseStorageFlags, TLS_VARIABLES, TlsMaterial } from '../../src/tls/index.ts';
import { assertTypedError, type FuzzRandom, fuzz, fuzzString } from '../support/fuzz.ts';
import { createPki, PFX_PASSWORD, type Pki } from '../support/pki.ts';

let pki: Pki;
let scratch: string;
before(async () => {
  pki = await createPki();
  scratch = mkdtempSync(join(tmpdir(), 'tessera-fuzz-tls-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A PFX cut, with bytes changed, inserted or repeated: what a bad copy or transfer makes of it. */
function damagedPfx(random: FuzzRandom, original: Buffer): Buffer {
  let bytes = Buffer.from(original);
  const edits = 1 + random.int(3);
  for (let i = 0; i < edits; i++) {
    const at = random.int(bytes.length + 1);
    switch (random.int(4)) {
      case 0:
        bytes = bytes.subarray(0, at);
        break;
      case 1:
        if (at < bytes.length) bytes[at] = random.int(256);
        break;
      case 2:
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([random.int(256)]), bytes.subarray(at)]);
        break;
      default:
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at, at + 16), bytes.subarray(at)]);
    }
  }
  return bytes;
}

function assertLoadsOrRefuses(load: () => unknown, secret?: string): void {
  try {
    load();
  } catch (error) {
    assertTypedError(error, secret);
    assert.match((error as { code: string }).code, /^TESSERA_TLS_/);
  }
}

describe('fuzz: TLS certificate material', () => {
  it('a damaged PFX loads or is refused with a TESSERA_TLS_ code, never the password', async () => {
    const originals = [readFileSync(pki.pfx.aes), readFileSync(pki.pfx.rc2), readFileSync(pki.pfx.ec)];
    const path = join(scratch, 'client.pfx');
    await fuzz(
      'damaged PFX',
      (random) => damagedPfx(random, random.pick(originals)),
      (bytes) => {
        writeFileSync(path, bytes);
        const material = TlsMaterial.fromEnvironment({
          [TLS_VARIABLES.pfxPath]: path,
          [TLS_VARIABLES.password]: PFX_PASSWORD,
        });
        assertLoadsOrRefuses(() => material.secureContext(), PFX_PASSWORD);
        assert.ok(!JSON.stringify(material.report()).includes(PFX_PASSWORD));
      },
    );
  });

  it('storage flags parse or are refused, and a value that is no flag list is never quoted', async () => {
    await fuzz(
      'storage flags',
      (random) => fuzzString(random),
      (raw) => {
        try {
          parseStorageFlags(raw);
        } catch (error) {
          const wordsOrNumber = /^[+-]?\d+(\.\d+)?$|^[A-Za-z]+([\s,|+;]+[A-Za-z]+)*[\s,|+;]*$/.test(
            raw.trim(),
          );
          assertTypedError(error, wordsOrNumber ? undefined : raw.trim());
        }
      },
    );
  });

  it('any value of a path variable is refused with a TESSERA_TLS_ code and a bounded message', async () => {
    const variables = [
      TLS_VARIABLES.pfxPath,
      TLS_VARIABLES.issuerPath,
      TLS_VARIABLES.pemCertPath,
      TLS_VARIABLES.pemKeyPath,
    ] as const;
    await fuzz(
      'path variables',
      (random) => ({ variable: random.pick(variables), value: fuzzString(random) }),
      ({ variable, value }) => {
        const env =
          variable === TLS_VARIABLES.pfxPath
            ? { [variable]: value }
            : variable === TLS_VARIABLES.issuerPath
              ? {
                  [TLS_VARIABLES.pfxPath]: pki.pfx.aes,
                  [TLS_VARIABLES.password]: PFX_PASSWORD,
                  [variable]: value,
                }
              : {
                  [TLS_VARIABLES.pemCertPath]: pki.clientPem,
                  [TLS_VARIABLES.pemKeyPath]: pki.clientKeyPem,
                  [variable]: value,
                };
        const material = TlsMaterial.fromEnvironment(env);
        assertLoadsOrRefuses(() => material.secureContext());
        assert.ok(JSON.stringify(material.report()).length < 100_000, 'the report is bounded');
      },
    );
  });
});
