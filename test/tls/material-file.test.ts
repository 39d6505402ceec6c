import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  TLS_VARIABLES,
  type TlsEnvironment,
  TlsMaterial,
  type TlsVariableName,
} from '../../src/tls/index.ts';
import { createPki, PFX_PASSWORD, type Pki } from '../support/pki.ts';
import { assertTlsError } from './assertions.ts';

let pki: Pki;
let scratch: string;
before(async () => {
  pki = await createPki();
  scratch = mkdtempSync(join(tmpdir(), 'tessera-tls-files-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Each variable that names a file, with good files for the others, so only `path` can be wrong. */
const FILE_VARIABLES: readonly { variable: TlsVariableName; env: (path: string) => TlsEnvironment }[] = [
  {
    variable: TLS_VARIABLES.pfxPath,
    env: (path) => ({ [TLS_VARIABLES.pfxPath]: path, [TLS_VARIABLES.password]: PFX_PASSWORD }),
  },
  {
    variable: TLS_VARIABLES.issuerPath,
    env: (path) => ({
      [TLS_VARIABLES.pfxPath]: pki.pfx.aes,
      [TLS_VARIABLES.password]: PFX_PASSWORD,
      [TLS_VARIABLES.issuerPath]: path,
    }),
  },
  {
    variable: TLS_VARIABLES.pemCertPath,
    env: (path) => ({ [TLS_VARIABLES.pemCertPath]: path, [TLS_VARIABLES.pemKeyPath]: pki.clientKeyPem }),
  },
  {
    variable: TLS_VARIABLES.pemKeyPath,
    env: (path) => ({ [TLS_VARIABLES.pemCertPath]: pki.clientPem, [TLS_VARIABLES.pemKeyPath]: path }),
  },
];

const noDevZero = !existsSync('/dev/zero') && 'this system has no /dev/zero';
const noMkfifo = process.platform === 'win32' && 'Windows has no FIFOs';

/** `mkfifo`: Node has no API to create a FIFO. */
function fifo(name: string): string {
  const path = join(scratch, name);
  execFileSync('mkfifo', [path]);
  return path;
}

describe('files the variables name that are not certificate files', () => {
  for (const { variable, env } of FILE_VARIABLES) {
    describe(variable, () => {
      it('refuses a character device (/dev/zero), without reading it', { skip: noDevZero }, () => {
        assertTlsError(
          () => TlsMaterial.fromEnvironment(env('/dev/zero')).secureContext(),
          'TESSERA_TLS_FILE_NOT_REGULAR',
          {
            variable,
            path: '/dev/zero',
            mentions: ['character device'],
          },
        );
      });

      it('refuses a symlink to a device, by what it points to', { skip: noDevZero }, () => {
        const link = join(scratch, `zero-${variable}`);
        symlinkSync('/dev/zero', link);
        assertTlsError(
          () => TlsMaterial.fromEnvironment(env(link)).secureContext(),
          'TESSERA_TLS_FILE_NOT_REGULAR',
          {
            variable,
            path: link,
            mentions: ['character device'],
          },
        );
      });

      it('refuses a folder', () => {
        assertTlsError(
          () => TlsMaterial.fromEnvironment(env(scratch)).secureContext(),
          'TESSERA_TLS_FILE_NOT_REGULAR',
          {
            variable,
            path: scratch,
            mentions: ['folder'],
          },
        );
      });

      it('refuses a file over 1 MiB, which no certificate, key or PFX file is', () => {
        const big = join(scratch, `big-${variable}`);
        writeFileSync(big, Buffer.alloc(1024 * 1024 + 1, 0x30));
        assertTlsError(
          () => TlsMaterial.fromEnvironment(env(big)).secureContext(),
          'TESSERA_TLS_FILE_TOO_LARGE',
          {
            variable,
            path: big,
            mentions: ['1 MiB'],
          },
        );
      });
    });
  }

  // Opening a FIFO for reading blocks the whole process until a writer comes, where no
  // test timeout can interrupt it: the loads run in a child process with a deadline.
  it('refuses a named pipe (FIFO) in every variable, without waiting for a writer', {
    skip: noMkfifo,
  }, () => {
    const cases = FILE_VARIABLES.map(({ variable, env }) => ({
      variable,
      env: env(fifo(`pipe-${variable}`)),
    }));
    const script = `
      import { TlsMaterial } from './src/tls/index.ts';
      const cases = JSON.parse(process.argv[1]);
      const outcomes = cases.map(({ env }) => {
        try { TlsMaterial.fromEnvironment(env).secureContext(); return { code: 'loaded' }; }
        catch (error) { return { code: error.code, message: error.message, variable: error.variable }; }
      });
      process.stdout.write(JSON.stringify(outcomes));`;
    const output = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=tessera-source',
        '--input-type=module',
        '-e',
        script,
        JSON.stringify(cases),
      ],
      { cwd: process.cwd(), timeout: 30_000, encoding: 'utf8' },
    );
    const outcomes = JSON.parse(output) as { code: string; message: string; variable: string }[];
    assert.deepEqual(
      outcomes.map((o) => [o.code, o.variable]),
      cases.map((c) => ['TESSERA_TLS_FILE_NOT_REGULAR', c.variable]),
    );
    for (const [i, outcome] of outcomes.entries()) {
      assert.match(outcome.message, /named pipe \(FIFO\)/);
      assert.ok(
        outcome.message.includes(
          String(Object.values(cases[i]?.env ?? {}).find((v) => String(v).includes('pipe-'))),
        ),
      );
    }
  });

  it('reads a certificate file through a symlink', () => {
    const link = join(scratch, 'client-link.pfx');
    symlinkSync(pki.pfx.aes, link);
    const report = TlsMaterial.fromEnvironment({
      [TLS_VARIABLES.pfxPath]: link,
      [TLS_VARIABLES.password]: PFX_PASSWORD,
    }).report();
    assert.equal(report.ok, true, JSON.stringify(report.problems));
  });
});

describe('paths in messages', () => {
  it('does not show a password set in SERedis_ClientCertPasswordPath, and says where a password goes', () => {
    const secret = 'Hunter2-not-a-path!';
    const m = TlsMaterial.fromEnvironment({
      [TLS_VARIABLES.pemCertPath]: pki.clientPem,
      [TLS_VARIABLES.pemKeyPath]: secret,
    });
    const error = assertTlsError(() => m.secureContext(), 'TESSERA_TLS_FILE_NOT_FOUND', {
      variable: TLS_VARIABLES.pemKeyPath,
      mentions: ['19 characters', 'does not look like a path', TLS_VARIABLES.password],
    });
    assert.ok(!error.message.includes(secret), error.message);
    assert.ok(!JSON.stringify(m.report()).includes(secret), 'the report does not show it either');
  });

  it('does not show it either when the certificate variable is missing', () => {
    const secret = 'Hunter2-not-a-path!';
    const error = assertTlsError(
      () => TlsMaterial.fromEnvironment({ [TLS_VARIABLES.pemKeyPath]: secret }).secureContext(),
      'TESSERA_TLS_PEM_PAIR_INCOMPLETE',
      { variable: TLS_VARIABLES.pemCertPath, mentions: [TLS_VARIABLES.password] },
    );
    assert.ok(!error.message.includes(secret), error.message);
  });

  it('bounds a very long path, and never cuts a character in half', () => {
    const long = `/srv/${'🔑'.repeat(50_000)}.pfx`;
    const error = assertTlsError(
      () => TlsMaterial.fromEnvironment({ [TLS_VARIABLES.pfxPath]: long }).secureContext(),
      'TESSERA_TLS_FILE_NOT_FOUND',
      { variable: TLS_VARIABLES.pfxPath, mentions: ['(50009 characters)'] },
    );
    assert.ok(error.message.length < 1000, `${error.message.length} characters`);
    assert.doesNotMatch(
      error.message,
      /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/,
    );
  });

  it('escapes a path that holds a line break, so it cannot forge a log line', () => {
    const path = join(scratch, 'a\nERROR forged.pfx');
    const error = assertTlsError(
      () => TlsMaterial.fromEnvironment({ [TLS_VARIABLES.pfxPath]: path }).secureContext(),
      'TESSERA_TLS_FILE_NOT_FOUND',
      { variable: TLS_VARIABLES.pfxPath },
    );
    assert.ok(!error.message.includes('\n'), error.message);
    assert.ok(error.message.includes('a\\nERROR forged.pfx'), error.message);
  });
});

describe('path values no file can have', () => {
  it('says a NUL character in the path is why no file is found', () => {
    assertTlsError(
      () =>
        TlsMaterial.fromEnvironment({ [TLS_VARIABLES.pfxPath]: '/etc/tessera/client\0.pfx' }).secureContext(),
      'TESSERA_TLS_FILE_NOT_FOUND',
      { variable: TLS_VARIABLES.pfxPath, mentions: ['NUL character', '\\u0000'] },
    );
  });
});
