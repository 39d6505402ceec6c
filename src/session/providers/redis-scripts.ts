/**
 * The Lua scripts of the Redis provider: each operation is one script, so it is
 * atomic and costs one round trip. Every script touches only the keys of one
 * session, which share one hash tag (Redis Cluster runs it on one node). Each is
 * described once (`redis-script.ts`): the names of its keys, of its arguments and
 * of its replies' fields, which its body uses as Lua locals.
 *
 * Keys of a session: `data` `{app_id}_Data` (hash: item → JSON), `internal`
 * `{app_id}_Internal` (hash: timeout in minutes, created and absolute in epoch ms,
 * version), `lock` `{app_id}_WriteLock` (string `token|acquiredMs`, with PX = lock
 * timeout). Times come from `TIME` on the Redis server, never from a front-end's
 * clock. A release is published (SPUBLISH on a cluster) on `{app_id}_Released`:
 * `released <sender>` when the lock was released (one waiter is woken; the sending
 * provider has woken its own waiter already and ignores its echo), `gone` when the
 * session was removed (every waiter is woken, to find it missing).
 *
 * Loads slide the expiry lazily: only once `SLIDE_AFTER` of the timeout has passed
 * since the last slide, so that most reads write nothing. Loads are
 * version-checked: given the `created:version` of the copy the caller holds, a
 * load that finds the same answers `unchanged` without the items.
 */
import { SLIDE_AFTER } from './provider-options.ts';
import { RedisScript, type ScriptShape, type SessionKeyName } from './redis-script.ts';

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
local function slide_lazily(data, internal, ttl, timeout)
  local due = math.min(${SLIDE_AFTER.maxMs}, math.floor(tonumber(timeout) * 60000 * ${SLIDE_AFTER.share}))
  if ttl - redis.call('PTTL', internal) >= due then slide(data, internal, ttl) end
end
local function holder(lock)
  local sep = string.find(lock, '|', 1, true)
  return string.sub(lock, 1, sep - 1), tonumber(string.sub(lock, sep + 1))
end
local function stored(internal)
  local f = redis.call('HMGET', internal, 'timeout', 'created', 'version', 'absolute')
  if not f[1] then return nil end
  return { timeout = f[1], created = f[2], version = f[3], absolute = f[4] or '' }
end
-- Gives the lock to another token of the same server (hand-over), else frees it and publishes.
local function pass_lock(lock, handTo, handTimeoutMs, publish, channel, released)
  if handTo ~= '' then
    redis.call('SET', lock, handTo .. '|' .. tostring(now_ms()), 'PX', handTimeoutMs)
    return '1'
  end
  redis.call('DEL', lock)
  if publish ~= '' then redis.call(publish, channel, released) end
  return ''
end
-- A load's answer: slides the expiry, then the items unless the caller holds this version (\`known\`).
local function answer_load(s, data, internal, ttl, known)
  slide_lazily(data, internal, ttl, s.timeout)
  if known == s.created .. ':' .. s.version then return reply.unchanged(s) end
  s.items = redis.call('HGETALL', data)
  return reply.loaded(s)
end
local function wake(command, channel, message)
  if command ~= '' then redis.call(command, channel, message or 'released') end
end
`;

function script<
  const K extends SessionKeyName,
  const A extends string,
  const R extends Readonly<Record<string, readonly string[]>>,
>(shape: ScriptShape<K, A, R>): RedisScript<K, A, R> {
  return new RedisScript(PRELUDE, shape);
}

/** The fields of a loaded session in a reply; `items` is the data hash, `[name, value, …]`. */
const SESSION_FIELDS = ['timeout', 'created', 'version', 'absolute', 'items'] as const;

/** The fields of a session whose items the caller already holds (`known` matched). */
const UNCHANGED_FIELDS = ['timeout', 'created', 'version', 'absolute'] as const;

/**
 * Lock, slide (lazily), read. `known`: `created:version` of the caller's copy, or
 * ''. `tookOver`: the age of a stale lock taken over, or ''.
 */
export const LOAD_EXCLUSIVE = script({
  name: 'load',
  keys: ['data', 'internal', 'lock'],
  args: ['token', 'lockTimeoutMs', 'known'],
  replies: {
    loaded: [...SESSION_FIELDS, 'tookOver'],
    unchanged: [...UNCHANGED_FIELDS, 'tookOver'],
    locked: ['lockAgeMs'],
    missing: [],
  },
  body: `
local s = stored(internal)
if not s then return reply.missing({}) end
local now = now_ms()
local ttl = ttl_ms(s.timeout, s.absolute, now)
if ttl <= 0 then
  redis.call('DEL', data, internal, lock)
  return reply.missing({})
end
s.tookOver = ''
local stamp = token .. '|' .. tostring(now)
if not redis.call('SET', lock, stamp, 'NX', 'PX', lockTimeoutMs) then
  local holderToken, acquired = holder(redis.call('GET', lock))
  if holderToken ~= token then
    local age = now - acquired
    if age < tonumber(lockTimeoutMs) then return reply.locked({ lockAgeMs = tostring(age) }) end
    s.tookOver = tostring(age)
  end
  redis.call('SET', lock, stamp, 'PX', lockTimeoutMs)
end
return answer_load(s, data, internal, ttl, known)
`,
});

/** Slide (lazily), read; no lock. `known` as for LOAD_EXCLUSIVE. */
export const LOAD_READ_ONLY = script({
  name: 'load',
  keys: ['data', 'internal'],
  args: ['known'],
  replies: { loaded: SESSION_FIELDS, unchanged: UNCHANGED_FIELDS, missing: [] },
  body: `
local s = stored(internal)
if not s then return reply.missing({}) end
local ttl = ttl_ms(s.timeout, s.absolute, now_ms())
if ttl <= 0 then return reply.missing({}) end
return answer_load(s, data, internal, ttl, known)
`,
});

/** Creates the session unless the id is taken; REST: item name, value, …. */
export const CREATE = script({
  name: 'create the session',
  keys: ['data', 'internal', 'lock'],
  args: ['timeout', 'absoluteLifetimeMs', 'token', 'lockTimeoutMs'],
  replies: { created: ['version', 'created'], exists: [] },
  body: `
if redis.call('EXISTS', internal) == 1 then return reply.exists({}) end
local now = now_ms()
local absolute = ''
if absoluteLifetimeMs ~= '' then absolute = tostring(now + tonumber(absoluteLifetimeMs)) end
redis.call('HSET', internal, 'timeout', timeout, 'created', tostring(now), 'version', '1', 'absolute', absolute)
if #ARGV >= REST then redis.call('HSET', data, unpack(ARGV, REST)) end
if token ~= '' then redis.call('SET', lock, token .. '|' .. tostring(now), 'PX', lockTimeoutMs) end
slide(data, internal, ttl_ms(timeout, absolute, now))
return reply.created({ version = '1', created = tostring(now) })
`,
});

/**
 * Writes changes when the session exists and (with a token) the lock is still the
 * caller's, or free with the version the caller loaded. REST: `setCount` pairs of
 * item name and value, then the names of removed items. With `release` and
 * `handTo`, the lock passes to that token instead of being freed, provided nobody
 * saved since the caller's load (the hand-over then knows the session): `handed`.
 */
export const SAVE = script({
  name: 'save',
  keys: ['data', 'internal', 'lock'],
  args: [
    'token',
    'expectedVersion',
    'release',
    'timeout',
    'setCount',
    'publish',
    'channel',
    'released',
    'handTo',
    'handTimeoutMs',
  ],
  replies: { saved: ['version', 'timeout', 'created', 'absolute', 'handed'], missing: [], 'lock-lost': [] },
  body: `
local s = stored(internal)
if not s then return reply.missing({}) end
if token ~= '' then
  local held = redis.call('GET', lock)
  if held then
    if holder(held) ~= token then return reply['lock-lost']({}) end
  elseif s.version ~= expectedVersion then
    return reply['lock-lost']({})
  end
end
local pairsEnd = REST + tonumber(setCount) * 2 - 1
if pairsEnd >= REST then redis.call('HSET', data, unpack(ARGV, REST, pairsEnd)) end
if #ARGV > pairsEnd then redis.call('HDEL', data, unpack(ARGV, pairsEnd + 1)) end
local minutes = s.timeout
if timeout ~= '' then
  minutes = timeout
  redis.call('HSET', internal, 'timeout', minutes)
end
local version = redis.call('HINCRBY', internal, 'version', 1)
slide(data, internal, ttl_ms(minutes, s.absolute, now_ms()))
local handed = ''
if token ~= '' and release == '1' then
  if s.version ~= expectedVersion then handTo = '' end
  handed = pass_lock(lock, handTo, handTimeoutMs, publish, channel, released)
end
return reply.saved({ version = tostring(version), timeout = minutes, created = s.created,
  absolute = s.absolute, handed = handed })
`,
});

/**
 * Releases the lock if the token holds it. With `handTo`, passes it to that token
 * instead, provided the session is still at `known` (`created:version`): `handed`.
 */
export const RELEASE = script({
  name: 'release the lock',
  keys: ['internal', 'lock'],
  args: ['token', 'publish', 'channel', 'released', 'handTo', 'handTimeoutMs', 'known'],
  replies: { released: ['handed'], 'not-held': [] },
  body: `
local held = redis.call('GET', lock)
if held and holder(held) == token then
  if handTo ~= '' then
    local s = stored(internal)
    if not s or known ~= s.created .. ':' .. s.version then handTo = '' end
  end
  return reply.released({ handed = pass_lock(lock, handTo, handTimeoutMs, publish, channel, released) })
end
return reply['not-held']({})
`,
});

/** Slides the expiry. */
export const TOUCH = script({
  name: 'touch',
  keys: ['data', 'internal'],
  args: [],
  replies: { touched: [], missing: [] },
  body: `
local s = stored(internal)
if not s then return reply.missing({}) end
slide(data, internal, ttl_ms(s.timeout, s.absolute, now_ms()))
return reply.touched({})
`,
});

/** Deletes the session and wakes every waiter. */
export const ABANDON = script({
  name: 'abandon the session',
  keys: ['data', 'internal', 'lock'],
  args: ['publish', 'channel'],
  replies: { abandoned: [] },
  body: `
redis.call('DEL', data, internal, lock)
wake(publish, channel, 'gone')
return reply.abandoned({})
`,
});

/** Reads and removes the old session of a regenerate; `ttl` is what was left of its lifetime. */
export const REGENERATE_TAKE = script({
  name: 'regenerate the id',
  keys: ['data', 'internal', 'lock'],
  args: ['token', 'publish', 'channel'],
  replies: { taken: [...SESSION_FIELDS, 'ttl'], missing: [], 'lock-lost': [] },
  body: `
local s = stored(internal)
if not s then return reply.missing({}) end
if token ~= '' then
  local held = redis.call('GET', lock)
  if not held or holder(held) ~= token then return reply['lock-lost']({}) end
end
s.ttl = tostring(redis.call('PTTL', internal))
s.items = redis.call('HGETALL', data)
redis.call('DEL', data, internal, lock)
wake(publish, channel, 'gone')
return reply.taken(s)
`,
});

/** Puts the session taken by REGENERATE_TAKE under its new id; REST: item name, value, …. */
export const REGENERATE_PUT = script({
  name: 'regenerate the id',
  keys: ['data', 'internal', 'lock'],
  args: ['timeout', 'created', 'version', 'absolute', 'ttl', 'token', 'lockTimeoutMs'],
  replies: { regenerated: [], exists: [] },
  body: `
if redis.call('EXISTS', internal) == 1 then return reply.exists({}) end
local now = now_ms()
redis.call('HSET', internal, 'timeout', timeout, 'created', created, 'version', version, 'absolute', absolute)
if #ARGV >= REST then redis.call('HSET', data, unpack(ARGV, REST)) end
if token ~= '' then redis.call('SET', lock, token .. '|' .. tostring(now), 'PX', lockTimeoutMs) end
local left = tonumber(ttl)
if left <= 0 then left = ttl_ms(timeout, absolute, now) end
slide(data, internal, left)
return reply.regenerated({})
`,
});

/** Reads without sliding: `peek`, for listings. */
export const PEEK = script({
  name: 'read the session',
  keys: ['data', 'internal'],
  args: [],
  replies: { loaded: SESSION_FIELDS, missing: [] },
  body: `
local s = stored(internal)
if not s then return reply.missing({}) end
if ttl_ms(s.timeout, s.absolute, now_ms()) <= 0 then return reply.missing({}) end
s.items = redis.call('HGETALL', data)
return reply.loaded(s)
`,
});
