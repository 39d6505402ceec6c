/**
 * The session engine: opens a request's session from the id its client presented,
 * over any `SessionProvider`. An id the store does not know is never adopted: the
 * request gets a new session with a new id. One store call loads (and, in
 * exclusive mode, locks and slides the expiry); `ActiveSession.commit` makes at
 * most one more.
 */
import { ActiveSession } from './active-session.ts';
import { reportUnavailable } from './diagnostics.ts';
import { SessionError } from './errors.ts';
import { acquireSession, type WaitSignal } from './lock-acquire.ts';
import { isSessionId, newLockToken, newSessionId } from './session-id.ts';
import {
  resolveSessionOptions,
  SESSION_MODES,
  type SessionMode,
  type SessionOptions,
} from './session-options.ts';
import type { SessionProvider, StoredSession } from './session-provider.ts';

/** The most session ids of one request tried against the store (a cookie sent several times). */
export const MAX_CLIENT_IDS = 3;

export interface OpenOptions {
  /** This request's mode; default: the engine's `mode`. */
  readonly mode?: SessionMode | undefined;
  /**
   * Aborts waiting for the lock (the client went away); a function is called only
   * when a wait starts, so that a request that never waits allocates nothing.
   */
  readonly signal?: WaitSignal | undefined;
}

export class SessionEngine {
  readonly provider: SessionProvider;
  readonly options: Readonly<SessionOptions>;

  constructor(provider: SessionProvider, options: Partial<SessionOptions> = {}) {
    this.provider = provider;
    this.options = resolveSessionOptions(options);
  }

  /**
   * The session of a request whose client presented `clientId` (from its cookie),
   * or a new one. A client may present several ids (the cookie sent twice): each
   * well-formed one is tried in order, at most `MAX_CLIENT_IDS` of them, and the
   * first the store knows wins; a single id costs one store call, as always.
   * Rejects with a `SessionError`: `STORE_UNAVAILABLE` (fail fast),
   * `TOO_MANY_WAITERS` or `LOCK_WAIT_TIMEOUT`.
   */
  async open(
    clientId: string | readonly string[] | undefined,
    options: OpenOptions = {},
  ): Promise<ActiveSession> {
    const mode = options.mode ?? this.options.mode;
    if (!SESSION_MODES.includes(mode)) {
      throw new SessionError(
        'TESSERA_SESSION_OPTIONS',
        `Session mode "${String(mode)}" is not one of ${SESSION_MODES.join(', ')}.`,
      );
    }
    const presented = typeof clientId === 'string' ? [clientId] : (clientId ?? []);
    const candidates =
      presented.length === 1 && isSessionId(presented[0])
        ? presented
        : [...new Set(presented.filter(isSessionId))].slice(0, MAX_CLIENT_IDS);
    const { provider, options: engineOptions } = this;
    try {
      for (const id of candidates) {
        const found = await this.#load(id, mode, options.signal);
        if (found) {
          const { stored, lockToken } = found;
          return new ActiveSession({
            provider,
            options: engineOptions,
            mode,
            clientId: id,
            id,
            stored,
            lockToken,
          });
        }
      }
    } catch (error) {
      reportUnavailable(this.provider.name, error);
      throw error;
    }
    return new ActiveSession({
      provider,
      options: engineOptions,
      mode,
      clientId: candidates[0] ?? presented[0],
      id: newSessionId(),
      stored: undefined,
      lockToken: null,
    });
  }

  /** The stored session `id` (locked in exclusive mode), or `undefined` when the store does not know it. */
  async #load(
    id: string,
    mode: SessionMode,
    signal: WaitSignal | undefined,
  ): Promise<{ stored: StoredSession; lockToken: string | null } | undefined> {
    const key = { appKey: this.options.appKey, id };
    if (mode !== 'exclusive') {
      const load = await this.provider.loadReadOnly(key);
      return load.state === 'loaded' ? { stored: load.session, lockToken: null } : undefined;
    }
    const lockToken = newLockToken();
    const load = await acquireSession(this.provider, key, lockToken, this.options, signal);
    return load.state === 'loaded' ? { stored: load.session, lockToken } : undefined;
  }

  /** Stops the provider's timers and closes its connections. */
  close(): Promise<void> {
    return this.provider.close();
  }
}
