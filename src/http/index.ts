/** The HTTP layer: `req.session` for node:http, Connect, Express and Fastify; an express-session store. */

export { DEFAULT_COOKIE_NAME, sessionCookieName } from './cookies.ts';
export { type ErrorResponse, sessionErrorResponse } from './errors.ts';
export {
  EXPRESS_STORE_DEFAULTS,
  type ListedSessionData,
  TesseraExpressStore,
  type TesseraExpressStoreOptions,
} from './express-store.ts';
export { fastifySession } from './fastify-plugin.ts';
export type { HttpSession, SessionControls } from './http-session.ts';
export { HTTP_SESSION_DEFAULTS, type SessionMiddlewareOptions } from './middleware-options.ts';
export { type RequestWithSession, type SessionHandler, sessionMiddleware } from './session-middleware.ts';
