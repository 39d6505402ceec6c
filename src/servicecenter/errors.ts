import { layerError, quoteInput } from '../errors.ts';

/** Stable codes of Service Center. Listed in docs/errors.md. */
export const SERVICE_CENTER_ERROR_CODES = [
  'TESSERA_SERVICECENTER_INPUT',
  'TESSERA_SERVICECENTER_OPERATION_RUNNING',
  'TESSERA_SERVICECENTER_NOT_SIGNED_IN',
  'TESSERA_SERVICECENTER_LOGIN_FAILED',
  'TESSERA_SERVICECENTER_LOGIN_THROTTLED',
  'TESSERA_SERVICECENTER_FORBIDDEN',
  'TESSERA_SERVICECENTER_CSRF',
  'TESSERA_SERVICECENTER_NOT_FOUND',
  'TESSERA_SERVICECENTER_EMPTY_SOLUTION',
  'TESSERA_SERVICECENTER_NO_FRONTEND',
  'TESSERA_SERVICECENTER_INTERNAL',
] as const;
export type ServiceCenterErrorCode = (typeof SERVICE_CENTER_ERROR_CODES)[number];

/** The HTTP status each code answers with (the API and the console). */
export const SERVICE_CENTER_STATUS: Readonly<Record<ServiceCenterErrorCode, number>> = {
  TESSERA_SERVICECENTER_INPUT: 400,
  TESSERA_SERVICECENTER_OPERATION_RUNNING: 409,
  TESSERA_SERVICECENTER_NOT_SIGNED_IN: 401,
  TESSERA_SERVICECENTER_LOGIN_FAILED: 401,
  TESSERA_SERVICECENTER_LOGIN_THROTTLED: 429,
  TESSERA_SERVICECENTER_FORBIDDEN: 403,
  TESSERA_SERVICECENTER_CSRF: 403,
  TESSERA_SERVICECENTER_NOT_FOUND: 404,
  TESSERA_SERVICECENTER_EMPTY_SOLUTION: 409,
  TESSERA_SERVICECENTER_NO_FRONTEND: 409,
  TESSERA_SERVICECENTER_INTERNAL: 500,
};

/**
 * A request Service Center refuses: bad input, a role that may not change, a busy solution.
 * `field`: the input field at fault (`TESSERA_SERVICECENTER_INPUT`); `operationId`: the running operation (`TESSERA_SERVICECENTER_OPERATION_RUNNING`).
 */
export class ServiceCenterError extends layerError<
  ServiceCenterErrorCode,
  { field: string; operationId: number }
>('ServiceCenterError', ['field', 'operationId']) {
  get status(): number {
    return SERVICE_CENTER_STATUS[this.code];
  }
}

export function badInput(field: string, problem: string): ServiceCenterError {
  return new ServiceCenterError('TESSERA_SERVICECENTER_INPUT', `${field}: ${problem}`, { field });
}

/** `on`: the solution asked for, or the modules named directly. */
export function operationRunning(
  on: { readonly solution: string } | { readonly modules: readonly string[] },
  operationId: number,
  kind: string,
): ServiceCenterError {
  const where =
    'solution' in on
      ? `modules of the solution ${quoteInput(on.solution)}`
      : `${on.modules.length === 1 ? 'the module' : 'one of the modules'} ${on.modules.map((name) => quoteInput(name)).join(', ')}`;
  return new ServiceCenterError(
    'TESSERA_SERVICECENTER_OPERATION_RUNNING',
    `Operation ${operationId} (${kind}) is still running on ${where}. Wait for it to end (tessera operation show ${operationId}), then try again.`,
    { operationId },
  );
}

export function notSignedIn(): ServiceCenterError {
  return new ServiceCenterError(
    'TESSERA_SERVICECENTER_NOT_SIGNED_IN',
    'Sign in to Service Center first (POST /servicecenter/api/login, or the login page).',
  );
}

export function loginFailed(): ServiceCenterError {
  return new ServiceCenterError(
    'TESSERA_SERVICECENTER_LOGIN_FAILED',
    'The user name or the password is wrong. An administrator can reset it with tessera servicecenter user reset-password NAME.',
  );
}

export function loginThrottled(waitSeconds: number): ServiceCenterError {
  return new ServiceCenterError(
    'TESSERA_SERVICECENTER_LOGIN_THROTTLED',
    `Too many failed logins from this address or for this user: wait ${waitSeconds} s before trying again.`,
  );
}

export function forbidden(user: string): ServiceCenterError {
  return new ServiceCenterError(
    'TESSERA_SERVICECENTER_FORBIDDEN',
    `${quoteInput(user)} is a viewer: viewers see everything and change nothing. Ask an administrator.`,
  );
}

export function csrfRefused(): ServiceCenterError {
  return new ServiceCenterError(
    'TESSERA_SERVICECENTER_CSRF',
    'The request does not carry this session’s CSRF token (or comes from another site). Reload the page and try again.',
  );
}

export function pageNotFound(path: string): ServiceCenterError {
  return new ServiceCenterError(
    'TESSERA_SERVICECENTER_NOT_FOUND',
    `Service Center has no page or API route ${quoteInput(path)}. See docs/service-center.md for the routes.`,
  );
}

export function emptySolution(solution: string): ServiceCenterError {
  return new ServiceCenterError(
    'TESSERA_SERVICECENTER_EMPTY_SOLUTION',
    `The solution ${quoteInput(solution)} has no module: add modules (or Associate All Modules) first.`,
  );
}

export function noFrontend(): ServiceCenterError {
  return new ServiceCenterError(
    'TESSERA_SERVICECENTER_NO_FRONTEND',
    'No front-end server is up (registered in the platform database, with a recent heartbeat): start one (tessera start), then try again.',
  );
}
