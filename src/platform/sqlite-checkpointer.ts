/**
 * Checkpoints a SQLite file's write-ahead log from a worker thread, off the request
 * path. Left to itself, SQLite checkpoints inside the commit that fills the log
 * (`wal_autocheckpoint`, every 1000 pages), and that commit's request then waits for
 * the checkpoint's copying and its fsync, blocking the event loop. The engine turns
 * that off on its own connection (`wal_autocheckpoint = 0`) and starts this: a
 * second connection, in its own thread, that runs a PASSIVE checkpoint every
 * `intervalMs`. A PASSIVE checkpoint never waits for readers or writers: it copies
 * what it can, and the rest at the next turn.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the log is checkpointed, in ms. */
export const CHECKPOINT_INTERVAL_MS = 1000;

interface CheckpointerData {
  /** The file of `better-sqlite3`, as this module resolves it. */
  readonly driver: string;
  readonly path: string;
  readonly intervalMs: number;
  readonly busyTimeoutMs: number;
}

// The worker's program. Plain JavaScript run as it is: a worker does not inherit the
// loader that runs this package from its TypeScript sources, and these few lines
// need none. A failed checkpoint (busy, the file unusable now) is tried at the next
// turn; the requests' own statements report what is wrong.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let database;
const timer = setInterval(() => {
  try {
    database ??= new Database(workerData.path, { timeout: workerData.busyTimeoutMs, fileMustExist: true });
    database.pragma('wal_checkpoint(PASSIVE)');
  } catch {}
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  database?.close();
  parentPort.close();
});
`;

export class SqliteCheckpointer {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  #stopping = false;

  constructor(path: string, options: { readonly intervalMs?: number; readonly busyTimeoutMs: number }) {
    const data: CheckpointerData = {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      path,
      intervalMs: options.intervalMs ?? CHECKPOINT_INTERVAL_MS,
      busyTimeoutMs: options.busyTimeoutMs,
    };
    this.#worker = new Worker(WORKER, { eval: true, workerData: data });
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    // A worker that cannot start leaves SQLite's log to grow until the next start; it
    // never fails a request.
    this.#worker.on('error', () => {});
    this.#worker.unref();
  }

  /** Stops the worker once its current checkpoint (if any) is done, closing its connection. Idempotent. */
  stop(): Promise<void> {
    if (!this.#stopping) {
      this.#stopping = true;
      // Held by its exit until then: an unreferenced worker would let the process end first.
      this.#worker.ref();
      this.#worker.postMessage('stop');
    }
    return this.#exited;
  }
}
