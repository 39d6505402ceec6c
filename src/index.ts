/**
 * The public API of the `tessera` package, for applications: the session stores,
 * `req.session` for node:http, Connect and Express, the types, the errors and the
 * diagnostics channels. Everything a user may import is named here or in one of
 * the subpaths; the layers' own `index.ts` files are for Tessera's other layers.
 *
 * ```js
 * import { RedisSessionStore, MemorySessionStore, sessionMiddleware } from 'tessera';
 * const store = await RedisSessionStore.connect('redis1:6380,password=…,ssl=true,sslHost=redis.example.com');
 * // or: await DatabaseSessionStore.connect('postgres://tessera@db.example.com:5432/tessera')
 * const handle = sessionMiddleware({ store });
 * ```
 *
 * The subpaths, each loading what it needs only when imported:
 * - `tessera/express-session`: `TesseraExpressStore`, the Store for express-session;
 * - `tessera/fastify`: `fastifySession`, the Fastify plugin;
 * - `tessera/redis`: the Redis connection layer and Test Connection, for tools.
 *
 * This module loads neither express-session nor Fastify (a test keeps it so).
 */
export { TesseraError } from './errors.ts';
export {
  connectRedisSource,
  HTTP_SESSION_DEFAULTS,
  type HttpSession,
  type LegacyRedisClient,
  type LegacySessionOptions,
  type LegacySessionSource,
  type RequestWithSession,
  type SessionControls,
  type SessionCookie,
  type SessionData,
  type SessionHandler,
  type SessionMiddlewareOptions,
  sessionCookieName,
  sessionMiddleware,
} from './http/index.ts';
// Types only: what a module written in TypeScript receives; the module layer itself is the front-end server's.
export type { ModuleContext, ModuleErrorCode, PublicRuntimeSettings } from './modules/index.ts';
// The stores load their layer's heavy parts (the Redis client, TLS, Kysely) when they
// connect: from the Redis, platform and TLS layers, only the modules of errors and
// channels are named here, not the layers' index files, which would load everything.
export { DatabaseSessionStore, type DatabaseSessionStoreOptions } from './platform/database-session-store.ts';
export { PLATFORM_ERROR_CODES, PlatformError, type PlatformErrorCode } from './platform/errors.ts';
export {
  REDIS_CHANNELS,
  type RedisConnectEvent,
  type RedisErrorEvent,
  type RedisFailoverEvent,
  type RedisHealthEvent,
} from './redis/diagnostics.ts';
export { REDIS_ERROR_CODES, RedisError, type RedisErrorCode } from './redis/errors.ts';
export {
  DATABASE_PROVIDER_DEFAULTS,
  type DatabaseProviderOptions,
  type LockTakeoverEvent,
  type LockWaitEvent,
  MEMORY_PROVIDER_DEFAULTS,
  type MemoryProviderOptions,
  MemorySessionStore,
  type PrincipalSession,
  PrincipalSessions,
  REDIS_PROVIDER_DEFAULTS,
  RedisSessionStore,
  type RedisSessionStoreOptions,
  type SaveEvent,
  SESSION_CHANNELS,
  SESSION_DEFAULTS,
  SESSION_ERROR_CODES,
  SESSION_MODES,
  type SessionCreatedEvent,
  type SessionDestroyedEvent,
  SessionError,
  type SessionErrorCode,
  SessionEvents,
  type SessionExpiredEvent,
  type SessionLifecycleEvent,
  SessionMetrics,
  type SessionMetricsSnapshot,
  type SessionMode,
  type SessionOptions,
  type SessionProvider,
  type SessionRegeneratedEvent,
  type SessionStore,
  sessionEvents,
} from './session/index.ts';
export { type MaterialFailedMessage, type MaterialLoadedMessage, TLS_CHANNELS } from './tls/diagnostics.ts';
export { TLS_ERROR_CODES, TlsError, type TlsErrorCode } from './tls/errors.ts';
