/**
 * SQLite, several platform databases open on one file in one process (a front-end's
 * Service Center and its Database session store): a transaction held across an
 * `await` on one must not lock out the writes of the other. better-sqlite3 waits for a
 * file lock synchronously, so two connections in one process would wait for each
 * other on one thread until the busy timeout.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { sql } from 'kysely';
import { PlatformDatabase } from '../../src/platform/index.ts';
import { createSqliteFile } from '../support/sqlite-file.ts';

describe('platform database: SQLite opened twice in one process', () => {
  let file: Awaited<ReturnType<typeof createSqliteFile>>;
  beforeEach(async () => {
    file = await createSqliteFile();
  });
  afterEach(async () => {
    await file?.remove();
  });

  it('lets one write while the other holds a transaction across an await, with no busy timeout', async () => {
    // A short busy timeout: were the two on separate connections, the write would fail fast.
    const serviceCenter = await PlatformDatabase.open(file.url, { busyTimeoutMs: 200 });
    const sessionStore = await PlatformDatabase.open(file.url, { busyTimeoutMs: 200 });
    try {
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => {
        entered = resolve;
      });
      let finish!: () => void;
      const gate = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const order: string[] = [];
      const transaction = serviceCenter.db.transaction().execute(async (trx) => {
        await sql`insert into solutions (name, created_at_ms) values ('held', 1)`.execute(trx);
        entered();
        await gate;
        await sql`update solutions set created_at_ms = 2 where name = 'held'`.execute(trx);
        order.push('transaction committed');
      });
      await inside;
      const write = sql`insert into solutions (name, created_at_ms) values ('other', 3)`
        .execute(sessionStore.db)
        .then(() => {
          order.push('other write');
        });
      setImmediate(finish);
      await Promise.all([transaction, write]);
      assert.deepEqual(order, ['transaction committed', 'other write']);
      const rows = await sql<{ name: string; created_at_ms: number }>`
        select name, created_at_ms from solutions order by name`.execute(sessionStore.db);
      assert.deepEqual(
        rows.rows.map((row) => [row.name, row.created_at_ms]),
        [
          ['held', 2],
          ['other', 3],
        ],
      );
    } finally {
      await serviceCenter.close();
      await sessionStore.close();
    }
  });

  it('keeps the file open for the others when one closes, and opens it again after the last', async () => {
    const first = await PlatformDatabase.open(file.url);
    const second = await PlatformDatabase.open(file.url);
    await first.close();
    await first.close();
    await second.users.createUser('still', 'a long enough password', 'viewer');
    await second.close();
    const again = await PlatformDatabase.open(file.url);
    try {
      assert.equal((await again.users.findUser('still'))?.name, 'still');
    } finally {
      await again.close();
    }
  });
});
