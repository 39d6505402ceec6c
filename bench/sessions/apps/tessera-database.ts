/**
 * Tessera over the platform database: `sessionMiddleware` over
 * `DatabaseSessionStore.connect(address)`, in the default mode (`exclusive`), with
 * the store's defaults, as an application would use it. `--engine sqlite`: a SQLite
 * file (better-sqlite3 in this process); `--engine postgres`: PostgreSQL on
 * 127.0.0.1 (a `pg` pool).
 */
import { parseArgs } from 'node:util';
import type { Request, RequestHandler } from 'express';
import { DatabaseSessionStore, sessionMiddleware } from 'tessera';
import { serveApp } from '../app-child.ts';
import { type BenchEngine, readBenchDatabase } from '../config.ts';
import { createApp } from '../express-app.ts';

const { values } = parseArgs({ options: { engine: { type: 'string' } } });
if (values.engine !== 'sqlite' && values.engine !== 'postgres') {
  throw new Error(`--engine must be sqlite or postgres (got ${values.engine}).`);
}
const engine: BenchEngine = values.engine;
const store = await DatabaseSessionStore.connect(readBenchDatabase(engine));
const session = sessionMiddleware({ store, timeoutMinutes: 20 }) as RequestHandler;

await serveApp(
  createApp(session, (req: Request) => (req as unknown as { session: Record<string, unknown> }).session),
  () => store.close(),
);
