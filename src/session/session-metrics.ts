/**
 * Session metrics, counted from the `tessera:session:*` diagnostics channels in
 * this process: how large sessions are when saved, how long requests wait for a
 * session's lock, and how many sessions begin and end. For a dashboard or an
 * exporter (Prometheus histograms: cumulative buckets, count, sum).
 *
 * ```js
 * const metrics = new SessionMetrics();
 * setInterval(() => report(metrics.snapshot()), 10_000);
 * ```
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  type LockWaitEvent,
  type SaveEvent,
  SESSION_CHANNELS,
  type SessionLifecycleEvent,
} from './diagnostics.ts';

/** A distribution: `buckets[i].count` values were at most `buckets[i].le` (the last bucket is `Infinity`). */
export interface Histogram {
  readonly count: number;
  readonly sum: number;
  readonly max: number;
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
}

export interface SessionMetricsSnapshot {
  /** The session's whole size (item names and JSON) after each save that wrote, in bytes. */
  readonly sessionBytes: Histogram;
  /** Each wait of a request for a session's lock, in ms, whatever its outcome. */
  readonly lockWaitMs: Histogram;
  /** Lock waits by outcome (`acquired`, `timeout`, `too-many-waiters`, …). */
  readonly lockWaits: Readonly<Record<string, number>>;
  /** Locks older than the request timeout taken over. */
  readonly lockTakeovers: number;
  /** Saves by outcome (`created`, `saved`, `unchanged`, `missing`, `lock-lost`). */
  readonly saves: Readonly<Record<string, number>>;
  readonly created: number;
  readonly regenerated: number;
  readonly destroyed: number;
  /** Expiries the store told of (memory and Database stores; Redis tells none). */
  readonly expired: number;
}

export const SESSION_METRICS_DEFAULTS = {
  sessionBytesBuckets: [256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576],
  lockWaitMsBuckets: [1, 5, 10, 50, 100, 500, 1000, 5000, 30_000],
} as const;

export interface SessionMetricsOptions {
  /** Count only this provider's events (`memory`, `redis`, `database`); default: all. */
  readonly provider?: string | undefined;
  readonly sessionBytesBuckets?: readonly number[] | undefined;
  readonly lockWaitMsBuckets?: readonly number[] | undefined;
}

class Distribution {
  readonly #bounds: readonly number[];
  readonly #counts: number[];
  #count = 0;
  #sum = 0;
  #max = 0;

  constructor(bounds: readonly number[]) {
    this.#bounds = [...bounds].sort((a, b) => a - b);
    this.#counts = new Array(this.#bounds.length + 1).fill(0);
  }

  add(value: number): void {
    const at = this.#bounds.findIndex((bound) => value <= bound);
    this.#counts[at === -1 ? this.#bounds.length : at]! += 1;
    this.#count += 1;
    this.#sum += value;
    this.#max = Math.max(this.#max, value);
  }

  snapshot(): Histogram {
    let cumulative = 0;
    const buckets = [...this.#bounds, Number.POSITIVE_INFINITY].map((le, i) => {
      cumulative += this.#counts[i]!;
      return { le, count: cumulative };
    });
    return { count: this.#count, sum: this.#sum, max: this.#max, buckets };
  }
}

export class SessionMetrics {
  readonly #sessionBytes: Distribution;
  readonly #lockWaitMs: Distribution;
  readonly #lockWaits: Record<string, number> = {};
  readonly #saves: Record<string, number> = {};
  readonly #lifecycle = { created: 0, regenerated: 0, destroyed: 0, expired: 0 };
  #lockTakeovers = 0;
  readonly #subscriptions: [string, (message: unknown) => void][] = [];

  constructor(options: SessionMetricsOptions = {}) {
    this.#sessionBytes = new Distribution(
      options.sessionBytesBuckets ?? SESSION_METRICS_DEFAULTS.sessionBytesBuckets,
    );
    this.#lockWaitMs = new Distribution(
      options.lockWaitMsBuckets ?? SESSION_METRICS_DEFAULTS.lockWaitMsBuckets,
    );
    const mine = (message: unknown) =>
      options.provider === undefined || (message as { provider?: unknown }).provider === options.provider;
    const on = (name: string, count: (message: never) => void) => {
      const listener = (message: unknown) => {
        if (mine(message)) count(message as never);
      };
      subscribe(name, listener);
      this.#subscriptions.push([name, listener]);
    };
    on(SESSION_CHANNELS.save, (event: SaveEvent) => {
      this.#saves[event.outcome] = (this.#saves[event.outcome] ?? 0) + 1;
      if (event.sessionBytes !== null) this.#sessionBytes.add(event.sessionBytes);
    });
    on(SESSION_CHANNELS.lockWait, (event: LockWaitEvent) => {
      this.#lockWaits[event.outcome] = (this.#lockWaits[event.outcome] ?? 0) + 1;
      this.#lockWaitMs.add(event.waitedMs);
    });
    on(SESSION_CHANNELS.lockTakeover, () => {
      this.#lockTakeovers += 1;
    });
    for (const kind of ['created', 'regenerated', 'destroyed', 'expired'] as const)
      on(SESSION_CHANNELS[kind], (_: SessionLifecycleEvent) => {
        this.#lifecycle[kind] += 1;
      });
  }

  /** The counts so far (since this object was made). */
  snapshot(): SessionMetricsSnapshot {
    return {
      sessionBytes: this.#sessionBytes.snapshot(),
      lockWaitMs: this.#lockWaitMs.snapshot(),
      lockWaits: { ...this.#lockWaits },
      lockTakeovers: this.#lockTakeovers,
      saves: { ...this.#saves },
      ...this.#lifecycle,
    };
  }

  /** Stops counting (unsubscribes from the channels). Idempotent. */
  close(): void {
    for (const [name, listener] of this.#subscriptions.splice(0)) unsubscribe(name, listener);
  }
}
