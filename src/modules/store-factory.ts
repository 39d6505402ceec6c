/**
 * The store factory: the session store a module's runtime settings name. Until
 * now only application code chose a store; on a front-end server the settings
 * (from the configuration artifact) choose it.
 */
import { DatabaseSessionStore } from '../platform/index.ts';
import { MemorySessionStore, RedisSessionStore, type SessionStore } from '../session/index.ts';
import { ModuleError } from './errors.ts';
import { type ModuleRuntimeSettings, runtimeSettingsProblem } from './runtime-settings.ts';

export interface SessionStoreForModuleOptions {
  /** Where the `SERedis_*` variables are read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Opens the store `settings` name: a `MemorySessionStore` (this process's memory),
 * a `RedisSessionStore` connected with the connection string, or a
 * `DatabaseSessionStore` on the platform database address. Rejects with
 * `TESSERA_MODULE_SETTINGS` for settings that name no store, and with the Redis or
 * platform layer's error when the store cannot be reached.
 */
export async function createSessionStoreForModule(
  settings: ModuleRuntimeSettings,
  options: SessionStoreForModuleOptions = {},
): Promise<SessionStore> {
  const problem = runtimeSettingsProblem(settings);
  if (problem !== undefined)
    throw new ModuleError('TESSERA_MODULE_SETTINGS', `The module's runtime settings ${problem}.`);
  const env = options.env;
  switch (settings.provider) {
    case 'memory':
      return new MemorySessionStore();
    case 'redis':
      return RedisSessionStore.connect(settings.connectionString ?? '', { env });
    case 'database':
      return DatabaseSessionStore.connect(settings.connectionString ?? '', { env });
  }
}
