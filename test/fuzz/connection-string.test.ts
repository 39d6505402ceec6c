/**
 * The connection string parser under seeded random and mutated input: it never
 * crashes, throws only typed errors with bounded messages, writes back what it reads,
 * and never shows a password, in a message or in the redacted form.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatConnectionString,
  OPTIONS,
  parseConnectionString,
  type RedisConnectionSettings,
  redactConnectionString,
} from '../../src/redis/connection-string.ts';
import { assertTypedError, type FuzzRandom, fuzz, fuzzString, mutate } from '../support/fuzz.ts';

/** The password of every generated string: a valid host name too, so that nothing but its place marks it. */
const SECRET = 'S3cr3t-Pw9';

const SEEDS = [
  `redis1.example.com:6380,redis2.example.com:6380,password=${SECRET},ssl=true,sslHost=redis.example.com`,
  `contoso5.redis.cache.windows.net:6380,password=${SECRET},ssl=True,abortConnect=False`,
  `redis.example.com:6380,ssl=true,password=${SECRET},asyncTimeout=5000,tiebreaker=,configChannel=,version=7.0,setlib=false`,
  `[::1]:7000,10.0.0.1,user=app,password="${SECRET},x""y",name=frontend-1,sslProtocols=tls12|tls13`,
  `sentinel1,sentinel2:26380,serviceName=mymaster,password=${SECRET},keepAlive=-1,connectRetry=0`,
  `redis,password=${SECRET},checkCertificateRevocation=false,proxy=None,protocol=resp3,resolveDns=true`,
  `redis,password=${SECRET},writeBuffer=8192,responseTimeout=1,preserveAsyncOrder=false,defaultDatabase=15`,
];

const KEYS = [
  ...OPTIONS.map((spec) => spec.key),
  '$CONFIG',
  'pwd',
  'Password',
  'secret',
  'token',
  'sslhots',
  'db',
];
const VALUES = [
  'true',
  'false',
  '0',
  '-1',
  '6380',
  '5000',
  '',
  'tls12',
  'redis.example.com',
  'None',
  '7.0',
  '""',
];
const ENDPOINTS = ['redis', 'redis:6380', '[::1]', '[::1]:6379', '10.0.0.1', 'a-b.c', 'redis:0'];
/** Parts that have leaked or bloated messages: a password written without "=", long fields. */
const TROUBLE = [
  `password:${SECRET}`,
  `Password: ${SECRET}`,
  `pwd ${SECRET}`,
  `ssl=true password=${SECRET}`,
  `redis:6380;password=${SECRET}`,
  `redis:${'9'.repeat(5000)}`,
  `${'a'.repeat(5000)}:6379`,
  `name=${'😀'.repeat(3000)}`,
  `sslProtocols=${'tls1'.repeat(2000)}`,
  `[${'b'.repeat(5000)}]`,
];

/** A string built from parts that are mostly close to valid, so that many parse and round-trip. */
function assembled(random: FuzzRandom): string {
  const parts = [random.pick(ENDPOINTS)];
  const count = random.int(8);
  for (let i = 0; i < count; i++) {
    if (random.chance(0.1)) parts.push(random.pick(TROUBLE));
    else if (random.chance(0.2)) parts.push(random.pick(ENDPOINTS));
    else if (random.chance(0.15)) parts.push(`password=${random.chance(0.5) ? `"${SECRET},a"` : SECRET}`);
    else {
      const value = random.chance(0.8) ? random.pick(VALUES) : fuzzString(random, 12);
      parts.push(`${random.pick(KEYS)}${random.chance(0.1) ? ' ' : ''}=${value}`);
    }
  }
  for (let i = parts.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [parts[i], parts[j]] = [parts[j]!, parts[i]!];
  }
  return parts.join(random.chance(0.9) ? ',' : ', ');
}

function generate(random: FuzzRandom): string {
  const choice = random.int(3);
  if (choice === 0) return fuzzString(random, 80);
  if (choice === 1) return mutate(random, random.pick(SEEDS));
  return assembled(random);
}

/** Whether the string holds the password after a word that names it, so that the parser can know it is one. */
const holdsSecret = (text: string) => new RegExp(`(password|pwd)[=: ]+"?${SECRET}`, 'i').test(text);

function check(text: string): void {
  let settings: RedisConnectionSettings;
  try {
    settings = parseConnectionString(text);
  } catch (error) {
    assertTypedError(error, holdsSecret(text) ? SECRET : undefined);
    return;
  }
  const written = formatConnectionString(settings);
  assert.deepEqual(parseConnectionString(written), settings, `${written} reads back differently`);
  assert.equal(formatConnectionString(parseConnectionString(written)), written);
  const redacted = redactConnectionString(settings);
  if (settings.password?.includes(SECRET)) {
    assert.equal(redacted.includes(SECRET), false, `the redacted form shows the password: ${redacted}`);
  }
  assert.equal(parseConnectionString(redacted).password === undefined, settings.password === undefined);
}

describe('fuzzing the connection string parser', () => {
  it('reads random, mutated and assembled strings without a crash, an untyped error or a shown password', async () => {
    let parsed = 0;
    await fuzz('connection string', generate, (text) => {
      check(text);
      try {
        parseConnectionString(text);
        parsed++;
      } catch {
        // Counted only: check() asserted the error.
      }
    });
    // The assembled strings must reach the round trip, not only the errors.
    assert.ok(parsed > 0, 'no generated string parsed');
  });

  it('handles every seed as written', () => {
    for (const seed of SEEDS) check(seed);
  });
});
