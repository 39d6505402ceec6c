/**
 * The Lua scripts of the Redis provider: each operation is one script, so it is
 * atomic and costs one round trip. Every script touches only the keys of one
 * session, which share one hash tag (Redis Cluster runs it on one node).
 *
 * KEYS of a session: [1] `{app_id}_Data` (hash: item → JSON), [2] `{app_id}_Internal`
 * (hash: timeout in minutes, created and absolute in epoch ms, version),
 * [3] `{app_id}_WriteLock` (string `token|acquiredMs`, with PX = lock timeout).
 * Times come from `TIME` on the Redis server, never from a front-end's clock.
 * A release is published (SPUBLISH on a cluster) on `{app_id}_Released`: `released`
 * when the lock was released (one waiter is woken), `gone` when the session was
 * removed (every waiter is woken, to find it missing).
 */
import { createHash } from 'node:crypto';
import type { LuaScript } from '../../redis/index.ts';

const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function ttl_ms(timeout, absolute, now)
  local ttl = math.floor(tonumber(timeout) * 60000)
  if absolute and absolute ~= '' then
    local left = tonumber(absolute) - now
    if left < ttl then ttl = left end
  end
  return ttl
end
local function slide(data, internal, ttl)
  if ttl < 1 then ttl = 1 end
  redis.call('PEXPIRE', data, ttl)
  redis.call('PEXPIRE', internal, ttl)
end
local function holder(lock)
  local sep = string.find(lock, '|', 1, true)
  return string.sub(lock, 1, sep - 1), tonumber(string.sub(lock, sep + 1))
end
local function wake(command, channel, message)
  if command ~= '' then redis.call(command, channel, message or 'released') end
end
`;

function script(body: string): LuaScript {
  const source = `${PRELUDE}${body}`;
  return Object.freeze({ source, sha1: createHash('sha1').update(source).digest('hex') });
}

/** KEYS data, internal, lock. ARGV token, lockTimeoutMs. Lock, slide, read. */
export const LOAD_EXCLUSIVE = script(`
local internal = redis.call('HMGET', KEYS[2], 'timeout', 'created', 'version', 'absolute')
if not internal[1] then return {'missing'} end
local now = now_ms()
local ttl = ttl_ms(internal[1], internal[4], now)
if ttl <= 0 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
  return {'missing'}
end
local took = ''
local lock = redis.call('GET', KEYS[3])
if lock then
  local token, acquired = holder(lock)
  if token ~= ARGV[1] then
    local age = now - acquired
    if age < tonumber(ARGV[2]) then return {'locked', tostring(age)} end
    took = tostring(age)
  end
end
redis.call('SET', KEYS[3], ARGV[1] .. '|' .. tostring(now), 'PX', ARGV[2])
slide(KEYS[1], KEYS[2], ttl)
return {'loaded', internal[1], internal[2], internal[3], internal[4] or '', took, redis.call('HGETALL', KEYS[1])}
`);

/** KEYS data, internal. Slide, read; no lock. */
export const LOAD_READ_ONLY = script(`
local internal = redis.call('HMGET', KEYS[2], 'timeout', 'created', 'version', 'absolute')
if not internal[1] then return {'missing'} end
local ttl = ttl_ms(internal[1], internal[4], now_ms())
if ttl <= 0 then return {'missing'} end
slide(KEYS[1], KEYS[2], ttl)
return {'loaded', internal[1], internal[2], internal[3], internal[4] or '', '', redis.call('HGETALL', KEYS[1])}
`);

/** KEYS data, internal, lock. ARGV timeout, absoluteLifetimeMs|'', token|'', lockTimeoutMs, field, value, … */
export const CREATE = script(`
if redis.call('EXISTS', KEYS[2]) == 1 then return {'exists'} end
local now = now_ms()
local absolute = ''
if ARGV[2] ~= '' then absolute = tostring(now + tonumber(ARGV[2])) end
redis.call('HSET', KEYS[2], 'timeout', ARGV[1], 'created', tostring(now), 'version', '1', 'absolute', absolute)
if #ARGV > 4 then redis.call('HSET', KEYS[1], unpack(ARGV, 5)) end
if ARGV[3] ~= '' then redis.call('SET', KEYS[3], ARGV[3] .. '|' .. tostring(now), 'PX', ARGV[4]) end
slide(KEYS[1], KEYS[2], ttl_ms(ARGV[1], absolute, now))
return {'created', '1'}
`);

/**
 * KEYS data, internal, lock. ARGV token|'', expectedVersion|'', release '1'|'0',
 * timeout|'', setCount, publish command|'', channel, field, value, … (setCount
 * pairs), removed field, …
 */
export const SAVE = script(`
local internal = redis.call('HMGET', KEYS[2], 'timeout', 'absolute', 'version')
if not internal[1] then return {'missing'} end
local token = ARGV[1]
if token ~= '' then
  local lock = redis.call('GET', KEYS[3])
  if lock then
    if holder(lock) ~= token then return {'lock-lost'} end
  elseif internal[3] ~= ARGV[2] then
    return {'lock-lost'}
  end
end
local first = 8
local pairsEnd = first + tonumber(ARGV[5]) * 2 - 1
if pairsEnd >= first then redis.call('HSET', KEYS[1], unpack(ARGV, first, pairsEnd)) end
if #ARGV > pairsEnd then redis.call('HDEL', KEYS[1], unpack(ARGV, pairsEnd + 1)) end
local timeout = internal[1]
if ARGV[4] ~= '' then
  timeout = ARGV[4]
  redis.call('HSET', KEYS[2], 'timeout', timeout)
end
local version = redis.call('HINCRBY', KEYS[2], 'version', 1)
slide(KEYS[1], KEYS[2], ttl_ms(timeout, internal[2], now_ms()))
if token ~= '' and ARGV[3] == '1' then
  redis.call('DEL', KEYS[3])
  wake(ARGV[6], ARGV[7])
end
return {'saved', tostring(version)}
`);

/** KEYS lock. ARGV token, publish command, channel. */
export const RELEASE = script(`
local lock = redis.call('GET', KEYS[1])
if lock and holder(lock) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  wake(ARGV[2], ARGV[3])
  return 1
end
return 0
`);

/** KEYS data, internal. */
export const TOUCH = script(`
local internal = redis.call('HMGET', KEYS[2], 'timeout', 'absolute')
if not internal[1] then return 0 end
slide(KEYS[1], KEYS[2], ttl_ms(internal[1], internal[2], now_ms()))
return 1
`);

/** KEYS data, internal, lock. ARGV publish command, channel. */
export const ABANDON = script(`
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
wake(ARGV[1], ARGV[2], 'gone')
return 1
`);

/** KEYS old data, internal, lock. ARGV token|'', publish command, channel. Reads and removes the old session. */
export const REGENERATE_TAKE = script(`
local internal = redis.call('HMGET', KEYS[2], 'timeout', 'created', 'version', 'absolute')
if not internal[1] then return {'missing'} end
if ARGV[1] ~= '' then
  local lock = redis.call('GET', KEYS[3])
  if not lock or holder(lock) ~= ARGV[1] then return {'lock-lost'} end
end
local ttl = redis.call('PTTL', KEYS[2])
local data = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
wake(ARGV[2], ARGV[3], 'gone')
return {'taken', internal[1], internal[2], internal[3], internal[4] or '', tostring(ttl), data}
`);

/** KEYS new data, internal, lock. ARGV timeout, created, version, absolute, ttlMs, token|'', lockTimeoutMs, field, value, … */
export const REGENERATE_PUT = script(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 'exists' end
local now = now_ms()
redis.call('HSET', KEYS[2], 'timeout', ARGV[1], 'created', ARGV[2], 'version', ARGV[3], 'absolute', ARGV[4])
if #ARGV > 7 then redis.call('HSET', KEYS[1], unpack(ARGV, 8)) end
if ARGV[6] ~= '' then redis.call('SET', KEYS[3], ARGV[6] .. '|' .. tostring(now), 'PX', ARGV[7]) end
local ttl = tonumber(ARGV[5])
if ttl <= 0 then ttl = ttl_ms(ARGV[1], ARGV[4], now) end
slide(KEYS[1], KEYS[2], ttl)
return 'regenerated'
`);

/** KEYS data, internal. Reads without sliding: `peek`, for listings. */
export const PEEK = script(`
local internal = redis.call('HMGET', KEYS[2], 'timeout', 'created', 'version', 'absolute')
if not internal[1] then return {'missing'} end
if ttl_ms(internal[1], internal[4], now_ms()) <= 0 then return {'missing'} end
return {'loaded', internal[1], internal[2], internal[3], internal[4] or '', '', redis.call('HGETALL', KEYS[1])}
`);
