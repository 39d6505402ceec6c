import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasErrorCode, quoteInput } from '../src/errors.ts';
import { RedisError } from '../src/redis/index.ts';

describe('quoteInput', () => {
  it('quotes short input whole, JSON-escaped', () => {
    assert.equal(quoteInput('a"b\nc'), '"a\\"b\\nc"');
  });

  it('cuts long input and gives its length', () => {
    const quoted = quoteInput('9'.repeat(100_000));
    assert.ok(quoted.length < 100, quoted);
    assert.match(quoted, /… ?"? \(100000 characters\)$/);
  });

  it('never cuts a character in half', () => {
    const quoted = quoteInput('😀'.repeat(100), 10);
    const inner = JSON.parse(quoted.slice(0, quoted.indexOf(' (')));
    assert.equal(inner, `${'😀'.repeat(9)}…`);
    assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])/.test(inner));
  });
});

describe('hasErrorCode', () => {
  it('matches on the code alone, as another copy of the package would raise it', () => {
    const foreign = Object.assign(new Error('from another copy'), { code: 'TESSERA_REDIS_TIMEOUT' });
    assert.ok(hasErrorCode(foreign, 'TESSERA_REDIS_TIMEOUT'));
    assert.ok(hasErrorCode(foreign, { prefix: 'TESSERA_REDIS_' }));
    assert.ok(!hasErrorCode(foreign, 'TESSERA_REDIS_AUTH'));
    assert.ok(!hasErrorCode(new TypeError('x'), { prefix: 'TESSERA_' }));
    assert.ok(!hasErrorCode(undefined, 'TESSERA_REDIS_TIMEOUT'));
  });

  it('gives every error class an explicit name', () => {
    assert.equal(new RedisError('TESSERA_REDIS_TIMEOUT', 'x').name, 'RedisError');
  });
});
