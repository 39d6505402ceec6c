/**
 * A module's folder as a sorted list of entries, checked: only files, folders and
 * links that stay inside; no device, FIFO or socket; within the size limit. What
 * is packed, and the order it is packed in, come from here.
 */
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describeLink, resolveLinkInside } from './archive-paths.ts';
import { ModuleError, reasonOf } from './errors.ts';

export type FolderEntry =
  | { readonly type: 'directory'; readonly path: string }
  | { readonly type: 'file'; readonly path: string; readonly size: number; readonly executable: boolean }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string };

/** Folders never packed: version control metadata is not part of a module. */
const SKIPPED_FOLDERS = new Set(['.git']);
/** The most entries (files, folders, links) a module may hold. */
export const MAX_ENTRIES = 200_000;

/**
 * Every entry under `folder` (paths relative, `/`-separated), sorted by path so
 * that packing the same content always gives the same bytes. Throws
 * `TESSERA_MODULE_ARCHIVE_UNSAFE` for a link leaving the folder or a special file,
 * `TESSERA_MODULE_TOO_LARGE` past `maxUnpackedBytes`.
 */
export async function listModuleFolder(folder: string, maxUnpackedBytes: number): Promise<FolderEntry[]> {
  const entries: FolderEntry[] = [];
  const links = new Map<string, string>();
  let totalBytes = 0;
  const visit = async (relative: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(join(folder, relative));
    } catch (error) {
      throw new ModuleError(
        'TESSERA_MODULE_SOURCE',
        `The folder ${join(folder, relative)} cannot be read (${reasonOf(error)}). Give the user running tessera read access to the module's folder.`,
        { cause: error, file: join(folder, relative) },
      );
    }
    for (const name of names.sort()) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const absolute = join(folder, path);
      const stats = await lstat(absolute);
      if (stats.isDirectory()) {
        if (SKIPPED_FOLDERS.has(name)) continue;
        entries.push({ type: 'directory', path });
        await visit(path);
      } else if (stats.isFile()) {
        totalBytes += stats.size;
        if (totalBytes > maxUnpackedBytes) throw tooLarge(folder, maxUnpackedBytes);
        entries.push({ type: 'file', path, size: stats.size, executable: (stats.mode & 0o111) !== 0 });
      } else if (stats.isSymbolicLink()) {
        const target = await readlink(absolute);
        links.set(path, target);
        entries.push({ type: 'symlink', path, target });
      } else {
        throw new ModuleError(
          'TESSERA_MODULE_ARCHIVE_UNSAFE',
          `${absolute} is a device, FIFO or socket; a module holds only files, folders and links. Remove it from the module's folder.`,
          { file: absolute },
        );
      }
      if (entries.length > MAX_ENTRIES) {
        throw new ModuleError(
          'TESSERA_MODULE_TOO_LARGE',
          `${folder} holds more than ${MAX_ENTRIES} files and folders. Bundle the module or remove what it does not need.`,
          { file: folder },
        );
      }
    }
  };
  await visit('');
  for (const [path, target] of links) {
    if (resolveLinkInside(path, target, links) === undefined) {
      throw new ModuleError(
        'TESSERA_MODULE_ARCHIVE_UNSAFE',
        `${join(folder, path)} is ${describeLink(target)}, outside the module's folder. Copy what it points to into the module, or make the link relative and inside it.`,
        { file: join(folder, path) },
      );
    }
  }
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function tooLarge(what: string, limitBytes: number, actualBytes?: number): ModuleError {
  return new ModuleError(
    'TESSERA_MODULE_TOO_LARGE',
    `${what} is ${actualBytes === undefined ? 'over' : `${formatBytes(actualBytes)}, over`} the limit of ${formatBytes(limitBytes)}. ` +
      'Leave out what the module does not need at run time (tests, sources of bundled code, devDependencies: `npm prune --omit=dev`).',
    { file: what },
  );
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1_048_576) return `${(bytes / 1_048_576).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${bytes} bytes`;
}
