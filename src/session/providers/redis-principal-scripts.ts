/**
 * The Lua scripts of the Redis provider's principal index (`redis-principal-index.ts`),
 * apart from the session scripts: each touches either one session's `_Internal`
 * hash or one principal's index, never both (they are in different Cluster slots).
 * Each is a typed description (`redis-script.ts`): keys, arguments and reply fields
 * by name.
 */
import { RedisScript, type ScriptShape } from './redis-script.ts';

const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

function script<
  const K extends 'internal' | 'index',
  const A extends string,
  const R extends Readonly<Record<string, readonly string[]>>,
>(shape: ScriptShape<K, A, R>): RedisScript<K, A, R> {
  return new RedisScript(PRELUDE, shape);
}

/** The session's principal fields and absolute expiry, with this server's time. */
export const PRINCIPAL_READ = script({
  name: 'read the principal',
  keys: ['internal'],
  args: [],
  replies: { found: ['absolute', 'principal', 'frontEnd', 'userAgent', 'now'], missing: [] },
  body: `
local f = redis.call('HMGET', internal, 'timeout', 'absolute', 'principal', 'frontEnd', 'userAgent')
if not f[1] then return reply.missing({}) end
return reply.found({ absolute = f[2], principal = f[3], frontEnd = f[4], userAgent = f[5], now = tostring(now_ms()) })
`,
});

/** Sets the principal fields, or clears them when `name` is empty; `missing` when the session is gone. */
export const PRINCIPAL_SET = script({
  name: 'set the principal',
  keys: ['internal'],
  args: ['name', 'frontEnd', 'userAgent'],
  replies: { set: [], missing: [] },
  body: `
if redis.call('EXISTS', internal) == 0 then return reply.missing({}) end
if name == '' then
  redis.call('HDEL', internal, 'principal', 'frontEnd', 'userAgent')
else
  redis.call('HSET', internal, 'principal', name, 'frontEnd', frontEnd, 'userAgent', userAgent)
end
return reply.set({})
`,
});

/** `stale` unless the live session names the principal `name`; else what a listing shows of it. */
export const PRINCIPAL_PEEK = script({
  name: 'list the principal',
  keys: ['internal'],
  args: ['name'],
  replies: {
    live: ['created', 'timeout', 'absolute', 'expiresAt', 'frontEnd', 'userAgent'],
    stale: [],
  },
  body: `
local f = redis.call('HMGET', internal, 'timeout', 'created', 'absolute', 'principal', 'frontEnd', 'userAgent')
if not f[1] or f[4] ~= name then return reply.stale({}) end
local now = now_ms()
local absolute = f[3] or ''
if absolute ~= '' and tonumber(absolute) <= now then return reply.stale({}) end
local ttl = redis.call('PTTL', internal)
if ttl < 0 then return reply.stale({}) end
return reply.live({ created = f[2], timeout = f[1], absolute = absolute, expiresAt = tostring(now + ttl), frontEnd = f[5], userAgent = f[6] })
`,
});

/**
 * Adds (or refreshes) the entry `id`, scored with this server's time; `lifetimeMs`
 * empty: none. The key expires only while every entry has a lifetime: an entry
 * without one makes it persistent.
 */
export const INDEX_ADD = script({
  name: 'index the principal',
  keys: ['index'],
  args: ['id', 'lifetimeMs'],
  replies: { added: [] },
  body: `
local ttl = redis.call('PTTL', index)
redis.call('ZADD', index, now_ms(), id)
if lifetimeMs == '' then
  redis.call('PERSIST', index)
elseif ttl == -2 or (ttl >= 0 and ttl < tonumber(lifetimeMs)) then
  redis.call('PEXPIRE', index, lifetimeMs)
end
return reply.added({})
`,
});

/** Removes the entries named in REST (ids) that are older than `graceMs`. */
export const INDEX_PRUNE = script({
  name: 'clean the principal index',
  keys: ['index'],
  args: ['graceMs'],
  replies: { pruned: ['removed'] },
  body: `
local oldest = now_ms() - tonumber(graceMs)
local removed = 0
for i = REST, #ARGV do
  local score = redis.call('ZSCORE', index, ARGV[i])
  if score and tonumber(score) <= oldest then
    removed = removed + redis.call('ZREM', index, ARGV[i])
  end
end
return reply.pruned({ removed = tostring(removed) })
`,
});
