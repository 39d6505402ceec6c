import { layerError } from '../errors.ts';
import type { TlsVariableName } from './variables.ts';

/** Stable codes of the certificate-material layer. Listed in docs/errors.md. */
export const TLS_ERROR_CODES = [
  // client certificate: which file
  'TESSERA_TLS_PFX_MISSING_VARIABLE',
  'TESSERA_TLS_FILE_NOT_FOUND',
  'TESSERA_TLS_FILE_UNREADABLE',
  'TESSERA_TLS_FILE_NOT_REGULAR',
  'TESSERA_TLS_FILE_TOO_LARGE',
  // client certificate: the PFX file
  'TESSERA_TLS_PFX_NOT_PKCS12',
  'TESSERA_TLS_PFX_DAMAGED',
  'TESSERA_TLS_PFX_UNSUPPORTED',
  'TESSERA_TLS_PFX_PASSWORD_REQUIRED',
  'TESSERA_TLS_PFX_PASSWORD',
  'TESSERA_TLS_PFX_NO_KEY',
  'TESSERA_TLS_PFX_NO_CERTIFICATE',
  // client certificate: the PEM pair (SERedis_ClientCertPemPath + SERedis_ClientCertPasswordPath)
  'TESSERA_TLS_PEM_PAIR_INCOMPLETE',
  'TESSERA_TLS_PEM_INVALID',
  'TESSERA_TLS_PEM_KEY_PASSWORD',
  // client certificate: whatever the file
  'TESSERA_TLS_KEY_MISMATCH',
  'TESSERA_TLS_CLIENT_CERT_EXPIRED',
  'TESSERA_TLS_CLIENT_CERT_NOT_YET_VALID',
  // other variables
  'TESSERA_TLS_STORAGE_FLAGS',
  'TESSERA_TLS_ISSUER_NO_CERTIFICATE',
  // (the Redis server's certificate is checked while connecting: TESSERA_REDIS_TLS_*)
] as const;
export type TlsErrorCode = (typeof TLS_ERROR_CODES)[number];

/**
 * A problem with the certificate material named by the `SERedis_*` variables.
 * `variable`: the variable to change to fix the problem, when there is one (the Configuration Tool highlights it).
 */
export class TlsError extends layerError<TlsErrorCode, { variable: TlsVariableName }>('TlsError', [
  'variable',
]) {}
