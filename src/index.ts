/**
 * The public API of the `tessera` package. Everything a user may import is named
 * here; the layers' own `index.ts` files are for Tessera's other layers.
 */
export { TesseraError } from './errors.ts';
export {
  type Check,
  type ConnectRedisOptions,
  connectRedis,
  formatConnectionString,
  parseConnectionString,
  type RedisConnection,
  type RedisConnectionSettings,
  RedisError,
  redactConnectionString,
  runTestConnection,
  type TestConnectionReport,
} from './redis/index.ts';
export { TlsError } from './tls/index.ts';
