import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readBoundedFile } from '../../src/config/bounded-file.ts';
import { freshFolder } from './helpers.ts';

const ROLE = { label: 'The test file', fix: 'Fix it.' };

describe('reading a file within bounds', () => {
  it('reads a file to its end when its size is stale (a /proc file says 0 bytes)', async () => {
    const read = await readBoundedFile('/proc/self/status', 1024 * 1024, ROLE);
    assert.ok(read);
    assert.match(read.bytes.toString('utf8'), /^Name:/);
    assert.ok(read.bytes.length > 100);
    await assert.rejects(readBoundedFile('/proc/self/status', 10, ROLE), {
      code: 'TESSERA_CONFIG_TOO_LARGE',
      message:
        /The test file \/proc\/self\/status is more than 10 bytes; Tessera reads at most 10 bytes from it\. Fix it\./,
    });
  });

  it('reads a regular file of exactly the limit, and returns null for a missing one', async () => {
    const path = join(freshFolder(), 'f');
    writeFileSync(path, Buffer.alloc(5000, 1));
    assert.deepEqual((await readBoundedFile(path, 5000, ROLE))?.bytes, readFileSync(path));
    await assert.rejects(readBoundedFile(path, 4999, ROLE), { code: 'TESSERA_CONFIG_TOO_LARGE' });
    assert.equal(await readBoundedFile(`${path}.missing`, 10, ROLE), null);
  });
});
