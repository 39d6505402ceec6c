/** The session layer: the engine, the provider contract and its providers, the stores. */
export type { ActiveSessionInit, CookieAction } from './active-session.ts';
export { ActiveSession } from './active-session.ts';
export type {
  ClientGoneEvent,
  DestroyCause,
  LockQueuedEvent,
  LockTakeoverEvent,
  LockWaitEvent,
  SaveEvent,
  SessionLifecycleEvent,
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
  requireAddress,
  resolveOptions,
  typeName,
  wholeNumber,
} from './option-checks.ts';
export { checkPrincipalName, MAX_PRINCIPAL_LENGTH, principalOf } from './principal.ts';
export { type PrincipalSession, PrincipalSessions } from './principal-sessions.ts';
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
export { LISTENED_CHANNEL_LOCK_CLASS } from './session-database.ts';
export { type OpenOptions, SessionEngine } from './session-engine.ts';
export {
  emitSessionEvent,
  type SessionCreatedEvent,
  type SessionDestroyedEvent,
  type SessionEventMap,
  SessionEvents,
  type SessionExpiredEvent,
  type SessionRegeneratedEvent,
  sessionEvents,
} from './session-events.ts';
export { isSessionId, newSessionId } from './session-id.ts';
export { type ItemChanges, SessionItems } from './session-items.ts';
export {
  type Histogram,
  SESSION_METRICS_DEFAULTS,
  SessionMetrics,
  type SessionMetricsOptions,
  type SessionMetricsSnapshot,
} from './session-metrics.ts';
export {
  resolveSessionOptions,
  SESSION_DEFAULTS,
  SESSION_MODES,
  type SessionMode,
  type SessionOptions,
} from './session-options.ts';
export type * from './session-provider.ts';
export {
  connectOptions,
  type Environment,
  ProviderSessionStore,
  type SessionStore,
} from './session-store.ts';
