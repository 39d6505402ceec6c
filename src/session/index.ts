/** The session layer: the engine, the provider contract and its providers, the stores. */
export type { ActiveSessionInit, CookieAction } from './active-session.ts';
export { ActiveSession } from './active-session.ts';
export type {
  ClientGoneEvent,
  LockQueuedEvent,
  LockTakeoverEvent,
  LockWaitEvent,
  SaveEvent,
} from './diagnostics.ts';
export { publishClientGone, SESSION_CHANNELS } from './diagnostics.ts';
export { SESSION_ERROR_CODES, SessionError, type SessionErrorCode } from './errors.ts';
export { MemorySessionStore } from './memory-session-store.ts';
export {
  ANY,
  BOOLEAN,
  MAX_TIMER_MS,
  OBJECT,
  type OptionKind,
  type ResolvedOptions,
  resolveOptions,
  typeName,
  wholeNumber,
} from './option-checks.ts';
export {
  DATABASE_PROVIDER_DEFAULTS,
  DATABASE_PROVIDER_KINDS,
  DatabaseProvider,
  type DatabaseProviderOptions,
  type DatabaseProviderSettings,
} from './providers/database-provider.ts';
export {
  MEMORY_PROVIDER_DEFAULTS,
  MemoryProvider,
  type MemoryProviderOptions,
  resolveMemoryProviderOptions,
} from './providers/memory-provider.ts';
export {
  REDIS_PROVIDER_DEFAULTS,
  RedisProvider,
  type RedisProviderOptions,
} from './providers/redis-provider.ts';
export { RedisSessionStore, type RedisSessionStoreOptions } from './redis-session-store.ts';
export type * from './session-database.ts';
export { type OpenOptions, SessionEngine } from './session-engine.ts';
export { isSessionId, newSessionId } from './session-id.ts';
export { type ItemChanges, SessionItems } from './session-items.ts';
export {
  resolveSessionOptions,
  SESSION_DEFAULTS,
  SESSION_MODES,
  type SessionMode,
  type SessionOptions,
} from './session-options.ts';
export type * from './session-provider.ts';
export type { SessionStore } from './session-store.ts';
