/**
 * The configuration file reader under seeded mutations of valid files and random
 * bytes, read from disk through `readConfiguration` as every command reads it: it
 * never crashes, hangs or throws an untyped error, never shows the password, and
 * leaves the configuration file and the private key file byte for byte as they were.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CONFIG_VERSION,
  type ConfigLocation,
  readConfiguration,
  resolveConfigLocation,
  Secret,
  saveConfiguration,
} from '../../src/config/index.ts';
import { assertTypedError, type FuzzRandom, fuzz, fuzzString, mutate } from '../support/fuzz.ts';

/** The password of every seed, plain or encrypted. */
const SECRET = 'Fz-S3cr3t-Pw9';
/** A case that takes longer than this is a hang. */
const CASE_TIMEOUT_MS = 5000;

let folder: string;
let location: ConfigLocation;
let key: Buffer;
const seeds: string[] = [];

before(async () => {
  folder = mkdtempSync(join(tmpdir(), 'tessera-fuzz-config-'));
  location = resolveConfigLocation({ path: join(folder, 'server.json'), env: {} });
  const redis = {
    hosts: ['redis1.example.com:6380', '[::1]:6379'],
    password: new Secret(SECRET),
    user: 'sessions',
    useSsl: true,
    sslHost: 'redis.example.com',
    connectTimeoutMs: 8000,
    syncTimeoutMs: 2000,
    defaultDatabase: 2,
    connectRetry: 1,
    keepAliveSeconds: -1,
    abortConnect: false,
    allowAdmin: false,
    clientName: 'frontend-1',
    sslProtocols: 'tls12|tls13',
  };
  // A file with an encrypted password and an applied record, as Tessera writes it.
  const saved = await saveConfiguration(await readConfiguration(location), {
    version: CONFIG_VERSION,
    session: { provider: 'redis', redis },
    applied: {
      revision: 3,
      at: '2025-06-02T09:14:03.512Z',
      provider: 'redis',
      providerBefore: 'memory',
      settingsHash: 'hmac-sha256:00',
      serviceCenterStep: 'republish',
    },
  });
  assert.equal(saved.configuration.session.redis?.password?.reveal(), SECRET);
  seeds.push(readFileSync(location.path, 'utf8'));
  key = readFileSync(location.privateKeyPath);
  seeds.push(
    JSON.stringify({ version: 1, session: { provider: 'memory' } }),
    JSON.stringify(
      {
        version: 1,
        session: { provider: 'redis', redis: { hosts: ['h:6380'], password: SECRET, useSsl: true } },
      },
      null,
      2,
    ),
    `\ufeff{"version": 1, "session": {"provider": "database", "redis": {"hosts": ["a:1", "b:2"], "password": {"$encrypted": "v1:000000000000:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA:AA"}}}}`,
  );
});

after(() => {
  if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
});

/** What one case writes: a seed with an odd field, a mutated seed (most cases), text, or raw bytes. */
function generate(random: FuzzRandom): Buffer {
  const roll = random.next();
  if (roll < 0.1) {
    // A field of a random name (of up to 100,000 characters now and then) where fields go.
    const file = JSON.parse(random.pick(seeds.slice(0, 3)));
    const parent = random.pick([file, file.session, file.session.redis ?? file.session]);
    parent[fuzzString(random, 80)] = random.pick([1, 'x', SECRET, null, {}]);
    return Buffer.from(JSON.stringify(file), 'utf8');
  }
  if (roll < 0.8) {
    let text = random.pick(seeds);
    const rounds = 1 + random.int(3);
    for (let i = 0; i < rounds; i += 1) text = mutate(random, text);
    return Buffer.from(text, 'utf8');
  }
  if (roll < 0.9) return Buffer.from(fuzzString(random, 400), 'utf8');
  const bytes = Buffer.alloc(random.int(2000));
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = random.int(256);
  return bytes;
}

/** Runs `promise`, failing when it takes more than CASE_TIMEOUT_MS. */
async function bounded<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer after ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the file as it is on disk; asserts what every outcome must satisfy. */
async function readAndCheck(bytes: Buffer, keyBytes: Buffer): Promise<void> {
  writeFileSync(location.path, bytes);
  writeFileSync(location.privateKeyPath, keyBytes);
  try {
    const loaded = await bounded(readConfiguration(location));
    assert.ok(!JSON.stringify(loaded).includes(SECRET), 'the loaded configuration shows the password');
  } catch (error) {
    assertTypedError(error, SECRET);
    assert.ok(!String((error as Error).stack).includes(SECRET), 'the stack shows the password');
  }
  assert.deepEqual(readFileSync(location.path), bytes, 'the configuration file changed');
  assert.deepEqual(readFileSync(location.privateKeyPath), keyBytes, 'the private key file changed');
  assert.deepEqual(readdirSync(folder).sort(), ['private.key', 'server.json'], 'a file was left behind');
}

describe('fuzzing the configuration file reader', () => {
  it('reads mutated files and random bytes without a crash, a hang, an untyped error or the password', async () => {
    await fuzz('config file', generate, (bytes) => readAndCheck(bytes, key));
  });

  it('reads the seed with a mutated private key file without a crash, a hang or the password', async () => {
    const encrypted = Buffer.from(seeds[0]!, 'utf8');
    const base64 = key.toString('base64');
    await fuzz(
      'private key file',
      (random) => {
        const roll = random.next();
        if (roll < 0.5) return Buffer.from(mutate(random, base64), 'latin1');
        const bytes = Buffer.from(key);
        const flips = random.int(3);
        for (let i = 0; i < flips; i += 1) bytes[random.int(bytes.length)] = random.int(256);
        return roll < 0.8 ? bytes : bytes.subarray(0, random.int(bytes.length + 1));
      },
      (keyBytes) => readAndCheck(encrypted, keyBytes),
    );
  });
});
