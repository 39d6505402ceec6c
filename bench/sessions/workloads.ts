/**
 * The five workloads, and the request sequence autocannon sends for each: requests
 * rotate over the pre-created sessions (so concurrent requests rarely share a
 * session, and a lock, as concurrent requests of different users would), and
 * writes are spread evenly among reads.
 */
import type autocannon from 'autocannon';

export type SessionSize = 'small' | 'large';

export interface Workload {
  readonly id: string;
  readonly title: string;
  /** `small`: about 500 bytes; `large`: the same plus 100 items of 1 KB. */
  readonly sessions: SessionSize;
  /** Share of requests that change an item (`POST /item`); the others read one (`GET /item`). */
  readonly writeShare: number;
  /** Every request uses the same session (one user's concurrent requests), with this many connections. */
  readonly hot?: { readonly connections: number };
}

export const WORKLOADS: readonly Workload[] = [
  { id: 'read-only', title: 'Read-only: every request reads one item', sessions: 'small', writeShare: 0 },
  { id: '80-20', title: '80% read / 20% write', sessions: 'small', writeShare: 0.2 },
  {
    id: 'write-heavy',
    title: 'Write-heavy: every request changes one item',
    sessions: 'small',
    writeShare: 1,
  },
  {
    id: 'hot-session',
    title: 'One hot session, 50 concurrent requests, 80% read / 20% write',
    sessions: 'small',
    writeShare: 0.2,
    hot: { connections: 50 },
  },
  {
    id: 'large-session',
    title: '100 KB session, one small item changes per request',
    sessions: 'large',
    writeShare: 1,
  },
];

/** Kilobytes of filler items of each session size. */
export const FILLER_KB: Readonly<Record<SessionSize, number>> = { small: 0, large: 100 };

/**
 * autocannon's `setupRequest` for a workload: request `i` goes to session
 * `(i + ⌊i / n⌋) mod n` (the write pattern shifts by one session each round) and
 * writes when it crosses a multiple of `1 / writeShare`; a hot workload sends every
 * request to the first session. `all` empty: no session.
 */
export function requestSequence(
  workload: Workload,
  all: readonly string[],
): (request: autocannon.Request) => autocannon.Request {
  const cookies = workload.hot ? all.slice(0, 1) : all;
  let i = 0;
  return (request) => {
    const n = i++;
    const write = Math.floor((n + 1) * workload.writeShare) > Math.floor(n * workload.writeShare);
    const cookie =
      cookies.length > 0 ? cookies[(n + Math.floor(n / cookies.length)) % cookies.length] : undefined;
    return {
      ...request,
      method: write ? 'POST' : 'GET',
      path: '/item',
      headers: cookie === undefined ? {} : { cookie },
    };
  };
}
