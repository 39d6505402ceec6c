/**
 * Events of a store's sessions for the application that owns the store: created,
 * regenerated, destroyed, expired — with the session's id, which the diagnostics
 * channels never carry. Each is also published, without the id, on its
 * `tessera:session:*` channel for operators' tools.
 *
 * Expiry is told only by stores that see it: the memory store when it removes an
 * expired session (on its next use or at its sweep), the Database store at its sweep
 * (up to `sweepIntervalMs` late). Redis expires keys by itself and tells nobody
 * reliably (keyspace notifications are off by default, per node on a Cluster, and
 * lost while a subscriber reconnects), so the Redis store reports no expiry.
 */
import { EventEmitter } from 'node:events';
import { type DestroyCause, type LifecycleKind, publishLifecycle } from './diagnostics.ts';
import type { SessionProvider } from './session-provider.ts';
import type { SessionStore } from './session-store.ts';

export interface SessionCreatedEvent {
  readonly appKey: string;
  readonly id: string;
}

export interface SessionRegeneratedEvent {
  readonly appKey: string;
  /** The new id. */
  readonly id: string;
  /** The id that stopped working. */
  readonly previousId: string;
}

export interface SessionDestroyedEvent {
  readonly appKey: string;
  readonly id: string;
  readonly cause: DestroyCause;
}

export interface SessionExpiredEvent {
  readonly appKey: string;
  readonly id: string;
}

export interface SessionEventMap {
  created: [SessionCreatedEvent];
  regenerated: [SessionRegeneratedEvent];
  destroyed: [SessionDestroyedEvent];
  expired: [SessionExpiredEvent];
}

/** The events of one store (one provider); listeners run synchronously, in the request that caused the event. */
export class SessionEvents extends EventEmitter<SessionEventMap> {}

const byProvider = new WeakMap<SessionProvider, SessionEvents>();

/**
 * The events of `store`'s sessions (the same emitter every time):
 * `sessionEvents(store).on('destroyed', ({ id, cause }) => …)`.
 */
export function sessionEvents(store: SessionStore | SessionProvider): SessionEvents {
  const provider = 'provider' in store ? store.provider : store;
  let events = byProvider.get(provider);
  if (!events) {
    events = new SessionEvents();
    byProvider.set(provider, events);
  }
  return events;
}

/** Tells the store's listeners and the diagnostics channel that a session's life changed. */
export function emitSessionEvent<K extends LifecycleKind>(
  provider: SessionProvider,
  kind: K,
  event: SessionEventMap[K][0],
): void {
  const cause = 'cause' in event ? event.cause : undefined;
  publishLifecycle(kind, { provider: provider.name, appKey: event.appKey, cause });
  const events = byProvider.get(provider);
  if (!events?.listenerCount(kind)) return;
  // A listener's exception is the application's bug, not the store's: it must not
  // fail the request, nor stop a sweep.
  try {
    (events.emit as (kind: K, event: SessionEventMap[K][0]) => boolean)(kind, event);
  } catch (error) {
    process.nextTick(() => {
      throw error;
    });
  }
}
