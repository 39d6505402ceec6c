/**
 * One front-end server of the farm test: a plain `node:http` application with
 * `req.session` in Redis, as an application developer writes it. It connects with
 * `RedisSessionStore.connect(connectionString)`, the `SERedis_*` variables coming
 * from its environment, and prints one JSON line per event on stdout:
 * `{"event":"listening","port":…}` once it serves, `{"event":"holding","tag":…}`
 * when a `/hold` request has loaded (and locked) its session.
 *
 * Environment: `FARM_CONNECTION_STRING`, `FARM_NAME`, `FARM_MAX_WAITERS_PER_SESSION`
 * (optional), `SERedis_*`; or `FARM_DATABASE_URL` (`sqlite:…`, `postgres://…`) for
 * sessions in the platform database instead of Redis.
 *
 * Routes (JSON replies, with `server` naming this front-end):
 *   /state             read-only: the session's id and items
 *   /incr?item=n       exclusive: n += 1, replies the new value
 *   /hold?tag=t&item=n&value=v
 *                      exclusive: loads (locks) the session, reports "holding", waits
 *                      for /go?tag=t, then sets n = v
 *   /go?tag=t          no session: lets the held request go on
 *   /logout            lock-free: abandons the session
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DatabaseSessionStore,
  RedisSessionStore,
  type RequestWithSession,
  type SessionMode,
  sessionMiddleware,
} from 'tessera';

const name = process.env.FARM_NAME ?? 'frontend';
const connectionString = process.env.FARM_CONNECTION_STRING;
const databaseUrl = process.env.FARM_DATABASE_URL;
if (!connectionString && !databaseUrl)
  throw new Error('FARM_CONNECTION_STRING or FARM_DATABASE_URL must be set');
const maxWaiters = process.env.FARM_MAX_WAITERS_PER_SESSION;

const report = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);

const storeOptions = maxWaiters ? { maxWaitersPerSession: Number(maxWaiters) } : {};
const store = databaseUrl
  ? await DatabaseSessionStore.connect(databaseUrl, storeOptions)
  : await RedisSessionStore.connect(connectionString!, storeOptions);

const modes: Record<string, SessionMode> = { '/state': 'readonly', '/logout': 'none' };
const handle = sessionMiddleware({
  store,
  retryAfterSeconds: 2,
  mode: (req) => modes[new URL(req.url ?? '/', 'http://x').pathname] ?? 'exclusive',
});

/** Held `/hold` requests, by tag, waiting for their `/go`. */
const held = new Map<string, () => void>();

function send(res: ServerResponse, body: Record<string, unknown>, status = 200): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ server: name, ...body }));
}

async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const param = (key: string) => url.searchParams.get(key) ?? '';
  if (url.pathname === '/go') {
    const go = held.get(param('tag'));
    held.delete(param('tag'));
    go?.();
    return send(res, { released: go !== undefined }, go ? 200 : 404);
  }
  await handle(req, res);
  if (res.writableEnded) return;
  const session = (req as RequestWithSession).session;
  switch (url.pathname) {
    case '/state':
      return send(res, { id: session.id, isNew: session.isNew, items: { ...session } });
    case '/incr': {
      const item = param('item') || 'n';
      const value = ((session[item] as number | undefined) ?? 0) + 1;
      session[item] = value;
      return send(res, { id: session.id, value });
    }
    case '/hold': {
      const tag = param('tag');
      const going = new Promise<void>((resolve) => held.set(tag, resolve));
      report({ event: 'holding', tag });
      await going;
      session[param('item')] = param('value');
      return send(res, { id: session.id });
    }
    case '/logout':
      await session.abandon();
      return send(res, { abandoned: true });
    default:
      return send(res, {}, 404);
  }
}

const server = createServer((req, res) => {
  serve(req, res).catch((error: unknown) => {
    if (!res.headersSent) send(res, { error: String(error) }, 500);
    else res.destroy();
  });
});
server.listen(0, '127.0.0.1', () => {
  report({ event: 'listening', port: (server.address() as AddressInfo).port });
});

process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close();
  void store.close().finally(() => process.exit(0));
});
