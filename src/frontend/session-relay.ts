/**
 * Memory sessions that outlive a reload: with the memory session provider the
 * sessions live in the supervisor (one `MemoryProvider` per front-end server), and
 * every worker reaches them over the cluster IPC channel through
 * `RelayedSessionStore`. All workers of one front-end therefore share the sessions,
 * and a reload (new workers, old ones drained) loses none: nothing is handed over,
 * because no worker holds any. The cost is one IPC round trip (tens of µs) per
 * provider call, the same order as a Redis call on the loopback.
 *
 * Messages use the cluster's `advanced` serialization, so `Map`s of items pass as
 * they are. A worker that dies with a watch open leaves it to its lock timeout, as
 * a request that dies does with any provider.
 */
import type { Worker } from 'node:cluster';
import {
  type LockWatch,
  MemorySessionStore,
  SessionError,
  type SessionErrorCode,
  type SessionProvider,
  type SessionStore,
  type StoredSession,
} from '../session/index.ts';

type Method =
  | 'loadExclusive'
  | 'loadReadOnly'
  | 'create'
  | 'save'
  | 'release'
  | 'touch'
  | 'abandon'
  | 'regenerate'
  | 'peek'
  | 'listIds'
  | 'listByPrincipal'
  | 'watchOpen'
  | 'watchWait'
  | 'watchClose';

export interface SessionCall {
  readonly type: 'session-call';
  readonly id: number;
  readonly method: Method;
  readonly args: readonly unknown[];
}

export interface SessionReply {
  readonly type: 'session-reply';
  readonly id: number;
  readonly value?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
}

/** The supervisor's side: the sessions, and the answers to every worker's calls. */
export class SessionRelay {
  readonly #store = new MemorySessionStore();
  readonly #watches = new Map<string, LockWatch>();
  #nextWatch = 0;

  /** Answers `worker`'s session calls from now on. */
  serve(worker: Worker): void {
    worker.on('message', (message: SessionCall) => {
      if (message?.type !== 'session-call') return;
      this.#answer(message).then(
        (value) => send(worker, { type: 'session-reply', id: message.id, value }),
        (error: unknown) =>
          send(worker, {
            type: 'session-reply',
            id: message.id,
            error: {
              code: (error as { code?: string }).code ?? 'TESSERA_SESSION_STORE_UNAVAILABLE',
              message: (error as Error).message ?? String(error),
            },
          }),
      );
    });
  }

  close(): Promise<void> {
    for (const watch of this.#watches.values()) watch.close();
    this.#watches.clear();
    return this.#store.close();
  }

  async #answer(call: SessionCall): Promise<unknown> {
    const provider = this.#store.provider;
    // biome-ignore lint/suspicious/noExplicitAny: the arguments are the provider method's own, sent by `RelayedSessionStore`.
    const args = call.args as any[];
    switch (call.method) {
      case 'listIds': {
        const pages: (readonly string[])[] = [];
        for await (const page of provider.listIds(args[0], args[1])) pages.push(page);
        return pages;
      }
      case 'watchOpen': {
        const id = `w${this.#nextWatch++}`;
        this.#watches.set(id, await provider.watchLock(args[0]));
        return id;
      }
      case 'watchWait': {
        const watch = this.#watches.get(args[0]);
        // A lock handed over to this watch comes back with the session.
        return watch ? await watch.wait(args[1]) : undefined;
      }
      case 'watchClose': {
        this.#watches.get(args[0])?.close(args[1]);
        this.#watches.delete(args[0]);
        return undefined;
      }
      default:
        return (provider[call.method] as (...a: unknown[]) => Promise<unknown>).apply(provider, args);
    }
  }
}

function send(worker: Worker, reply: SessionReply): void {
  if (worker.isConnected()) worker.send(reply);
}

/** The worker's side: a `SessionStore` whose provider calls the supervisor's sessions. */
export class RelayedSessionStore implements SessionStore {
  readonly provider: SessionProvider;

  constructor(channel: RelayChannel = processChannel()) {
    const call = <T>(method: Method, ...args: unknown[]) => channel.call(method, args) as Promise<T>;
    this.provider = {
      name: 'memory',
      loadExclusive: (...args) => call('loadExclusive', ...args),
      loadReadOnly: (...args) => call('loadReadOnly', ...args),
      create: (...args) => call('create', ...args),
      save: (...args) => call('save', ...args),
      release: (...args) => call('release', ...args),
      touch: (...args) => call('touch', ...args),
      abandon: (...args) => call('abandon', ...args),
      regenerate: (...args) => call('regenerate', ...args),
      peek: (...args) => call('peek', ...args),
      listByPrincipal: (...args) => call('listByPrincipal', ...args),
      async *listIds(appKey, options) {
        yield* await call<(readonly string[])[]>('listIds', appKey, options);
      },
      async watchLock(key, handOver) {
        const id = await call<string>('watchOpen', key, handOver);
        let closed = false;
        return {
          wait: (timeoutMs, signal) =>
            new Promise<StoredSession | undefined>((resolve, reject) => {
              if (signal?.aborted) return reject(signal.reason);
              const onAbort = () => reject(signal?.reason);
              signal?.addEventListener('abort', onAbort, { once: true });
              call<StoredSession | undefined>('watchWait', id, timeoutMs).then((handed) => {
                signal?.removeEventListener('abort', onAbort);
                resolve(handed);
              }, reject);
            }),
          close(options) {
            if (closed) return;
            closed = true;
            call('watchClose', id, options ?? {}).catch(() => {});
          },
        };
      },
      close: async () => {},
    };
  }

  async close(): Promise<void> {}
}

/** How a worker reaches the supervisor. */
export interface RelayChannel {
  call(method: Method, args: readonly unknown[]): Promise<unknown>;
}

let shared: RelayChannel | undefined;

/** The channel over this worker's IPC connection (one per process, shared by every store). */
function processChannel(): RelayChannel {
  if (shared) return shared;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
  let nextId = 0;
  process.on('message', (message: SessionReply) => {
    if (message?.type !== 'session-reply') return;
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    if (message.error)
      waiting.reject(new SessionError(message.error.code as SessionErrorCode, message.error.message));
    else waiting.resolve(message.value);
  });
  shared = {
    call(method, args) {
      return new Promise((resolve, reject) => {
        if (!process.send || !process.connected) {
          reject(
            new SessionError(
              'TESSERA_SESSION_STORE_UNAVAILABLE',
              "The memory session store is unreachable: this worker lost its front-end server's supervisor.",
            ),
          );
          return;
        }
        const id = nextId++;
        pending.set(id, { resolve, reject });
        process.send({ type: 'session-call', id, method, args } satisfies SessionCall);
      });
    },
  };
  return shared;
}
