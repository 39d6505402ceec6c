/**
 * `tessera/redis`: the Redis connection layer and Test Connection, for tools
 * (consoles, health checks, scripts) that speak to the session Redis as the
 * front-end servers do: the same connection string, the same `SERedis_*`
 * certificate variables, the same errors. Applications need only `tessera`.
 *
 * ```js
 * import { runTestConnection } from 'tessera/redis';
 * const report = await runTestConnection('redis1:6380,ssl=true,sslHost=redis.example.com');
 * ```
 */
export {
  type Check,
  CONNECTION_STRING_DEFAULTS,
  type ConnectRedisOptions,
  connectRedis,
  formatConnectionString,
  parseConnectionString,
  REDIS_CHANNELS,
  REDIS_ERROR_CODES,
  type RedisConnectEvent,
  type RedisConnection,
  type RedisConnectionSettings,
  type RedisEndpoint,
  RedisError,
  type RedisErrorCode,
  type RedisErrorEvent,
  type RedisFailoverEvent,
  type RedisHealthEvent,
  type RedisReply,
  type RedisTopology,
  redactConnectionString,
  runTestConnection,
  TEST_KEY_PREFIX,
  type TestConnectionOptions,
  type TestConnectionReport,
} from './redis/index.ts';
