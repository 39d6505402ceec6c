/**
 * The anchor: `express-session` + `connect-redis` 9 over node-redis `createClient`,
 * with the same client certificate and CA as Tessera, configured as its documentation
 * recommends (no resave, no uninitialized sessions) with the same 20-minute expiry.
 */
import { RedisStore } from 'connect-redis';
import type { Request } from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { serveApp } from '../app-child.ts';
import { benchRedisSocket, readBenchRedis } from '../config.ts';
import { createApp } from '../express-app.ts';

const redis = readBenchRedis();
const client = createClient({ socket: benchRedisSocket(redis) });
client.on('error', (error: Error) => console.error(`connect-redis app: ${error.message}`));
await client.connect();

const middleware = session({
  store: new RedisStore({ client, ttl: 20 * 60 }),
  secret: 'tessera-bench-secret',
  resave: false,
  saveUninitialized: false,
});

await serveApp(
  createApp(middleware, (req: Request) => req.session as unknown as Record<string, unknown>),
  async () => {
    await client.close();
  },
);
