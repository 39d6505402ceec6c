/**
 * A farm of two front-end server processes sharing sessions in the platform
 * database: over PostgreSQL (a farm of machines) and over one SQLite file (several
 * front-end processes on one machine). The same guarantees as over Redis: one
 * session whichever front-end answers, no lost update between concurrent requests
 * on different front-ends, and abandon that stays abandoned.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase } from '../support/postgres.ts';
import { createSqliteFile } from '../support/sqlite-file.ts';
import { FarmClient, type FarmReply, type Frontend, NO_REDIS, startFrontend } from './frontend-process.ts';

/** Every one of the 100 concurrent requests a front-end receives may wait for the lock there (see farm.test.ts). */
const MAX_WAITERS = 100;

const DATABASES = [
  {
    name: 'PostgreSQL',
    async start() {
      const database = await createTestDatabase();
      return { url: database.url, stop: () => database.drop() };
    },
  },
  {
    name: 'one SQLite file',
    async start() {
      const file = await createSqliteFile();
      return { url: file.url, stop: () => file.remove() };
    },
  },
];

for (const database of DATABASES) {
  describe(`a farm of two front-end processes sharing sessions in ${database.name}`, () => {
    let a: Frontend;
    let b: Frontend;
    const stops: (() => Promise<void>)[] = [];

    before(async () => {
      const target = await database.start();
      stops.push(() => target.stop());
      const env = { FARM_DATABASE_URL: target.url, FARM_MAX_WAITERS_PER_SESSION: String(MAX_WAITERS) };
      // One after the other: the first creates the schema (a concurrent start is the migrations test's).
      a = await startFrontend('A', NO_REDIS, env);
      stops.unshift(() => a.stop());
      b = await startFrontend('B', NO_REDIS, env);
      stops.unshift(() => b.stop());
    });
    after(async () => {
      for (const stop of stops) await stop().catch(() => {});
    });

    it('shows a client alternating between the front-ends one session', async () => {
      const client = new FarmClient();
      const replies: FarmReply[] = [];
      for (let i = 0; i < 10; i++) replies.push(await client.get(i % 2 === 0 ? a : b, '/incr?item=visits'));
      assert.deepEqual(
        replies.map((reply) => [reply.status, reply.json.server, reply.json.value]),
        Array.from({ length: 10 }, (_, i) => [200, i % 2 === 0 ? 'A' : 'B', i + 1]),
      );
      assert.equal(new Set(replies.map((reply) => reply.json.id)).size, 1, 'one session id');
    });

    it('ends 200 concurrent increments of one item, split across both front-ends, at exactly 200', async (t) => {
      const client = new FarmClient();
      await client.get(a, '/incr?item=seed');
      const started = performance.now();
      const replies = await Promise.all(
        Array.from({ length: 200 }, (_, i) => client.get(i % 2 === 0 ? a : b, '/incr?item=hits')),
      );
      t.diagnostic(`200 concurrent increments in ${Math.round(performance.now() - started)} ms`);
      assert.deepEqual(
        replies.filter((reply) => reply.status !== 200).map((reply) => reply.body),
        [],
      );
      assert.deepEqual(
        replies.map((reply) => reply.json.value).sort((x, y) => Number(x) - Number(y)),
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      assert.deepEqual(new Set(replies.map((reply) => reply.json.server)), new Set(['A', 'B']));
      assert.deepEqual((await client.get(b, '/state')).json.items, { seed: 1, hits: 200 });
    });

    it('keeps a session abandoned on one front-end while a slower request on the other still holds it', async () => {
      const client = new FarmClient();
      const { json } = await client.get(a, '/incr?item=logins');
      const id = json.id as string;
      const slow = client.get(a, '/hold?tag=race&item=cart&value=late');
      await a.event((e) => e.event === 'holding' && e.tag === 'race');
      const logout = await client.get(b, '/logout');
      assert.equal(logout.status, 200);
      const go = (await (await fetch(`${a.url}/go?tag=race`)).json()) as { released: boolean };
      assert.equal(go.released, true);
      assert.equal((await slow).status, 200);
      const stale = new FarmClient();
      stale.cookie = id;
      for (const frontend of [a, b]) {
        const state = await stale.get(frontend, '/state');
        assert.equal(state.json.isNew, true);
        assert.deepEqual(state.json.items, {});
      }
    });
  });
}
