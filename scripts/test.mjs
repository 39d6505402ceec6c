#!/usr/bin/env node
// `npm test`: checks the system packages the tests start (redis-server with TLS,
// openssl, a PostgreSQL server on 127.0.0.1:5432, started when only stopped),
// installs the missing ones with apt-get when run as root on Debian or says
// exactly what to install, builds the package, then runs every
// `test/**/*.test.ts` file with Node's test runner.
//
//   npm test                       the whole suite
//   npm test -- test/tls           only the files under a folder (or single files)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

/** Each system requirement: how to tell it is there, and which Debian package brings it. */
const REQUIREMENTS = [
  { what: 'redis-server 6 or newer, built with TLS', debian: 'redis-server', present: redisWithTls },
  { what: 'openssl', debian: 'openssl', present: () => commandWorks('openssl', ['version']) },
  {
    what: 'PostgreSQL 13 or newer on 127.0.0.1:5432, trust authentication for user postgres (platform database tests)',
    debian: 'postgresql',
    present: postgresReady,
    start: startPostgres,
  },
  {
    what: 'Chromium (browser tests)',
    debian: 'chromium',
    present: () => commandWorks('/usr/bin/chromium', ['--version']),
  },
];

function commandWorks(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.status === 0 ? result.stdout : null;
}

function redisWithTls() {
  const version = commandWorks('redis-server', ['--version']);
  const major = Number(/v=(\d+)/.exec(version ?? '')?.[1] ?? 0);
  if (major < 6) return false;
  // Builds without TLS refuse the tls-port directive. The probe ends on a directive
  // no build knows, so the server never starts: the error names tls-port or it.
  const probe = spawnSync('redis-server', ['--port', '0', '--tls-port', '0', '--tessera-probe', '1'], {
    encoding: 'utf8',
  });
  return /tessera-probe/.test(`${probe.stdout}${probe.stderr}`);
}

/** The test server answers: psql connects as postgres over TCP without a password. */
function postgresReady() {
  const version = commandWorks('psql', [
    '-h',
    '127.0.0.1',
    '-p',
    '5432',
    '-U',
    'postgres',
    '-w',
    '-Atc',
    'show server_version_num',
  ]);
  return Number(version ?? 0) >= 130000;
}

/** Starts the installed PostgreSQL clusters that are not running (Debian's pg_ctlcluster). */
function startPostgres() {
  const clusters = commandWorks('pg_lsclusters', ['--no-header']) ?? '';
  for (const line of clusters.split('\n')) {
    const [version, cluster, , status] = line.trim().split(/\s+/);
    if (version && cluster && status !== 'online') spawnSync('pg_ctlcluster', [version, cluster, 'start']);
  }
}

function ensureSystemPackages() {
  // An installed service that is only stopped needs starting, not installing.
  for (const r of REQUIREMENTS) if (r.start && !r.present()) r.start();
  const missing = REQUIREMENTS.filter((r) => !r.present());
  if (missing.length === 0) return;
  const packages = missing.map((r) => r.debian);
  const isRoot = process.getuid?.() === 0;
  const isDebian = existsSync('/etc/debian_version');
  if (isRoot && isDebian) {
    console.log(
      `Installing ${packages.join(' ')} with apt-get (needed: ${missing.map((r) => r.what).join('; ')})`,
    );
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    for (const r of missing) r.start?.();
    const still = REQUIREMENTS.filter((r) => !r.present());
    if (still.length === 0) return;
    missing.splice(0, missing.length, ...still);
  }
  console.error('The tests need these system packages, which are missing:');
  for (const r of missing) console.error(`  - ${r.what} (Debian/Ubuntu package: ${r.debian})`);
  console.error(
    `Install them, e.g. \`sudo apt-get install -y ${packages.join(' ')}\`, or run \`npm test\` as root on Debian to install them automatically.`,
  );
  if (missing.some((r) => r.debian === 'postgresql'))
    console.error(
      'PostgreSQL must listen on 127.0.0.1:5432 and let user postgres in without a password: in pg_hba.conf, `host all postgres 127.0.0.1/32 trust` (tests only), then `pg_ctlcluster <version> main restart`.',
    );
  process.exit(1);
}

function testFiles(paths) {
  const files = [];
  const walk = (path) => {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) walk(join(path, entry));
    } else if (path.endsWith('.test.ts')) {
      files.push(path);
    }
  };
  for (const path of paths) walk(resolve(root, path));
  return files;
}

ensureSystemPackages();
execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
const args = process.argv.slice(2);
const files = testFiles(args.length > 0 ? args : ['test']);
if (files.length === 0) {
  console.error(`No test files under ${args.join(' ') || 'test'}.`);
  process.exit(1);
}
const run = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--conditions=tessera-source', '--test', '--test-concurrency=2', ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(run.status ?? 1);
