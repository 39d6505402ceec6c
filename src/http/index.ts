/**
 * The HTTP layer: `req.session` for node:http, Connect and Express. The
 * express-session Store (express-store.ts) and the Fastify plugin
 * (fastify-plugin.ts) are not named here: they load express-session and
 * fastify-plugin, so only their own entry points (`tessera/express-session`,
 * `tessera/fastify`) import them.
 */

export { DEFAULT_COOKIE_NAME, sessionCookieName } from './cookies.ts';
export { type ErrorResponse, sessionErrorResponse } from './errors.ts';
export type { HttpSession, SessionControls, SessionData } from './http-session.ts';
export {
  connectRedisSource,
  type LegacyRedisClient,
  type LegacySessionOptions,
  type LegacySessionSource,
} from './legacy-session.ts';
export { HTTP_SESSION_DEFAULTS, type SessionMiddlewareOptions } from './middleware-options.ts';
export type { SessionCookie } from './session-cookie.ts';
export { type RequestWithSession, type SessionHandler, sessionMiddleware } from './session-middleware.ts';
