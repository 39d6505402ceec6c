import { layerError } from '../errors.ts';

/** Stable codes of the front-end server. Listed in docs/errors.md. */
export const FRONTEND_ERROR_CODES = [
  'TESSERA_FRONTEND_LISTEN',
  'TESSERA_FRONTEND_MODULE_LOAD',
  'TESSERA_FRONTEND_DEPLOY',
] as const;
export type FrontendErrorCode = (typeof FRONTEND_ERROR_CODES)[number];

/**
 * A front-end server could not start, load a module, or deploy a version. Messages
 * name the front-end, the module and the fix; never a secret.
 * `module`: the module concerned, when there is one.
 */
export class FrontendError extends layerError<FrontendErrorCode, { module: string }>('FrontendError', [
  'module',
]) {}

export function listenFailed(frontend: string, address: string, cause: unknown): FrontendError {
  const reason =
    (cause as { code?: string }).code === 'EADDRINUSE'
      ? 'the port is in use'
      : String((cause as Error).message ?? cause);
  return new FrontendError(
    'TESSERA_FRONTEND_LISTEN',
    `Front-end server ${frontend} cannot listen on ${address}: ${reason}. ` +
      'Stop what uses it, or choose another port with `tessera config frontend --port N`.',
    { cause },
  );
}

export function moduleLoadFailed(
  frontend: string,
  module: string | undefined,
  reason: string,
): FrontendError {
  return new FrontendError(
    'TESSERA_FRONTEND_MODULE_LOAD',
    `Front-end server ${frontend} could not load ${module === undefined ? 'its modules' : `module ${module}`}: ${reason} ` +
      'The workers already serving keep serving.',
    module === undefined ? {} : { module },
  );
}

export function deployFailed(frontend: string, module: string, cause: unknown): FrontendError {
  return new FrontendError(
    'TESSERA_FRONTEND_DEPLOY',
    `Front-end server ${frontend} could not deploy module ${module}: ${(cause as Error).message ?? String(cause)}`,
    { cause, module },
  );
}
