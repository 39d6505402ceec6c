/** The repositories, the same suite on SQLite and PostgreSQL. */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ALL_MODULES_SOLUTION, PACKAGE_CHUNK_BYTES, PlatformDatabase } from '../../src/platform/index.ts';
import { ENGINES, type EngineTarget } from './engines.ts';

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

for (const engine of ENGINES) {
  describe(`platform repositories: ${engine.name}`, () => {
    let target: EngineTarget;
    let database: PlatformDatabase;

    before(async () => {
      target = await engine.start();
      database = await PlatformDatabase.open(target.url);
    });
    after(async () => {
      await database?.close();
      await target?.stop();
    });

    describe('factory', () => {
      it('groups modules into applications, one per module by default', async () => {
        await database.factory.createModule('catalog', 'Shop');
        await database.factory.createModule('cart', 'Shop');
        await database.factory.createModule('blog');
        const modules = await database.factory.listModules();
        assert.deepEqual(
          modules.map((m) => [m.name, m.application, m.runningVersion]),
          [
            ['blog', 'blog', null],
            ['cart', 'Shop', null],
            ['catalog', 'Shop', null],
          ],
        );
      });

      it('refuses a second module with the same name', async () => {
        await assert.rejects(database.factory.createModule('catalog'), {
          code: 'TESSERA_PLATFORM_CONFLICT',
          message: /"catalog"/,
        });
      });

      it('streams a package of several chunks in and out, byte for byte, numbering versions', async () => {
        const bytes = randomBytes(PACKAGE_CHUNK_BYTES * 2 + 12_345);
        async function* upload() {
          for (let at = 0; at < bytes.length; at += 300_000) yield bytes.subarray(at, at + 300_000);
        }
        const first = await database.factory.publishVersion('catalog', upload(), 'alice');
        assert.equal(first.version, 1);
        assert.equal(first.sizeBytes, bytes.length);
        assert.equal(first.sha256, createHash('sha256').update(bytes).digest('hex'));
        const chunks = await database.db
          .selectFrom('package_chunks')
          .select('chunk_index')
          .where('sha256', '=', first.sha256)
          .execute();
        assert.equal(chunks.length, 3);
        assert.ok((await collect(database.factory.readPackage(first.sha256))).equals(bytes));

        const second = await database.factory.publishVersion('catalog', [bytes], 'bob');
        assert.equal(second.version, 2);
        assert.equal(second.sha256, first.sha256);
        const packages = await database.db.selectFrom('packages').select('sha256').execute();
        assert.deepEqual(
          packages.map((p) => p.sha256),
          [first.sha256],
          'the same content is stored once',
        );

        await database.factory.setRunningVersion('catalog', 2);
        const catalog = (await database.factory.listModules()).find((m) => m.name === 'catalog');
        assert.equal(catalog?.runningVersion, 2);
        assert.deepEqual(
          (await database.factory.listVersions('catalog')).map((v) => [v.version, v.publishedBy]),
          [
            [1, 'alice'],
            [2, 'bob'],
          ],
        );
      });

      it('stores nothing of an upload that fails half-way', async () => {
        async function* broken() {
          yield randomBytes(PACKAGE_CHUNK_BYTES + 1);
          throw new Error('the client went away');
        }
        const before = await database.db.selectFrom('package_chunks').select('sha256').execute();
        await assert.rejects(database.factory.publishVersion('blog', broken(), 'alice'), /went away/);
        const afterwards = await database.db.selectFrom('package_chunks').select('sha256').execute();
        assert.equal(afterwards.length, before.length);
        assert.deepEqual(await database.factory.listVersions('blog'), []);
      });

      it('refuses to hand out a package whose bytes were damaged', async () => {
        const version = await database.factory.publishVersion('blog', [Buffer.from('module bytes')], 'alice');
        await database.db
          .updateTable('package_chunks')
          .set({ data: Buffer.from('module bytez') })
          .where('sha256', '=', version.sha256)
          .execute();
        await assert.rejects(collect(database.factory.readPackage(version.sha256)), {
          code: 'TESSERA_PLATFORM_PACKAGE_INTEGRITY',
        });
      });
    });

    describe('solutions', () => {
      it('creates a solution of modules and one of all modules on demand', async () => {
        await database.solutions.createSolution('Storefront', ['catalog', 'cart']);
        await database.solutions.addModules('Storefront', ['cart']);
        assert.deepEqual((await database.solutions.getSolution('Storefront')).modules, ['cart', 'catalog']);
        const all = await database.solutions.ensureAllModules();
        assert.equal(all.name, ALL_MODULES_SOLUTION);
        assert.deepEqual(all.modules, ['blog', 'cart', 'catalog']);
        await database.factory.createModule('search');
        assert.deepEqual((await database.solutions.ensureAllModules()).modules, [
          'blog',
          'cart',
          'catalog',
          'search',
        ]);
        await database.solutions.removeModules('Storefront', ['cart']);
        assert.deepEqual((await database.solutions.getSolution('Storefront')).modules, ['catalog']);
      });

      it('names the module that does not exist, and adds nothing', async () => {
        await assert.rejects(database.solutions.createSolution('Broken', ['catalog', 'nope']), {
          code: 'TESSERA_PLATFORM_NOT_FOUND',
          message: /"nope"/,
        });
        await assert.rejects(database.solutions.getSolution('Broken'), {
          code: 'TESSERA_PLATFORM_NOT_FOUND',
        });
      });
    });

    describe('front-end servers and operations', () => {
      it('registers servers once by name, with heartbeats and fingerprints', async () => {
        const id = await database.frontends.register({
          name: 'fe1',
          address: 'http://10.0.0.1:8080',
          state: 'starting',
          settingsFingerprint: '{"provider":"redis"}',
        });
        const again = await database.frontends.register({
          name: 'fe1',
          address: 'http://10.0.0.1:8081',
          state: 'starting',
          settingsFingerprint: '{"provider":"redis"}',
        });
        assert.equal(again, id);
        await database.frontends.heartbeat('fe1', 'ready', '{"provider":"redis","ssl":true}');
        const [fe1] = await database.frontends.list();
        assert.equal(fe1?.address, 'http://10.0.0.1:8081');
        assert.equal(fe1?.state, 'ready');
        assert.equal(fe1?.settingsFingerprint, '{"provider":"redis","ssl":true}');
        assert.deepEqual(await database.frontends.list({ silentForMs: 60_000 }), []);
        await assert.rejects(database.frontends.heartbeat('nobody', 'ready', '{}'), {
          code: 'TESSERA_PLATFORM_NOT_FOUND',
        });
      });

      it('tracks an operation per server and module, and ends it when every target ended', async () => {
        const frontendId = await database.frontends.register({
          name: 'fe2',
          address: 'http://10.0.0.2:8080',
          state: 'ready',
          settingsFingerprint: '{}',
        });
        const modules = await database.factory.listModules();
        const [a, b] = modules.map((m) => ({ frontendId, moduleId: m.id }));
        const solution = await database.solutions.getSolution(ALL_MODULES_SOLUTION);
        const id = await database.operations.start({
          kind: 'apply-settings',
          solutionId: solution.id,
          requestedBy: 'alice',
          targets: [a!, b!],
        });
        assert.equal((await database.operations.get(id)).state, 'pending');
        await database.operations.report(id, a!, 'running');
        await database.operations.report(id, a!, 'succeeded');
        assert.equal((await database.operations.get(id)).state, 'running');
        await database.operations.report(id, b!, 'failed', 'fe2: module catalog did not start: port in use');
        const operation = await database.operations.get(id);
        assert.equal(operation.state, 'failed');
        assert.ok(operation.finishedAtMs !== null);
        const of = (target: typeof a) => operation.progress.find((p) => p.moduleId === target!.moduleId);
        assert.deepEqual([of(a)?.state, of(a)?.error], ['succeeded', null]);
        assert.deepEqual(
          [of(b)?.state, of(b)?.error],
          ['failed', 'fe2: module catalog did not start: port in use'],
        );
        assert.ok(of(a)!.startedAtMs! <= of(a)!.finishedAtMs!);
        assert.equal((await database.operations.recent(1))[0]?.id, id);
      });

      it("records what a server deploys with its artifact's settings, kept when a later record gives none", async () => {
        const frontendId = await database.frontends.register({
          name: 'fe3',
          address: 'http://10.0.0.3:8080',
          state: 'ready',
          settingsFingerprint: '{}',
        });
        const moduleId = await database.factory.createModule('ledger', 'Ledger');
        const version = await database.factory.publishVersion('ledger', [Buffer.from('ledger v1')], 'alice');
        const settings = {
          provider: 'redis',
          hosts: ['redis1:6380'],
          useSsl: true,
          sslHost: 'redis.test',
          clientCertificate: null,
          version: '0.1.0',
          revision: 4,
        } as const;
        const record = { frontendId, moduleId, versionId: version.id, operationId: null };
        await database.frontends.recordDeployment({
          ...record,
          settingsRevision: 4,
          settingsFingerprint: settings,
        });
        await database.frontends.recordDeployment({ ...record, settingsRevision: 4 });
        const [deployed] = await database.frontends.deployments(frontendId);
        assert.deepEqual(
          [deployed?.module, deployed?.settingsRevision, deployed?.settingsFingerprint],
          ['ledger', 4, settings],
        );
      });
    });

    describe('users and audit log', () => {
      it('stores a scrypt hash, never the password, and verifies it', async () => {
        await database.users.createUser('alice', 'correct horse', 'administrator');
        const stored = await database.db
          .selectFrom('users')
          .select('password_hash')
          .executeTakeFirstOrThrow();
        assert.match(stored.password_hash, /^scrypt\$32768\$8\$1\$/);
        assert.ok(!stored.password_hash.includes('correct horse'));
        assert.equal((await database.users.verify('alice', 'correct horse'))?.role, 'administrator');
        assert.equal(await database.users.verify('alice', 'wrong'), null);
        assert.equal(await database.users.verify('mallory', 'correct horse'), null);
        await database.users.setPassword('alice', 'battery staple');
        assert.equal(await database.users.verify('alice', 'correct horse'), null);
        assert.ok(await database.users.verify('alice', 'battery staple'));
        await assert.rejects(database.users.createUser('alice', 'x', 'viewer'), {
          code: 'TESSERA_PLATFORM_CONFLICT',
        });
      });

      it('keeps an audit log, newest first', async () => {
        await database.users.audit({
          userName: 'alice',
          action: 'apply-settings',
          target: 'All modules',
          detail: null,
        });
        await database.users.audit({
          userName: 'alice',
          action: 'republish',
          target: 'Storefront',
          detail: '2 modules',
        });
        const log = await database.users.auditLog(2);
        assert.deepEqual(
          log.map((e) => [e.action, e.target]),
          [
            ['republish', 'Storefront'],
            ['apply-settings', 'All modules'],
          ],
        );
      });
    });
  });
}
