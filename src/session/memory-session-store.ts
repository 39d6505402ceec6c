import { MemoryProvider, type MemoryProviderOptions } from './providers/memory-provider.ts';
import type { SessionStore } from './session-store.ts';

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
