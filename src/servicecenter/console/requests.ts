/**
 * What the console's routes read from a request (its signed-in user, its body, its
 * parameters) and how they answer an error, in one place for the pages and the API.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hasErrorCode, type TesseraError } from '../../errors.ts';
import type { PlatformDatabase, UserRecord } from '../../platform/index.ts';
import { headerValue, pageCsp } from '../../web/index.ts';
import { badInput, csrfRefused, ServiceCenterError } from '../errors.ts';
import { SERVICE_CENTER_BASE } from './routes.ts';

/** The items Service Center keeps in its users' sessions. */
export interface SessionItems {
  user?: string;
  csrf?: string;
}

export async function signedInUser(
  database: PlatformDatabase,
  request: FastifyRequest,
): Promise<UserRecord | null> {
  const session = request.session as unknown as SessionItems | null;
  const name = session?.user;
  if (typeof name !== 'string') return null;
  // Read again on every request: a removed user is signed out at once.
  return database.users.findUser(name);
}

/**
 * Refuses a change sent by another site. Browsers say where a request comes from in
 * `Sec-Fetch-Site`; without it (older browsers, scripts), `Origin` when it names a
 * site must name this one. `Origin: null` is what the pages' no-referrer policy makes
 * a browser send with their own forms, so it is judged by `Sec-Fetch-Site` alone.
 */
export function refuseCrossSite(request: FastifyRequest): void {
  const site = headerValue(request.headers['sec-fetch-site']);
  if (site !== undefined) {
    if (site !== 'same-origin') throw csrfRefused();
    return;
  }
  const origin = headerValue(request.headers.origin);
  if (origin === undefined || origin === 'null') return;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    throw csrfRefused();
  }
  if (originHost !== headerValue(request.headers.host)) throw csrfRefused();
}

export function formBody(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}

export function jsonBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badInput('body', 'send a JSON object (Content-Type: application/json).');
  return body as Record<string, unknown>;
}

export function solutionParam(request: FastifyRequest): string {
  return (request.params as { name: string }).name;
}

export function operationId(params: unknown): number {
  const id = (params as { id?: string }).id ?? '';
  if (!/^[1-9][0-9]{0,15}$/.test(id)) throw badInput('id', 'an operation id is a whole number, e.g. 12.');
  return Number(id);
}

/** Only a path of this console: never another site, nor `//host`. */
export function safeNext(next: unknown): string {
  if (
    typeof next === 'string' &&
    next.startsWith(`${SERVICE_CENTER_BASE}/`) &&
    !next.startsWith('//') &&
    !/[\\\r\n]/.test(next)
  )
    return next;
  return `${SERVICE_CENTER_BASE}/factory/solutions`;
}

export function withCsp(reply: FastifyReply, nonce: string): FastifyReply {
  return reply.header('content-security-policy', pageCsp(nonce, { formAction: 'self' }));
}

/** The status and JSON body of an error: Tessera's own with their code and message; others hidden. */
export function describeError(error: unknown): {
  status: number;
  body: { code: string; message: string; field?: string; operationId?: number };
} {
  if (error instanceof ServiceCenterError) {
    return {
      status: error.status,
      body: {
        code: error.code,
        message: error.message,
        ...(error.field === undefined ? {} : { field: error.field }),
        ...(error.operationId === undefined ? {} : { operationId: error.operationId }),
      },
    };
  }
  if (hasErrorCode(error, { prefix: 'TESSERA_' })) {
    const { code, message } = error as TesseraError;
    // A module package that does not validate is bad input; its message names the fix.
    const status = code.startsWith('TESSERA_MODULE_')
      ? 400
      : code === 'TESSERA_PLATFORM_NOT_FOUND'
        ? 404
        : code === 'TESSERA_PLATFORM_CONFLICT'
          ? 409
          : 503;
    return { status, body: { code, message } };
  }
  const fastifyError = error as { statusCode?: number; code?: string; message?: string };
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return {
      status: 413,
      body: {
        code: 'TESSERA_SERVICECENTER_INPUT',
        message:
          'body: the request body is over the size limit (64 KB; a module package for POST /servicecenter/api/modules, 200 MB). Send less.',
        field: 'body',
      },
    };
  if (
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  )
    return {
      status: fastifyError.statusCode,
      body: {
        code: 'TESSERA_SERVICECENTER_INPUT',
        message: `body: ${fastifyError.message ?? 'the request body cannot be read'}. Send a JSON object (Content-Type: application/json).`,
        field: 'body',
      },
    };
  return {
    status: 500,
    body: {
      code: 'TESSERA_SERVICECENTER_INTERNAL',
      message: 'Service Center failed on this request: see the front-end server log.',
    },
  };
}

/** An error as logged: its name, code and message, never a request body. */
export function safeError(error: unknown): { name: string; code?: string; message: string } {
  if (error instanceof Error)
    return {
      name: error.name,
      message: error.message,
      ...(hasErrorCode(error, { prefix: 'TESSERA_' }) ? { code: (error as TesseraError).code } : {}),
    };
  return { name: 'unknown', message: String(error) };
}
