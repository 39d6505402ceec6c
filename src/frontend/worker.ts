/**
 * A worker of a front-end server (a `node:cluster` worker): it loads every module
 * of its plan, then listens on the front-end's port (shared by the workers through
 * the supervisor), and serves the modules at `/<module>/`, Service Center at
 * `/servicecenter/` and its health at `/_tessera/health`.
 *
 * Draining (a reload or a stop): the worker stops accepting connections (the
 * supervisor hands new ones to other workers), answers the requests already in
 * its connections with `Connection: close`, closes a keep-alive connection once it
 * has been idle for the keep-alive timeout it announced (a connection in use is never
 * cut), and exits when it has none left, or at the drain timeout.
 */
import cluster from 'node:cluster';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { readPrivateKey } from '../config/index.ts';
import {
  createModuleHost,
  createSessionStoreForModule,
  readConfigurationArtifact,
} from '../modules/index.ts';
import { listenFailed } from './errors.ts';
import { HEALTH_PATH, healthReport } from './health.ts';
import { createLogger } from './logger.ts';
import type { SupervisorMessage, WorkerMessage, WorkerPlan } from './messages.ts';
import { mountServiceCenter, mountsServiceCenter } from './service-center-mount.ts';
import { RelayedSessionStore } from './session-relay.ts';

const DRAIN_TICK_MS = 50;

interface Connection {
  inFlight: number;
  lastActiveMs: number;
}

export function runWorker(): void {
  let draining = false;
  let drain: ((timeoutMs: number) => void) | undefined;
  process.on('message', (message: SupervisorMessage) => {
    if (message?.type === 'plan') {
      const plan = message.plan;
      serve(plan, () => draining).then(
        (drainer) => {
          drain = drainer;
        },
        (error: unknown) => {
          report({
            type: 'load-failed',
            module:
              (error as { module?: string }).module ??
              plan.modules.find((m) => (error as { file?: string }).file?.startsWith(m.folder))?.name,
            code: (error as { code?: string }).code,
            message: (error as Error).message ?? String(error),
          });
          process.exitCode = 1;
          process.disconnect?.();
        },
      );
    } else if (message?.type === 'drain') {
      draining = true;
      if (drain) drain(message.timeoutMs);
      else process.exit(0);
    }
  });
  // Messages sent before this listener existed would be lost: the supervisor sends the plan on this.
  report({ type: 'listening' });
  // Signals from a terminal reach the whole process group: the supervisor decides when workers drain.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
}

function report(message: WorkerMessage): void {
  if (process.connected) process.send?.(message);
}

/** Loads the plan's modules and listens; resolves to the function that drains this worker. */
async function serve(plan: WorkerPlan, isDraining: () => boolean): Promise<(timeoutMs: number) => void> {
  const log = createLogger({ name: plan.frontend, pretty: plan.pretty }).child({
    worker: cluster.worker?.id,
    generation: plan.generation,
  });
  const key = await readPrivateKey(plan.privateKeyPath);
  // The supervisor creates the key before it writes any artifact.
  if (key === null)
    throw new Error(`The private key file ${plan.privateKeyPath} is missing: restart the front-end server.`);
  const modules = await Promise.all(
    plan.modules.map(async (module) => {
      const artifact = await readConfigurationArtifact(module.artifact, key);
      return { ...module, settings: artifact.settings };
    }),
  );
  const host = await createModuleHost({
    modules,
    frontend: { name: plan.frontend },
    log,
    // Memory sessions live in the supervisor, shared by its workers and kept across reloads (session-relay.ts).
    storeFor: async (settings) =>
      settings.provider === 'memory' ? new RelayedSessionStore() : createSessionStoreForModule(settings),
  });
  const serviceCenter = await mountServiceCenter({
    frontend: plan.frontend,
    configPath: plan.configPath,
    log,
  });
  const connections = new Map<Socket, Connection>();
  const state = () => (isDraining() ? 'draining' : 'ready');

  const handle: RequestListener = (req: IncomingMessage, res: ServerResponse) => {
    const connection = connections.get(req.socket);
    if (connection) {
      connection.inFlight += 1;
      res.once('close', () => {
        connection.inFlight -= 1;
        connection.lastActiveMs = Date.now();
      });
    }
    // A request that arrived on a connection this worker has already closed (a client
    // reusing it at that instant) is not served: its answer could not be sent, and a
    // client may safely send it again on a new connection.
    if (req.socket.writableEnded) {
      req.socket.destroy();
      return;
    }
    if (isDraining()) res.setHeader('Connection', 'close');
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === HEALTH_PATH) {
      const body = healthReport({ state: state(), frontend: plan.frontend, modules: host.modules });
      res.writeHead(body.status === 'ready' ? 200 : 503, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
      });
      res.end(JSON.stringify(body));
      return;
    }
    if (mountsServiceCenter(path)) {
      serviceCenter.listener(req, res);
      return;
    }
    host.listener(req, res);
  };

  const server = createServer(handle);
  server.on('connection', (socket: Socket) => {
    connections.set(socket, { inFlight: 0, lastActiveMs: Date.now() });
    socket.once('close', () => connections.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(listenFailed(plan.frontend, `${plan.host}:${plan.port}`, error)));
    server.listen({ port: plan.port, host: plan.host }, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const address = server.address();
  report({ type: 'ready', port: typeof address === 'object' && address ? address.port : plan.port });
  log.info({ modules: host.modules }, 'worker ready');

  return (timeoutMs: number) => {
    log.info({ timeoutMs }, 'worker draining');
    // net's close, not http's: http's also cuts idle keep-alive connections at once, and a
    // request a client is sending on one at that moment would fail.
    NetServer.prototype.close.call(server);
    const serviceCenterClosed = serviceCenter
      .close()
      .catch((error: unknown) => log.warn({ err: error }, 'closing Service Center failed'));
    const deadline = Date.now() + timeoutMs;
    // An idle keep-alive connection is closed only once the keep-alive timeout announced
    // in its last answer (`Keep-Alive: timeout=5`) has passed: a client stops reusing it
    // just before that, so none sends a request on it as it closes (one did, with a
    // 1 s limit: the request was served and its answer lost).
    const idleCloseMs = server.keepAliveTimeout;
    const tick = setInterval(() => {
      const now = Date.now();
      for (const [socket, connection] of connections) {
        if (now >= deadline) socket.destroy();
        else if (connection.inFlight === 0 && now - connection.lastActiveMs >= idleCloseMs) socket.end();
      }
      if (connections.size === 0 || now >= deadline + DRAIN_TICK_MS) {
        clearInterval(tick);
        Promise.all([
          host.close().catch((error: unknown) => log.warn({ err: error }, 'closing the modules failed')),
          serviceCenterClosed,
        ]).finally(() => {
          log.info('worker drained');
          process.exit(0);
        });
      }
    }, DRAIN_TICK_MS);
  };
}
