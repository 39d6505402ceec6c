/**
 * Publishing a module through Service Center's API: `POST /servicecenter/api/modules`
 * with the `.tgz` as the body, on the harness's real platform database.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { readModulePackage } from '../../src/modules/index.ts';
import { ADMIN, api, type Harness, logIn, type SignedIn, startHarness, VIEWER } from './harness.ts';

let harness: Harness;
let admin: SignedIn;
let viewer: SignedIn;
let shopTgz: Uint8Array;
// Uploads are unpacked under the temporary folder; this file gets its own, so that another
// test file publishing at the same moment cannot leave a folder these tests would count.
const systemTmpdir = process.env.TMPDIR;
let uploadsFolder: string;
before(async () => {
  uploadsFolder = await mkdtemp(join(tmpdir(), 'tessera-publish-test-'));
  process.env.TMPDIR = uploadsFolder;
  harness = await startHarness();
  admin = await logIn(harness.url, ADMIN);
  viewer = await logIn(harness.url, VIEWER);
  shopTgz = (await readModulePackage(join(import.meta.dirname, '../../examples/shop'))).bytes;
});
after(async () => {
  await harness?.close();
  if (systemTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = systemTmpdir;
  await rm(uploadsFolder, { recursive: true, force: true });
});

async function upload(
  who: SignedIn,
  body: Uint8Array | string,
  options: { csrf?: string; contentType?: string } = {},
): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
  const response = await fetch(`${harness.url}/servicecenter/api/modules`, {
    method: 'POST',
    headers: {
      cookie: who.cookie,
      'x-tessera-csrf': options.csrf ?? who.csrf,
      'content-type': options.contentType ?? 'application/gzip',
    },
    body,
  });
  const text = await response.text();
  return { status: response.status, json: JSON.parse(text) as Record<string, unknown>, text };
}

const shopVersions = async () => (await harness.database.factory.listVersions('shop')).length;
const uploadsLeft = async () =>
  (await readdir(tmpdir())).filter((name) => name.startsWith('tessera-upload-'));

describe('publishing a module through the Service Center API', () => {
  it('refuses a viewer and a request without the CSRF token, and stores nothing', async () => {
    const before = await shopVersions();
    const asViewer = await upload(viewer, shopTgz);
    assert.equal(asViewer.status, 403, asViewer.text);
    assert.equal(asViewer.json.code, 'TESSERA_SERVICECENTER_FORBIDDEN');
    const noToken = await upload(admin, shopTgz, { csrf: 'not-the-token' });
    assert.equal(noToken.status, 403, noToken.text);
    assert.equal(noToken.json.code, 'TESSERA_SERVICECENTER_CSRF');
    assert.equal(await shopVersions(), before);
  });

  it('answers 400 naming the problem for a body that is not a gzip, a broken package, or no package, and stores nothing', async () => {
    const before = await shopVersions();
    const notGzip = await upload(admin, 'this is not a module package');
    assert.equal(notGzip.status, 400, notGzip.text);
    assert.equal(notGzip.json.code, 'TESSERA_MODULE_ARCHIVE_INVALID');
    assert.match(
      String(notGzip.json.message),
      /^the uploaded package is not a gzip-compressed tar archive.*npm pack/,
    );
    assert.doesNotMatch(notGzip.text, /tessera-upload-/);

    const truncated = await upload(admin, shopTgz.subarray(0, Math.floor(shopTgz.length / 2)));
    assert.equal(truncated.status, 400, truncated.text);
    assert.match(String(truncated.json.code), /^TESSERA_MODULE_ARCHIVE_/);

    const noTar = await upload(admin, gzipSync(Buffer.from('gzip, but no tar inside')), {
      contentType: 'application/octet-stream',
    });
    assert.equal(noTar.status, 400, noTar.text);
    assert.match(String(noTar.json.code), /^TESSERA_MODULE_/);

    // A real archive whose package.json names no valid module.
    const folder = await mkdtemp(join(tmpdir(), 'tessera-test-badmodule-'));
    try {
      await writeFile(
        join(folder, 'package.json'),
        JSON.stringify({ name: 'Not A Name!', main: 'index.js' }),
      );
      await writeFile(join(folder, 'index.js'), 'export default () => {};\n');
      const tgz = execFileSync('tar', ['-czf', '-', '-C', folder, 'package.json', 'index.js']);
      const badName = await upload(admin, tgz);
      assert.equal(badName.status, 400, badName.text);
      assert.equal(badName.json.code, 'TESSERA_MODULE_NAME');
      assert.match(String(badName.json.message), /package\.json in the uploaded package/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }

    const asText = await upload(admin, 'hello', { contentType: 'text/plain' });
    assert.equal(asText.status, 400, asText.text);
    assert.equal(asText.json.field, 'body');
    assert.match(String(asText.json.message), /application\/gzip/);

    // Only the package's route takes up to 200 MB; every other route refuses more than 64 KB, saying so.
    const large = await api(harness.url, admin, 'POST', '/servicecenter/api/solutions', {
      name: 'x'.repeat(70 * 1024),
    });
    assert.equal(large.status, 413, large.text);
    assert.match(String(large.json.message), /over the size limit/);

    assert.equal(await shopVersions(), before);
    assert.deepEqual(await uploadsLeft(), []);
  });

  it('publishes examples/shop: 202 with the operation, the version recorded and running, audited', async () => {
    const before = await shopVersions();
    const answer = await upload(admin, shopTgz);
    assert.equal(answer.status, 202, answer.text);
    assert.equal(answer.json.module, 'shop');
    assert.equal(answer.json.version, before + 1);
    const operationId = answer.json.operationId;
    assert.equal(typeof operationId, 'number');

    assert.equal(await shopVersions(), before + 1);
    const shop = (await harness.database.factory.listModules()).find((m) => m.name === 'shop');
    assert.equal(shop?.runningVersion, before + 1);

    const operation = await api(harness.url, admin, 'GET', `/servicecenter/api/operations/${operationId}`);
    assert.equal(operation.status, 200, operation.text);
    assert.equal(operation.json.kind, 'publish');

    const audit = await api(harness.url, admin, 'GET', '/servicecenter/api/audit');
    const entry = (
      audit.json.entries as { action: string; user: string; target: string; detail: string }[]
    ).find((e) => e.action === 'module.publish');
    assert.equal(entry?.user, ADMIN.name);
    assert.equal(entry?.target, 'shop');
    assert.equal(entry?.detail, `from 127.0.0.1; operation ${operationId}; version ${before + 1}`);
    assert.deepEqual(await uploadsLeft(), []);
  });
});
