/**
 * The HTTP server of `tessera config ui`: the Session tab and its API, on
 * 127.0.0.1 only, for the one browser that opened the printed URL (see
 * access.ts).
 *
 * | route | what |
 * |---|---|
 * | `GET /?token=…` | spends the one-time token, sets the session cookie, redirects to `/` |
 * | `GET /` | the Session tab (the file is read again) |
 * | `GET /api/certificates` | the certificate panel, files read again: `{ html }` |
 * | `POST /api/validate` | the form's field errors: `{ errors: [{ field, message }] }` |
 * | `POST /api/test-connection` | Test Connection on the form's values: 400 with field errors, or NDJSON events |
 * | `POST /api/database/validate` | the Platform Database tab's field errors: `{ errors: [{ field, message }] }` |
 * | `POST /api/database/test-connection` | the platform database's Test Connection on the tab's values: 400 with field errors, or NDJSON events |
 * | `POST /api/apply` | Apply and Exit (`{ form, database, force, pageId }`): 400 with field errors, or NDJSON events (the platform database's checks and schema first, then the session's); the server stops after a successful apply |
 *
 * Every route but the page needs the page's session, CSRF token and origin
 * (`access.ts`), decided on the matched route; `routes` lists them with their access.
 *
 * Apply and Exit is checked against the file as the page that sends it showed it
 * (`pageId`, see page-loads.ts): if the file changed since, nothing is applied and
 * the answer lists what changed (`TESSERA_CONFIG_CONCURRENT_WRITE`).
 *
 * Responses never hold a secret: the stored password is only ever "set", and the
 * messages of the layers below never carry one.
 */
import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  type ConfigLocation,
  type LoadedConfiguration,
  readConfiguration,
  type SessionSettings,
} from '../../config/index.ts';
import { TlsMaterial } from '../../tls/index.ts';
import { pageCsp, pageNonce, randomToken } from '../../web/index.ts';
import { reportContextOf } from '../settings-report.ts';
import { AccessControl, type RouteAccess, routeAccess } from './access.ts';
import { applySession, type Emit, errorEvent, type ProgressEvent, testSession } from './apply-session.ts';
import { renderCertificatePanel } from './certificate-panel.ts';
import { applyPlatformDatabaseStep, testPlatformDatabase } from './database-events.ts';
import { databaseFormView, parseDatabaseForm, readDatabaseForm } from './database-form.ts';
import { renderRefusedPage, renderSessionPage } from './page.ts';
import { PageLoads } from './page-loads.ts';
import {
  type FieldError,
  MALFORMED_FORM,
  parseApplyRequest,
  parseSessionForm,
  readSessionForm,
  sessionFormView,
} from './session-form.ts';

export const UI_HOST = '127.0.0.1';
const BODY_LIMIT_BYTES = 64 * 1024;

export interface ConfigToolServerOptions {
  readonly location: ConfigLocation;
  /** Where the SERedis_* variables are read (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** 0 (default): a free port. */
  readonly port?: number;
  /** Called after a successful apply, before the server stops. */
  readonly onApplied?: (event: Extract<ProgressEvent, { type: 'applied' }>) => void;
}

/** A route the server answers, as registered (HEAD routes of GET ones included). */
export interface RouteInfo {
  readonly method: string;
  readonly url: string;
  readonly access: RouteAccess;
}

/** Why the server stopped: after Apply and Exit, or by `close()` (Ctrl-C). */
export type StopReason = 'applied' | 'closed';

export interface ConfigToolServer {
  readonly port: number;
  /** The URL to open, with the one-time token. */
  readonly url: string;
  /** Settles when the server has stopped. */
  readonly stopped: Promise<StopReason>;
  /** Every route registered, with who may call it. */
  readonly routes: readonly RouteInfo[];
  close(): Promise<void>;
}

/**
 * Reads the configuration (a file that cannot be read is a `ConfigError`, thrown
 * before anything listens) and starts the server.
 */
export async function startConfigToolServer(options: ConfigToolServerOptions): Promise<ConfigToolServer> {
  const env = options.env ?? process.env;
  let loaded: LoadedConfiguration = await readConfiguration(options.location);
  let stopping = false;
  let stopReason: StopReason = 'closed';
  let access: AccessControl | undefined;
  const token = randomToken();
  const pages = new PageLoads();

  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT_BYTES, forceCloseConnections: 'idle' });
  const routes: RouteInfo[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      routes.push({ method, url: route.url, access: routeAccess(route.config) });
    }
  });

  // The API takes JSON only: a cross-site form can send text/plain, never application/json.
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (request, reply) => {
    // DNS rebinding: a page of another name that resolves to 127.0.0.1 sends its own name as Host.
    if (access === undefined || !access.hostAllowed(request.headers.host)) {
      return reply.code(403).type('text/plain; charset=utf-8').send('Host not allowed.\n');
    }
    // On the route the request matched, whatever the spelling of its path; a path
    // that matches no route gets the not-found handler's config, which is `api`.
    if (routeAccess(request.routeOptions.config) === 'page') return;
    const refusal = access.apiRefusal(request.headers);
    if (refusal !== null) return reply.code(403).send({ message: refusal });
    if (stopping) return reply.code(409).send({ message: 'The Configuration Tool has stopped.' });
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-resource-policy', 'same-origin');
    if (!reply.hasHeader('content-security-policy')) {
      reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
    }
    return payload;
  });

  const page = { config: { access: 'page' } } as const;
  app.get(
    '/',
    page,
    async (request: FastifyRequest<{ Querystring: { token?: string | string[] } }>, reply) => {
      const given = request.query.token;
      if (given !== undefined) {
        const session = typeof given === 'string' ? access!.exchange(given) : null;
        if (session === null) {
          return refused(
            reply,
            access!.token === null
              ? 'This address was already used: its one-time token is spent.'
              : 'The token in this address is not the one printed.',
          );
        }
        // The redirect drops the token from the address bar and the history.
        return reply
          .code(303)
          .header('set-cookie', access!.setCookie(session))
          .header('location', '/')
          .send();
      }
      const session = access!.sessionOf(request.headers.cookie);
      if (session === null) return refused(reply, 'This page needs the address printed in the terminal.');
      if (stopping)
        return refused(reply, 'The Configuration Tool has stopped. Start it again to change the settings.');
      try {
        loaded = await readConfiguration(options.location);
      } catch (error) {
        const event = errorEvent(error);
        const message = event.type === 'error' ? event.message : '';
        return refused(reply, message, { status: 500, title: 'The server configuration cannot be read' });
      }
      const context = await reportContextOf(loaded);
      const applied = loaded.configuration.applied;
      const nonce = pageNonce();
      return withPageCsp(reply, nonce)
        .type('text/html; charset=utf-8')
        .send(
          renderSessionPage({
            nonce,
            csrf: session.csrf,
            pageId: pages.remember(loaded),
            serverName: hostname(),
            location: options.location,
            exists: loaded.exists,
            view: sessionFormView(loaded),
            database: databaseFormView(loaded),
            applied:
              applied === undefined
                ? null
                : { revision: applied.revision, at: applied.at, state: context.appliedState },
            certificates: renderCertificatePanel(TlsMaterial.fromEnvironment(env)),
          }),
        );
    },
  );

  app.get('/api/certificates', async () => ({
    html: renderCertificatePanel(TlsMaterial.fromEnvironment(env)).toString(),
  }));

  app.post('/api/validate', async (request, reply) => {
    const reading = readForm(request.body, loaded.configuration.session);
    if ('malformed' in reading) return reply.code(400).send({ message: MALFORMED_FORM, errors: [] });
    return { errors: reading.errors };
  });

  app.post('/api/test-connection', async (request, reply) => {
    const reading = readForm(request.body, loaded.configuration.session);
    if ('malformed' in reading) return reply.code(400).send({ message: MALFORMED_FORM, errors: [] });
    if (reading.session === undefined) return badForm(reply, reading.errors);
    const session = reading.session;
    if (session.provider !== 'redis') {
      return reply.code(400).send({
        message: 'Test Connection checks a Redis session store: choose the Redis session provider.',
        errors: [],
      });
    }
    return streamEvents(reply, async (emit) => {
      await testSession(session, options.location.path, env, emit);
    });
  });

  app.post('/api/database/validate', async (request, reply) => {
    const reading = readDatabase(request.body, loaded);
    if (reading === null) return reply.code(400).send({ message: MALFORMED_DATABASE_FORM, errors: [] });
    return { errors: reading.ok ? [] : reading.errors };
  });

  app.post('/api/database/test-connection', async (request, reply) => {
    const reading = readDatabase(request.body, loaded);
    if (reading === null) return reply.code(400).send({ message: MALFORMED_DATABASE_FORM, errors: [] });
    if (!reading.ok) return badForm(reply, reading.errors);
    const shown = loaded;
    return streamEvents(reply, async (emit) => {
      await testPlatformDatabase(shown, reading.settings, env, emit);
    });
  });

  app.post('/api/apply', async (request, reply) => {
    const body = parseApplyRequest(request.body);
    if (body === null) return reply.code(400).send({ message: MALFORMED_FORM, errors: [] });
    const shown = pages.loadedBy(body.pageId);
    if (shown === undefined) {
      return reply.code(409).send({
        message:
          'This page is no longer known to the Configuration Tool: reload it, then make your changes again.',
        errors: [],
      });
    }
    const reading = readForm(body.form, shown.configuration.session);
    if ('malformed' in reading) return reply.code(400).send({ message: MALFORMED_FORM, errors: [] });
    const database = body.database === undefined ? undefined : readDatabase(body.database, shown);
    if (database === null) return reply.code(400).send({ message: MALFORMED_DATABASE_FORM, errors: [] });
    const errors = [...reading.errors, ...(database?.ok === false ? database.errors : [])];
    if (reading.session === undefined || database?.ok === false) return badForm(reply, errors, 'Not applied');
    const session = reading.session;
    const platformDatabase = database?.ok ? database.settings : shown.configuration.platformDatabase;
    return streamEvents(reply, async (emit) => {
      // Against the file as this page showed it: a file changed since is refused, with the difference.
      const outcome = await applySession(shown, session, {
        force: body.force,
        env,
        ...(platformDatabase !== undefined ? { platformDatabase } : {}),
        // The database first, as `tessera config apply`: nothing is saved when it cannot be used.
        prepareDatabase: () =>
          applyPlatformDatabaseStep(shown, platformDatabase ?? { provider: 'sqlite' }, env, emit),
        emit: (event) => {
          emit(event);
          if (event.type === 'applied') options.onApplied?.(event);
        },
      });
      if (outcome.saved !== undefined) loaded = outcome.saved;
      if (outcome.applied) {
        stopping = true;
        stopReason = 'applied';
        // Stop once the last event has reached the browser.
        reply.raw.once('finish', () => {
          setImmediate(() => void app.close());
        });
      }
    });
  });

  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).type('text/plain; charset=utf-8').send('Not found.\n');
  });
  app.setErrorHandler((error: { statusCode?: number; code?: string }, _request, reply) => {
    // Fastify's own refusals (body too large, not JSON…); their messages quote no body.
    const status = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500)
      process.stderr.write(`Configuration Tool: ${String((error as Error).stack ?? error)}\n`);
    reply.code(status).send({
      message:
        status === 415
          ? 'Send the request as JSON.'
          : status === 413
            ? 'The request is too large.'
            : status === 400
              ? 'The request is not valid JSON.'
              : 'The Configuration Tool met an unexpected error; the terminal shows it.',
      errors: [],
    });
  });

  await app.listen({ host: UI_HOST, port: options.port ?? 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('The Configuration Tool has no port.');
  const port = address.port;
  access = new AccessControl(port, token);

  const stopped = new Promise<StopReason>((resolve) => {
    app.server.once('close', () => resolve(stopReason));
  });
  return {
    port,
    url: `http://${UI_HOST}:${port}/?token=${token}`,
    stopped,
    routes,
    close: async () => {
      stopping = true;
      const closing = app.close();
      // A Test Connection still streaming is cut: the operator asked to stop.
      app.server.closeAllConnections();
      await closing;
    },
  };
}

type FormOutcome =
  | { readonly malformed: true }
  | { readonly session: SessionSettings; readonly errors: readonly [] }
  | { readonly session: undefined; readonly errors: readonly FieldError[] };

function readForm(body: unknown, stored: SessionSettings): FormOutcome {
  const form = parseSessionForm(body);
  if (form === null) return { malformed: true };
  const reading = readSessionForm(form, stored);
  return reading.ok
    ? { session: reading.session, errors: [] }
    : { session: undefined, errors: reading.errors };
}

const MALFORMED_DATABASE_FORM =
  'The request does not hold the Platform Database form. Reload the page and try again.';

/** The Platform Database form of `body` on top of `loaded`'s settings; null when `body` is not that form. */
function readDatabase(body: unknown, loaded: LoadedConfiguration) {
  const form = parseDatabaseForm(body);
  return form === null ? null : readDatabaseForm(form, loaded.configuration.platformDatabase);
}

function badForm(reply: FastifyReply, errors: readonly FieldError[], prefix = 'Not tested') {
  const count = errors.length;
  return reply.code(400).send({
    message: `${prefix}: ${count === 1 ? 'one field needs' : `${count} fields need`} correcting.`,
    errors,
  });
}

function refused(reply: FastifyReply, reason: string, page?: { status: number; title: string }) {
  const nonce = pageNonce();
  return withPageCsp(reply, nonce)
    .code(page?.status ?? 403)
    .type('text/html; charset=utf-8')
    .send(renderRefusedPage(nonce, reason, page?.title));
}

function withPageCsp(reply: FastifyReply, nonce: string): FastifyReply {
  return reply.header('content-security-policy', pageCsp(nonce, { formAction: 'none' }));
}

/**
 * Sends `run`'s events as newline-delimited JSON, each written as soon as it is
 * emitted (Test Connection's checks appear as they complete).
 */
function streamEvents(reply: FastifyReply, run: (emit: Emit) => Promise<void>) {
  const stream = new PassThrough();
  const emit: Emit = (event) => {
    stream.write(`${JSON.stringify(event)}\n`);
  };
  run(emit)
    .catch((error: unknown) => emit(errorEvent(error)))
    .finally(() => stream.end());
  return reply.type('application/x-ndjson; charset=utf-8').send(stream);
}
