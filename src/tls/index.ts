/**
 * The certificate-material layer: the `SERedis_*` variables and the files they name,
 * turned into Node TLS options. The only module other layers import from `src/tls`.
 */
export type { CertificateInfo } from './certificate-info.ts';
export type { LoadedWith } from './client-identity.ts';
export {
  type TlsConnectionOptions,
  type TlsTarget,
  tlsConnectionOptions,
  verifyServer,
} from './connection-options.ts';
export { type MaterialFailedMessage, type MaterialLoadedMessage, TLS_CHANNELS } from './diagnostics.ts';
export { TLS_ERROR_CODES, TlsError, type TlsErrorCode } from './errors.ts';
export { TLS_MATERIAL_DEFAULTS, TlsMaterial, type TlsMaterialOptions } from './material.ts';
export type { ClientCertificateReport, TlsProblem, TlsReport, TlsVariableReport } from './report.ts';
export {
  parseStorageFlags,
  STORAGE_FLAGS,
  type StorageFlagName,
  type StorageFlags,
} from './storage-flags.ts';
export { TLS_VARIABLES, type TlsEnvironment, type TlsVariableName } from './variables.ts';
