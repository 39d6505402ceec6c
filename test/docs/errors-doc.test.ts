import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const root = join(import.meta.dirname, '..', '..');

/** Every code declared in a layer's errors.ts (the `*_ERROR_CODES` lists). */
function declaredCodes(): Set<string> {
  const codes = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name === 'errors.ts') {
        for (const match of readFileSync(path, 'utf8').matchAll(/'(TESSERA_[A-Z0-9_]+)'/g))
          codes.add(match[1]!);
      }
    }
  };
  walk(join(root, 'src'));
  return codes;
}

/** Every code with its own heading in docs/errors.md. */
function documentedCodes(): Set<string> {
  const text = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
  return new Set([...text.matchAll(/^#+ `?(TESSERA_[A-Z0-9_]+)`?/gm)].map((match) => match[1]!));
}

describe('docs/errors.md', () => {
  it('documents every error code the code declares', () => {
    const missing = [...declaredCodes()].filter((code) => !documentedCodes().has(code));
    assert.deepEqual(missing, [], 'codes declared in src/**/errors.ts but not documented in docs/errors.md');
  });

  it('documents no code that the code does not declare', () => {
    const stale = [...documentedCodes()].filter((code) => !declaredCodes().has(code));
    assert.deepEqual(stale, [], 'codes documented in docs/errors.md that no errors.ts declares');
  });
});
