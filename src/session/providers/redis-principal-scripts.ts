/**
 * The Lua scripts of the Redis provider's principal index (`redis-principal-index.ts`),
 * apart from the session scripts: each touches either one session's `_Internal`
 * hash or one principal's index, never both (they are in different Cluster slots).
 */
import { createHash } from 'node:crypto';
import type { LuaScript } from '../../redis/index.ts';

const NOW = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

function script(body: string): LuaScript {
  const source = `${NOW}${body}`;
  return Object.freeze({ source, sha1: createHash('sha1').update(source).digest('hex') });
}

/** KEYS internal. Returns {'missing'} or {'found', absolute|'', principal|'', frontEnd|'', userAgent|'', now}. */
export const PRINCIPAL_READ = script(`
local f = redis.call('HMGET', KEYS[1], 'timeout', 'absolute', 'principal', 'frontEnd', 'userAgent')
if not f[1] then return {'missing'} end
return {'found', f[2] or '', f[3] or '', f[4] or '', f[5] or '', tostring(now_ms())}
`);

/** KEYS internal. ARGV name|'' (clears), frontEnd, userAgent. 1 when the session exists. */
export const PRINCIPAL_SET = script(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == '' then
  redis.call('HDEL', KEYS[1], 'principal', 'frontEnd', 'userAgent')
else
  redis.call('HSET', KEYS[1], 'principal', ARGV[1], 'frontEnd', ARGV[2], 'userAgent', ARGV[3])
end
return 1
`);

/**
 * KEYS internal. ARGV name. {'stale'} unless the live session names the principal;
 * else {'live', created, timeout, absolute|'', expiresAt, frontEnd, userAgent}.
 */
export const PRINCIPAL_PEEK = script(`
local f = redis.call('HMGET', KEYS[1], 'timeout', 'created', 'absolute', 'principal', 'frontEnd', 'userAgent')
if not f[1] or f[4] ~= ARGV[1] then return {'stale'} end
local now = now_ms()
local absolute = f[3] or ''
if absolute ~= '' and tonumber(absolute) <= now then return {'stale'} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return {'stale'} end
return {'live', f[2], f[1], absolute, tostring(now + ttl), f[5] or '', f[6] or ''}
`);

/**
 * KEYS index. ARGV id, lifetimeMs|''. Adds (or refreshes) the entry, scored with
 * this server's time. The key expires only while every entry has a lifetime: an
 * entry without one makes it persistent.
 */
export const INDEX_ADD = script(`
local ttl = redis.call('PTTL', KEYS[1])
redis.call('ZADD', KEYS[1], now_ms(), ARGV[1])
if ARGV[2] == '' then
  redis.call('PERSIST', KEYS[1])
elseif ttl == -2 or (ttl >= 0 and ttl < tonumber(ARGV[2])) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
`);

/** KEYS index. ARGV graceMs, id, … Removes the given entries older than graceMs. */
export const INDEX_PRUNE = script(`
local oldest = now_ms() - tonumber(ARGV[1])
local removed = 0
for i = 2, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) <= oldest then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return removed
`);
