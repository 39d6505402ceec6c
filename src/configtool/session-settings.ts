import type { RedisSessionSettings, SessionSettings } from '../config/index.ts';

/** Whether two session settings are the same, the password compared without revealing it. */
export function sameSession(a: SessionSettings, b: SessionSettings): boolean {
  if (a.provider !== b.provider) return false;
  if (a.redis === undefined || b.redis === undefined) return a.redis === b.redis;
  const plain = (redis: RedisSessionSettings) => {
    const { password: _password, ...rest } = redis;
    return JSON.stringify(Object.entries(rest).sort(([x], [y]) => x.localeCompare(y)));
  };
  const samePassword =
    a.redis.password === undefined
      ? b.redis.password === undefined
      : a.redis.password.equals(b.redis.password);
  return samePassword && plain(a.redis) === plain(b.redis);
}
