import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPki, PFX_PASSWORD, type Pki } from '../support/pki.ts';
import { type RedisServer, startRedisServer } from '../support/redis-server.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'tessera.js');
const REDIS_PASSWORD = 'cli-redis-secret';

let pki: Pki;
let server: RedisServer;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the installed command as an operator would, with only the given SERedis_* variables. */
function tessera(args: string[], variables: Record<string, string>): Promise<Run> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('SERedis_')),
  );
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...env, ...variables } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

function variables(overrides: Record<string, string> = {}) {
  return {
    SERedis_ClientCertPfxPath: pki.pfx.tripleDes,
    SERedis_ClientCertPassword: PFX_PASSWORD,
    SERedis_IssuerCertPath: pki.issuerPem,
    ...overrides,
  };
}

function assertNoSecret(run: Run) {
  for (const secret of [PFX_PASSWORD, REDIS_PASSWORD]) {
    assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), 'a secret was printed');
  }
}

before(async () => {
  pki = await createPki();
  server = await startRedisServer({
    tls: { cert: pki.server.chain, key: pki.server.key, caCert: pki.issuerBundle },
    requirepass: REDIS_PASSWORD,
  });
});

after(async () => {
  await server?.stop();
});

describe('tessera config test-connection', () => {
  it('prints a checklist and exits 0 when every check passes', async () => {
    const run = await tessera(
      [
        'config',
        'test-connection',
        '--connection-string',
        `localhost:${server.tlsPort},password=${REDIS_PASSWORD},ssl=true`,
      ],
      variables(),
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /✔ TLS handshake/);
    assert.match(run.stdout, /✔ client certificate accepted/);
    assert.match(run.stdout, /Test Connection passed: 13 checks\./);
    assert.doesNotMatch(run.stdout, /✘/);
    assertNoSecret(run);
  });

  it('prints the fix under a failing check and exits 1', async () => {
    const run = await tessera(
      [
        'config',
        'test-connection',
        '--connection-string',
        `127.0.0.1:${server.tlsPort},password=${REDIS_PASSWORD},ssl=true,sslHost=redis.example.com`,
      ],
      variables(),
    );
    assert.equal(run.code, 1);
    assert.match(run.stdout, /✘ TLS handshake/);
    assert.match(run.stdout, /Set the SSL Host\s+\(sslHost=\)\s+to\s+one\s+of\s+those\s+names/);
    assertNoSecret(run);
  });

  it('prints JSON with --json', async () => {
    const run = await tessera(
      [
        'config',
        'test-connection',
        '--json',
        '--connection-string',
        `127.0.0.1:${server.tlsPort},password=wrong,ssl=true,sslHost=redis.test`,
      ],
      variables(),
    );
    assert.equal(run.code, 1);
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      checks: { host: string | null; name: string; ok: boolean; detail: string; ms: number }[];
      problem: string | null;
    };
    assert.equal(report.ok, false);
    assert.equal(report.checks.at(-1)?.name, 'authentication');
    assert.equal(report.problem, report.checks.at(-1)?.detail);
    for (const check of report.checks) {
      assert.deepEqual(Object.keys(check).slice(0, 5), ['host', 'name', 'ok', 'detail', 'ms']);
      assert.equal(typeof check.ms, 'number');
    }
  });

  it('exits 2 for a malformed connection string, naming the part', async () => {
    const run = await tessera(
      ['config', 'test-connection', '--connection-string', 'redis1:80x,ssl=true'],
      variables(),
    );
    assert.equal(run.code, 2);
    assert.match(run.stdout, /redis1:80x/);
  });

  it('exits 2 when SSL is on and SERedis_ClientCertPfxPath is not set', async () => {
    const run = await tessera(
      ['config', 'test-connection', '--connection-string', `127.0.0.1:${server.tlsPort},ssl=true`],
      { SERedis_IssuerCertPath: pki.issuerPem },
    );
    assert.equal(run.code, 2);
    assert.match(run.stdout, /SERedis_ClientCertPfxPath/);
  });

  it('exits 2 for a wrong PFX password without printing either password', async () => {
    const run = await tessera(
      [
        'config',
        'test-connection',
        '--connection-string',
        `127.0.0.1:${server.tlsPort},password=${REDIS_PASSWORD},ssl=true`,
      ],
      variables({ SERedis_ClientCertPassword: 'definitely-wrong' }),
    );
    assert.equal(run.code, 2);
    assert.match(run.stdout, /SERedis_ClientCertPassword does not open/);
    assert.ok(!run.stdout.includes('definitely-wrong'));
    assertNoSecret(run);
  });

  it('exits 2 for an unknown option of the command', async () => {
    const run = await tessera(['config', 'test-connection', '--conection-string', 'x'], variables());
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown option/);
  });

  it('explains itself with --help', async () => {
    const run = await tessera(['config', 'test-connection', '--help'], {});
    assert.equal(run.code, 0);
    assert.match(run.stdout, /SERedis_ClientCertPfxPath/);
    assert.match(run.stdout, /Exit codes: 0/);
  });
});
