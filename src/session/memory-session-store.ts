import { MemoryProvider, type MemoryProviderOptions } from './providers/memory-provider.ts';
import type { SessionProvider } from './session-provider.ts';

/** What `sessionMiddleware({ store })` and `TesseraExpressStore` take: a provider and its lifetime. */
export interface SessionStore {
  readonly provider: SessionProvider;
  /** Stops timers and closes connections. */
  close(): Promise<void>;
}

/**
 * Sessions in this process's memory: one front-end server, development, tests.
 * Sessions are lost on restart and not shared between servers; use
 * `RedisSessionStore` for a farm.
 */
export class MemorySessionStore implements SessionStore {
  readonly provider: MemoryProvider;

  constructor(options: MemoryProviderOptions = {}) {
    this.provider = new MemoryProvider(options);
  }

  close(): Promise<void> {
    return this.provider.close();
  }
}
