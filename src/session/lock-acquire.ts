/**
 * Takes a session's lock for a request, waiting while another request holds it.
 * The waiter is woken by the provider's release signal (pub/sub for Redis, the
 * in-process waiter list always), re-checks at least every `lockPollMs` in case a
 * signal is lost, and gives up after `requestTimeoutMs`. A lock older than the
 * request timeout is taken over by the provider's load itself.
 */
import { performance } from 'node:perf_hooks';
import { publishLockQueued, publishLockTakeover, publishLockWait } from './diagnostics.ts';
import { SessionError } from './errors.ts';
import type { ExclusiveLoad, LockWatch, SessionKey, SessionProvider } from './session-provider.ts';

export interface AcquireOptions {
  readonly requestTimeoutMs: number;
  readonly lockPollMs: number;
}

/**
 * Aborts a lock wait (the client went away): a signal, or a function that makes one,
 * called only once a wait starts (most requests never wait, and allocate nothing).
 */
export type WaitSignal = AbortSignal | (() => AbortSignal);

export type AcquiredLoad = Exclude<ExclusiveLoad, { state: 'locked' }>;

export async function acquireSession(
  provider: SessionProvider,
  key: SessionKey,
  lockToken: string,
  options: AcquireOptions,
  waitSignal?: WaitSignal,
): Promise<AcquiredLoad> {
  const started = performance.now();
  let watch: LockWatch | undefined;
  let signal: AbortSignal | undefined;
  let lockAcquired = false;
  let queued = false;
  let load: ExclusiveLoad | undefined;
  if (provider.isBusy?.(key, lockToken)) {
    // This server holds the lock or others wait for it: load once a release reaches this request.
    watch = await openWatch();
    if (watch.joined) load = { state: 'locked', lockAgeMs: 0 };
  }
  const report = (outcome: Parameters<typeof publishLockWait>[0]['outcome']) => {
    if (watch)
      publishLockWait({
        provider: provider.name,
        waitedMs: Math.round(performance.now() - started),
        outcome,
      });
  };
  try {
    for (;;) {
      load ??= await provider.loadExclusive(key, lockToken, { lockTimeoutMs: options.requestTimeoutMs });
      if (load.state !== 'locked') {
        lockAcquired = load.state === 'loaded';
        report(lockAcquired ? 'acquired' : 'missing');
        if (load.state === 'loaded' && load.tookOverLockAgedMs !== null) {
          publishLockTakeover({ provider: provider.name, lockAgeMs: load.tookOverLockAgedMs });
        }
        return load;
      }
      const waitedMs = performance.now() - started;
      if (waitedMs >= options.requestTimeoutMs) {
        report('timeout');
        throw new SessionError(
          'TESSERA_SESSION_LOCK_WAIT_TIMEOUT',
          `Waited ${Math.round(waitedMs)} ms (requestTimeoutMs) for the lock of a session held by other requests of the same client. Retry later; make requests that only read the session use mode "readonly".`,
        );
      }
      if (!watch) {
        watch = await openWatch();
        if (!watch.joined) {
          load = undefined;
          continue; // load again now that releases are watched, so none is missed
        }
      }
      if (!queued) {
        queued = true;
        publishLockQueued({ provider: provider.name });
      }
      const untilStaleMs = options.requestTimeoutMs - load.lockAgeMs + 1;
      const untilDeadlineMs = options.requestTimeoutMs - waitedMs;
      signal ??= typeof waitSignal === 'function' ? waitSignal() : waitSignal;
      const handed = await watch.wait(
        Math.max(1, Math.ceil(Math.min(options.lockPollMs, untilStaleMs, untilDeadlineMs))),
        signal,
      );
      // Handed over by the request of this server that released the lock: held, and loaded.
      load = handed ? { state: 'loaded', session: handed, tookOverLockAgedMs: null } : undefined;
    }
  } catch (error) {
    if (!(error instanceof SessionError && error.code === 'TESSERA_SESSION_LOCK_WAIT_TIMEOUT'))
      report(outcome(error));
    throw error;
  } finally {
    watch?.close({ lockAcquired });
  }

  async function openWatch(): Promise<LockWatch> {
    try {
      return await provider.watchLock(key, { lockToken, lockTimeoutMs: options.requestTimeoutMs });
    } catch (error) {
      publishLockWait({
        provider: provider.name,
        waitedMs: Math.round(performance.now() - started),
        outcome: outcome(error),
      });
      throw error;
    }
  }
}

function outcome(error: unknown): 'too-many-waiters' | 'aborted' | 'error' {
  if (error instanceof SessionError && error.code === 'TESSERA_SESSION_TOO_MANY_WAITERS')
    return 'too-many-waiters';
  if (error instanceof Error && error.name === 'AbortError') return 'aborted';
  return 'error';
}
