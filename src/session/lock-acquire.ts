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
  readonly signal?: AbortSignal | undefined;
}

export type AcquiredLoad = Exclude<ExclusiveLoad, { state: 'locked' }>;

export async function acquireSession(
  provider: SessionProvider,
  key: SessionKey,
  lockToken: string,
  options: AcquireOptions,
): Promise<AcquiredLoad> {
  const started = performance.now();
  let watch: LockWatch | undefined;
  let lockAcquired = false;
  let queued = false;
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
      const load = await provider.loadExclusive(key, lockToken, { lockTimeoutMs: options.requestTimeoutMs });
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
        try {
          watch = await provider.watchLock(key);
        } catch (error) {
          publishLockWait({
            provider: provider.name,
            waitedMs: Math.round(performance.now() - started),
            outcome: outcome(error),
          });
          throw error;
        }
        continue; // load again now that releases are watched, so none is missed
      }
      if (!queued) {
        queued = true;
        publishLockQueued({ provider: provider.name });
      }
      const untilStaleMs = options.requestTimeoutMs - load.lockAgeMs + 1;
      const untilDeadlineMs = options.requestTimeoutMs - waitedMs;
      await watch.wait(
        Math.max(1, Math.ceil(Math.min(options.lockPollMs, untilStaleMs, untilDeadlineMs))),
        options.signal,
      );
    }
  } catch (error) {
    if (!(error instanceof SessionError && error.code === 'TESSERA_SESSION_LOCK_WAIT_TIMEOUT'))
      report(outcome(error));
    throw error;
  } finally {
    watch?.close({ lockAcquired });
  }
}

function outcome(error: unknown): 'too-many-waiters' | 'aborted' | 'error' {
  if (error instanceof SessionError && error.code === 'TESSERA_SESSION_TOO_MANY_WAITERS')
    return 'too-many-waiters';
  if (error instanceof Error && error.name === 'AbortError') return 'aborted';
  return 'error';
}
