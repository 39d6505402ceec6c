/**
 * Where a session lives in Redis: its keys and release channel, all named after the
 * hash tag `{<appKey>_<id>}` so that they share one cluster slot (one script can
 * touch them all, and `SPUBLISH` reaches the node that holds them), and how the
 * sessions of an application are found by their `_Internal` key (every session has
 * one, even with no items). The principal index's own keys are in
 * `redis-principal-index.ts`.
 */
import type { SessionKey } from '../session-provider.ts';

/** The keys and channel of one session. */
export interface SessionKeys {
  /** `{<appKey>_<id>}`: this server's name for the session (waiters, cache, hand-overs). */
  readonly tag: string;
  /** The items, a hash. */
  readonly data: string;
  /** Timeout, creation time, version, expiry and principal, a hash. */
  readonly internal: string;
  readonly lock: string;
  /** Where a release (or the session's end) is published. */
  readonly channel: string;
}

export function keysOf(key: SessionKey): SessionKeys {
  const tag = `{${key.appKey}_${key.id}}`;
  return {
    tag,
    data: `${tag}_Data`,
    internal: `${tag}_Internal`,
    lock: `${tag}_WriteLock`,
    channel: releaseChannel(tag),
  };
}

/** The channel the releases of the session of `tag` are published on. */
export function releaseChannel(tag: string): string {
  return `${tag}_Released`;
}

/**
 * The `SCAN … MATCH` pattern of the `_Internal` keys of every session of `appKey`,
 * and the id of the session of a key it matched. An appKey has no "_", so `{shop_`
 * never begins app `shop_admin`'s keys.
 */
export function sessionsOf(appKey: string): { readonly pattern: string; idOf(name: string): string } {
  const head = `{${appKey}_`;
  const tail = '}_Internal';
  return {
    pattern: `${escapeGlob(head)}*${tail}`,
    idOf: (name) => name.slice(head.length, -tail.length),
  };
}

/** `text` as a `SCAN … MATCH` pattern that matches only itself. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
