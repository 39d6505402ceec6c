import type { SessionProvider } from './session-provider.ts';

/**
 * What `sessionMiddleware({ store })` and `TesseraExpressStore` take: a provider and
 * its lifetime. `MemorySessionStore`, `RedisSessionStore` and the platform's
 * `DatabaseSessionStore` implement it.
 */
export interface SessionStore {
  readonly provider: SessionProvider;
  /**
   * Stops timers and closes connections; a store with lock releases waiting for an
   * unreachable store first retries them, bounded by its `closeTimeoutMs`.
   */
  close(): Promise<void>;
}
