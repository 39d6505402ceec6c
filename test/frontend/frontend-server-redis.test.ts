// Two front-end servers whose modules keep their sessions in Redis over mutual TLS
// (the user's document: SERedis_* variables on every front-end, Use SSL, SSL Host):
// one user's session is shared by both.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSqliteFile, type TestSqliteFile } from '../support/sqlite-file.ts';
import { startTlsRedis, type TlsRedisServer } from '../support/tls-redis.ts';
import {
  Browser,
  MODULES,
  type RunningFrontend,
  runTessera,
  serverConfiguration,
  startFrontend,
} from './platform-process.ts';

describe('front-end servers with the Redis session provider over mutual TLS', () => {
  let redis: TlsRedisServer;
  let sqlite: TestSqliteFile;
  let frontends: RunningFrontend[] = [];

  before(async () => {
    redis = await startTlsRedis();
    sqlite = await createSqliteFile();
    const session = {
      provider: 'redis',
      redis: { hosts: [`127.0.0.1:${redis.server.tlsPort}`], useSsl: true, sslHost: 'redis.test' },
    };
    frontends = await Promise.all(
      ['tls-a', 'tls-b'].map((name) =>
        startFrontend(
          name,
          serverConfiguration({ name, database: { provider: 'sqlite', path: sqlite.path }, session }),
          redis.env,
        ),
      ),
    );
  });

  after(async () => {
    await Promise.all(frontends.map((frontend) => frontend.stop('SIGKILL')));
    await sqlite?.remove();
    await redis?.stop();
  });

  it('shares one session between both front-ends', async () => {
    const [a, b] = frontends as [RunningFrontend, RunningFrontend];
    const published = await runTessera(a.configPath, ['module', 'publish', join(MODULES, 'counter')]);
    assert.equal(published.code, 0, `${published.stdout}${published.stderr}`);
    const browser = new Browser();
    for (let visit = 1; visit <= 4; visit++) {
      const reply = await browser.get(new URL('/counter/', visit % 2 ? a.url : b.url).toString());
      const body = JSON.parse(reply.body);
      assert.deepEqual(
        { visits: body.visits, provider: body.provider },
        { visits: visit, provider: 'redis' },
      );
    }
    browser.close();
    const logs = JSON.stringify([...a.logs, ...b.logs]);
    assert.doesNotMatch(logs, new RegExp(redis.env.SERedis_ClientCertPassword!), 'no secret in the logs');
  });
});
