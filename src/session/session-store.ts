/**
 * What `sessionMiddleware({ store })` and `TesseraExpressStore` take (`SessionStore`),
 * and the shell every store shares: a provider that closes with the store, and the
 * checks a `connect(address, options)` makes before it opens any connection.
 */
import { OBJECT, type OptionKind, requireAddress, resolveOptions } from './option-checks.ts';
import type { SessionProvider } from './session-provider.ts';

/**
 * A provider and its lifetime. `MemorySessionStore`, `RedisSessionStore` and the
 * platform's `DatabaseSessionStore` implement it.
 */
export interface SessionStore {
  readonly provider: SessionProvider;
  /**
   * Stops timers and closes connections; a store with lock releases waiting for an
   * unreachable store first retries them, bounded by its `closeTimeoutMs`.
   */
  close(): Promise<void>;
}

/** A store over `provider`, which it closes; each store adds how it is made (`connect`, `fromConnection`). */
export abstract class ProviderSessionStore<P extends SessionProvider> implements SessionStore {
  readonly provider: P;

  protected constructor(provider: P) {
    this.provider = provider;
  }

  close(): Promise<void> {
    return this.provider.close();
  }
}

/** Where a store's `connect` reads environment variables (default `process.env`). */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Checks a `connect(address, options)` call before any connection: `address` must
 * be a string (`takes` says which), and `options`, over `defaults` and an `env`
 * option (default `process.env`), are checked against `kinds` and frozen. Throws
 * `TESSERA_SESSION_OPTIONS`, naming `owner` (`RedisSessionStore.connect`).
 */
export function connectOptions<T extends object>(
  owner: string,
  takes: string,
  address: unknown,
  defaults: T,
  kinds: { readonly [K in keyof T]-?: OptionKind },
  options: unknown,
): Readonly<T & { env: Environment }> {
  requireAddress(owner, takes, address);
  const withEnv: T & { env: Environment } = { ...defaults, env: process.env as Environment };
  const kindsWithEnv = { ...kinds, env: OBJECT } as { readonly [K in keyof typeof withEnv]-?: OptionKind };
  return resolveOptions(owner, withEnv, kindsWithEnv, options);
}
