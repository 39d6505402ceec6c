import { TesseraError } from '../errors.ts';

/** Stable codes of the Redis layer (connection string, topology, client). Listed in docs/errors.md. */
export const REDIS_ERROR_CODES = [
  // connection string
  'TESSERA_REDIS_CONNECTION_STRING',
  // client and topology
  'TESSERA_REDIS_UNREACHABLE',
] as const;
export type RedisErrorCode = (typeof REDIS_ERROR_CODES)[number];

/** A problem reaching or using Redis, or with the connection string that describes it. */
export class RedisError extends TesseraError {
  declare readonly code: RedisErrorCode;

  constructor(code: RedisErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
