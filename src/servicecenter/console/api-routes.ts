/**
 * Service Center's JSON API under `/servicecenter/api/` (docs/service-center.md): the
 * same actions as the console's pages, through the same service layer, answering
 * JSON. Access (session, role, CSRF) is decided by the listener's hooks on the
 * matched route; these routes only say they are API routes (`api`), and the login
 * route that it is `public`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MODULE_PACKAGE_DEFAULTS, ModuleError } from '../../modules/index.ts';
import type { UserRecord } from '../../platform/index.ts';
import { badInput } from '../errors.ts';
import type { Actor, ServiceCenter } from '../service-center.ts';
import { jsonBody, operationId, type SessionItems, solutionParam } from './requests.ts';
import { SERVICE_CENTER_BASE } from './routes.ts';

export interface ApiDependencies {
  readonly service: ServiceCenter;
  readonly actor: (request: FastifyRequest) => Actor;
  readonly logIn: (request: FastifyRequest, body: Record<string, unknown>) => Promise<UserRecord>;
  readonly followOperation: (request: FastifyRequest, reply: FastifyReply, id: number) => FastifyReply;
}

export function registerApiRoutes(app: FastifyInstance, deps: ApiDependencies): void {
  const { service, actor, logIn, followOperation } = deps;
  const base = SERVICE_CENTER_BASE;
  const api = { config: { api: true } } as const;
  const publicApi = { config: { api: true, public: true } } as const;
  app.post(`${base}/api/login`, publicApi, async (request) => {
    const user = await logIn(request, jsonBody(request.body));
    return { user: user.name, role: user.role, csrf: (request.session as unknown as SessionItems).csrf };
  });
  app.post(`${base}/api/logout`, api, async (request, reply) => {
    await request.session.abandon();
    return reply.code(204).send();
  });
  app.get(`${base}/api/factory`, api, async () => service.factory());
  // Publish a module: the `.tgz` as the raw body (application/gzip or application/octet-stream).
  app.post(
    `${base}/api/modules`,
    { config: { api: true }, bodyLimit: MODULE_PACKAGE_DEFAULTS.maxBytes },
    async (request, reply) => {
      const body = request.body;
      if (!Buffer.isBuffer(body) || body.length === 0)
        throw badInput(
          'body',
          "send the module's .tgz as the request body (Content-Type: application/gzip), e.g. made by npm pack.",
        );
      const folder = await mkdtemp(join(tmpdir(), 'tessera-upload-'));
      let started: Awaited<ReturnType<ServiceCenter['publishModule']>>;
      try {
        const file = join(folder, 'uploaded-module.tgz');
        await writeFile(file, body, { mode: 0o600 });
        try {
          started = await service.publishModule(actor(request), file);
        } catch (error) {
          // The message names the file at fault: call it what the caller sent, not where it was kept.
          if (error instanceof ModuleError)
            throw new ModuleError(error.code, error.message.replaceAll(file, 'the uploaded package'));
          throw error;
        }
      } finally {
        // Removed before answering, whether the package was good or not.
        await rm(folder, { recursive: true, force: true });
      }
      return reply.code(202).send(started);
    },
  );
  app.get(`${base}/api/solutions`, api, async () => ({ solutions: await service.solutions() }));
  app.post(`${base}/api/solutions`, api, async (request, reply) => {
    const body = jsonBody(request.body);
    return reply.code(201).send(await service.createSolution(actor(request), body as { name: unknown }));
  });
  app.get(`${base}/api/solutions/:name`, api, async (request) => service.solution(solutionParam(request)));
  app.patch(`${base}/api/solutions/:name`, api, async (request) =>
    service.renameSolution(
      actor(request),
      solutionParam(request),
      jsonBody(request.body) as { name: unknown },
    ),
  );
  app.delete(`${base}/api/solutions/:name`, api, async (request, reply) => {
    await service.deleteSolution(actor(request), solutionParam(request));
    return reply.code(204).send();
  });
  app.post(`${base}/api/solutions/:name/modules`, api, async (request) =>
    service.addModules(
      actor(request),
      solutionParam(request),
      jsonBody(request.body) as { modules: unknown },
    ),
  );
  app.post(`${base}/api/solutions/:name/modules/remove`, api, async (request) =>
    service.removeModules(
      actor(request),
      solutionParam(request),
      jsonBody(request.body) as { modules: unknown },
    ),
  );
  app.post(`${base}/api/solutions/:name/associate-all-modules`, api, async (request) =>
    service.associateAllModules(actor(request), solutionParam(request)),
  );
  app.post(`${base}/api/solutions/:name/apply-settings`, api, async (request, reply) =>
    reply.code(202).send(await service.applySettings(actor(request), solutionParam(request))),
  );
  app.post(`${base}/api/solutions/:name/republish`, api, async (request, reply) =>
    reply.code(202).send(await service.republish(actor(request), solutionParam(request))),
  );
  app.get(`${base}/api/operations`, api, async () => ({ operations: await service.operations() }));
  app.get(`${base}/api/operations/:id`, api, async (request) =>
    service.operation(operationId(request.params)),
  );
  app.get(`${base}/api/operations/:id/events`, api, async (request, reply) => {
    const id = operationId(request.params);
    await service.operation(id);
    return followOperation(request, reply, id);
  });
  app.get(`${base}/api/frontends`, api, async () => (await service.farm()).view);
  app.get(`${base}/api/attention`, api, async () => ({ items: await service.attention() }));
  app.get(`${base}/api/audit`, api, async () => ({ entries: await service.auditLog() }));
}
