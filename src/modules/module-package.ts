/**
 * Reading a module for publishing: a folder, or a `.tgz` of one (`npm pack`'s
 * `package/` folder included), validated and packed into the canonical `.tgz`
 * whose sha256 names the version. The same content gives the same package,
 * whether it came as a folder or as an archive.
 */
import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { quoteInput } from '../errors.ts';
import { checkModuleEntry, ENTRY_CHECK_DEFAULTS } from './entry-check.ts';
import { ModuleError, reasonOf } from './errors.ts';
import { extractModuleArchive, packModuleFolder } from './module-archive.ts';
import { listModuleFolder, tooLarge } from './module-folder.ts';
import { MANIFEST_MAX_BYTES, type ModuleManifest, parseManifest } from './package-manifest.ts';

export interface ModulePackage {
  /** The module name (`package.json` `name`): served at `/<name>/`. */
  readonly name: string;
  /** The application it belongs to (`"tessera": {"application": …}`, default the module name). */
  readonly application: string;
  /** The entry, relative to the module's folder. */
  readonly main: string;
  /** Hex sha256 of `bytes`: the version's identity. */
  readonly sha256: string;
  readonly sizeBytes: number;
  /** The canonical `.tgz` (entries at its root, sorted, fixed times and owners). */
  readonly bytes: Uint8Array;
}

export interface ReadModulePackageOptions {
  /** The most bytes of the package (the `.tgz`), default 200 MB. */
  readonly maxBytes?: number;
  /** The most bytes of its files once unpacked, default 1 GB. */
  readonly maxUnpackedBytes?: number;
  /** Import the entry in a child process to check it exports a factory (default true). */
  readonly checkEntry?: boolean;
  /** How long the entry may take to import in that check, default 30 s. */
  readonly entryTimeoutMs?: number;
}

export const MODULE_PACKAGE_DEFAULTS = {
  maxBytes: 200 * 1024 * 1024,
  maxUnpackedBytes: 1024 * 1024 * 1024,
  checkEntry: true,
  entryTimeoutMs: ENTRY_CHECK_DEFAULTS.timeoutMs,
} as const satisfies Required<ReadModulePackageOptions>;

/**
 * Reads and validates the module at `source` (a folder or a `.tgz`). Throws a
 * `ModuleError` naming the file and the fix: `TESSERA_MODULE_SOURCE`,
 * `_PACKAGE_JSON`, `_NAME`, `_APPLICATION`, `_ENTRY_MISSING`, `_ENTRY_FAILED`,
 * `_NO_FACTORY`, `_LOAD_TIMEOUT`, `_TOO_LARGE`, `_ARCHIVE_INVALID`, `_ARCHIVE_UNSAFE`.
 */
export async function readModulePackage(
  source: string,
  options: ReadModulePackageOptions = {},
): Promise<ModulePackage> {
  const settings = { ...MODULE_PACKAGE_DEFAULTS, ...definedOnly(options) };
  const path = resolve(source);
  const stats = await stat(path).catch((error: unknown) => {
    throw new ModuleError(
      'TESSERA_MODULE_SOURCE',
      `${path} cannot be read (${reasonOf(error)}). Give the module's folder, or a .tgz of it.`,
      { cause: error, file: path },
    );
  });
  if (stats.isDirectory()) return packageFromFolder(path, (file) => join(path, file), settings);
  if (!stats.isFile()) {
    throw new ModuleError(
      'TESSERA_MODULE_SOURCE',
      `${path} is neither a folder nor a file. Give the module's folder, or a .tgz of it.`,
      { file: path },
    );
  }
  if (stats.size > settings.maxBytes) throw tooLarge(path, settings.maxBytes, stats.size);
  const archive = await readFile(path);
  const temporary = await mkdtemp(join(tmpdir(), 'tessera-module-'));
  try {
    await extractModuleArchive(archive, temporary, {
      label: path,
      maxUnpackedBytes: settings.maxUnpackedBytes,
    });
    const root = await moduleRoot(temporary);
    const prefix = root === '' ? '' : `${root}/`;
    return await packageFromFolder(join(temporary, root), (file) => `${prefix}${file} in ${path}`, settings);
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}

/** Where package.json is in an unpacked archive: at its root, or in its one folder (`npm pack` makes `package/`). */
async function moduleRoot(folder: string): Promise<string> {
  const names = await readdir(folder, { withFileTypes: true });
  if (names.some((entry) => entry.name === 'package.json')) return '';
  if (names.length === 1 && names[0]!.isDirectory()) return names[0]!.name;
  return '';
}

async function packageFromFolder(
  folder: string,
  label: (file: string) => string,
  settings: Required<ReadModulePackageOptions>,
): Promise<ModulePackage> {
  const manifest = await readManifest(folder, label('package.json'));
  const entries = await listModuleFolder(folder, settings.maxUnpackedBytes);
  const entry = entries.find((candidate) => candidate.path === manifest.main);
  if (entry?.type !== 'file') {
    throw new ModuleError(
      'TESSERA_MODULE_ENTRY_MISSING',
      `The entry ${label(manifest.main)} (${manifestMainSource(manifest)}) ${entry === undefined ? 'does not exist' : `is a ${entry.type}, not a file`}. ` +
        `Build the module first, or set "main" in ${label('package.json')} to its entry file.`,
      { file: label(manifest.main) },
    );
  }
  if (settings.checkEntry)
    await checkModuleEntry(join(folder, manifest.main), label(manifest.main), settings.entryTimeoutMs);
  const bytes = await packModuleFolder(folder, entries);
  if (bytes.length > settings.maxBytes)
    throw tooLarge(`The package of ${label('')}`, settings.maxBytes, bytes.length);
  return Object.freeze({
    name: manifest.name,
    application: manifest.application,
    main: manifest.main,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    sizeBytes: bytes.length,
    bytes,
  });
}

function manifestMainSource(manifest: ModuleManifest): string {
  return manifest.main === 'index.js'
    ? '"main" is not set: index.js'
    : `"main": ${quoteInput(manifest.main)}`;
}

/** package.json of `folder`: a regular file of at most 1 MB, parsed and checked. */
export async function readManifest(folder: string, label: string): Promise<ModuleManifest> {
  const file = join(folder, 'package.json');
  const stats = await lstat(file).catch(() => undefined);
  if (stats === undefined || !stats.isFile()) {
    throw new ModuleError(
      'TESSERA_MODULE_PACKAGE_JSON',
      `${label} ${stats === undefined ? 'does not exist' : 'is not a regular file'}. A module's folder holds a package.json with at least {"name": "<module>"}; \`npm init -y\` writes one.`,
      { file: label },
    );
  }
  if (stats.size > MANIFEST_MAX_BYTES) throw tooLarge(label, MANIFEST_MAX_BYTES, stats.size);
  return parseManifest(await readFile(file, 'utf8'), label);
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
