/** How the waiters of one session are woken: one per release, in order, and no wake lost. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LockWaiters, type ReleaseKind } from '../../src/session/lock-waiters.ts';
import type { LockWatch } from '../../src/session/session-provider.ts';

const LONG_MS = 60_000;

/** Resolves to the watches whose `wait` ended within the current turn of the event loop. */
async function woken(watches: readonly LockWatch[]): Promise<number[]> {
  const ended: number[] = [];
  watches.forEach((watch, i) => {
    void watch.wait(LONG_MS).then(() => {
      ended.push(i);
    });
  });
  await new Promise((resolve) => setImmediate(resolve));
  return ended;
}

describe('lock waiters', () => {
  it('wakes one waiter per release, the longest waiting first', async () => {
    const waiters = new LockWaiters();
    const watches = await Promise.all([1, 2, 3].map(() => waiters.watch('s')));
    const waits = watches.map((watch) => watch.wait(LONG_MS));
    const order: number[] = [];
    waits.forEach((wait, i) => {
      void wait.then(() => {
        order.push(i);
      });
    });
    waiters.wake('s');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(order, [0]);
    waiters.wake('s');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(order, [0, 1]);
    for (const watch of watches) watch.close({ lockAcquired: true });
    await Promise.all(waits);
  });

  it('wakes every waiter when the session is gone', async () => {
    let onRelease: ((kind: ReleaseKind) => void) | undefined;
    const waiters = new LockWaiters({
      listen: async (_key, listener) => {
        onRelease = listener;
        return async () => {};
      },
    });
    const watches = await Promise.all([1, 2, 3].map(() => waiters.watch('s')));
    const ended = woken(watches);
    onRelease!('gone');
    assert.deepEqual(await ended, [0, 1, 2]);
  });

  it('passes the wake on when the woken waiter leaves without the lock', async () => {
    const waiters = new LockWaiters();
    const [first, second] = await Promise.all([waiters.watch('s'), waiters.watch('s')]);
    const secondWait = second!.wait(LONG_MS);
    waiters.wake('s'); // goes to `first`, which is not waiting yet: its next wait returns at once
    first!.close(); // it gave up (client gone, error): the wake must not be lost with it
    await secondWait;
  });

  it('does not pass the wake on when the woken waiter took the lock', async () => {
    const waiters = new LockWaiters();
    const [first, second] = await Promise.all([waiters.watch('s'), waiters.watch('s')]);
    waiters.wake('s');
    await first!.wait(LONG_MS);
    first!.close({ lockAcquired: true });
    assert.deepEqual(await woken([second!]), []);
    second!.close();
  });

  it('makes a waiter that is loading after a wake load once more when the lock is released again', async () => {
    const waiters = new LockWaiters();
    const only = await waiters.watch('s');
    const first = only.wait(LONG_MS);
    waiters.wake('s');
    await first; // now loading; its load may have read the lock before the next release
    waiters.wake('s');
    assert.deepEqual(await woken([only]), [0], 'the next wait returns at once');
    only.close();
  });

  it('registers a waiter when listening for remote releases fails, and listens again for the next one', async () => {
    let attempts = 0;
    const waiters = new LockWaiters({
      listen: async () => {
        attempts++;
        if (attempts === 1) throw new Error('the pub/sub connection is reconnecting');
        return async () => {};
      },
    });
    const first = await waiters.watch('s');
    const second = await waiters.watch('s');
    assert.equal(attempts, 2);
    await waiters.watch('s');
    assert.equal(attempts, 2, 'listening once is enough');
    waiters.wake('s');
    await first.wait(LONG_MS);
    first.close({ lockAcquired: true });
    second.close();
  });
});
