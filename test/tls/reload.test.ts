import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import {
  type MaterialFailedMessage,
  type MaterialLoadedMessage,
  TLS_CHANNELS,
  TLS_VARIABLES,
  type TlsConnectionOptions,
  TlsMaterial,
  tlsConnectionOptions,
} from '../../src/tls/index.ts';
import { createPki, PFX_PASSWORD, type Pki } from '../support/pki.ts';
import { assertNoSecret } from './assertions.ts';
import { exchange, startTlsServer, type TestTlsServer } from './tls-server.ts';

let pki: Pki;
/** A server that verifies client certificates against the Tessera root and records each one it accepts. */
let server: TestTlsServer;
let scratch: string;
let pfx: string;
let loaded: MaterialLoadedMessage[];
let failed: MaterialFailedMessage[];
/** Fingerprints of the client certificates of the PFX files used here. */
let rsaClient: string;
let ecClient: string;
const onLoaded = (message: unknown) => loaded.push(message as MaterialLoadedMessage);
const onFailed = (message: unknown) => failed.push(message as MaterialFailedMessage);

before(async () => {
  pki = await createPki();
  rsaClient = new X509Certificate(readFileSync(pki.client.cert)).fingerprint256;
  ecClient = new X509Certificate(readFileSync(pki.clientEc.cert)).fingerprint256;
  server = await startTlsServer(pki.server, { trust: pki.issuerPem });
  scratch = mkdtempSync(join(tmpdir(), 'tessera-tls-reload-'));
  subscribe(TLS_CHANNELS.materialLoaded, onLoaded);
  subscribe(TLS_CHANNELS.materialFailed, onFailed);
});
after(async () => {
  unsubscribe(TLS_CHANNELS.materialLoaded, onLoaded);
  unsubscribe(TLS_CHANNELS.materialFailed, onFailed);
  await server.close();
  rmSync(scratch, { recursive: true, force: true });
});
beforeEach(() => {
  pfx = join(scratch, `client-${Math.random().toString(36).slice(2)}.pfx`);
  copyFileSync(pki.pfx.aes, pfx);
  loaded = [];
  failed = [];
  server.seen.length = 0;
});
afterEach(() => rmSync(pfx, { force: true }));

/** Material re-checking its files on every connection (or every `recheckIntervalMs`). */
function material(recheckIntervalMs = 0): TlsMaterial {
  return TlsMaterial.fromEnvironment(
    {
      [TLS_VARIABLES.pfxPath]: pfx,
      [TLS_VARIABLES.password]: PFX_PASSWORD,
      [TLS_VARIABLES.issuerPath]: pki.issuerPem,
    },
    { recheckIntervalMs },
  );
}

/** Opens a new connection and returns the fingerprint of the client certificate the server received. */
async function presented(options: TlsConnectionOptions): Promise<string | undefined> {
  const before = server.seen.length;
  await exchange(server.port, options);
  assert.equal(server.seen.length, before + 1, 'the server accepted one new connection');
  return server.seen.at(-1)?.fingerprint256;
}

/** Replaces the PFX the way deployment tools do: write a new file beside it, rename it over the old one. */
function replaceByRename(source: string | Buffer): void {
  const next = `${pfx}.new`;
  if (typeof source === 'string') copyFileSync(source, next);
  else writeFileSync(next, source);
  renameSync(next, pfx);
}

describe('certificate files that change', () => {
  // Built once, as node-redis does when a client is created, then reused for every connection.
  for (const [how, replace] of [
    ['renamed over the old one', (source: string) => replaceByRename(source)],
    ['copied over it in place', (source: string) => copyFileSync(source, pfx)],
  ] as const) {
    it(`are presented by the next new connection when ${how}, with the same options object`, async () => {
      const m = material();
      const options = tlsConnectionOptions(m, { host: 'localhost' });
      assert.equal(await presented(options), rsaClient);
      replace(pki.pfx.ec);
      assert.equal(
        await presented(options),
        ecClient,
        'the new certificate, with no new material or options',
      );
      assert.equal(await presented(options), ecClient);
      assert.deepEqual(
        loaded.map((l) => l.subject),
        ['CN=tessera-frontend-1, O=Tessera Tests', 'CN=tessera-frontend-ec, O=Tessera Tests'],
      );
      assert.match(m.report().clientCertificate?.subject ?? '', /tessera-frontend-ec/);
    });
  }

  it('build one SecureContext per version, never one per connection', async () => {
    const options = tlsConnectionOptions(material(), { host: 'localhost' });
    for (let i = 0; i < 5; i++) assert.equal(await presented(options), rsaClient);
    assert.equal(loaded.length, 1);
    assert.deepEqual(Object.keys(loaded[0] ?? {}).sort(), ['loadedWith', 'subject', 'version']);
    assert.equal(loaded[0]?.loadedWith, 'native');
  });

  it('are not re-checked by connections within the interval, and are by a report', async () => {
    const m = material(60_000);
    const options = tlsConnectionOptions(m, { host: 'localhost' });
    assert.equal(await presented(options), rsaClient);
    replaceByRename(pki.pfx.ec);
    assert.equal(await presented(options), rsaClient, 'within the interval, the version loaded first');
    assert.equal(loaded.length, 1);
    // A report checks the files now, whatever the interval; connections follow.
    assert.match(m.report().clientCertificate?.subject ?? '', /tessera-frontend-ec/);
    assert.equal(await presented(options), ecClient);
  });

  for (const [what, broken, code] of [
    ['text', () => Buffer.from('half a file'), 'TESSERA_TLS_PFX_NOT_PKCS12'],
    ['a truncated PFX', () => readFileSync(pki.pfx.ec).subarray(0, 1000), 'TESSERA_TLS_PFX_DAMAGED'],
  ] as const) {
    it(`that cannot be used (${what}) leave new connections on the last good version, and the report says so`, async () => {
      const m = material();
      const options = tlsConnectionOptions(m, { host: 'localhost' });
      assert.equal(await presented(options), rsaClient);
      replaceByRename(broken());
      assert.equal(await presented(options), rsaClient, 'a new connection, with the last good certificate');
      assert.equal(await presented(options), rsaClient);
      assert.equal(failed.length, 1, 'one failure per version of the files');
      assert.equal(failed[0]?.code, code);
      assert.equal(failed[0]?.keptPrevious, true);
      const report = m.report();
      assert.equal(report.ok, false);
      assert.equal(report.problems[0]?.code, failed[0]?.code);
      assert.ok(report.warnings.some((w) => /still use the version loaded at/.test(w)));
      assertNoSecret(JSON.stringify([failed, report]));

      replaceByRename(pki.pfx.ecRc2);
      assert.equal(await presented(options), ecClient, 'a usable file is picked up again');
      assert.equal(loaded.at(-1)?.loadedWith, 'legacy (RC2-40) fallback');
      assert.equal(m.report().ok, true);
    });
  }

  it('that were broken from the start are loaded once fixed, without a restart', async () => {
    writeFileSync(pfx, 'not yet');
    const m = material();
    assert.throws(() => tlsConnectionOptions(m, { host: 'localhost' }), {
      code: 'TESSERA_TLS_PFX_NOT_PKCS12',
    });
    replaceByRename(pki.pfx.aes);
    assert.equal(await presented(tlsConnectionOptions(m, { host: 'localhost' })), rsaClient);
    assert.equal(loaded.length, 1);
  });
});
