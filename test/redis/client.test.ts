import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import {
  connectRedis,
  parseConnectionString,
  type RedisConnection,
  type RedisError,
  type RedisHealthEvent,
} from 'tessera/redis';
import { createPki, PFX_PASSWORD, type Pki } from '../support/pki.ts';
import {
  type RedisCluster,
  type RedisServer,
  startRedisCluster,
  startRedisServer,
} from '../support/redis-server.ts';

let pki: Pki;
let server: RedisServer;
let cluster: RedisCluster;
const REDIS_PASSWORD = 'client-test-pass';

const env = () => ({
  SERedis_ClientCertPfxPath: pki.pfx.ec,
  SERedis_ClientCertPassword: PFX_PASSWORD,
  SERedis_IssuerCertPath: pki.issuerPem,
});

/** Subscribes to `channel`, publishes `message` on it, and returns what the subscriber received. */
async function roundTrip(connection: RedisConnection, channel: string, message: string): Promise<string> {
  let delivered: (received: string) => void = () => {};
  const received = new Promise<string>((resolve) => (delivered = resolve));
  const stop = await connection.subscribe(channel, delivered);
  try {
    await connection.publish(channel, message);
    return await received;
  } finally {
    await stop();
  }
}

const script = (source: string) => ({ source, sha1: createHash('sha1').update(source).digest('hex') });

before(async () => {
  pki = await createPki();
  const tls = { cert: pki.server.chain, key: pki.server.key, caCert: pki.issuerBundle };
  [server, cluster] = await Promise.all([
    startRedisServer({ tls, requirepass: REDIS_PASSWORD }),
    startRedisCluster({ tls }),
  ]);
});

after(async () => {
  await Promise.allSettled([server?.stop(), cluster?.stop()]);
});

describe('connectRedis on one server over mutual TLS', () => {
  let connection: RedisConnection;
  before(async () => {
    connection = await connectRedis(
      parseConnectionString(
        `127.0.0.1:${server.tlsPort},password=${REDIS_PASSWORD},ssl=true,sslHost=redis.test,syncTimeout=300`,
      ),
      { env: env() },
    );
  });
  after(() => connection.close());

  it('is a single server and answers commands', async () => {
    assert.equal(connection.topology, 'single');
    assert.equal(await connection.command(['SET', 'client:a', '1']), 'OK');
    assert.equal(await connection.command(['GET', 'client:a']), '1');
  });

  it('runs a script with EVALSHA, loading it on NOSCRIPT', async () => {
    const echo = script(`return 'echo:' .. ARGV[1]`);
    await connection.command(['SCRIPT', 'FLUSH']);
    assert.equal(await connection.script(echo, ['client:k'], ['x']), 'echo:x');
    assert.equal(await connection.script(echo, ['client:k'], ['y']), 'echo:y');
  });

  it('delivers published messages to subscribers', async () => {
    assert.equal(await roundTrip(connection, 'client:channel', 'hello'), 'hello');
  });

  it('times a command out after syncTimeout', async () => {
    const pauser = await connectRedis(
      parseConnectionString(
        `127.0.0.1:${server.tlsPort},password=${REDIS_PASSWORD},ssl=true,sslHost=redis.test`,
      ),
      { env: env() },
    );
    await pauser.command(['CLIENT', 'PAUSE', '1000', 'ALL']);
    try {
      await assert.rejects(connection.command(['GET', 'client:a']), (error: RedisError) => {
        assert.equal(error.code, 'TESSERA_REDIS_TIMEOUT');
        assert.match(error.message, /300 ms/);
        return true;
      });
    } finally {
      await pauser.command(['CLIENT', 'UNPAUSE']);
      await pauser.close();
    }
  });
});

describe('connectRedis while the server goes away', () => {
  it('fails fast while Redis is down, never crashes, and recovers by itself', async () => {
    const tls = { cert: pki.server.chain, key: pki.server.key, caCert: pki.issuerBundle };
    const flaky = await startRedisServer({ tls });
    const errors: unknown[] = [];
    const onError = (message: unknown) => errors.push(message);
    subscribe('tessera:redis:error', onError);
    const connection = await connectRedis(parseConnectionString(`localhost:${flaky.tlsPort},ssl=true`), {
      env: env(),
    });
    try {
      await connection.command(['SET', 'flaky', 'before']);
      await flaky.stop();
      const started = Date.now();
      await assert.rejects(connection.command(['GET', 'flaky']), (error: RedisError) => {
        assert.equal(error.code, 'TESSERA_REDIS_NOT_CONNECTED');
        return true;
      });
      assert.ok(Date.now() - started < 1000, 'a command while Redis is down must fail at once');
      assert.ok(errors.length > 0, 'connection errors are published on tessera:redis:error');

      await flaky.restart();
      const ready = new Promise<void>((resolve) => {
        const onConnect = () => {
          unsubscribe('tessera:redis:connect', onConnect);
          resolve();
        };
        subscribe('tessera:redis:connect', onConnect);
      });
      if (!connection.isReady) await ready;
      assert.equal(await connection.command(['SET', 'flaky', 'after']), 'OK');
    } finally {
      unsubscribe('tessera:redis:error', onError);
      await connection.close();
      await flaky.stop();
    }
  });
});

describe('connectRedis while the server stops answering', () => {
  /** The next event on a diagnostics channel that `matches`. */
  const nextEvent = <T>(name: string, matches: (event: T) => boolean) =>
    new Promise<T>((resolve) => {
      const listener = (message: unknown) => {
        if (!matches(message as T)) return;
        unsubscribe(name, listener);
        resolve(message as T);
      };
      subscribe(name, listener);
    });

  it('fails new commands at once after one timed out, and serves again once Redis answers', async () => {
    const tls = { cert: pki.server.chain, key: pki.server.key, caCert: pki.issuerBundle };
    const frozen = await startRedisServer({ tls });
    const pid = Number(/process_id:(\d+)/.exec(await frozen.cli('INFO', 'server'))![1]);
    const connection = await connectRedis(
      parseConnectionString(`127.0.0.1:${frozen.tlsPort},ssl=true,syncTimeout=300`),
      { env: env() },
    );
    try {
      await connection.command(['SET', 'frozen', '1']);
      const unresponsive = nextEvent<RedisHealthEvent>(
        'tessera:redis:health',
        (e) => e.state === 'unresponsive',
      );
      process.kill(pid, 'SIGSTOP');
      const first = connection.command(['GET', 'frozen']);
      // Sent before anything timed out: it keeps its own timeout rather than failing early.
      const inFlight = connection.command(['GET', 'frozen']);
      await assert.rejects(first, (error: RedisError) => error.code === 'TESSERA_REDIS_TIMEOUT');
      assert.equal((await unresponsive).address, `127.0.0.1:${frozen.tlsPort}`);

      const started = performance.now();
      await assert.rejects(connection.command(['GET', 'frozen']), (error: RedisError) => {
        assert.equal(error.code, 'TESSERA_REDIS_UNRESPONSIVE');
        assert.match(error.message, /has not answered since .*300 ms.*PING/);
        return true;
      });
      assert.ok(performance.now() - started < 100, 'a command to a silent server fails at once');
      await assert.rejects(inFlight, (error: RedisError) => error.code === 'TESSERA_REDIS_TIMEOUT');

      const answering = nextEvent<RedisHealthEvent>('tessera:redis:health', (e) => e.state === 'answering');
      process.kill(pid, 'SIGCONT');
      assert.ok(((await answering).silentMs ?? 0) > 0);
      assert.equal(await connection.command(['GET', 'frozen']), '1');
    } finally {
      process.kill(pid, 'SIGCONT');
      await connection.close();
      await frozen.stop();
    }
  });
});

describe('connectRedis on a three-primary TLS cluster', () => {
  let connection: RedisConnection;
  before(async () => {
    const hosts = cluster.nodes.map((node) => `127.0.0.1:${node.tlsPort}`).join(',');
    connection = await connectRedis(parseConnectionString(`${hosts},ssl=true`), { env: env() });
  });
  after(() => connection.close());

  it('detects the cluster from its hosts', () => {
    assert.equal(connection.topology, 'cluster');
  });

  it('routes each key to the node that owns its slot', async () => {
    for (let n = 0; n < 30; n++) {
      await connection.command(['SET', `{cluster-key-${n}}_Data`, String(n)], {
        key: `{cluster-key-${n}}_Data`,
      });
    }
    for (let n = 0; n < 30; n++) {
      assert.equal(
        await connection.command(['GET', `{cluster-key-${n}}_Data`], { key: `{cluster-key-${n}}_Data` }),
        String(n),
      );
    }
    const counts = await Promise.all(
      cluster.nodes.map(async (node) => Number((await node.cli('DBSIZE')).trim())),
    );
    assert.ok(
      counts.every((count) => count > 0),
      `keys spread over every node: ${counts}`,
    );
  });

  it('runs scripts on the node of their keys', async () => {
    const set = script(`redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[2])`);
    await connection.command(['SET', '{s1}_b', 'other'], { key: '{s1}_b' });
    assert.equal(await connection.script(set, ['{s1}_a', '{s1}_b'], ['v']), 'other');
  });

  it('delivers sharded pub/sub messages', async () => {
    assert.equal(await roundTrip(connection, '{s2}:released', 'released'), 'released');
  });
});

describe('connectRedis on a host list follows its primary', () => {
  const tls = () => ({ cert: pki.server.chain, key: pki.server.key, caCert: pki.issuerBundle });
  const failedOver = () =>
    new Promise<{ from: string; to: string }>((resolve) => {
      const onFailover = (message: unknown) => {
        unsubscribe('tessera:redis:failover', onFailover);
        resolve(message as { from: string; to: string });
      };
      subscribe('tessera:redis:failover', onFailover);
    });

  it('moves to the new primary when the old one is demoted, and loses no write', async () => {
    const one = await startRedisServer({ tls: tls() });
    const two = await startRedisServer({ tls: tls(), replicaOf: one });
    const connection = await connectRedis(
      parseConnectionString(`127.0.0.1:${one.tlsPort},127.0.0.1:${two.tlsPort},ssl=true`),
      { env: env() },
    );
    try {
      assert.equal(connection.topology, 'primary');
      await connection.command(['SET', 'follow:before', '1']);
      await two.cli('REPLICAOF', 'NO', 'ONE');
      await one.cli('REPLICAOF', '127.0.0.1', String(two.tlsPort));
      const moved = failedOver();
      // `one` now answers READONLY: the write goes to `two` instead.
      assert.equal(await connection.command(['SET', 'follow:after', '2']), 'OK');
      assert.deepEqual(await moved, { from: `127.0.0.1:${one.tlsPort}`, to: `127.0.0.1:${two.tlsPort}` });
      assert.equal((await two.cli('GET', 'follow:after')).trim(), '2');
    } finally {
      await connection.close();
      await Promise.allSettled([one.stop(), two.stop()]);
    }
  });

  it('moves to the new primary when the old one stays unreachable', async () => {
    const one = await startRedisServer({ tls: tls() });
    const two = await startRedisServer({ tls: tls(), replicaOf: one });
    const connection = await connectRedis(
      parseConnectionString(`127.0.0.1:${one.tlsPort},127.0.0.1:${two.tlsPort},ssl=true`),
      { env: env() },
    );
    try {
      const moved = failedOver();
      await one.stop();
      await two.cli('REPLICAOF', 'NO', 'ONE');
      assert.deepEqual(await moved, { from: `127.0.0.1:${one.tlsPort}`, to: `127.0.0.1:${two.tlsPort}` });
      assert.equal(await connection.command(['SET', 'follow:dead', '3']), 'OK');
      assert.equal((await two.cli('GET', 'follow:dead')).trim(), '3');
    } finally {
      await connection.close();
      await Promise.allSettled([one.stop(), two.stop()]);
    }
  });
});

describe('connectRedis refuses what it cannot serve', () => {
  it('refuses Sentinel, naming serviceName', async () => {
    await assert.rejects(
      connectRedis(parseConnectionString('127.0.0.1:26379,serviceName=mymaster'), { env: env() }),
      (error: RedisError) =>
        error.code === 'TESSERA_REDIS_CONNECTION_STRING' && /serviceName/.test(error.message),
    );
  });

  it('reports a bad certificate variable before opening any socket', async () => {
    await assert.rejects(
      connectRedis(parseConnectionString(`127.0.0.1:${server.tlsPort},ssl=true`), { env: {} }),
      (error: Error & { code: string }) => error.code === 'TESSERA_TLS_PFX_MISSING_VARIABLE',
    );
  });
});
