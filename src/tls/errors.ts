import { TesseraError } from '../errors.ts';

/** Stable codes of the certificate-material layer. Listed in docs/errors.md. */
export const TLS_ERROR_CODES = [
  'TESSERA_TLS_PFX_MISSING_VARIABLE',
] as const;
export type TlsErrorCode = (typeof TLS_ERROR_CODES)[number];

/** A problem with the certificate material named by the `SERedis_*` variables. */
export class TlsError extends TesseraError {
  declare readonly code: TlsErrorCode;

  constructor(code: TlsErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
