import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RedisSessionStore } from 'tessera';

describe('RedisSessionStore.connect', () => {
  it('says what it received when the connection string is not a string, without quoting it', async () => {
    const cases: Array<[unknown, string]> = [
      [123, 'number'],
      [undefined, 'undefined'],
      [null, 'null'],
      [['h:6380'], 'an array'],
      [{ host: 'h', password: 'hunter2' }, 'object'],
    ];
    for (const [value, type] of cases) {
      await assert.rejects(RedisSessionStore.connect(value as string), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'TESSERA_SESSION_OPTIONS');
        assert.match(
          error.message,
          new RegExp(`takes the Redis connection string, .*; it received ${type}\\.$`),
        );
        assert.ok(!error.message.includes('hunter2'), error.message);
        return true;
      });
    }
  });

  it('still calls an empty string empty', async () => {
    await assert.rejects(RedisSessionStore.connect('  '), { code: 'TESSERA_REDIS_CONNECTION_STRING' });
  });
});
