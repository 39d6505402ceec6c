import { MemoryProvider, type MemoryProviderOptions } from './providers/memory-provider.ts';
import { ProviderSessionStore } from './session-store.ts';

/**
 * Sessions in this process's memory: one front-end server, development, tests.
 * Sessions are lost on restart and not shared between servers; use
 * `RedisSessionStore` for a farm.
 */
export class MemorySessionStore extends ProviderSessionStore<MemoryProvider> {
  constructor(options: MemoryProviderOptions = {}) {
    super(new MemoryProvider(options));
  }
}
