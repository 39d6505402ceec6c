import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freshFolder } from '../config/helpers.ts';
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
    assert.equal((report as unknown as { code: string }).code, 'TESSERA_REDIS_AUTH');
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

describe('tessera config test-connection on a configuration file that cannot be used', () => {
  const files: Array<[string, string, string, RegExp]> = [
    [
      'a syntax error',
      '{"version": 1, "session": {"provider": "redis",}}',
      'TESSERA_CONFIG_SYNTAX',
      /line 1, column 48/,
    ],
    [
      'a field given twice',
      '{\n  "version": 1,\n  "session": {\n    "provider": "memory",\n    "provider": "redis"\n  }\n}\n',
      'TESSERA_CONFIG_DUPLICATE_FIELD',
      /the field "provider" is given twice in session \(first at line 4\), again at line 5/,
    ],
    [
      'another provider',
      '{"version": 1, "session": {"provider": "memory"}}',
      'TESSERA_CONFIG_NOT_REDIS',
      /memory/,
    ],
  ];

  for (const [what, text, code, message] of files) {
    it(`reports ${what} as every command does, and as a JSON report with --json`, async () => {
      const path = join(freshFolder(), 'server.json');
      writeFileSync(path, text);
      const plain = await tessera(['config', 'test-connection', '--config', path], variables());
      assert.equal(plain.code, 2);
      assert.ok(plain.stderr.startsWith(`error (${code}): `), plain.stderr);
      assert.match(plain.stderr, message);
      assert.ok(plain.stderr.includes(path), plain.stderr);

      const json = await tessera(['config', 'test-connection', '--config', path, '--json'], variables());
      assert.equal(json.code, 2);
      assert.equal(json.stderr, '');
      const report = JSON.parse(json.stdout);
      assert.deepEqual(Object.keys(report), ['ok', 'checks', 'problem', 'code']);
      assert.equal(report.ok, false);
      assert.deepEqual(report.checks, []);
      assert.equal(report.code, code);
      assert.match(report.problem, message);
      assert.equal(readFileSync(path, 'utf8'), text);
    });
  }
});
