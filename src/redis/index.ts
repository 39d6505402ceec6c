/** The Redis layer: connection string, topology, client, Test Connection. */
export type { ConnectRedisOptions } from './client.ts';
export { connectRedis } from './client.ts';
export type { LuaScript, RedisArgument, RedisConnection, RedisReply, RedisTopology } from './connection.ts';
export * from './connection-string.ts';
export {
  REDIS_CHANNELS,
  type RedisConnectEvent,
  type RedisErrorEvent,
  type RedisFailoverEvent,
  type RedisHealthEvent,
} from './diagnostics.ts';
export {
  isRedisUnavailable,
  REDIS_ERROR_CODES,
  REDIS_UNAVAILABLE_CODES,
  RedisError,
  type RedisErrorCode,
} from './errors.ts';
export type { Check, TestConnectionOptions, TestConnectionReport } from './test-connection.ts';
export { runTestConnection, TEST_KEY_PREFIX } from './test-connection.ts';
