/**
 * A seeded, bounded fuzzer for the inputs Tessera reads (connection strings,
 * configuration files, cookies, the UI's API bodies).
 *
 * Every run is reproducible: the seed is printed on failure and can be set with
 * TESSERA_FUZZ_SEED. CI runs TESSERA_FUZZ_ITERATIONS (default 300) cases per
 * target; `npm run fuzz` runs many more.
 */
import assert from 'node:assert/strict';

export const FUZZ_ITERATIONS = Number(process.env.TESSERA_FUZZ_ITERATIONS ?? 300);
export const FUZZ_SEED = Number(process.env.TESSERA_FUZZ_SEED ?? 0x7e55e4a);

/** A small, fast PRNG (mulberry32): the same seed gives the same cases everywhere. */
export class FuzzRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }
}

/** Characters that tend to break parsers: separators, quotes, escapes, controls, non-BMP. */
const NASTY = [
  ',',
  '=',
  '"',
  "'",
  '\\',
  ':',
  ';',
  '[',
  ']',
  '{',
  '}',
  ' ',
  '\t',
  '\n',
  '\r',
  '\0',
  '\u001b',
  '%',
  '/',
  '.',
  '-',
  '0',
  '9',
  'é',
  '\u200b',
  '\u2028',
  '😀',
  '\ud800',
  '\udfff',
  '\uffff',
] as const;

/** A random string: printable ASCII mixed with the characters above, up to `maxLength`. */
export function fuzzString(random: FuzzRandom, maxLength = 40): string {
  const length = random.chance(0.02) ? 1000 + random.int(100_000) : random.int(maxLength + 1);
  let text = '';
  for (let i = 0; i < length; i++) {
    text += random.chance(0.3) ? random.pick(NASTY) : String.fromCharCode(32 + random.int(95));
  }
  return text;
}

/** `seed` changed in a few places: characters inserted, deleted, replaced or repeated. */
export function mutate(random: FuzzRandom, seed: string): string {
  let text = seed;
  const edits = 1 + random.int(4);
  for (let i = 0; i < edits; i++) {
    const at = random.int(text.length + 1);
    switch (random.int(4)) {
      case 0:
        text = text.slice(0, at) + fuzzString(random, 6) + text.slice(at);
        break;
      case 1:
        text = text.slice(0, at) + text.slice(at + 1 + random.int(5));
        break;
      case 2:
        text = text.slice(0, at) + random.pick(NASTY) + text.slice(at + 1);
        break;
      default:
        text = text.slice(0, at) + text.slice(at, at + 8).repeat(1 + random.int(20)) + text.slice(at);
    }
  }
  return text;
}

/**
 * Runs `body` on FUZZ_ITERATIONS generated cases. A failure names the seed and the
 * case's index, so that `TESSERA_FUZZ_SEED=<seed>` reproduces it.
 */
export async function fuzz<T>(
  name: string,
  generate: (random: FuzzRandom) => T,
  body: (input: T) => void | Promise<void>,
): Promise<void> {
  const random = new FuzzRandom(FUZZ_SEED);
  for (let i = 0; i < FUZZ_ITERATIONS; i++) {
    const input = generate(random);
    try {
      await body(input);
    } catch (error) {
      const shown = JSON.stringify(input)?.slice(0, 300);
      assert.fail(
        `${name}: case ${i} failed (TESSERA_FUZZ_SEED=${FUZZ_SEED}, input ${shown}): ${(error as Error)?.stack ?? error}`,
      );
    }
  }
}

/**
 * What every fuzz target asserts of an error: it is a Tessera error with a code (not
 * a TypeError, RangeError or a bare Error), its message is bounded, and it does not
 * contain `secret`.
 */
export function assertTypedError(error: unknown, secret?: string): void {
  assert.ok(error instanceof Error, `threw a non-Error: ${String(error)}`);
  const code = (error as { code?: unknown }).code;
  assert.ok(
    typeof code === 'string' && code.startsWith('TESSERA_'),
    `untyped error ${error.name}: ${error.message}`,
  );
  assert.ok(error.message.length <= 2000, `message of ${error.message.length} characters`);
  if (secret !== undefined && secret.length >= 4) {
    assert.ok(!error.message.includes(secret), `the message quotes the secret: ${error.message}`);
  }
}
