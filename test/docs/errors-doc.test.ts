import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CONFIG_ERROR_CODES } from '../../src/config/index.ts';
import { FRONTEND_ERROR_CODES } from '../../src/frontend/index.ts';
import { MODULE_ERROR_CODES } from '../../src/modules/index.ts';
import { PLATFORM_ERROR_CODES } from '../../src/platform/index.ts';
import { REDIS_ERROR_CODES } from '../../src/redis/index.ts';
import { SERVICE_CENTER_ERROR_CODES } from '../../src/servicecenter/index.ts';
import { SESSION_ERROR_CODES } from '../../src/session/index.ts';
import { TLS_ERROR_CODES } from '../../src/tls/index.ts';

const root = join(import.meta.dirname, '..', '..');

/**
 * Every layer's list of codes, with how many it holds. A code added or removed
 * changes a count here on purpose: whoever does it documents it in docs/errors.md.
 */
const LISTS = [
  ['TLS_ERROR_CODES', TLS_ERROR_CODES, 20],
  ['REDIS_ERROR_CODES', REDIS_ERROR_CODES, 24],
  ['SESSION_ERROR_CODES', SESSION_ERROR_CODES, 15],
  ['CONFIG_ERROR_CODES', CONFIG_ERROR_CODES, 16],
  ['PLATFORM_ERROR_CODES', PLATFORM_ERROR_CODES, 15],
  ['MODULE_ERROR_CODES', MODULE_ERROR_CODES, 16],
  ['FRONTEND_ERROR_CODES', FRONTEND_ERROR_CODES, 3],
  ['SERVICE_CENTER_ERROR_CODES', SERVICE_CENTER_ERROR_CODES, 11],
] as const;

const declared: readonly string[] = LISTS.flatMap(([, codes]) => codes);

/** Every code with its own heading in docs/errors.md. */
function documentedCodes(): Set<string> {
  const text = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
  return new Set([...text.matchAll(/^#+ `?(TESSERA_[A-Z0-9_]+)`?/gm)].map((match) => match[1]!));
}

describe('docs/errors.md', () => {
  it('has the number of codes each layer declares pinned here', () => {
    for (const [name, codes, count] of LISTS) assert.equal(codes.length, count, name);
  });

  it('declares each code once, in one layer', () => {
    const twice = declared.filter((code, index) => declared.indexOf(code) !== index);
    assert.deepEqual(twice, []);
  });

  it('documents every error code the code declares', () => {
    const missing = declared.filter((code) => !documentedCodes().has(code));
    assert.deepEqual(
      missing,
      [],
      'codes declared in a *_ERROR_CODES list but not documented in docs/errors.md',
    );
  });

  it('documents no code that the code does not declare', () => {
    const stale = [...documentedCodes()].filter((code) => !declared.includes(code));
    assert.deepEqual(stale, [], 'codes documented in docs/errors.md that no *_ERROR_CODES list declares');
  });
});
