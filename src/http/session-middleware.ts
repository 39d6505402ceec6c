/**
 * `sessionMiddleware({ store })`: `req.session` for plain `node:http`, Connect and
 * Express. The session is loaded (and, in exclusive mode, locked) before `next`,
 * and saved when the response ends: `res.end` waits for the save, so the client
 * only sees a response once its session is stored, and the lock is released.
 * The cookie is written with the response headers, and only for a session that
 * exists (a request that never used its session gets no cookie).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {} from 'express-session';
import { hasErrorCode } from '../errors.ts';
import { type ActiveSession, publishClientGone } from '../session/index.ts';
import { isSecureRequest, readCookies } from './cookies.ts';
import { sendErrorResponse, sessionErrorResponse } from './errors.ts';
import {
  createHttpSession,
  type HttpSession,
  sessionSetCookie,
  type SessionData as TesseraSessionData,
} from './http-session.ts';
import { adoptLegacySession, type LegacyMove } from './legacy-session.ts';
import {
  type ResolvedMiddlewareOptions,
  resolveMiddlewareOptions,
  type SessionMiddlewareOptions,
} from './middleware-options.ts';
import { WaitAbort } from './wait-abort.ts';

/**
 * In Express, `req.session` is typed by `@types/express-session` (a global
 * declaration Tessera cannot replace): the application's `SessionData` items are
 * merged into it here, so `req.session.cart` has the declared type there too.
 */
declare module 'express-session' {
  interface SessionData extends TesseraSessionData {}
}

/** A request that went through the middleware. */
export interface RequestWithSession extends IncomingMessage {
  session: HttpSession;
}

/**
 * The middleware. With `next` (Connect, Express), it calls `next()` once the
 * session is ready, or `next(error)`. Without `next` (plain `node:http`), `await`
 * it: it resolves once `req.session` is ready, or after it has answered the
 * request itself (503 when the store is unreachable) — check `res.writableEnded`.
 */
export type SessionHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => Promise<void>;

export function sessionMiddleware(options: SessionMiddlewareOptions): SessionHandler {
  const resolved = resolveMiddlewareOptions(options);
  return async function tesseraSession(req, res, next) {
    if ((req as Partial<RequestWithSession>).session) {
      next?.();
      return;
    }
    const aborted = new WaitAbort(res);
    let active: ActiveSession;
    let move: LegacyMove | undefined;
    try {
      const clientIds = readCookies(req.headers.cookie, resolved.cookie.name);
      active = await resolved.engine.open(clientIds, { mode: resolved.mode(req), signal: aborted.signal });
      if (resolved.legacy) move = await adoptLegacySession(req, active, resolved.legacy);
    } catch (error) {
      if (aborted.aborted && endedByClient(error, resolved.engine.provider.name)) return;
      const response = sessionErrorResponse(error, resolved.retryAfterSeconds);
      if (response) resolved.onError?.(error, req);
      if (response && !res.headersSent && !res.writableEnded) sendErrorResponse(res, response);
      else if (next) next(error);
      else throw error;
      return;
    } finally {
      aborted.dispose();
    }
    if (res.writableEnded || res.destroyed) {
      await active.discard();
      return;
    }
    attachSession(req, res, active, resolved, move);
    next?.();
  };
}

/** Sets `req.session` and hooks the response so the cookie is written and the session saved in time. */
export function attachSession(
  req: IncomingMessage,
  res: ServerResponse,
  active: ActiveSession,
  options: ResolvedMiddlewareOptions,
  move?: LegacyMove,
): void {
  const session = createHttpSession(
    active,
    options.cookie,
    options.engine.options.timeoutMinutes,
    req.headers['user-agent'],
  );
  (req as RequestWithSession).session = session;
  const secure = isSecureRequest(req, options.cookie.trustProxy);
  let cookieDone = false;
  let ending = false;

  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (!cookieDone) {
      cookieDone = true;
      const cookie = sessionSetCookie(session, secure);
      if (cookie !== undefined) appendSetCookie(this, cookie);
      if (move) appendSetCookie(this, move.clearCookie(options.cookie, secure));
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];

  const end = res.end;
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    if (ending) return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
    ending = true;
    active
      .commit({ awaitRelease: false })
      // The old session goes only once the new one is stored; failing to delete it costs nothing but space.
      .then(() => move?.finish().catch((error: unknown) => options.onError?.(error, req)))
      .then(
        () => (end as (...a: unknown[]) => ServerResponse).apply(res, args),
        (error: unknown) => {
          options.onError?.(error, req);
          const response = sessionErrorResponse(error, options.retryAfterSeconds);
          if (res.headersSent || !response) {
            res.destroy(error instanceof Error ? error : undefined);
            return;
          }
          cookieDone = true; // the session was not saved: no cookie for it
          sendErrorResponse(res, response, end);
        },
      );
    return this;
  } as ServerResponse['end'];

  // The client went away before the application answered: release the lock now
  // rather than when it expires. A later `res.end` still saves if nobody else did.
  res.once('close', () => {
    if (!ending) void active.discard();
  });
}

/**
 * Called when opening the session failed after the client went away: true (and
 * the request counted on `tessera:session:client-gone`) when the failure is the
 * cut-short wait or a session error, which nobody is left to be told of; a stack
 * trace per disconnect helps nobody. Anything else is a bug, and is raised.
 */
export function endedByClient(error: unknown, provider: string): boolean {
  const sessionError = hasErrorCode(error, { prefix: 'TESSERA_SESSION_' });
  if (!sessionError && !(error instanceof Error && error.name === 'AbortError')) return false;
  publishClientGone({ provider, code: sessionError ? (error as { code: string }).code : 'ABORT_ERR' });
  return true;
}

function appendSetCookie(res: ServerResponse, cookie: string): void {
  const current = res.getHeader('set-cookie');
  if (current === undefined) res.setHeader('set-cookie', cookie);
  else res.setHeader('set-cookie', [...(Array.isArray(current) ? current : [String(current)]), cookie]);
}
