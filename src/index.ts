/**
 * The public API of the `tessera` package. Everything a user may import is named
 * here; the layers' own `index.ts` files are for Tessera's other layers.
 *
 * ```js
 * import { RedisSessionStore, MemorySessionStore, sessionMiddleware } from 'tessera';
 * const store = await RedisSessionStore.connect('redis1:6380,password=…,ssl=true,sslHost=redis.example.com');
 * // or: await DatabaseSessionStore.connect('postgres://tessera@db.example.com:5432/tessera')
 * const handle = sessionMiddleware({ store });
 * ```
 */
export { TesseraError } from './errors.ts';
export {
  EXPRESS_STORE_DEFAULTS,
  fastifySession,
  HTTP_SESSION_DEFAULTS,
  type HttpSession,
  type ListedSessionData,
  type RequestWithSession,
  type SessionControls,
  type SessionHandler,
  type SessionMiddlewareOptions,
  sessionCookieName,
  sessionMiddleware,
  TesseraExpressStore,
  type TesseraExpressStoreOptions,
} from './http/index.ts';
export {
  DatabaseSessionStore,
  type DatabaseSessionStoreOptions,
  PLATFORM_ERROR_CODES,
  PlatformError,
  type PlatformErrorCode,
} from './platform/index.ts';
export {
  type Check,
  type ConnectRedisOptions,
  connectRedis,
  formatConnectionString,
  parseConnectionString,
  type RedisConnection,
  type RedisConnectionSettings,
  RedisError,
  type RedisHealthEvent,
  redactConnectionString,
  runTestConnection,
  type TestConnectionReport,
} from './redis/index.ts';
export {
  DATABASE_PROVIDER_DEFAULTS,
  type DatabaseProviderOptions,
  type LockTakeoverEvent,
  type LockWaitEvent,
  type MemoryProviderOptions,
  MemorySessionStore,
  RedisSessionStore,
  type RedisSessionStoreOptions,
  type SaveEvent,
  SESSION_CHANNELS,
  SESSION_DEFAULTS,
  SESSION_ERROR_CODES,
  SESSION_MODES,
  SessionError,
  type SessionMode,
  type SessionOptions,
  type SessionProvider,
  type SessionStore,
} from './session/index.ts';
export { TlsError } from './tls/index.ts';
