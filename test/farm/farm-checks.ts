/**
 * What a user of any farm must see, whatever store the front-ends share: one
 * session whichever front-end answers, no lost update between concurrent requests
 * on different front-ends, and abandon that stays abandoned. Each farm test file
 * calls this inside its `describe`, after starting its two front-ends.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { FarmClient, type FarmReply, type Frontend } from './frontend-process.ts';

export interface FarmUnderTest {
  /** The two front-ends, once the file's `before` has started them. */
  frontends(): readonly [Frontend, Frontend];
  /** Checks the store itself kept nothing of an abandoned session (`id`). */
  assertAbandonedInStore?(id: string): Promise<void>;
}

export function farmSessionChecks(farm: FarmUnderTest): void {
  it('shows a client alternating between the front-ends one session', async () => {
    const [a, b] = farm.frontends();
    const client = new FarmClient();
    const replies: FarmReply[] = [];
    for (let i = 0; i < 10; i++) replies.push(await client.get(i % 2 === 0 ? a : b, '/incr?item=visits'));
    assert.deepEqual(
      replies.map((reply) => [reply.status, reply.json.server, reply.json.value]),
      Array.from({ length: 10 }, (_, i) => [200, i % 2 === 0 ? 'A' : 'B', i + 1]),
    );
    assert.equal(new Set(replies.map((reply) => reply.json.id)).size, 1, 'one session id');
    assert.equal(replies.filter((reply) => reply.setCookies.length > 0).length, 1, 'cookie set once');
    for (const frontend of [a, b]) {
      const state = await client.get(frontend, '/state');
      assert.deepEqual(state.json.items, { visits: 10 });
      assert.equal(state.json.id, replies[0]!.json.id);
    }
  });

  it('ends 200 concurrent increments of one item, split across both front-ends, at exactly 200', async (t) => {
    const [a, b] = farm.frontends();
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
    // Each request saw the one before it: the values are 1…200, each exactly once.
    assert.deepEqual(
      replies.map((reply) => reply.json.value).sort((x, y) => Number(x) - Number(y)),
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    assert.deepEqual(new Set(replies.map((reply) => reply.json.server)), new Set(['A', 'B']));
    assert.deepEqual((await client.get(b, '/state')).json.items, { seed: 1, hits: 200 });
  });

  it("reads the other front-end's last write at once, though each keeps a copy of the session it loaded last", async () => {
    // A front-end's copy of a session saves transferring it again only when the
    // store confirms, in the load itself, that nobody saved it since: a read, locked
    // or not, never sees an older state than the last acknowledged write.
    const [a, b] = farm.frontends();
    const client = new FarmClient();
    await client.get(a, '/incr?item=n');
    assert.deepEqual((await client.get(b, '/state')).json.items, { n: 1 }, 'B now holds a copy');
    for (let i = 0; i < 3; i++) await client.get(a, '/incr?item=n');
    assert.deepEqual(
      (await client.get(b, '/state')).json.items,
      { n: 4 },
      'read-only, after three writes on A',
    );
    assert.equal((await client.get(b, '/incr?item=n')).json.value, 5, 'locked, after a read on B');
    assert.deepEqual((await client.get(a, '/state')).json.items, { n: 5 }, "A's copy was of n = 4");
  });

  it('keeps a session abandoned on one front-end while a slower request on the other still holds it', async () => {
    const [a, b] = farm.frontends();
    const client = new FarmClient();
    const { json } = await client.get(a, '/incr?item=logins');
    const id = json.id as string;
    const slow = client.get(a, '/hold?tag=race&item=cart&value=late');
    await a.event((e) => e.event === 'holding' && e.tag === 'race');
    const logout = await client.get(b, '/logout');
    assert.equal(logout.status, 200);
    assert.match(logout.setCookies.join('\n'), /Max-Age=0/, 'the cookie is cleared');
    const go = (await (await fetch(`${a.url}/go?tag=race`)).json()) as { released: boolean };
    assert.equal(go.released, true);
    const late = await slow;
    assert.equal(late.status, 200, 'the slow request ends normally: its session is simply gone');
    assert.match(late.setCookies.join('\n'), /Max-Age=0/, 'and it clears the cookie too');
    const stale = new FarmClient();
    stale.cookie = id;
    for (const frontend of [a, b]) {
      const state = await stale.get(frontend, '/state');
      assert.equal(state.json.isNew, true);
      assert.deepEqual(state.json.items, {});
    }
    await farm.assertAbandonedInStore?.(id);
  });
}
