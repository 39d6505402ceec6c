/**
 * What the client reports when a Redis server refuses for a reason of its own (out
 * of memory, an ACL user without a command, a cluster with a slot uncovered, a
 * connection closed by the server), against real servers over mutual TLS; and that
 * the Redis session provider calls "unavailable" (HTTP 503) only what is an outage,
 * letting every other failure through as it is.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { RedisSessionStore, type RequestWithSession, type SessionError, sessionMiddleware } from 'tessera';
import { connectRedis, parseConnectionString, type RedisConnection, type RedisError } from 'tessera/redis';
import { isRedisUnavailable } from '../../src/redis/index.ts';
import { newSessionId } from '../../src/session/index.ts';
import { listen } from '../http/http-helpers.ts';
import { createPki, PFX_PASSWORD, type Pki } from '../support/pki.ts';
import { type RedisServer, type RedisServerOptions, startRedisServer } from '../support/redis-server.ts';

let pki: Pki;
const servers: RedisServer[] = [];
const connections: RedisConnection[] = [];

before(async () => {
  pki = await createPki();
});
after(async () => {
  await Promise.allSettled(connections.map((connection) => connection.close()));
  await Promise.allSettled(servers.map((server) => server.stop()));
});

async function start(options: Omit<RedisServerOptions, 'tls'> = {}): Promise<RedisServer> {
  const server = await startRedisServer({
    ...options,
    tls: { cert: pki.server.chain, key: pki.server.key, caCert: pki.issuerBundle },
  });
  servers.push(server);
  return server;
}

/** A connection as a front-end server opens it; `options` are appended to the connection string. */
async function connect(server: RedisServer, options = ''): Promise<RedisConnection> {
  const connection = await connectRedis(
    parseConnectionString(`127.0.0.1:${server.tlsPort},ssl=true,sslHost=redis.test${options}`),
    {
      env: {
        SERedis_ClientCertPfxPath: pki.pfx.ec,
        SERedis_ClientCertPassword: PFX_PASSWORD,
        SERedis_IssuerCertPath: pki.issuerPem,
      },
    },
  );
  connections.push(connection);
  return connection;
}

/** What `tessera:redis:error` publishes while `run` runs. */
async function published(run: () => Promise<void>): Promise<{ code?: string; message: string }[]> {
  const events: { code?: string; message: string }[] = [];
  const listener = (event: unknown) => events.push(event as { code?: string; message: string });
  subscribe('tessera:redis:error', listener);
  try {
    await run();
  } finally {
    unsubscribe('tessera:redis:error', listener);
  }
  return events;
}

/**
 * Polls a state only Redis can report (cluster state, blocked clients): no event
 * tells a client when it changes.
 */
async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const key = () => ({ appKey: 'states', id: newSessionId() });
const newSession = (items: Map<string, string>) => ({ items, timeoutMinutes: 20, absoluteLifetimeMs: null });

describe('a Redis out of memory (maxmemory with noeviction)', () => {
  let server: RedisServer;
  before(async () => {
    server = await start({ extraArgs: ['--maxmemory', '1', '--maxmemory-policy', 'noeviction'] });
  });

  it('names OOM and what to change, on the command and on tessera:redis:error', async () => {
    const connection = await connect(server);
    const events = await published(async () => {
      await assert.rejects(connection.command(['SET', 'oom:a', '1']), (error: RedisError) => {
        assert.equal(error.code, 'TESSERA_REDIS_OUT_OF_MEMORY');
        assert.match(error.message, /OOM command not allowed/);
        assert.match(error.message, /maxmemory\b/);
        assert.match(error.message, /maxmemory-policy/);
        assert.match(error.message, /sessions smaller/);
        return true;
      });
    });
    assert.deepEqual(
      events.map((event) => event.code),
      ['TESSERA_REDIS_OUT_OF_MEMORY'],
    );
  });

  it('carries the cause into the session layer: every load and save says out of memory, and onError hears it', async () => {
    const store = RedisSessionStore.fromConnection(await connect(server));
    const handle = sessionMiddleware({
      store,
      onError: (error) => heard.push(error as SessionError),
    });
    const heard: SessionError[] = [];
    const app = await listen(async (req: IncomingMessage, res: ServerResponse) => {
      await handle(req, res);
      if (res.writableEnded) return;
      (req as RequestWithSession).session.visits = 1;
      res.end('ok');
    });
    try {
      const isOutOfMemory = (error: SessionError) => {
        assert.equal(error.code, 'TESSERA_SESSION_STORE_UNAVAILABLE');
        assert.equal((error.cause as RedisError).code, 'TESSERA_REDIS_OUT_OF_MEMORY');
        assert.match(error.message, /out of memory .*OOM.*maxmemory-policy/);
        return true;
      };
      // A session stored before Redis filled up: locking it is a write, refused too.
      const stored = key();
      await server.cli('CONFIG', 'SET', 'maxmemory', '0');
      await store.provider.create(stored, newSession(new Map([['a', '1']])), {
        lockToken: null,
        lockTimeoutMs: 1000,
      });
      await server.cli('CONFIG', 'SET', 'maxmemory', '1');
      await assert.rejects(
        store.provider.loadExclusive(stored, 'token', { lockTimeoutMs: 1000 }),
        isOutOfMemory,
      );
      await assert.rejects(
        store.provider.create(key(), newSession(new Map([['a', '1']])), {
          lockToken: null,
          lockTimeoutMs: 1000,
        }),
        isOutOfMemory,
      );
      const response = await fetch(app.url);
      assert.equal(response.status, 503);
      await response.text();
      assert.equal(heard.length, 1);
      isOutOfMemory(heard[0]!);
    } finally {
      await app.close();
      await store.close();
    }
  });
});

describe('an ACL user without a command Tessera needs', () => {
  it('is TESSERA_REDIS_PERMISSION, naming the user, and not an outage', async () => {
    const server = await start({
      aclUsers: [
        { name: 'sessions', password: 'acl-pass', rules: ['~*', '&*', '+@all', '-evalsha', '-eval'] },
      ],
    });
    const connection = await connect(server, ',user=sessions,password=acl-pass');
    await assert.rejects(connection.command(['EVALSHA', 'f'.repeat(40), '0']), (error: RedisError) => {
      assert.equal(error.code, 'TESSERA_REDIS_PERMISSION');
      assert.match(error.message, /user "sessions".*NOPERM.*evalsha/i);
      return true;
    });
    // Retrying cannot help: the provider lets it through rather than answer 503.
    const store = RedisSessionStore.fromConnection(connection);
    await assert.rejects(
      store.provider.loadExclusive(key(), 'token', { lockTimeoutMs: 1000 }),
      (error: RedisError) => error.code === 'TESSERA_REDIS_PERMISSION',
    );
  });
});

describe('a cluster with a slot no node serves (cluster-require-full-coverage yes)', () => {
  it('is TESSERA_REDIS_CLUSTER_DOWN, and the session store is unavailable meanwhile', async () => {
    const node = await start({ clusterEnabled: true });
    await node.cli('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    await until(async () => (await node.cli('CLUSTER', 'INFO')).includes('cluster_state:ok'), 'cluster ok');
    const connection = await connect(node);
    assert.equal(connection.topology, 'cluster');
    const id = key();
    const data = `{${id.appKey}_${id.id}}_Data`;
    await node.cli('CLUSTER', 'DELSLOTS', (await node.cli('CLUSTER', 'KEYSLOT', data)).trim());
    await until(
      async () => (await node.cli('CLUSTER', 'INFO')).includes('cluster_state:fail'),
      'cluster down',
    );

    await assert.rejects(connection.command(['GET', data], { key: data }), (error: RedisError) => {
      assert.equal(error.code, 'TESSERA_REDIS_CLUSTER_DOWN');
      assert.match(error.message, /CLUSTERDOWN.*redis-cli --cluster check/);
      return true;
    });
    const store = RedisSessionStore.fromConnection(connection);
    await assert.rejects(
      store.provider.loadExclusive(id, 'token', { lockTimeoutMs: 1000 }),
      (error: SessionError) =>
        error.code === 'TESSERA_SESSION_STORE_UNAVAILABLE' &&
        (error.cause as RedisError).code === 'TESSERA_REDIS_CLUSTER_DOWN',
    );
  });
});

describe('a server that closes the connection', () => {
  it('fails the command in flight with TESSERA_REDIS_CONNECTION_CLOSED (CLIENT KILL)', async () => {
    const server = await start();
    const connection = await connect(server, ',syncTimeout=20000');
    const blocked = assert.rejects(
      connection.command(['BLPOP', 'closing:list', '0']),
      (error: RedisError) => {
        assert.equal(error.code, 'TESSERA_REDIS_CONNECTION_CLOSED');
        assert.match(error.message, /closed the connection .*CLIENT KILL/);
        return true;
      },
    );
    await until(
      async () => /blocked_clients:1/.test(await server.cli('INFO', 'clients')),
      'the BLPOP blocks',
    );
    await server.cli('CLIENT', 'KILL', 'TYPE', 'normal');
    await blocked;
  });
});

describe('the Redis session provider lets what is not an outage through', () => {
  let server: RedisServer;
  let store: RedisSessionStore;
  before(async () => {
    server = await start();
    store = RedisSessionStore.fromConnection(await connect(server));
  });
  after(() => store?.close());

  it('passes a TypeError of Tessera on as it is, not as "store unavailable"', async () => {
    // An engine bug: an item value that is not a string reaches the provider.
    const items = new Map([['n', 1 as unknown as string]]);
    await assert.rejects(
      store.provider.create(key(), newSession(items), { lockToken: null, lockTimeoutMs: 1000 }),
      (error: Error) =>
        error instanceof TypeError &&
        !('code' in error && error.code === 'TESSERA_SESSION_STORE_UNAVAILABLE'),
    );
  });

  it('recognises an outage by its code alone, as an error of another copy of the package', () => {
    assert.equal(isRedisUnavailable({ code: 'TESSERA_REDIS_UNRESPONSIVE', message: 'elsewhere' }), true);
    assert.equal(isRedisUnavailable({ code: 'TESSERA_REDIS_PERMISSION', message: 'elsewhere' }), false);
    assert.equal(isRedisUnavailable(new TypeError('The client is offline')), false);
  });

  it('passes a reply of Redis to a malformed command on as it is', async () => {
    const id = key();
    await server.cli('SET', `{${id.appKey}_${id.id}}_Internal`, 'not a hash');
    await assert.rejects(
      store.provider.loadExclusive(id, 'token', { lockTimeoutMs: 1000 }),
      (error: Error & { code?: string }) => /WRONGTYPE/.test(error.message) && error.code === undefined,
    );
  });
});
