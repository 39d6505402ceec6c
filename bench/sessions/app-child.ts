/**
 * The application side of the orchestrator's IPC: listen on 127.0.0.1 (a free port),
 * say so, report CPU time on request, and exit cleanly when asked or when the
 * orchestrator goes away (a clean exit is what lets `--cpu-prof` write its profile).
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

/** Orchestrator → app. */
export type ParentMessage = { readonly type: 'cpu' } | { readonly type: 'stop' };

/** App → orchestrator. */
export type ChildMessage =
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'cpu'; readonly micros: number };

export async function serveApp(app: Express, close: () => Promise<void> = async () => {}): Promise<void> {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections();
    await close().catch(() => {});
    process.exit(0);
  };
  const send = (message: ChildMessage) => process.send?.(message);
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'cpu') {
      const usage = process.cpuUsage();
      send({ type: 'cpu', micros: usage.user + usage.system });
    }
    if (message.type === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  send({ type: 'ready', port });
}
