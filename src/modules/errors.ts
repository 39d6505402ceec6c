import { layerError } from '../errors.ts';

/** Stable codes of the module layer. Listed in docs/errors.md. */
export const MODULE_ERROR_CODES = [
  'TESSERA_MODULE_SOURCE',
  'TESSERA_MODULE_PACKAGE_JSON',
  'TESSERA_MODULE_NAME',
  'TESSERA_MODULE_APPLICATION',
  'TESSERA_MODULE_ENTRY_MISSING',
  'TESSERA_MODULE_ENTRY_FAILED',
  'TESSERA_MODULE_NO_FACTORY',
  'TESSERA_MODULE_LOAD_TIMEOUT',
  'TESSERA_MODULE_TOO_LARGE',
  'TESSERA_MODULE_ARCHIVE_INVALID',
  'TESSERA_MODULE_ARCHIVE_UNSAFE',
  'TESSERA_MODULE_INTEGRITY',
  'TESSERA_MODULE_WRITE',
  'TESSERA_MODULE_SETTINGS',
  'TESSERA_MODULE_ARTIFACT',
  'TESSERA_MODULE_HOST',
] as const;
export type ModuleErrorCode = (typeof MODULE_ERROR_CODES)[number];

/**
 * A module that cannot be published, unpacked or loaded: its package, its entry,
 * its archive, its configuration artifact. Messages name the file (or the entry
 * inside the archive) and say what to change; they never hold a secret.
 * `file`: the file (or archive entry) at fault, when there is one.
 */
export class ModuleError extends layerError<ModuleErrorCode, { file: string }>('ModuleError', ['file']) {}

/** The code of a Node error (`ENOENT`…), or its message. */
export function reasonOf(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : String(error);
}
