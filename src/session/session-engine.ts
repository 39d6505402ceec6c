/**
 * The session engine: opens a request's session from the id its client presented,
 * over any `SessionProvider`. An id the store does not know is never adopted: the
 * request gets a new session with a new id. One store call loads (and, in
 * exclusive mode, locks and slides the expiry); `ActiveSession.commit` makes at
 * most one more.
 */
import { ActiveSession } from './active-session.ts';
import { publishStoreUnavailable } from './diagnostics.ts';
import { SessionError } from './errors.ts';
import { acquireSession } from './lock-acquire.ts';
import { isSessionId, newLockToken, newSessionId } from './session-id.ts';
import {
  resolveSessionOptions,
  SESSION_MODES,
  type SessionMode,
  type SessionOptions,
} from './session-options.ts';
import type { SessionProvider, StoredSession } from './session-provider.ts';

export interface OpenOptions {
  /** This request's mode; default: the engine's `mode`. */
  readonly mode?: SessionMode | undefined;
  /** Aborts waiting for the lock (the client went away). */
  readonly signal?: AbortSignal | undefined;
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
   * or a new one. Rejects with a `SessionError`: `STORE_UNAVAILABLE` (fail fast),
   * `TOO_MANY_WAITERS` or `LOCK_WAIT_TIMEOUT`.
   */
  async open(clientId: string | undefined, options: OpenOptions = {}): Promise<ActiveSession> {
    const mode = options.mode ?? this.options.mode;
    if (!SESSION_MODES.includes(mode)) {
      throw new SessionError(
        'TESSERA_SESSION_OPTIONS',
        `Session mode "${String(mode)}" is not one of ${SESSION_MODES.join(', ')}.`,
      );
    }
    const base = { provider: this.provider, options: this.options, mode, clientId };
    if (!isSessionId(clientId)) {
      return new ActiveSession({ ...base, id: newSessionId(), stored: undefined, lockToken: null });
    }
    const key = { appKey: this.options.appKey, id: clientId };
    try {
      let stored: StoredSession | undefined;
      let lockToken: string | null = null;
      if (mode === 'exclusive') {
        lockToken = newLockToken();
        const load = await acquireSession(this.provider, key, lockToken, {
          ...this.options,
          signal: options.signal,
        });
        stored = load.state === 'loaded' ? load.session : undefined;
      } else {
        const load = await this.provider.loadReadOnly(key);
        stored = load.state === 'loaded' ? load.session : undefined;
      }
      if (!stored)
        return new ActiveSession({ ...base, id: newSessionId(), stored: undefined, lockToken: null });
      return new ActiveSession({ ...base, id: clientId, stored, lockToken });
    } catch (error) {
      reportUnavailable(this.provider, error);
      throw error;
    }
  }

  /** Stops the provider's timers and closes its connections. */
  close(): Promise<void> {
    return this.provider.close();
  }
}

function reportUnavailable(provider: SessionProvider, error: unknown): void {
  if (error instanceof SessionError && error.code === 'TESSERA_SESSION_STORE_UNAVAILABLE') {
    publishStoreUnavailable({ provider: provider.name, code: error.code });
  }
}
