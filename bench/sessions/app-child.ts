/**
 * The application side of the orchestrator's IPC: listen on 127.0.0.1 (a free port),
 * say so, report CPU time and event-loop delay on request, and exit cleanly when
 * asked or when the orchestrator goes away (a clean exit is what lets `--cpu-prof`
 * write its profile).
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Express } from 'express';

/** Orchestrator → app. `sample`: report the counters, and start the event-loop delay over. */
export type ParentMessage = { readonly type: 'sample' } | { readonly type: 'stop' };

/** What the app reports: its CPU since it started, and its event-loop delay since the last sample. */
export interface AppSample {
  /** CPU time (user + system) of the process since it started, in microseconds. */
  readonly cpuMicros: number;
  /** The longest event-loop delay since the previous sample, in ms. */
  readonly loopMaxMs: number;
  /** The 99th percentile of the event-loop delay samples since the previous sample, in ms. */
  readonly loopP99Ms: number;
  /** The longest event-loop delay since the app was ready (warm-ups and seeding included), in ms. */
  readonly loopMaxSinceReadyMs: number;
}

/** App → orchestrator. */
export type ChildMessage =
  | { readonly type: 'ready'; readonly port: number }
  | ({ readonly type: 'sample' } & AppSample);

/**
 * How often the event-loop delay is sampled, in ms (Node's default): a timer that
 * fires late by `d` records `d`, so any stall longer than this is recorded at its length.
 */
const LOOP_RESOLUTION_MS = 10;

export async function serveApp(app: Express, close: () => Promise<void> = async () => {}): Promise<void> {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const sinceSample = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  const sinceReady = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  sinceSample.enable();
  sinceReady.enable();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    sinceSample.disable();
    sinceReady.disable();
    server.close();
    server.closeAllConnections();
    await close().catch(() => {});
    process.exit(0);
  };
  const send = (message: ChildMessage) => process.send?.(message);
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'sample') {
      const usage = process.cpuUsage();
      // The histograms count nanoseconds; an empty one reports its max as 0.
      send({
        type: 'sample',
        cpuMicros: usage.user + usage.system,
        loopMaxMs: sinceSample.max / 1e6,
        loopP99Ms: sinceSample.count > 0 ? sinceSample.percentile(99) / 1e6 : 0,
        loopMaxSinceReadyMs: sinceReady.max / 1e6,
      });
      sinceSample.reset();
    }
    if (message.type === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  send({ type: 'ready', port });
}
