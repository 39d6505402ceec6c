import { TesseraError } from '../errors.ts';

/** Stable codes of the Redis layer (connection string, topology, client). Listed in docs/errors.md. */
export const REDIS_ERROR_CODES = [
  // connection string
  'TESSERA_REDIS_CONNECTION_STRING',
  // client and topology
  'TESSERA_REDIS_DNS',
  'TESSERA_REDIS_UNREACHABLE',
  'TESSERA_REDIS_TIMEOUT',
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
  'TESSERA_REDIS_NOT_CONNECTED',
  'TESSERA_REDIS_UNEXPECTED',
] as const;
export type RedisErrorCode = (typeof REDIS_ERROR_CODES)[number];

/** A problem reaching or using Redis, or with the connection string that describes it. */
export class RedisError extends TesseraError {
  override get name(): string {
    return 'RedisError';
  }

  declare readonly code: RedisErrorCode;

  constructor(code: RedisErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
