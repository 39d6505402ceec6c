/**
 * Publishing a module: every validation error names the file and the fix; archives
 * that would write outside their folder are refused before anything is written;
 * packing is deterministic; unpacking is content-addressed, atomic and verified.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { readModulePackage, unpackModulePackage } from '../../src/modules/index.ts';
import { rejectsWithCode } from '../config/helpers.ts';
import {
  type craftArchive,
  craftArchiveFile,
  freshFolder,
  moduleFiles,
  validModuleEntries,
  writeFolder,
  writeModule,
} from './module-fixtures.ts';

/** Skips the entry check where a test is about something else (it costs a child process). */
const fast = { checkEntry: false };

describe('readModulePackage: a valid module', () => {
  it('reads name, application (default: the module name), main and a sha256 of the canonical .tgz', async () => {
    const pkg = await readModulePackage(writeModule('shop'));
    assert.equal(pkg.name, 'shop');
    assert.equal(pkg.application, 'shop');
    assert.equal(pkg.main, 'index.js');
    assert.match(pkg.sha256, /^[0-9a-f]{64}$/);
    assert.equal(pkg.sizeBytes, pkg.bytes.length);
    assert.equal(gunzipSync(pkg.bytes).subarray(257, 262).toString(), 'ustar');
  });

  it('takes the application from "tessera.application" and the entry from "main"', async () => {
    const folder = writeModule('cart', { application: 'Web Shop', main: 'dist/server.js' });
    const pkg = await readModulePackage(folder);
    assert.equal(pkg.application, 'Web Shop');
    assert.equal(pkg.main, 'dist/server.js');
  });

  it('accepts a CommonJS entry (module.exports = createModule)', async () => {
    const folder = writeFolder({
      'package.json': JSON.stringify({ name: 'legacy' }),
      'index.js': 'module.exports = function createModule() { return (req, res) => res.end("ok"); };',
    });
    assert.equal((await readModulePackage(folder)).name, 'legacy');
  });
});

describe('readModulePackage: validation errors name the file and the fix', () => {
  it('refuses a source that does not exist', async () => {
    const error = await rejectsWithCode(
      readModulePackage(join(freshFolder(), 'nope')),
      'TESSERA_MODULE_SOURCE',
    );
    assert.match(
      error.message,
      /nope cannot be read \(ENOENT\)\. Give the module's folder, or a \.tgz of it\./,
    );
  });

  it('refuses a folder without package.json', async () => {
    const folder = writeFolder({ 'index.js': 'export default () => () => {};' });
    const error = await rejectsWithCode(readModulePackage(folder, fast), 'TESSERA_MODULE_PACKAGE_JSON');
    assert.ok(error.message.includes(join(folder, 'package.json')), error.message);
    assert.match(error.message, /does not exist.*npm init -y/);
  });

  it('refuses a package.json that is not JSON, naming the file and the syntax error', async () => {
    const folder = writeFolder({ 'package.json': '{"name": "shop",}', 'index.js': '' });
    const error = await rejectsWithCode(readModulePackage(folder, fast), 'TESSERA_MODULE_PACKAGE_JSON');
    assert.ok(error.message.startsWith(`${join(folder, 'package.json')} is not valid JSON`), error.message);
  });

  it('refuses a package.json that is not an object', async () => {
    const folder = writeFolder({ 'package.json': '["shop"]' });
    await rejectsWithCode(readModulePackage(folder, fast), 'TESSERA_MODULE_PACKAGE_JSON');
  });

  for (const [label, name, reason] of [
    ['no name', undefined, /is missing/],
    ['a name with a slash', 'shop/admin', /not a URL path segment/],
    ['a scoped name', '@acme/shop', /scoped package name/],
    ['a name with a space', 'web shop', /not a URL path segment/],
    ['an uppercase name', 'Shop', /lowercase/],
    ['a name starting with a dot', '.hidden', /starting with a letter or digit/],
    ['the reserved name servicecenter', 'servicecenter', /reserved by the front-end server/],
    ['the reserved name _tessera', '_tessera', /reserved by the front-end server/],
    ['a name of 101 characters', 'a'.repeat(101), /longer than 100/],
  ] as const) {
    it(`refuses ${label}`, async () => {
      const folder = writeFolder({ 'package.json': JSON.stringify({ name }), 'index.js': '' });
      const error = await rejectsWithCode(readModulePackage(folder, fast), 'TESSERA_MODULE_NAME');
      assert.match(error.message, reason);
      assert.ok(error.message.includes(join(folder, 'package.json')), error.message);
      assert.match(error.message, /Set "name" to the path the module is served at/);
    });
  }

  it('refuses an application name that is empty or holds a control character', async () => {
    for (const application of ['', ' ', 'Shop\nAdmin']) {
      const folder = writeModule('shop', { application });
      const error = await rejectsWithCode(readModulePackage(folder, fast), 'TESSERA_MODULE_APPLICATION');
      assert.match(error.message, /"tessera\.application" in .*package\.json/);
    }
  });

  it('refuses a "main" outside the module', async () => {
    const folder = writeFolder({ 'package.json': JSON.stringify({ name: 'shop', main: '../server.js' }) });
    const error = await rejectsWithCode(readModulePackage(folder, fast), 'TESSERA_MODULE_PACKAGE_JSON');
    assert.match(error.message, /"main" in .* is "\.\.\/server\.js", outside the module's folder/);
  });

  it('refuses a missing entry, naming it and where it comes from', async () => {
    const folder = writeFolder({ 'package.json': JSON.stringify({ name: 'shop', main: 'dist/index.js' }) });
    const error = await rejectsWithCode(readModulePackage(folder, fast), 'TESSERA_MODULE_ENTRY_MISSING');
    assert.ok(error.message.includes(join(folder, 'dist/index.js')), error.message);
    assert.match(error.message, /"main": "dist\/index\.js"\) does not exist\. Build the module first/);
  });

  it('refuses an entry that throws when imported, without hurting this process', async () => {
    const folder = writeModule('broken', { entry: 'throw new Error("no database configured");\n' });
    const error = await rejectsWithCode(readModulePackage(folder), 'TESSERA_MODULE_ENTRY_FAILED');
    assert.match(error.message, /index\.js throws when it is imported: Error: no database configured/);
  });

  it('refuses an entry that calls process.exit, without this process exiting', async () => {
    const folder = writeModule('quitter', { entry: 'console.error("bye"); process.exit(3);\n' });
    const error = await rejectsWithCode(readModulePackage(folder), 'TESSERA_MODULE_ENTRY_FAILED');
    assert.match(error.message, /ended the process while it was imported \(exit code 3\); it wrote: bye/);
  });

  it('refuses an entry whose import never ends', async () => {
    const folder = writeModule('stuck', { entry: 'await new Promise(() => setInterval(() => {}, 1000));\n' });
    const error = await rejectsWithCode(
      readModulePackage(folder, { entryTimeoutMs: 500 }),
      'TESSERA_MODULE_LOAD_TIMEOUT',
    );
    assert.match(error.message, /still loading after 500 ms/);
  });

  it('refuses an entry with no default-exported factory, saying what it exports', async () => {
    const folder = writeModule('nofactory', {
      entry: 'export const handler = () => {};\nexport default 42;\n',
    });
    const error = await rejectsWithCode(readModulePackage(folder), 'TESSERA_MODULE_NO_FACTORY');
    assert.match(error.message, /exports a default export of type number and handler, not a factory/);
    assert.match(error.message, /export default function createModule\(context\)/);
  });

  it('refuses a folder over the size limit, and a .tgz over it before reading it', async () => {
    const folder = writeModule('big', { extra: { 'data.bin': 'x'.repeat(50_000) } });
    const error = await rejectsWithCode(
      readModulePackage(folder, { ...fast, maxUnpackedBytes: 10_000 }),
      'TESSERA_MODULE_TOO_LARGE',
    );
    assert.match(error.message, /over the limit of 9\.8 kB/);
    const archive = join(freshFolder(), 'big.tgz');
    writeFileSync(archive, Buffer.alloc(20_000));
    const tooBig = await rejectsWithCode(
      readModulePackage(archive, { maxBytes: 10_000 }),
      'TESSERA_MODULE_TOO_LARGE',
    );
    assert.match(tooBig.message, /big\.tgz is 19\.5 kB, over the limit of 9\.8 kB/);
  });

  it('refuses a file that is not a gzip-compressed tar', async () => {
    const archive = join(freshFolder(), 'module.tgz');
    writeFileSync(archive, 'this is not an archive');
    const error = await rejectsWithCode(readModulePackage(archive), 'TESSERA_MODULE_ARCHIVE_INVALID');
    assert.match(error.message, /module\.tgz is not a gzip-compressed tar archive, or it is damaged/);
  });

  it('refuses a folder holding a link that leads outside it, or a FIFO', async () => {
    const folder = writeModule('linked');
    symlinkSync('../../etc/passwd', join(folder, 'passwd'));
    const error = await rejectsWithCode(readModulePackage(folder, fast), 'TESSERA_MODULE_ARCHIVE_UNSAFE');
    assert.match(error.message, /passwd is a link to "\.\.\/\.\.\/etc\/passwd", outside the module's folder/);
  });
});

describe('readModulePackage: a .tgz', () => {
  it("gives the same package as the folder it was made from, npm pack's package/ folder included", async () => {
    const files = moduleFiles('same', { extra: { 'lib/a.js': 'export const a = 1;\n' } });
    const fromFolder = await readModulePackage(writeFolder(files), fast);
    const npmStyle = await craftArchiveFile([
      { name: 'package/', type: 'directory' },
      ...Object.entries(files).map(([name, content]) => ({ name: `package/${name}`, content })),
    ]);
    const fromArchive = await readModulePackage(npmStyle, fast);
    assert.equal(fromArchive.sha256, fromFolder.sha256);
  });

  it('names the file inside the archive in its errors', async () => {
    const file = await craftArchiveFile([{ name: 'package.json', content: '{"name": 3}' }]);
    const error = await rejectsWithCode(readModulePackage(file, fast), 'TESSERA_MODULE_NAME');
    assert.ok(error.message.includes(`package.json in ${file}`), error.message);
  });

  const unsafe: Array<[string, Parameters<typeof craftArchive>[0][number], RegExp]> = [
    ['a path climbing out with ..', { name: '../evil.js', content: 'x' }, /climbs out of its folder/],
    ['a path climbing out in the middle', { name: 'lib/../../evil.js', content: 'x' }, /climbs out/],
    ['an absolute path', { name: '/tmp/evil.js', content: 'x' }, /is an absolute path/],
    ['a Windows drive path', { name: 'C:/evil.js', content: 'x' }, /is an absolute path/],
    ['a backslash path', { name: '..\\evil.js', content: 'x' }, /backslash/],
    ['a link to an absolute path', { name: 'passwd', type: 'symlink', linkname: '/etc/passwd' }, /outside/],
    ['a link climbing out', { name: 'lib/up', type: 'symlink', linkname: '../../..' }, /outside/],
    ['a hard link to a file outside', { name: 'hard', type: 'link', linkname: '/etc/passwd' }, /hard link/],
    [
      'a character device',
      { name: 'null', type: 'character-device', devmajor: 1, devminor: 3 },
      /character-device/,
    ],
    ['a block device', { name: 'disk', type: 'block-device' }, /block-device/],
    ['a FIFO', { name: 'pipe', type: 'fifo' }, /fifo/],
  ];
  for (const [label, entry, reason] of unsafe) {
    it(`refuses ${label}, writing nothing outside`, async () => {
      const file = await craftArchiveFile([...validModuleEntries(), entry]);
      const error = await rejectsWithCode(readModulePackage(file, fast), 'TESSERA_MODULE_ARCHIVE_UNSAFE');
      assert.match(error.message, reason);
      assert.match(error.message, /Nothing was unpacked from it/);
      assert.equal(existsSync(join(file, '..', '..', 'evil.js')), false);
    });
  }

  it('refuses a link that leads out through another link of the archive', async () => {
    // `d/a` points at the root (inside); `d/a/..`, seen through it, is the root's parent.
    const file = await craftArchiveFile([
      ...validModuleEntries(),
      { name: 'd/', type: 'directory' },
      { name: 'd/b', type: 'symlink', linkname: 'a/../..' },
      { name: 'd/a', type: 'symlink', linkname: '..' },
    ]);
    const error = await rejectsWithCode(readModulePackage(file, fast), 'TESSERA_MODULE_ARCHIVE_UNSAFE');
    assert.match(error.message, /"d\/b" is a link to "a\/\.\.\/\.\."/);
  });

  it('refuses an entry written through a link of the archive', async () => {
    const file = await craftArchiveFile([
      ...validModuleEntries(),
      { name: 'sub/', type: 'directory' },
      { name: 'inside', type: 'symlink', linkname: 'sub' },
      { name: 'inside/file.js', content: 'x' },
    ]);
    const error = await rejectsWithCode(readModulePackage(file, fast), 'TESSERA_MODULE_ARCHIVE_UNSAFE');
    assert.match(error.message, /lies under the link "inside"/);
  });

  it('refuses an entry that appears twice', async () => {
    const file = await craftArchiveFile([...validModuleEntries(), { name: 'index.js', content: 'again' }]);
    const error = await rejectsWithCode(readModulePackage(file, fast), 'TESSERA_MODULE_ARCHIVE_INVALID');
    assert.match(error.message, /holds "index\.js" twice/);
  });

  it('keeps links that stay inside, and a hard link to one of its files', async () => {
    const file = await craftArchiveFile([
      ...validModuleEntries(),
      { name: 'node_modules/.bin/', type: 'directory' },
      { name: 'node_modules/tool/cli.js', content: 'cli' },
      { name: 'node_modules/.bin/tool', type: 'symlink', linkname: '../tool/cli.js' },
      { name: 'copy.js', type: 'link', linkname: 'index.js' },
    ]);
    const pkg = await readModulePackage(file, fast);
    const folder = await unpackModulePackage(freshFolder(), pkg);
    assert.equal(readFileSync(join(folder, 'node_modules/.bin/tool'), 'utf8'), 'cli');
    assert.equal(
      readFileSync(join(folder, 'copy.js'), 'utf8'),
      readFileSync(join(folder, 'index.js'), 'utf8'),
    );
  });

  it('refuses an archive that unpacks past the unpacked size limit', async () => {
    const file = await craftArchiveFile([
      ...validModuleEntries(),
      { name: 'zeros', content: '\0'.repeat(100_000) },
    ]);
    await rejectsWithCode(
      readModulePackage(file, { ...fast, maxUnpackedBytes: 50_000 }),
      'TESSERA_MODULE_TOO_LARGE',
    );
  });
});

describe('packing is deterministic', () => {
  it('gives the same bytes for the same content, whatever the times, owners, order of creation and umask', async () => {
    const files = moduleFiles('det', { extra: { 'b/z.js': 'z', 'a.js': 'a', 'b/a.js': 'ba' } });
    const first = writeFolder(files);
    const reversed = Object.fromEntries(Object.entries(files).reverse());
    const second = writeFolder(reversed);
    chmodSync(join(second, 'a.js'), 0o664);
    const [a, b] = [await readModulePackage(first, fast), await readModulePackage(second, fast)];
    assert.equal(a.sha256, b.sha256);
    assert.deepEqual(Buffer.from(a.bytes), Buffer.from(b.bytes));
  });

  it('gives another sha256 when one byte or one file mode changes', async () => {
    const files = moduleFiles('det2');
    const base = await readModulePackage(writeFolder(files), fast);
    const edited = await readModulePackage(
      writeFolder({ ...files, 'index.js': `${files['index.js']} ` }),
      fast,
    );
    const executable = writeFolder(files);
    chmodSync(join(executable, 'index.js'), 0o755);
    const modeChanged = await readModulePackage(executable, fast);
    assert.notEqual(edited.sha256, base.sha256);
    assert.notEqual(modeChanged.sha256, base.sha256);
  });

  it('leaves .git out', async () => {
    const files = moduleFiles('git');
    const plain = await readModulePackage(writeFolder(files), fast);
    const withGit = await readModulePackage(
      writeFolder({ ...files, '.git/HEAD': 'ref: refs/heads/main' }),
      fast,
    );
    assert.equal(withGit.sha256, plain.sha256);
  });
});

describe('unpackModulePackage', () => {
  it('unpacks into packages/<sha256>/ and reuses that folder the next time', async () => {
    const pkg = await readModulePackage(writeModule('reuse', { extra: { 'lib/x.js': 'x' } }), fast);
    const deployment = freshFolder();
    const folder = await unpackModulePackage(deployment, pkg);
    assert.equal(folder, join(deployment, 'packages', pkg.sha256));
    assert.equal(readFileSync(join(folder, 'lib/x.js'), 'utf8'), 'x');
    writeFileSync(join(folder, 'marker'), 'kept');
    assert.equal(
      await unpackModulePackage(deployment, { sha256: pkg.sha256, bytes: new Uint8Array() }),
      folder,
    );
    assert.equal(readFileSync(join(folder, 'marker'), 'utf8'), 'kept', 'not unpacked again');
    assert.deepEqual(readdirSync(join(deployment, 'packages')), [pkg.sha256], 'no temporary folder left');
  });

  it('takes the bytes as a stream of chunks', async () => {
    const pkg = await readModulePackage(writeModule('chunks'), fast);
    async function* chunks() {
      for (let at = 0; at < pkg.bytes.length; at += 100) yield pkg.bytes.subarray(at, at + 100);
    }
    const folder = await unpackModulePackage(freshFolder(), { sha256: pkg.sha256, bytes: chunks() });
    assert.ok(existsSync(join(folder, 'index.js')));
  });

  it('refuses bytes that do not match the sha256, keeping nothing', async () => {
    const pkg = await readModulePackage(writeModule('mismatch'), fast);
    const other = await readModulePackage(writeModule('other'), fast);
    const deployment = freshFolder();
    const error = await rejectsWithCode(
      unpackModulePackage(deployment, { sha256: pkg.sha256, bytes: other.bytes }),
      'TESSERA_MODULE_INTEGRITY',
    );
    assert.match(
      error.message,
      new RegExp(`do not match its sha256 ${pkg.sha256} \\(they hash to ${other.sha256}\\)`),
    );
    assert.deepEqual(readdirSync(join(deployment, 'packages')), []);
  });

  it('refuses cut-short bytes as an integrity failure', async () => {
    const pkg = await readModulePackage(writeModule('short'), fast);
    await rejectsWithCode(
      unpackModulePackage(freshFolder(), {
        sha256: pkg.sha256,
        bytes: pkg.bytes.subarray(0, pkg.bytes.length - 20),
      }),
      'TESSERA_MODULE_INTEGRITY',
    );
  });

  it('refuses a sha256 that is not 64 hex digits (it names a folder)', async () => {
    await rejectsWithCode(
      unpackModulePackage(freshFolder(), { sha256: '../x', bytes: new Uint8Array() }),
      'TESSERA_MODULE_INTEGRITY',
    );
  });

  it('agrees with another unpack of the same package running at once', async () => {
    const pkg = await readModulePackage(writeModule('race'), fast);
    const deployment = freshFolder();
    mkdirSync(join(deployment, 'packages'));
    const folders = await Promise.all([1, 2, 3].map(() => unpackModulePackage(deployment, pkg)));
    assert.deepEqual(new Set(folders).size, 1);
    assert.deepEqual(readdirSync(join(deployment, 'packages')), [pkg.sha256]);
  });
});
