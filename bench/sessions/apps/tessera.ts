/**
 * Tessera: `sessionMiddleware` over `RedisSessionStore`, in the default mode
 * (`exclusive`: every request locks its session), connected as an operator would:
 * a connection string with `ssl=true` and the `SERedis_*` certificate variables.
 *
 * With `--get-readonly`, the per-request mode that docs/sessions.md suggests: GET and
 * HEAD requests `readonly` (no lock, no write), the others `exclusive`.
 */
import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { RedisSessionStore, type SessionMode, sessionMiddleware } from 'tessera';
import { serveApp } from '../app-child.ts';
import { readBenchRedis } from '../config.ts';
import { createApp } from '../express-app.ts';

const redis = readBenchRedis();
const store = await RedisSessionStore.connect(`${redis.host}:${redis.tlsPort},ssl=true`, {
  env: {
    SERedis_ClientCertPfxPath: redis.pfxPath,
    SERedis_ClientCertPassword: redis.pfxPassword,
    SERedis_IssuerCertPath: redis.caPath,
  },
});
const getReadOnly = process.argv.includes('--get-readonly');
const readOnlyForGet = (req: IncomingMessage): SessionMode =>
  req.method === 'GET' || req.method === 'HEAD' ? 'readonly' : 'exclusive';
const session = sessionMiddleware({
  store,
  timeoutMinutes: 20,
  ...(getReadOnly ? { mode: readOnlyForGet } : {}),
}) as RequestHandler;

await serveApp(
  createApp(session, (req: Request) => (req as unknown as { session: Record<string, unknown> }).session),
  () => store.close(),
);
