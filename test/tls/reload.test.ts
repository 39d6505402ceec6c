import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import {
  type MaterialFailedMessage,
  type MaterialLoadedMessage,
  TLS_CHANNELS,
  TLS_VARIABLES,
  TlsMaterial,
  tlsConnectionOptions,
} from '../../src/tls/index.ts';
import { createPki, PFX_PASSWORD, type Pki } from '../support/pki.ts';
import { assertNoSecret } from './assertions.ts';
import { exchange, startTlsServer, type TestTlsServer } from './tls-server.ts';

let pki: Pki;
let server: TestTlsServer;
let scratch: string;
let pfx: string;
let loaded: MaterialLoadedMessage[];
let failed: MaterialFailedMessage[];
const onLoaded = (message: unknown) => loaded.push(message as MaterialLoadedMessage);
const onFailed = (message: unknown) => failed.push(message as MaterialFailedMessage);

before(async () => {
  pki = await createPki();
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

/** Material re-checking its files on every connection, as if a second had passed. */
function material(): TlsMaterial {
  return TlsMaterial.fromEnvironment(
    {
      [TLS_VARIABLES.pfxPath]: pfx,
      [TLS_VARIABLES.password]: PFX_PASSWORD,
      [TLS_VARIABLES.issuerPath]: pki.issuerPem,
    },
    { recheckIntervalMs: 0 },
  );
}

describe('certificate files that change', () => {
  it('are picked up by the next connection, with the same options object and no new material', async () => {
    const m = material();
    // Built once, as node-redis does when a client is created, then reused for every connection.
    const options = tlsConnectionOptions(m, { host: 'localhost' });
    await exchange(server.port, options);
    copyFileSync(pki.pfx.ec, pfx);
    await exchange(server.port, options);
    assert.deepEqual(
      server.seen.map((s) => s.subject),
      ['tessera-frontend-1', 'tessera-frontend-ec'],
    );
    assert.deepEqual(
      loaded.map((l) => l.subject),
      ['CN=tessera-frontend-1, O=Tessera Tests', 'CN=tessera-frontend-ec, O=Tessera Tests'],
    );
    assert.match(m.report().clientCertificate?.subject ?? '', /tessera-frontend-ec/);
  });

  it('build one SecureContext per version, never one per connection', async () => {
    const m = material();
    const options = tlsConnectionOptions(m, { host: 'localhost' });
    for (let i = 0; i < 5; i++) await exchange(server.port, options);
    assert.equal(server.seen.length, 5);
    assert.equal(loaded.length, 1);
    assert.deepEqual(Object.keys(loaded[0] ?? {}).sort(), ['loadedWith', 'subject', 'version']);
    assert.equal(loaded[0]?.loadedWith, 'native');
  });

  it('are re-checked at most once per interval by default', async () => {
    const m = TlsMaterial.fromEnvironment({
      [TLS_VARIABLES.pfxPath]: pfx,
      [TLS_VARIABLES.password]: PFX_PASSWORD,
    });
    const context = m.secureContext();
    copyFileSync(pki.pfx.ec, pfx);
    assert.ok(context.context, 'within the interval, the version loaded first');
    assert.equal(loaded.length, 1);
  });

  it('that cannot be used leave connections on the last good version, and the report says so', async () => {
    const m = material();
    const options = tlsConnectionOptions(m, { host: 'localhost' });
    await exchange(server.port, options);
    writeFileSync(pfx, 'half a file');
    await exchange(server.port, options);
    assert.deepEqual(
      server.seen.map((s) => s.subject),
      ['tessera-frontend-1', 'tessera-frontend-1'],
    );
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.code, 'TESSERA_TLS_PFX_NOT_PKCS12');
    assert.equal(failed[0]?.keptPrevious, true);
    const report = m.report();
    assert.equal(report.ok, false);
    assert.equal(report.problems[0]?.code, 'TESSERA_TLS_PFX_NOT_PKCS12');
    assert.ok(report.warnings.some((w) => /still use the version loaded at/.test(w)));
    assertNoSecret(JSON.stringify([failed, report]));

    copyFileSync(pki.pfx.rc2, pfx);
    await exchange(server.port, options);
    assert.equal(server.seen.at(-1)?.subject, 'tessera-frontend-1');
    assert.equal(loaded.at(-1)?.loadedWith, 'legacy (RC2-40) fallback');
    assert.equal(m.report().ok, true);
  });

  it('that were broken from the start are loaded once fixed, without a restart', () => {
    writeFileSync(pfx, 'not yet');
    const m = material();
    assert.throws(() => m.secureContext(), { code: 'TESSERA_TLS_PFX_NOT_PKCS12' });
    copyFileSync(pki.pfx.aes, pfx);
    assert.ok(m.secureContext());
    assert.equal(loaded.length, 1);
  });
});
