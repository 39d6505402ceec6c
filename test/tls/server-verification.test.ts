import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type PeerCertificate } from 'node:tls';
import {
  TLS_VARIABLES,
  type TlsConnectionOptions,
  TlsMaterial,
  tlsConnectionOptions,
} from '../../src/tls/index.ts';
import { createPki, PFX_PASSWORD, type Pki, type ServerCert } from '../support/pki.ts';
import { assertTlsError } from './assertions.ts';
import { exchange, startTlsServer, type TestTlsServer } from './tls-server.ts';

const ISSUER = TLS_VARIABLES.issuerPath;

let pki: Pki;
const servers: TestTlsServer[] = [];
before(async () => {
  pki = await createPki();
});
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(cert: ServerCert, trust?: string): Promise<TestTlsServer> {
  const server = await startTlsServer(cert, trust ? { trust } : {});
  servers.push(server);
  return server;
}

/** Material with the `aes` PFX (or `pfx`) trusting `issuer` (`null`: SERedis_IssuerCertPath unset). */
function material(issuer: string | null = pki.issuerPem, pfx = pki.pfx.aes): TlsMaterial {
  return TlsMaterial.fromEnvironment({
    [TLS_VARIABLES.pfxPath]: pfx,
    [TLS_VARIABLES.password]: PFX_PASSWORD,
    [ISSUER]: issuer ?? undefined,
  });
}

function options(m: TlsMaterial, host: string, sslHost?: string): TlsConnectionOptions {
  return tlsConnectionOptions(m, { host, sslHost });
}

/** The code of the error a connection fails with. */
async function refusal(attempt: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await attempt.then(
    () => assert.fail('the connection was expected to fail'),
    (e: unknown) => e as { code: string; message: string },
  );
  return { code: error.code, message: error.message };
}

describe('SERedis_IssuerCertPath', () => {
  for (const [form, file] of [
    ['a PEM root CA', () => pki.issuerPem],
    ['a DER root CA (.cer)', () => pki.issuerDer],
    ['a PEM bundle of the intermediate and the root', () => pki.issuerBundle],
  ] as const) {
    it(`trusts ${form} to verify the Redis server`, async () => {
      const server = await serve(pki.server);
      const m = material(file());
      assert.equal(await exchange(server.port, options(m, 'localhost')), 'redis.test');
    });
  }

  it('lists every certificate of the file in the report', () => {
    const report = material(pki.issuerBundle).report();
    assert.deepEqual(
      report.issuerCertificates.map((c) => [c.subject, c.isCa]),
      [
        ['CN=Tessera Test Intermediate CA, O=Tessera Tests', true],
        ['CN=Tessera Test Root CA, O=Tessera Tests', true],
      ],
    );
  });

  it('is needed for a server certificate from a private CA: without it the server is refused', async () => {
    const server = await serve(pki.server);
    const { code } = await refusal(exchange(server.port, options(material(null), 'localhost')));
    assert.match(code, /^UNABLE_TO_GET_ISSUER_CERT/);
  });

  it('does not make a server certificate from another CA acceptable', async () => {
    const server = await serve(pki.serverOtherCa);
    const { code } = await refusal(exchange(server.port, options(material(), 'localhost')));
    assert.match(code, /^UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED_CERT_IN_CHAIN/);
  });

  it('names a file that does not exist', () => {
    const missing = `${pki.dir}/no-such-ca.crt`;
    assertTlsError(() => material(missing).secureContext(), 'TESSERA_TLS_FILE_NOT_FOUND', {
      variable: ISSUER,
      path: missing,
    });
  });

  it('names a folder given instead of a file', () => {
    assertTlsError(() => material(pki.dir).secureContext(), 'TESSERA_TLS_FILE_NOT_REGULAR', {
      variable: ISSUER,
      path: pki.dir,
    });
  });

  for (const [what, file] of [
    ['random bytes', () => pki.notAPfx],
    ['a private key', () => pki.client.key],
    ['a PFX file', () => pki.pfx.aes],
  ] as const) {
    it(`refuses a file that holds ${what} and no certificate`, () => {
      assertTlsError(() => material(file()).secureContext(), 'TESSERA_TLS_ISSUER_NO_CERTIFICATE', {
        variable: ISSUER,
        path: file(),
      });
    });
  }

  it('warns when the file holds a certificate that is not a CA', () => {
    const report = material(pki.client.cert).report();
    assert.equal(report.ok, true);
    assert.ok(
      report.warnings.some((w) => /tessera-frontend-1.*is not a CA certificate/.test(w)),
      report.warnings.join('\n'),
    );
  });
});

describe('server identity', () => {
  it('verifies the host name against the certificate and sends it as SNI', async () => {
    const server = await serve(pki.server);
    assert.equal(await exchange(server.port, options(material(), 'localhost')), 'redis.test');
    assert.equal(server.seen[0]?.servername, 'localhost');
  });

  it('sends and verifies the SSL Host instead of the host', async () => {
    const server = await serve(pki.server);
    assert.equal(await exchange(server.port, options(material(), '127.0.0.1', 'redis.test')), 'redis.test');
    assert.equal(server.seen[0]?.servername, 'redis.test');
  });

  it('refuses an SSL Host the certificate does not list, although its issuer is trusted', async () => {
    const server = await serve(pki.server);
    const { code, message } = await refusal(
      exchange(server.port, options(material(), 'localhost', 'other.test')),
    );
    assert.equal(code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.match(message, /other\.test/);
  });

  it('refuses a server whose certificate is for another name', async () => {
    const server = await serve(pki.serverWrongName);
    const { code, message } = await refusal(exchange(server.port, options(material(), 'localhost')));
    assert.equal(code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.match(message, /DNS:wrong\.example/);
  });

  it('checks an IP address host against the IP entries of the certificate, without SNI', async () => {
    const server = await serve(pki.server);
    assert.equal(await exchange(server.port, options(material(), '127.0.0.1')), 'redis.test');
    assert.equal(server.seen[0]?.servername, false);
  });

  it('refuses an IP address host that the certificate does not list', async () => {
    const server = await serve(pki.serverWrongName);
    const { code } = await refusal(exchange(server.port, options(material(), '127.0.0.1')));
    assert.equal(code, 'ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('accepts an IPv6 host in brackets, checked against its IP entry', async () => {
    const server = await serve(pki.server);
    const opts = options(material(), '[::1]');
    assert.equal(opts.servername, undefined);
    assert.equal(opts.checkServerIdentity('ignored', await peerCertificate(server.port)), undefined);
  });

  it('refuses a server certificate whose extended key usage lacks serverAuth', async () => {
    const server = await serve(pki.serverClientAuthOnly);
    const { code } = await refusal(exchange(server.port, options(material(), 'localhost')));
    assert.equal(code, 'INVALID_PURPOSE', 'OpenSSL refuses it during the handshake');
    const error = options(material(), 'localhost').checkServerIdentity(
      'localhost',
      await peerCertificate(server.port),
    );
    // The same code as OpenSSL's refusal: the Redis layer reports both as TESSERA_REDIS_TLS_SERVER_USAGE.
    assert.equal((error as { code?: string } | undefined)?.code, 'INVALID_PURPOSE');
    assert.match(error?.message ?? '', /serverAuth/);
  });

  it('refuses an expired server certificate', async () => {
    const server = await serve(pki.serverExpired);
    assert.equal(
      (await refusal(exchange(server.port, options(material(), 'localhost')))).code,
      'CERT_HAS_EXPIRED',
    );
  });

  it('refuses a server certificate that is not valid yet', async () => {
    const server = await serve(pki.serverNotYetValid);
    assert.equal(
      (await refusal(exchange(server.port, options(material(), 'localhost')))).code,
      'CERT_NOT_YET_VALID',
    );
  });

  describe('with NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment', () => {
    /** Runs `action` with the variable set as an operator might set it, then restores it. */
    async function withVerificationDisabled(action: () => Promise<void>): Promise<void> {
      const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
      try {
        await action();
      } finally {
        if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
        else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved;
      }
    }

    it('refuses a server whose certificate comes from another CA', async () => {
      const server = await serve(pki.serverOtherCa);
      await withVerificationDisabled(async () => {
        // The variable is in effect: a plain connection accepts the untrusted server.
        assert.equal(await exchange(server.port, { servername: 'localhost' }), 'redis.test');
        const { code } = await refusal(exchange(server.port, options(material(), 'localhost')));
        assert.match(code, /^UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED_CERT_IN_CHAIN/);
      });
      assert.equal(server.seen.length, 1, 'only the plain connection got through');
    });

    it('refuses a server whose certificate is for another name', async () => {
      const server = await serve(pki.serverWrongName);
      await withVerificationDisabled(async () => {
        assert.equal(await exchange(server.port, { servername: 'localhost' }), 'wrong.example');
        const { code } = await refusal(exchange(server.port, options(material(), 'localhost')));
        assert.equal(code, 'ERR_TLS_CERT_ALTNAME_INVALID');
      });
      assert.equal(server.seen.length, 1, 'only the plain connection got through');
    });
  });
});

describe('client certificate', () => {
  it('is accepted by a server that trusts its root CA', async () => {
    const server = await serve(pki.server, pki.issuerPem);
    await exchange(server.port, options(material(), 'localhost'));
    assert.equal(server.seen[0]?.subject, 'tessera-frontend-1');
  });

  it('from another CA is refused by a server that trusts only the Tessera root', async () => {
    const server = await serve(pki.server, pki.issuerPem);
    await refusal(exchange(server.port, options(material(pki.issuerPem, pki.pfx.otherCa), 'localhost')));
    assert.deepEqual(server.seen, []);
  });
});

/** The certificate a server presents, read without verifying it. */
function peerCertificate(port: number): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate());
      socket.destroy();
    });
    socket.on('error', reject);
  });
}
