import { hasErrorCode, layerError } from '../errors.ts';

/** Stable codes of the Redis layer (connection string, topology, client). Listed in docs/errors.md. */
export const REDIS_ERROR_CODES = [
  // connection string
  'TESSERA_REDIS_CONNECTION_STRING',
  // client and topology
  'TESSERA_REDIS_DNS',
  'TESSERA_REDIS_UNREACHABLE',
  'TESSERA_REDIS_TIMEOUT',
  'TESSERA_REDIS_UNRESPONSIVE',
  'TESSERA_REDIS_CONNECTION_CLOSED',
  'TESSERA_REDIS_TLS_UNTRUSTED',
  'TESSERA_REDIS_TLS_NAME_MISMATCH',
  'TESSERA_REDIS_TLS_SERVER_CERT_EXPIRED',
  'TESSERA_REDIS_TLS_SERVER_CERT_NOT_YET_VALID',
  'TESSERA_REDIS_TLS_SERVER_USAGE',
  'TESSERA_REDIS_TLS_NOT_ENABLED',
  'TESSERA_REDIS_TLS_REQUIRED',
  'TESSERA_REDIS_TLS_CLIENT_CERT_REJECTED',
  'TESSERA_REDIS_AUTH',
  'TESSERA_REDIS_PERMISSION',
  'TESSERA_REDIS_VERSION',
  'TESSERA_REDIS_NO_PRIMARY',
  'TESSERA_REDIS_SEVERAL_PRIMARIES',
  'TESSERA_REDIS_CLUSTER_DOWN',
  'TESSERA_REDIS_OUT_OF_MEMORY',
  'TESSERA_REDIS_NOT_READY',
  'TESSERA_REDIS_NOT_CONNECTED',
  'TESSERA_REDIS_UNEXPECTED',
] as const;
export type RedisErrorCode = (typeof REDIS_ERROR_CODES)[number];

/** A problem reaching or using Redis, or with the connection string that describes it. */
export class RedisError extends layerError<RedisErrorCode>('RedisError') {}

/**
 * Codes that mean "Redis cannot serve now; the same command may succeed shortly":
 * the connection is down or silent, or the server refuses for a reason that passes
 * (out of memory, loading, cluster down). The session layer answers these with
 * HTTP 503 and `Retry-After`. Every other error, including Redis's replies to a
 * malformed command and Tessera's own bugs, is not an outage.
 */
export const REDIS_UNAVAILABLE_CODES: readonly RedisErrorCode[] = [
  'TESSERA_REDIS_DNS',
  'TESSERA_REDIS_UNREACHABLE',
  'TESSERA_REDIS_TIMEOUT',
  'TESSERA_REDIS_UNRESPONSIVE',
  'TESSERA_REDIS_CONNECTION_CLOSED',
  'TESSERA_REDIS_NO_PRIMARY',
  'TESSERA_REDIS_CLUSTER_DOWN',
  'TESSERA_REDIS_OUT_OF_MEMORY',
  'TESSERA_REDIS_NOT_READY',
  'TESSERA_REDIS_NOT_CONNECTED',
];

/** True when `error` (from any copy of the package) means Redis cannot serve now; see {@link REDIS_UNAVAILABLE_CODES}. */
export function isRedisUnavailable(error: unknown): boolean {
  return REDIS_UNAVAILABLE_CODES.some((code) => hasErrorCode(error, code));
}
