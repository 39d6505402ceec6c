/**
 * A Service Center on a real SQLite platform database and a memory session store,
 * served by a real `node:http` server on a free port, with a factory of two modules,
 * two front-end servers (the second one's SSL Host differs: drift), an
 * administrator and a viewer.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { type FarmFingerprint, formatFarmFingerprint } from '../../src/config/index.ts';
import { PlatformDatabase } from '../../src/platform/index.ts';
import { createServiceCenterListener, type ServiceCenterListener } from '../../src/servicecenter/index.ts';
import { MemorySessionStore } from '../../src/session/index.ts';
import { createSqliteFile, type TestSqliteFile } from '../support/sqlite-file.ts';

export const ADMIN = { name: 'alice', password: 'alice-password-8841' } as const;
export const VIEWER = { name: 'victor', password: 'victor-password-2291' } as const;
export const REDIS_PASSWORD_SENTINEL = 'redis-secret-never-shown-5513';

export function fingerprint(overrides: Partial<FarmFingerprint> = {}): FarmFingerprint {
  return {
    provider: 'redis',
    hosts: ['redis1.example.com:6380', 'redis2.example.com:6380'],
    useSsl: true,
    sslHost: 'redis.example.com',
    clientCertificate: {
      subject: 'CN=tessera-frontend, O=Example',
      issuer: 'CN=Example CA',
      notAfter: '2027-06-30T00:00:00.000Z',
    },
    version: '0.1.0',
    revision: 3,
    ...overrides,
  };
}

export interface Harness {
  readonly url: string;
  readonly database: PlatformDatabase;
  readonly listener: ServiceCenterListener;
  readonly logs: string[];
  readonly ids: {
    readonly fe1: number;
    readonly fe2: number;
    readonly shop: number;
    readonly catalog: number;
  };
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const file: TestSqliteFile = await createSqliteFile();
  const database = await PlatformDatabase.open(file.url);
  const store = new MemorySessionStore();
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(line) });
  const listener = createServiceCenterListener({
    database,
    frontendName: 'fe1',
    store,
    logger,
    progressPollMs: 50,
  });
  const server: Server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  await database.users.createUser(ADMIN.name, ADMIN.password, 'administrator');
  await database.users.createUser(VIEWER.name, VIEWER.password, 'viewer');
  const shop = await database.factory.createModule('shop', 'Shop');
  const catalog = await database.factory.createModule('catalog', 'Shop');
  const shopVersion = await database.factory.publishVersion('shop', [Buffer.from('shop v1')], 'alice');
  await database.factory.setRunningVersion('shop', shopVersion.version);
  const fe1 = await database.frontends.register({
    name: 'fe1',
    address: 'http://127.0.0.1:8081/',
    state: 'ready',
    settingsFingerprint: fingerprint(),
  });
  const fe2 = await database.frontends.register({
    name: 'fe2',
    address: 'http://127.0.0.1:8082/',
    state: 'ready',
    settingsFingerprint: formatFarmFingerprint(fingerprint({ sslHost: 'redis.internal' })),
  });
  for (const frontendId of [fe1, fe2])
    await database.frontends.recordDeployment({
      frontendId,
      moduleId: shop,
      versionId: shopVersion.id,
      settingsRevision: frontendId === fe1 ? 3 : 2,
      operationId: null,
    });
  return {
    url: `http://127.0.0.1:${port}`,
    database,
    listener,
    logs,
    ids: { fe1, fe2, shop, catalog },
    async close() {
      await listener.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
      await database.close();
      await file.remove();
    },
  };
}

export interface SignedIn {
  readonly cookie: string;
  readonly csrf: string;
}

/** Logs in through the API; returns the session cookie and the CSRF token. */
export async function logIn(url: string, user: { name: string; password: string }): Promise<SignedIn> {
  const response = await fetch(`${url}/servicecenter/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(user),
  });
  if (response.status !== 200) throw new Error(`login ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { csrf: string };
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!;
  return { cookie, csrf: body.csrf };
}

/** A call of the JSON API as a signed-in user. */
export async function api(
  url: string,
  who: SignedIn | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
  const headers: Record<string, string> = {};
  if (who !== null) {
    headers.cookie = who.cookie;
    headers['x-tessera-csrf'] = who.csrf;
  }
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    redirect: 'manual',
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not JSON (a page, a redirect): `text` holds it.
  }
  return { status: response.status, json, text };
}
