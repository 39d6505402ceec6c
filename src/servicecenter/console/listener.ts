/**
 * `createServiceCenterListener`: Service Center as a `node:http` request listener,
 * mounted by every front-end server's workers at `/servicecenter/`. A Fastify app
 * reached through `app.routing`, with:
 *
 * - sessions in Tessera's own session engine, in the store the front-end gives
 *   (its session provider), under the cookie `tessera.servicecenter` (Path
 *   `/servicecenter`, HttpOnly, SameSite=Strict);
 * - access decided on the route the request matched, never on the spelling of its
 *   path: every route needs a signed-in user unless it says `public` (the login
 *   page and form), and so does a path that matches no route;
 * - every change (any method but GET and HEAD, on the matched route) refused to
 *   viewers, and refused without the session's CSRF token (header
 *   `x-tessera-csrf`, or the `_csrf` field of a form) or from another origin;
 * - repeated failed logins slowed down (`LoginThrottle`), counted in the platform
 *   database for the whole farm.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { fastifySession } from '../../http/fastify-plugin.ts';
import type { PlatformDatabase, UserRecord } from '../../platform/index.ts';
import type { SessionStore } from '../../session/index.ts';
import { CSRF_HEADER, headerValue, pageNonce, randomToken, sameSecret } from '../../web/index.ts';
import {
  badInput,
  csrfRefused,
  forbidden,
  loginFailed,
  loginThrottled,
  notSignedIn,
  pageNotFound,
  ServiceCenterError,
} from '../errors.ts';
import { LoginThrottle } from '../login-throttle.ts';
import { isOpen, type OperationView } from '../operation-view.ts';
import { type Actor, type OperationStarter, ServiceCenter } from '../service-center.ts';
import { mayChange } from '../users.ts';
import { registerApiRoutes } from './api-routes.ts';
import * as pages from './pages.ts';
import {
  describeError,
  formBody,
  operationId,
  refuseCrossSite,
  type SessionItems,
  safeError,
  safeNext,
  signedInUser,
  withCsp,
} from './requests.ts';
import { type RouteInfo, SERVICE_CENTER_BASE } from './routes.ts';

export interface ServiceCenterListenerOptions {
  /** The platform database, opened (and migrated) by the front-end server. */
  readonly database: PlatformDatabase;
  /** The name of the front-end server that serves this console. */
  readonly frontendName: string;
  /** Where Service Center's own sessions live: a store of the front-end's session provider. */
  readonly store: SessionStore;
  readonly logger: Logger;
  /** Starts Apply Settings and Republish; default: records them for the front-ends to take. */
  readonly starter?: OperationStarter;
  /** How often a followed operation is read again for its live progress (default 250 ms). */
  readonly progressPollMs?: number;
}

/** The listener, with the routes it serves (for tests and docs) and a way to end its event streams. */
export interface ServiceCenterListener extends RequestListener {
  readonly routes: readonly RouteInfo[];
  /** Resolves once the routes are ready (requests arriving before wait for it). */
  ready(): Promise<void>;
  /** Ends the live progress streams (a draining worker calls it) and the app. */
  close(): Promise<void>;
}

export const SESSION_COOKIE = 'tessera.servicecenter';
const CHANGE_FREE_METHODS = new Set(['GET', 'HEAD']);

declare module 'fastify' {
  interface FastifyRequest {
    /** Service Center: the signed-in user (set for every non-public route). */
    serviceCenterUser: UserRecord | null;
  }
}

export function createServiceCenterListener(options: ServiceCenterListenerOptions): ServiceCenterListener {
  const { database, frontendName, logger } = options;
  const service = new ServiceCenter({
    database,
    logger,
    ...(options.starter === undefined ? {} : { starter: options.starter }),
  });
  const throttle = new LoginThrottle(database.loginFailures);
  const pollMs = options.progressPollMs ?? 250;
  const streams = new Set<PassThrough>();
  const routes: RouteInfo[] = [];

  const app = Fastify({
    logger: false,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    bodyLimit: 64 * 1024,
  });
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods)
      if (method !== 'HEAD')
        routes.push({
          method,
          url: route.url,
          public: route.config?.public === true,
          api: route.config?.api === true,
        });
  });
  app.decorateRequest('serviceCenterUser', null);
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_request, body, done) => {
      const form: Record<string, string | string[]> = {};
      for (const [key, value] of new URLSearchParams(body as string)) {
        const known = form[key];
        form[key] = known === undefined ? value : [...(Array.isArray(known) ? known : [known]), value];
      }
      done(null, form);
    },
  );
  // A module package, published through `POST /servicecenter/api/modules` (that route raises the size limit).
  app.addContentTypeParser(
    ['application/gzip', 'application/octet-stream'],
    { parseAs: 'buffer' },
    (_request, body, done) => done(null, body),
  );
  app.register(fastifySession, {
    store: options.store,
    appKey: 'servicecenter',
    name: SESSION_COOKIE,
    cookie: { path: SERVICE_CENTER_BASE, sameSite: 'Strict' },
    mode: (req: IncomingMessage) => (CHANGE_FREE_METHODS.has(req.method ?? 'GET') ? 'readonly' : 'none'),
    onError: (error: unknown) => logger.warn({ err: safeError(error) }, 'Service Center session store error'),
  });

  // Who may call the matched route. Runs after the session plugin's onRequest (registered first).
  app.addHook('onRequest', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    if (request.routeOptions.config.public === true) return;
    const user = await signedInUser(database, request);
    if (user === null) {
      // A page the browser navigates to goes to the login page; anything else (the API,
      // a form post, a path that matches no route) is refused.
      const matched = request.routeOptions.url !== undefined;
      if (matched && request.routeOptions.config.api !== true && request.routeOptions.method === 'GET') {
        const next = encodeURIComponent(request.url.split('?')[0] ?? '');
        return reply.redirect(`${SERVICE_CENTER_BASE}/login?next=${next}`, 303);
      }
      throw notSignedIn();
    }
    request.serviceCenterUser = user;
  });

  // Every change: the role, the CSRF token and the origin, on the matched route's method.
  // Decided before the body is read when the token comes in the header (the API, and
  // module packages of up to 200 MB); a form's `_csrf` field is read after parsing.
  const checked = new WeakSet<FastifyRequest>();
  function checkChange(request: FastifyRequest, formToken: unknown): void {
    refuseCrossSite(request);
    if (request.routeOptions.config.public === true) return;
    const user = request.serviceCenterUser!;
    const session = request.session as unknown as SessionItems;
    const given =
      headerValue(request.headers[CSRF_HEADER]) ?? (typeof formToken === 'string' ? formToken : undefined);
    if (session.csrf === undefined || !sameSecret(given, session.csrf)) throw csrfRefused();
    if (!mayChange(user.role)) throw forbidden(user.name);
    checked.add(request);
  }
  const isChange = (request: FastifyRequest) => {
    const method = request.routeOptions.method;
    return typeof method === 'string' && !CHANGE_FREE_METHODS.has(method);
  };
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (!isChange(request)) return payload;
    const form = (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    if (headerValue(request.headers[CSRF_HEADER]) !== undefined || !form) checkChange(request, undefined);
    return payload;
  });
  app.addHook('preHandler', async (request) => {
    if (!isChange(request) || checked.has(request)) return;
    checkChange(request, (request.body as Record<string, unknown> | undefined)?._csrf);
  });

  app.setNotFoundHandler((request, reply) => {
    const error = pageNotFound(request.url.split('?')[0] ?? '');
    return sendError(request, reply, error);
  });
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));

  function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown) {
    const { status, body } = describeError(error);
    if (status >= 500)
      logger.error({ err: safeError(error), url: request.routeOptions.url }, 'Service Center error');
    const wantsJson =
      request.routeOptions.config.api === true ||
      request.routeOptions.url === undefined ||
      !(request.headers.accept ?? '').includes('text/html');
    if (wantsJson) return reply.code(status).type('application/json; charset=utf-8').send(body);
    const nonce = pageNonce();
    const user = request.serviceCenterUser;
    const session = request.session as unknown as SessionItems | null;
    const context =
      user === null || session?.csrf === undefined
        ? null
        : { nonce, csrf: session.csrf, frontendName, user: user.name, role: user.role, attention: [] };
    return withCsp(reply, nonce)
      .code(status)
      .type('text/html; charset=utf-8')
      .send(pages.errorPage(context, nonce, status, body.message));
  }

  async function pageContext(request: FastifyRequest, nonce: string): Promise<pages.PageContext> {
    const user = request.serviceCenterUser!;
    const session = request.session as unknown as SessionItems;
    return {
      nonce,
      csrf: session.csrf ?? '',
      frontendName,
      user: user.name,
      role: user.role,
      attention: await service.attention(),
    };
  }

  function sendPage(reply: FastifyReply, nonce: string, page: string) {
    return withCsp(reply, nonce).type('text/html; charset=utf-8').send(page);
  }

  function actor(request: FastifyRequest): Actor {
    return { user: request.serviceCenterUser!.name, from: request.ip };
  }

  /** Server-sent events: the operation now, then each time it changes, until it ends. */
  function followOperation(request: FastifyRequest, reply: FastifyReply, id: number) {
    const stream = new PassThrough();
    streams.add(stream);
    let last = '';
    let timer: NodeJS.Timeout | undefined;
    const stop = () => {
      clearTimeout(timer);
      streams.delete(stream);
      if (!stream.writableEnded) stream.end();
    };
    request.raw.once('close', stop);
    const tick = async () => {
      try {
        const operation: OperationView = await service.operation(id);
        const data = JSON.stringify(operation);
        if (data !== last) {
          last = data;
          stream.write(`event: operation\ndata: ${data}\n\n`);
        }
        if (!isOpen(operation.state)) return stop();
      } catch (error) {
        stream.write(`event: error\ndata: ${JSON.stringify(describeError(error).body)}\n\n`);
        return stop();
      }
      if (!stream.writableEnded) timer = setTimeout(tick, pollMs);
    };
    void tick();
    return reply.type('text/event-stream; charset=utf-8').header('x-accel-buffering', 'no').send(stream);
  }

  const base = SERVICE_CENTER_BASE;
  const publicRoute = { config: { public: true } } as const;

  // --- login --------------------------------------------------------------------
  app.get(`${base}/login`, publicRoute, async (request, reply) => {
    const query = request.query as { next?: string };
    const nonce = pageNonce();
    return sendPage(
      reply,
      nonce,
      pages.loginPage({ nonce, frontendName, next: safeNext(query.next), error: null, name: '' }),
    );
  });

  async function logIn(request: FastifyRequest, body: Record<string, unknown>): Promise<UserRecord> {
    const name = typeof body.name === 'string' ? body.name : '';
    const password = typeof body.password === 'string' ? body.password : '';
    if (name === '') throw badInput('name', 'give your user name.');
    if (password === '') throw badInput('password', 'give your password.');
    const keys = [`ip:${request.ip}`, `user:${name}`];
    // Counted as a failure before the password is checked: see LoginThrottle.
    const waitMs = await throttle.attempt(keys);
    if (waitMs > 0) throw loginThrottled(Math.ceil(waitMs / 1000));
    const user = await database.users.verify(name, password);
    if (user === null) {
      await throttle.failed(keys);
      await database.users.audit({
        userName: name,
        action: 'login.failed',
        target: name,
        detail: `from ${request.ip}`,
      });
      logger.warn({ user: name, from: request.ip }, 'Service Center login failed');
      throw loginFailed();
    }
    await throttle.succeeded(keys);
    const session = request.session;
    await session.regenerate();
    const items = session as unknown as SessionItems;
    items.user = user.name;
    items.csrf = randomToken();
    await database.users.audit({
      userName: user.name,
      action: 'login',
      target: user.name,
      detail: `from ${request.ip}`,
    });
    return user;
  }

  app.post(`${base}/login`, publicRoute, async (request, reply) => {
    const body = formBody(request.body);
    try {
      await logIn(request, body);
    } catch (error) {
      if (!(error instanceof ServiceCenterError)) throw error;
      const nonce = pageNonce();
      return sendPage(
        reply.code(error.status),
        nonce,
        pages.loginPage({
          nonce,
          frontendName,
          next: safeNext(body.next),
          error: error.message,
          name: typeof body.name === 'string' ? body.name : '',
        }),
      );
    }
    return reply.redirect(safeNext(body.next), 303);
  });

  app.post(`${base}/logout`, async (request, reply) => {
    await database.users.audit({
      userName: request.serviceCenterUser!.name,
      action: 'logout',
      target: request.serviceCenterUser!.name,
      detail: `from ${request.ip}`,
    });
    await request.session.abandon();
    return reply.redirect(`${base}/login`, 303);
  });

  // --- pages ----------------------------------------------------------------------
  app.get(`${base}`, async (_request, reply) => reply.redirect(`${base}/factory/solutions`, 303));

  app.get(`${base}/factory/modules`, async (request, reply) => {
    const nonce = pageNonce();
    return sendPage(
      reply,
      nonce,
      pages.modulesPage(await pageContext(request, nonce), await service.factory()),
    );
  });
  app.get(`${base}/factory/applications`, async (request, reply) => {
    const nonce = pageNonce();
    return sendPage(
      reply,
      nonce,
      pages.applicationsPage(await pageContext(request, nonce), await service.factory()),
    );
  });
  app.get(`${base}/factory/solutions`, async (request, reply) => {
    const nonce = pageNonce();
    return sendPage(
      reply,
      nonce,
      pages.solutionsPage(await pageContext(request, nonce), await service.solutions()),
    );
  });
  app.post(`${base}/factory/solutions`, async (request, reply) => {
    const body = formBody(request.body);
    const solution = await service.createSolution(actor(request), {
      name: body.name,
      allModules: body.allModules === 'true' || body.allModules === true,
    });
    return reply.redirect(solutionLink(solution.name), 303);
  });
  app.get(`${base}/factory/solutions/:name`, async (request, reply) => {
    const { name } = request.params as { name: string };
    const nonce = pageNonce();
    const [solution, factory] = await Promise.all([service.solution(name), database.factory.listModules()]);
    return sendPage(
      reply,
      nonce,
      pages.solutionPage(
        await pageContext(request, nonce),
        solution,
        factory.map((m) => m.name),
      ),
    );
  });
  const solutionForms: readonly [string, (request: FastifyRequest, name: string) => Promise<string>][] = [
    [
      'rename',
      async (request, name) =>
        solutionLink((await service.renameSolution(actor(request), name, formBody(request.body))).name),
    ],
    [
      'delete',
      async (request, name) => {
        await service.deleteSolution(actor(request), name);
        return `${base}/factory/solutions`;
      },
    ],
    [
      'modules',
      async (request, name) =>
        solutionLink((await service.addModules(actor(request), name, formBody(request.body))).name),
    ],
    [
      'modules/remove',
      async (request, name) =>
        solutionLink((await service.removeModules(actor(request), name, formBody(request.body))).name),
    ],
    [
      'associate-all-modules',
      async (request, name) => solutionLink((await service.associateAllModules(actor(request), name)).name),
    ],
    [
      'apply-settings',
      async (request, name) => `${base}/operations/${(await service.applySettings(actor(request), name)).id}`,
    ],
    [
      'republish',
      async (request, name) => `${base}/operations/${(await service.republish(actor(request), name)).id}`,
    ],
  ];
  for (const [action, run] of solutionForms) {
    app.post(`${base}/factory/solutions/:name/${action}`, async (request, reply) => {
      const { name } = request.params as { name: string };
      return reply.redirect(await run(request, name), 303);
    });
  }
  app.get(`${base}/operations`, async (request, reply) => {
    const nonce = pageNonce();
    return sendPage(
      reply,
      nonce,
      pages.operationsPage(await pageContext(request, nonce), await service.operations()),
    );
  });
  app.get(`${base}/operations/:id`, async (request, reply) => {
    const id = operationId(request.params);
    const nonce = pageNonce();
    return sendPage(
      reply,
      nonce,
      pages.operationPage(await pageContext(request, nonce), await service.operation(id)),
    );
  });
  app.get(`${base}/operations/:id/events`, async (request, reply) => {
    const id = operationId(request.params);
    await service.operation(id);
    return followOperation(request, reply, id);
  });
  app.get(`${base}/monitoring/frontends`, async (request, reply) => {
    const nonce = pageNonce();
    return sendPage(
      reply,
      nonce,
      pages.frontendsPage(await pageContext(request, nonce), await service.farm()),
    );
  });
  app.get(`${base}/audit`, async (request, reply) => {
    const nonce = pageNonce();
    return sendPage(
      reply,
      nonce,
      pages.auditPage(await pageContext(request, nonce), await service.auditLog()),
    );
  });

  registerApiRoutes(app, { service, actor, logIn, followOperation });

  const ready = new Promise<void>((resolve, reject) => {
    app.ready((error) => (error ? reject(error) : resolve()));
  });
  ready.catch((error: unknown) => logger.error({ err: safeError(error) }, 'Service Center could not start'));

  const listener = ((req: IncomingMessage, res: ServerResponse) => {
    ready.then(
      () => app.routing(req, res),
      () => {
        res.statusCode = 503;
        res.end('Service Center could not start: see the front-end server log.');
      },
    );
  }) as ServiceCenterListener;
  Object.defineProperties(listener, {
    routes: { value: routes },
    ready: { value: () => ready },
    close: {
      value: async () => {
        for (const stream of streams) stream.end();
        streams.clear();
        await app.close();
      },
    },
  });
  return listener;

  function solutionLink(name: string): string {
    return `${base}/factory/solutions/${encodeURIComponent(name)}`;
  }
}
