/**
 * The Express and Fastify modules of docs/modules.md, served by the module host:
 * their routes see the URL without the module's prefix and the session the host
 * loaded. (Their dependencies come from Tessera's node_modules, linked into the
 * module's folder; a published module ships its own.)
 */
import assert from 'node:assert/strict';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createModuleHost, type ModuleHost, type ModuleRuntimeSettings } from '../../src/modules/index.ts';
import { CookieClient, listen, type RunningServer } from '../http/http-helpers.ts';
import { writeModule } from './module-fixtures.ts';

const EXPRESS_MODULE = `import express from 'express';

export default function createModule(context) {
  const app = express();
  app.get('/cart', (req, res) => {
    req.session.views = (req.session.views ?? 0) + 1;
    res.json({ framework: 'express', views: req.session.views, url: req.url, base: req.baseUrl, originalUrl: req.originalUrl });
  });
  return app;
}
`;

const FASTIFY_MODULE = `import Fastify from 'fastify';

export default async function createModule(context) {
  const app = Fastify({ logger: false });
  app.get('/cart', async (request) => {
    const session = request.raw.session;
    session.views = (session.views ?? 0) + 1;
    return { framework: 'fastify', views: session.views, url: request.url };
  });
  await app.ready();
  return (req, res) => app.routing(req, res);
}
`;

const settings: ModuleRuntimeSettings = {
  provider: 'memory',
  timeoutMinutes: 20,
  mode: 'exclusive',
  revision: '1',
};

function withDependencies(folder: string): string {
  symlinkSync(join(import.meta.dirname, '..', '..', 'node_modules'), join(folder, 'node_modules'));
  return folder;
}

describe('Express and Fastify modules', () => {
  let host: ModuleHost;
  let server: RunningServer;
  before(async () => {
    host = await createModuleHost({
      modules: [
        {
          name: 'ex',
          application: 'Frameworks',
          version: 1,
          folder: withDependencies(writeModule('ex', { entry: EXPRESS_MODULE })),
          settings,
        },
        {
          name: 'fy',
          application: 'Frameworks',
          version: 1,
          folder: withDependencies(writeModule('fy', { entry: FASTIFY_MODULE })),
          settings,
        },
      ],
      frontend: { name: 'fe' },
      log: pino({ level: 'silent' }),
    });
    server = await listen(host.listener);
  });
  after(async () => {
    await server?.close();
    await host?.close();
  });

  it('route on the URL without the prefix and share the session of their application', async () => {
    const client = new CookieClient(server.url, 'tessera.Frameworks.sid');
    const express = JSON.parse((await client.get('/ex/cart?x=1')).body);
    assert.deepEqual(express, {
      framework: 'express',
      views: 1,
      url: '/cart?x=1',
      base: '',
      originalUrl: '/ex/cart?x=1',
    });
    const fastify = JSON.parse((await client.get('/fy/cart')).body);
    assert.deepEqual(fastify, { framework: 'fastify', views: 2, url: '/cart' });
    assert.equal((await client.get('/fy/nothing')).status, 404);
  });
});
