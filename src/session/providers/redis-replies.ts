/** Reading the replies of the Redis provider's scripts, whatever the client's reply types (RESP2/3, strings or Buffers). */
import type { RedisReply } from '../../redis/index.ts';
import type { StoredSession } from '../session-provider.ts';

export type Reply = RedisReply;

/** A scalar reply as text ('' for nil). */
export function text(reply: Reply | undefined): string {
  if (reply === null || reply === undefined) return '';
  if (typeof reply === 'string') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  if (typeof reply === 'number' || typeof reply === 'bigint') return String(reply);
  throw new Error(`Expected a scalar reply from Redis, got ${Array.isArray(reply) ? 'an array' : 'a map'}`);
}

/**
 * A session from a load script's reply:
 * `[state, timeout, created, version, absolute, tookOver, [field, value, …]]`.
 */
export function parseSession(reply: readonly Reply[]): StoredSession {
  const absolute = text(reply[4]);
  const data = reply[6];
  const items = new Map<string, string>();
  if (Array.isArray(data)) {
    for (let i = 0; i + 1 < data.length; i += 2) items.set(text(data[i]), text(data[i + 1]));
  }
  return {
    items,
    timeoutMinutes: Number(text(reply[1])),
    createdAtMs: Number(text(reply[2])),
    absoluteExpiresAtMs: absolute === '' ? null : Number(absolute),
    version: Number(text(reply[3])),
  };
}
