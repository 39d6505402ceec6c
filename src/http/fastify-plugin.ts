/**
 * The Fastify plugin: `request.session`, the same object as `req.session` of
 * `sessionMiddleware`. The session is opened in `onRequest` and saved in `onSend`,
 * before the headers go out, so a store failure still becomes a 503 and the
 * cookie is only sent for a session that was stored. As with the middleware, a
 * client that goes away cuts short the wait for the session's lock (the abort
 * signal), and one that leaves while its request runs releases the lock at once.
 *
 * Sessions on the routes that need them: a route's `config: { session: false }`
 * gives it none (no cookie read, no store call: a static route costs nothing), and
 * `config: { session: 'readonly' }` picks the route's mode. With the plugin option
 * `routes: 'declared'`, only routes that say `config: { session: true }` (or a mode)
 * get one.
 *
 * ```js
 * await app.register(fastifySession, { store });
 * app.get('/', async (request) => ({ visits: (request.session.visits = (request.session.visits ?? 0) + 1) }));
 * app.get('/logo.svg', { config: { session: false } }, sendLogo);
 * ```
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { type ActiveSession, SESSION_MODES, SessionError, type SessionMode } from '../session/index.ts';
import { isSecureRequest, readCookies } from './cookies.ts';
import { type ErrorResponse, sessionErrorResponse } from './errors.ts';
import { createHttpSession, type HttpSession, sessionSetCookie } from './http-session.ts';
import { adoptLegacySession, type LegacyMove } from './legacy-session.ts';
import { resolveMiddlewareOptions, type SessionMiddlewareOptions } from './middleware-options.ts';
import { endedByClient } from './session-middleware.ts';
import { WaitAbort } from './wait-abort.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's session (Tessera); `null` on a route without sessions. */
    session: HttpSession;
  }
  interface FastifyContextConfig {
    /** Tessera: `false`, no session on this route; `true` or a mode, a session (in that mode). */
    session?: boolean | SessionMode;
  }
}

export interface FastifySessionOptions extends SessionMiddlewareOptions {
  /**
   * `all` (default): every route has a session unless its config says
   * `session: false`. `declared`: only routes whose config says `session: true` or a mode.
   */
  readonly routes?: 'all' | 'declared';
}

const sessionPlugin: FastifyPluginAsync<FastifySessionOptions> = async (fastify, options) => {
  const { routes = 'all', ...middlewareOptions } = options;
  if (routes !== 'all' && routes !== 'declared')
    throw new SessionError(
      'TESSERA_SESSION_OPTIONS',
      `Fastify session option routes must be "all" or "declared" (got ${String(routes)}).`,
    );
  const resolved = resolveMiddlewareOptions(middlewareOptions);
  const actives = new WeakMap<FastifyRequest, ActiveSession>();
  const moves = new WeakMap<FastifyRequest, LegacyMove>();
  fastify.decorateRequest('session', null as unknown as HttpSession);

  /** The route's session: `undefined` for none, else the mode to open it in. */
  const routeMode = (request: FastifyRequest): SessionMode | undefined => {
    const setting = request.routeOptions.config.session;
    if (setting === false || (setting === undefined && routes === 'declared')) return undefined;
    if (typeof setting === 'string' && SESSION_MODES.includes(setting)) return setting;
    return resolved.mode(request.raw);
  };

  fastify.addHook('onRoute', (route) => {
    const setting = route.config?.session;
    if (setting === undefined || typeof setting === 'boolean' || SESSION_MODES.includes(setting)) return;
    throw new SessionError(
      'TESSERA_SESSION_OPTIONS',
      `Route ${route.method} ${route.url}: config.session must be true, false or one of ${SESSION_MODES.join(', ')} (got ${String(setting)}).`,
    );
  });

  fastify.addHook('onRequest', async (request, reply) => {
    const mode = routeMode(request);
    if (mode === undefined) return;
    let active: ActiveSession;
    const aborted = new WaitAbort(reply.raw);
    try {
      const clientIds = readCookies(request.headers.cookie, resolved.cookie.name);
      active = await resolved.engine.open(clientIds, { mode, signal: aborted.signal });
      const move = resolved.legacy && (await adoptLegacySession(request.raw, active, resolved.legacy));
      if (move) moves.set(request, move);
    } catch (error) {
      if (aborted.aborted && endedByClient(error, resolved.engine.provider.name)) {
        reply.hijack(); // nothing to send, and nothing more to run
        return;
      }
      const response = sessionErrorResponse(error, resolved.retryAfterSeconds);
      if (!response) throw error;
      resolved.onError?.(error, request.raw);
      return reply.code(response.status).headers(response.headers).send(response.body);
    } finally {
      aborted.dispose();
    }
    actives.set(request, active);
    request.session = createHttpSession(
      active,
      resolved.cookie,
      resolved.engine.options.timeoutMinutes,
      request.headers['user-agent'],
    );
  });

  fastify.addHook('onSend', async (request, reply, payload) => {
    const active = actives.get(request);
    if (!active) return payload;
    try {
      await active.commit({ awaitRelease: false });
    } catch (error) {
      resolved.onError?.(error, request.raw);
      const response = sessionErrorResponse(error, resolved.retryAfterSeconds);
      if (!response) throw error;
      return replaceWith(reply, response);
    }
    const secure = isSecureRequest(request.raw, resolved.cookie.trustProxy);
    const cookie = sessionSetCookie(request.session, secure);
    const move = moves.get(request);
    if (move) {
      // The old session goes only once the new one is stored.
      await move.finish().catch((error: unknown) => resolved.onError?.(error, request.raw));
      const cleared = move.clearCookie(resolved.cookie, secure);
      reply.header('set-cookie', cookie === undefined ? cleared : [cookie, cleared]);
    } else if (cookie !== undefined) reply.header('set-cookie', cookie);
    return payload;
  });

  // An aborted request never reaches onSend: release its lock at once.
  fastify.addHook('onRequestAbort', async (request) => {
    await actives.get(request)?.discard();
  });
  fastify.addHook('onResponse', async (request) => {
    await actives.get(request)?.discard();
  });
};

function replaceWith(reply: FastifyReply, response: ErrorResponse): string {
  for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name);
  reply.code(response.status).headers(response.headers);
  return response.body;
}

/** Registers `request.session` on a Fastify instance (and its children). */
export const fastifySession = fp(sessionPlugin, { fastify: '5.x', name: 'tessera-session' });
