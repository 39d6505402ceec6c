/**
 * A module version unpacked on a front-end server: the deployment folder keeps
 * each package once, at `packages/<sha256>/`, unpacked into a temporary folder and
 * renamed into place, so a folder that exists is always complete and two
 * processes unpacking the same version at once agree on it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ModuleError, reasonOf } from './errors.ts';
import { extractModuleArchive } from './module-archive.ts';
import { MODULE_PACKAGE_DEFAULTS } from './module-package.ts';

const SHA256 = /^[0-9a-f]{64}$/;

/** Where the package `sha256` is (or will be) unpacked in `deploymentFolder`. */
export function packageFolder(deploymentFolder: string, sha256: string): string {
  return join(deploymentFolder, 'packages', sha256);
}

/**
 * Unpacks the package into `deploymentFolder/packages/<sha256>/` and returns that
 * folder; returns it at once when it is already there. The bytes must hash to
 * `sha256` (`TESSERA_MODULE_INTEGRITY` otherwise, and nothing is kept); an unsafe
 * archive is refused as at publish.
 */
export async function unpackModulePackage(
  deploymentFolder: string,
  pkg: {
    readonly sha256: string;
    readonly bytes: Uint8Array | AsyncIterable<Uint8Array>;
    readonly maxUnpackedBytes?: number;
  },
): Promise<string> {
  if (typeof pkg.sha256 !== 'string' || !SHA256.test(pkg.sha256)) {
    throw new ModuleError(
      'TESSERA_MODULE_INTEGRITY',
      `The package's sha256 must be 64 lowercase hex digits (got ${typeof pkg.sha256 === 'string' ? `${pkg.sha256.length} characters` : typeof pkg.sha256}). Pass the sha256 the platform database holds for the version.`,
    );
  }
  const target = packageFolder(deploymentFolder, pkg.sha256);
  if (await isFolder(target)) return target;
  const packages = join(deploymentFolder, 'packages');
  const temporary = join(
    packages,
    `.${pkg.sha256.slice(0, 12)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    await mkdir(temporary, { recursive: true, mode: 0o755 });
  } catch (error) {
    throw new ModuleError(
      'TESSERA_MODULE_SOURCE',
      `The deployment folder ${deploymentFolder} cannot be written (${reasonOf(error)}). Give the user running the front-end server write access to it.`,
      { cause: error, file: deploymentFolder },
    );
  }
  const hash = createHash('sha256');
  let consumed = false;
  async function* hashed(): AsyncIterable<Uint8Array> {
    if (pkg.bytes instanceof Uint8Array) {
      hash.update(pkg.bytes);
      consumed = true;
      yield pkg.bytes;
      return;
    }
    for await (const chunk of pkg.bytes) {
      hash.update(chunk);
      yield chunk;
    }
    consumed = true;
  }
  const label = `the package ${pkg.sha256.slice(0, 12)}…`;
  try {
    try {
      await extractModuleArchive(hashed(), temporary, {
        label,
        maxUnpackedBytes: pkg.maxUnpackedBytes ?? MODULE_PACKAGE_DEFAULTS.maxUnpackedBytes,
      });
    } catch (error) {
      // Bytes that are not the package are an integrity failure first, whatever they hold.
      if (consumed && hash.copy().digest('hex') !== pkg.sha256) throw integrity(pkg.sha256, error);
      throw error;
    }
    const actual = hash.digest('hex');
    if (actual !== pkg.sha256) throw integrity(pkg.sha256, undefined, actual);
    try {
      await rename(temporary, target);
    } catch (error) {
      // Another process unpacked the same package meanwhile: theirs is as good.
      if (!(await isFolder(target))) throw error;
    }
    return target;
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}

function integrity(expected: string, cause: unknown, actual?: string): ModuleError {
  return new ModuleError(
    'TESSERA_MODULE_INTEGRITY',
    `The package's bytes do not match its sha256 ${expected}${actual === undefined ? '' : ` (they hash to ${actual})`}: they were damaged or cut short on the way. Nothing was unpacked; deploy the version again.`,
    { cause },
  );
}

async function isFolder(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}
