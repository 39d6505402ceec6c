/**
 * Events of the session engine on `node:diagnostics_channel`. They carry counts,
 * durations, item names and the provider's name — never a session id or a value.
 */
import { channel } from 'node:diagnostics_channel';
import { publisher } from '../diagnostics-channel.ts';

/** Names of the channels, for subscribers. */
export const SESSION_CHANNELS = {
  lockWait: 'tessera:session:lock-wait',
  lockQueued: 'tessera:session:lock-queued',
  lockTakeover: 'tessera:session:lock-takeover',
  save: 'tessera:session:save',
  itemCorrupt: 'tessera:session:item-corrupt',
  storeUnavailable: 'tessera:session:store-unavailable',
  clientGone: 'tessera:session:client-gone',
  created: 'tessera:session:created',
  regenerated: 'tessera:session:regenerated',
  destroyed: 'tessera:session:destroyed',
  expired: 'tessera:session:expired',
} as const;

/** A request waited for a session's lock. */
export interface LockWaitEvent {
  readonly provider: string;
  readonly waitedMs: number;
  readonly outcome: 'acquired' | 'missing' | 'timeout' | 'too-many-waiters' | 'aborted' | 'error';
}

/** A request found its session locked and now waits for the release (published once per request, before the wait). */
export interface LockQueuedEvent {
  readonly provider: string;
}

/**
 * A request's client went away before its session could be opened (while it waited
 * for the lock, or while the store failed): the response was already closed, so
 * nothing was answered and nothing was raised. `code` says what ended the wait.
 */
export interface ClientGoneEvent {
  readonly provider: string;
  /** `ABORT_ERR` when the wait was cut short, else the session error's code. */
  readonly code: string;
}

/** A request took over a lock older than the request timeout. */
export interface LockTakeoverEvent {
  readonly provider: string;
  readonly lockAgeMs: number;
}

/** A request ended its use of a session: what it wrote (nothing when `outcome` is `unchanged`). */
export interface SaveEvent {
  readonly provider: string;
  readonly mode: string;
  readonly outcome: 'created' | 'saved' | 'unchanged' | 'missing' | 'lock-lost';
  readonly itemsWritten: number;
  readonly itemsRemoved: number;
  /** Bytes of item names and values written. */
  readonly bytesWritten: number;
  /**
   * Bytes of item names and values the session holds after the write (what counts
   * against `maxSessionBytes`); `null` when nothing was written.
   */
  readonly sessionBytes: number | null;
}

/**
 * A session began, moved to a new id, ended by request, or ended by expiry
 * (`tessera:session:created`, `…:regenerated`, `…:destroyed`, `…:expired`). No id:
 * a session id is a credential. Applications that need the ids subscribe to the
 * store's events (`sessionEvents(store)`), in their own process.
 */
export interface SessionLifecycleEvent {
  readonly provider: string;
  readonly appKey: string;
  /** `destroyed` only: what ended it. */
  readonly cause?: DestroyCause | undefined;
}

/** Why a session was destroyed: `req.session.abandon()`/`destroy()` (or the express-session store's `destroy`), or `PrincipalSessions`. */
export type DestroyCause = 'abandon' | 'log-out-everywhere' | 'log-out-others';

export interface ItemCorruptEvent {
  readonly provider: string;
  readonly item: string;
}

export interface StoreUnavailableEvent {
  readonly provider: string;
  readonly code: string;
}

export const publishLockWait = publisher<LockWaitEvent>(SESSION_CHANNELS.lockWait);
export const publishLockTakeover = publisher<LockTakeoverEvent>(SESSION_CHANNELS.lockTakeover);
export const publishSave = publisher<SaveEvent>(SESSION_CHANNELS.save);
export const publishItemCorrupt = publisher<ItemCorruptEvent>(SESSION_CHANNELS.itemCorrupt);
export const publishStoreUnavailable = publisher<StoreUnavailableEvent>(SESSION_CHANNELS.storeUnavailable);
export const publishLockQueued = publisher<LockQueuedEvent>(SESSION_CHANNELS.lockQueued);
export const publishClientGone = publisher<ClientGoneEvent>(SESSION_CHANNELS.clientGone);

export type LifecycleKind = 'created' | 'regenerated' | 'destroyed' | 'expired';

const lifecycle: Record<LifecycleKind, (event: SessionLifecycleEvent) => void> = {
  created: publisher(SESSION_CHANNELS.created),
  regenerated: publisher(SESSION_CHANNELS.regenerated),
  destroyed: publisher(SESSION_CHANNELS.destroyed),
  expired: publisher(SESSION_CHANNELS.expired),
};

export function publishLifecycle(kind: LifecycleKind, event: SessionLifecycleEvent): void {
  lifecycle[kind](event);
}

const saveChannel = channel(SESSION_CHANNELS.save);

/** True when someone listens on `tessera:session:save` (its `sessionBytes` costs a sum). */
export function saveHasSubscribers(): boolean {
  return saveChannel.hasSubscribers;
}

/** Codes that mean the store did not serve a request (published on `store-unavailable`). */
const UNAVAILABLE_CODES: readonly string[] = [
  'TESSERA_SESSION_STORE_UNAVAILABLE',
  'TESSERA_SESSION_OUTCOME_UNKNOWN',
];

/** Publishes `error` on `tessera:session:store-unavailable` when the store did not serve the request. */
export function reportUnavailable(provider: string, error: unknown): void {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.includes(code))
    publishStoreUnavailable({ provider, code });
}
