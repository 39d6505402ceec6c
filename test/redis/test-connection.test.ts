import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { runTestConnection, type TestConnectionReport } from 'tessera/redis';
import { createPki, PFX_PASSWORD, type Pki } from '../support/pki.ts';
import {
  freePort,
  type RedisCluster,
  type RedisServer,
  startRedisCluster,
  startRedisServer,
  waitForReplication,
} from '../support/redis-server.ts';
import { startVersionRewritingProxy } from '../support/version-proxy.ts';

const REDIS_PASSWORD = 'redis "pass", with comma';
const ACL_PASSWORD = 'acl-secret-42';
const DOCUMENTED_ACL_RULES = [
  ...['~*', '&*', '+@read', '+@write', '+@keyspace', '+@scripting', '+@pubsub', '+@connection'],
  ...['+info', '+role', '+cluster|info', '+cluster|nodes', '+cluster|slots', '+cluster|shards'],
];

let pki: Pki;
let secure: RedisServer;
const stops: Array<() => Promise<unknown>> = [];

/** The variables of a correctly set up front-end: legacy RC2-40 PFX with a password, DER issuer. */
function goodEnv(): Record<string, string> {
  return {
    SERedis_ClientCertPfxPath: pki.pfx.rc2,
    SERedis_ClientCertPassword: PFX_PASSWORD,
    SERedis_IssuerCertPath: pki.issuerDer,
  };
}

function tlsServer(cert: { chain: string; key: string }, extra: Parameters<typeof startRedisServer>[0] = {}) {
  return startRedisServer({
    tls: { cert: cert.chain, key: cert.key, caCert: pki.issuerBundle },
    ...extra,
  }).then((server) => {
    stops.push(() => server.stop());
    return server;
  });
}

function failure(report: TestConnectionReport) {
  const failed = report.checks.find((check) => !check.ok);
  assert.ok(failed, `expected a failing check, got ${JSON.stringify(report.checks, null, 2)}`);
  return failed;
}

function assertNoSecret(report: TestConnectionReport) {
  const text = JSON.stringify(report);
  for (const secret of [PFX_PASSWORD, REDIS_PASSWORD, ACL_PASSWORD]) {
    assert.ok(!text.includes(secret), `the report contains a secret: ${text}`);
  }
}

before(async () => {
  pki = await createPki();
  secure = await tlsServer(pki.server, {
    requirepass: REDIS_PASSWORD,
    // The rules docs/redis-tls.md ("ACL user") gives operators.
    aclUsers: [{ name: 'sessions', password: ACL_PASSWORD, rules: DOCUMENTED_ACL_RULES }],
  });
});

after(async () => {
  await Promise.allSettled(stops.map((stop) => stop()));
});

describe('Test Connection on a good setup', () => {
  it('passes every check on a mutual-TLS server with a legacy RC2-40 PFX and a DER issuer file', async () => {
    const report = await runTestConnection(
      `127.0.0.1:${secure.tlsPort},password="${REDIS_PASSWORD.replaceAll('"', '""')}",ssl=true,sslHost=redis.test`,
      { env: goodEnv() },
    );
    assert.equal(report.ok, true, JSON.stringify(report.checks, null, 2));
    assert.equal(report.problem, null);
    const names = report.checks.map((check) => check.name);
    assert.deepEqual(names, [
      'connection string',
      'certificate material',
      'name resolution',
      'TCP',
      'TLS handshake',
      'client certificate accepted',
      'authentication',
      'PING',
      'server version',
      'role',
      'write, read, expire, delete',
      'latency',
      'topology',
    ]);
    assert.match(report.checks.find((c) => c.name === 'TLS handshake')!.detail, /TLSv1\.[23].*redis\.test/);
    assert.match(report.checks.find((c) => c.name === 'latency')!.detail, /p50 [\d.]+ ms, p99 [\d.]+ ms/);
    assertNoSecret(report);
  });

  it('lists options accepted with no effect here in a note on its first line, and passes', async () => {
    const report = await runTestConnection(
      `127.0.0.1:${secure.tlsPort},user=sessions,password=${ACL_PASSWORD},ssl=true,sslHost=redis.test,version=7.0,setlib=false`,
      { env: goodEnv() },
    );
    assert.equal(report.ok, true, JSON.stringify(report.checks, null, 2));
    const [first] = report.checks;
    assert.equal(first?.name, 'connection string');
    assert.equal(first?.ok, true);
    assert.match(
      first?.detail ?? '',
      /,version=7\.0,setlib=false; note: accepted, no effect here: version=7\.0 \(.+\); setlib=false \(.+\)$/,
    );
    assertNoSecret(report);
  });

  it('authenticates an ACL user', async () => {
    const report = await runTestConnection(
      `localhost:${secure.tlsPort},user=sessions,password=${ACL_PASSWORD},ssl=true`,
      { env: goodEnv() },
    );
    assert.equal(report.ok, true, JSON.stringify(report.checks, null, 2));
    assertNoSecret(report);
  });

  it('leaves no test key behind', async () => {
    const keys = await secure.cli('KEYS', '__tessera:*');
    assert.equal(keys.trim(), '');
  });

  it('finds the one primary among several hosts, and checks the replica too', async () => {
    const primary = await tlsServer(pki.server);
    const replica = await tlsServer(pki.server, { replicaOf: primary });
    await waitForReplication(replica);
    const report = await runTestConnection(
      `127.0.0.1:${replica.tlsPort},127.0.0.1:${primary.tlsPort},ssl=true,sslHost=redis.test`,
      {
        env: goodEnv(),
      },
    );
    assert.equal(report.ok, true, JSON.stringify(report.checks, null, 2));
    assert.match(
      report.checks.find((c) => c.host?.endsWith(`:${replica.tlsPort}`) && c.name === 'role')!.detail,
      /replica of/,
    );
    assert.match(report.checks.at(-1)!.detail, /primary among 2 hosts/);
  });

  it('serves a three-primary TLS cluster and finds all slots covered', async () => {
    const cluster: RedisCluster = await startRedisCluster({
      tls: { cert: pki.server.chain, key: pki.server.key, caCert: pki.issuerBundle },
    });
    stops.push(() => cluster.stop());
    const hosts = cluster.nodes.map((node) => `127.0.0.1:${node.tlsPort}`).join(',');
    const report = await runTestConnection(`${hosts},ssl=true`, { env: goodEnv() });
    assert.equal(report.ok, true, JSON.stringify(report.checks, null, 2));
    assert.equal(report.checks.filter((c) => c.name === 'cluster state').length, 3);
    assert.match(report.checks.at(-1)!.detail, /Redis Cluster/);
  });
});

describe('Test Connection diagnoses', () => {
  const run = (connectionString: string, env: Record<string, string> = goodEnv()) =>
    runTestConnection(connectionString, { env });

  it('a missing client PFX variable while SSL is on (bad input)', async () => {
    const report = await run(`127.0.0.1:${secure.tlsPort},ssl=true`, {
      SERedis_IssuerCertPath: pki.issuerPem,
    });
    assert.equal(report.failure, 'input');
    assert.match(failure(report).detail, /SERedis_ClientCertPfxPath/);
  });

  it('a PFX file that does not exist', async () => {
    const report = await run(`127.0.0.1:${secure.tlsPort},ssl=true`, {
      ...goodEnv(),
      SERedis_ClientCertPfxPath: '/nonexistent/client.pfx',
    });
    assert.equal(report.failure, 'input');
    assert.match(failure(report).detail, /\/nonexistent\/client\.pfx/);
  });

  it('a wrong PFX password, without printing it', async () => {
    const report = await run(`127.0.0.1:${secure.tlsPort},ssl=true`, {
      ...goodEnv(),
      SERedis_ClientCertPassword: 'not-the-password',
    });
    assert.equal(report.failure, 'input');
    assert.match(failure(report).detail, /SERedis_ClientCertPassword/);
    assert.ok(!JSON.stringify(report).includes('not-the-password'));
  });

  it('a PFX without a private key', async () => {
    const report = await run(`127.0.0.1:${secure.tlsPort},ssl=true`, {
      ...goodEnv(),
      SERedis_ClientCertPfxPath: pki.pfx.noKey,
    });
    assert.equal(report.failure, 'input');
    assert.match(failure(report).detail, /private key/);
  });

  it('invalid storage flags', async () => {
    const report = await run(`127.0.0.1:${secure.tlsPort},ssl=true`, {
      ...goodEnv(),
      SERedis_ClientCertStorageFlags: '64',
    });
    assert.equal(report.failure, 'input');
    assert.match(failure(report).detail, /SERedis_ClientCertStorageFlags/);
  });

  it('a malformed connection string (bad input)', async () => {
    const report = await run('redis1:notaport,ssl=true');
    assert.equal(report.failure, 'input');
    assert.equal(failure(report).name, 'connection string');
  });

  it('a server certificate from an issuer that is not trusted, naming SERedis_IssuerCertPath', async () => {
    const otherCa = await tlsServer(pki.serverOtherCa);
    const report = await run(`127.0.0.1:${otherCa.tlsPort},ssl=true`);
    const failed = failure(report);
    assert.equal(failed.name, 'TLS handshake');
    assert.equal(failed.code, 'TESSERA_REDIS_TLS_UNTRUSTED');
    assert.match(failed.detail, /SERedis_IssuerCertPath/);
  });

  it('a name mismatch, listing the names the certificate offers and the SSL Host', async () => {
    const report = await run(`127.0.0.1:${secure.tlsPort},password=x,ssl=true,sslHost=redis.example.com`);
    const failed = failure(report);
    assert.equal(failed.code, 'TESSERA_REDIS_TLS_NAME_MISMATCH');
    assert.match(failed.detail, /SSL Host "redis\.example\.com"/);
    assert.match(failed.detail, /"redis\.test"/);
  });

  it('a name mismatch when the SSL Host is empty and the host name is not in the certificate', async () => {
    const wrongName = await tlsServer(pki.serverWrongName);
    const report = await run(`localhost:${wrongName.tlsPort},ssl=true`);
    const failed = failure(report);
    assert.equal(failed.code, 'TESSERA_REDIS_TLS_NAME_MISMATCH');
    assert.match(failed.detail, /"wrong\.example"/);
    assert.match(failed.detail, /SSL Host is empty/);
  });

  it('an expired server certificate', async () => {
    const expired = await tlsServer(pki.serverExpired);
    const failed = failure(await run(`127.0.0.1:${expired.tlsPort},ssl=true`));
    assert.equal(failed.code, 'TESSERA_REDIS_TLS_SERVER_CERT_EXPIRED');
  });

  it('a server certificate that is not valid yet', async () => {
    const early = await tlsServer(pki.serverNotYetValid);
    const failed = failure(await run(`127.0.0.1:${early.tlsPort},ssl=true`));
    assert.equal(failed.code, 'TESSERA_REDIS_TLS_SERVER_CERT_NOT_YET_VALID');
  });

  it('a server certificate whose usage is client authentication only', async () => {
    const clientOnly = await tlsServer(pki.serverClientAuthOnly);
    const failed = failure(await run(`127.0.0.1:${clientOnly.tlsPort},ssl=true`));
    assert.equal(failed.code, 'TESSERA_REDIS_TLS_SERVER_USAGE');
  });

  it('a client certificate the server refuses', async () => {
    const report = await run(`127.0.0.1:${secure.tlsPort},ssl=true,sslHost=redis.test`, {
      ...goodEnv(),
      SERedis_ClientCertPfxPath: pki.pfx.otherCa,
    });
    const failed = failure(report);
    assert.equal(failed.name, 'client certificate accepted');
    assert.equal(failed.code, 'TESSERA_REDIS_TLS_CLIENT_CERT_REJECTED');
    assert.match(failed.detail, /SERedis_ClientCertPfxPath/);
  });

  it('SSL on against a plain port', async () => {
    const plain = await startRedisServer();
    stops.push(() => plain.stop());
    const failed = failure(await run(`127.0.0.1:${plain.port},ssl=true`));
    assert.equal(failed.code, 'TESSERA_REDIS_TLS_NOT_ENABLED');
    assert.match(failed.detail, /tls-port/);
  });

  it('SSL off against a TLS port', async () => {
    const failed = failure(await run(`127.0.0.1:${secure.tlsPort}`));
    assert.equal(failed.code, 'TESSERA_REDIS_TLS_REQUIRED');
    assert.match(failed.detail, /ssl=true/);
  });

  it('a wrong password, without printing it', async () => {
    const report = await run(
      `127.0.0.1:${secure.tlsPort},password=wrong-pass-123,ssl=true,sslHost=redis.test`,
    );
    const failed = failure(report);
    assert.equal(failed.name, 'authentication');
    assert.equal(failed.code, 'TESSERA_REDIS_AUTH');
    assert.ok(!JSON.stringify(report).includes('wrong-pass-123'));
  });

  it('a wrong ACL user', async () => {
    const failed = failure(
      await run(
        `127.0.0.1:${secure.tlsPort},user=nobody,password=${ACL_PASSWORD},ssl=true,sslHost=redis.test`,
      ),
    );
    assert.equal(failed.code, 'TESSERA_REDIS_AUTH');
    assert.match(failed.detail, /"nobody"/);
  });

  it('a missing password', async () => {
    const failed = failure(await run(`127.0.0.1:${secure.tlsPort},ssl=true,sslHost=redis.test`));
    assert.equal(failed.code, 'TESSERA_REDIS_AUTH');
    assert.match(failed.detail, /password=/);
  });

  it('a Redis older than 6', async () => {
    // No Redis 5 binary is available here: a real Redis 7 behind a proxy that
    // rewrites the version INFO reports is the closest real server.
    const plain = await startRedisServer();
    stops.push(() => plain.stop());
    const proxy = await startVersionRewritingProxy(plain.port, '5.0.14');
    stops.push(() => proxy.close());
    const failed = failure(await run(`127.0.0.1:${proxy.port}`));
    assert.equal(failed.code, 'TESSERA_REDIS_VERSION');
    assert.match(failed.detail, /Redis 5\.0\.14.*6 or newer/);
  });

  it('a host where nothing listens', async () => {
    const port = await freePort();
    const failed = failure(await run(`127.0.0.1:${port},ssl=true`));
    assert.equal(failed.name, 'TCP');
    assert.equal(failed.code, 'TESSERA_REDIS_UNREACHABLE');
  });

  it('a host that does not answer within the connect timeout', async () => {
    const silent: Server = createServer(() => undefined).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    stops.push(async () => {
      silent.close();
      for (const socket of sockets) socket.destroy();
    });
    const sockets: import('node:net').Socket[] = [];
    silent.on('connection', (socket) => sockets.push(socket));
    const port = (silent.address() as { port: number }).port;
    const failed = failure(await run(`127.0.0.1:${port},ssl=true,connectTimeout=300`));
    assert.equal(failed.code, 'TESSERA_REDIS_TIMEOUT');
    assert.match(failed.detail, /300 ms/);
  });

  it('a host name that does not resolve', async () => {
    const failed = failure(await run('no-such-host.invalid:6380,ssl=true'));
    assert.equal(failed.name, 'name resolution');
    assert.equal(failed.code, 'TESSERA_REDIS_DNS');
  });

  it('several primaries in one host list', async () => {
    const one = await tlsServer(pki.server);
    const two = await tlsServer(pki.server);
    const failed = failure(await run(`127.0.0.1:${one.tlsPort},127.0.0.1:${two.tlsPort},ssl=true`));
    assert.equal(failed.name, 'topology');
    assert.equal(failed.code, 'TESSERA_REDIS_SEVERAL_PRIMARIES');
  });

  it('a host list with no primary', async () => {
    const primary = await tlsServer(pki.server);
    const replica = await tlsServer(pki.server, { replicaOf: primary });
    const failed = failure(await run(`127.0.0.1:${replica.tlsPort},ssl=true`));
    assert.equal(failed.code, 'TESSERA_REDIS_NO_PRIMARY');
  });
});
