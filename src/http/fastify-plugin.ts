/**
 * The Fastify plugin: `request.session`, the same object as `req.session` of
 * `sessionMiddleware`. The session is opened in `onRequest` and saved in `onSend`,
 * before the headers go out, so a store failure still becomes a 503 and the
 * cookie is only sent for a session that was stored.
 *
 * ```js
 * await app.register(fastifySession, { store });
 * app.get('/', async (request) => ({ visits: (request.session.visits = (request.session.visits ?? 0) + 1) }));
 * ```
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ActiveSession } from '../session/index.ts';
import { clearedCookie, isSecureRequest, readCookies, sessionCookie } from './cookies.ts';
import { type ErrorResponse, sessionErrorResponse } from './errors.ts';
import { createHttpSession, type HttpSession } from './http-session.ts';
import { resolveMiddlewareOptions, type SessionMiddlewareOptions } from './middleware-options.ts';
import { endedByClient } from './session-middleware.ts';
import { WaitAbort } from './wait-abort.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's session (Tessera). */
    session: HttpSession;
  }
}

const sessionPlugin: FastifyPluginAsync<SessionMiddlewareOptions> = async (fastify, options) => {
  const resolved = resolveMiddlewareOptions(options);
  const actives = new WeakMap<FastifyRequest, ActiveSession>();
  fastify.decorateRequest('session', null as unknown as HttpSession);

  fastify.addHook('onRequest', async (request, reply) => {
    let active: ActiveSession;
    const aborted = new WaitAbort(reply.raw);
    try {
      const clientIds = readCookies(request.headers.cookie, resolved.cookie.name);
      active = await resolved.engine.open(clientIds, {
        mode: resolved.mode(request.raw),
        signal: aborted.signal,
      });
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
    request.session = createHttpSession(active);
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
    const action = active.cookieAction();
    if (action === 'set') reply.header('set-cookie', sessionCookie(resolved.cookie, active.id, secure));
    if (action === 'clear') reply.header('set-cookie', clearedCookie(resolved.cookie, secure));
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
