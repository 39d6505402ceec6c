/**
 * Events of the session engine on `node:diagnostics_channel`. They carry counts,
 * durations, item names and the provider's name — never a session id or a value.
 */
import { channel } from 'node:diagnostics_channel';

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

const channels = {
  lockWait: channel(SESSION_CHANNELS.lockWait),
  lockQueued: channel(SESSION_CHANNELS.lockQueued),
  lockTakeover: channel(SESSION_CHANNELS.lockTakeover),
  save: channel(SESSION_CHANNELS.save),
  itemCorrupt: channel(SESSION_CHANNELS.itemCorrupt),
  storeUnavailable: channel(SESSION_CHANNELS.storeUnavailable),
  clientGone: channel(SESSION_CHANNELS.clientGone),
  created: channel(SESSION_CHANNELS.created),
  regenerated: channel(SESSION_CHANNELS.regenerated),
  destroyed: channel(SESSION_CHANNELS.destroyed),
  expired: channel(SESSION_CHANNELS.expired),
};

export type LifecycleKind = 'created' | 'regenerated' | 'destroyed' | 'expired';

export function publishLifecycle(kind: LifecycleKind, event: SessionLifecycleEvent): void {
  if (channels[kind].hasSubscribers) channels[kind].publish(event);
}

/** True when someone listens on `tessera:session:save` (its `sessionBytes` costs a sum). */
export function saveHasSubscribers(): boolean {
  return channels.save.hasSubscribers;
}

export function publishLockWait(event: LockWaitEvent): void {
  if (channels.lockWait.hasSubscribers) channels.lockWait.publish(event);
}

export function publishLockTakeover(event: LockTakeoverEvent): void {
  if (channels.lockTakeover.hasSubscribers) channels.lockTakeover.publish(event);
}

export function publishSave(event: SaveEvent): void {
  if (channels.save.hasSubscribers) channels.save.publish(event);
}

export function publishItemCorrupt(event: ItemCorruptEvent): void {
  if (channels.itemCorrupt.hasSubscribers) channels.itemCorrupt.publish(event);
}

export function publishStoreUnavailable(event: StoreUnavailableEvent): void {
  if (channels.storeUnavailable.hasSubscribers) channels.storeUnavailable.publish(event);
}

export function publishLockQueued(event: LockQueuedEvent): void {
  if (channels.lockQueued.hasSubscribers) channels.lockQueued.publish(event);
}

export function publishClientGone(event: ClientGoneEvent): void {
  if (channels.clientGone.hasSubscribers) channels.clientGone.publish(event);
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
