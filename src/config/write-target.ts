/**
 * What a save of the configuration file writes, and what it must keep.
 *
 * A save writes a temporary file and renames it over the old one (atomic). Done
 * naively, that replaces a symbolic link by a regular file (the link's target keeps
 * the old settings), and gives the file the saving user's owner and mode 0600 (root
 * editing a service user's 0640 file locks the service out). So a save:
 *
 * * follows symbolic links, and renames over the file they lead to;
 * * gives the new file the owner, group and mode of the old one;
 * * refuses a file the user may not write, rather than replace it: one whose mode
 *   denies this user writing (root, which may write anything, still respects a file
 *   that no one may write, e.g. 0444), or one owned by another user when this user
 *   cannot give the new file that owner (only root can).
 */
import { constants } from 'node:fs';
import { access, type FileHandle, lstat, readlink, realpath, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError } from './errors.ts';
import { isCode } from './private-key.ts';

/** The owner, group and permission bits of a file. */
export interface Ownership {
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
}

export interface WriteTarget {
  /** The file the save replaces: the configuration path with symbolic links followed. */
  readonly file: string;
  /** The existing file's owner and mode, for the new file; absent when it does not exist yet. */
  readonly keep?: Ownership;
}

const MAX_LINKS = 40;

/**
 * The file a save of `path` replaces, with what to keep; throws `TESSERA_CONFIG_WRITE`
 * when this user may not write it, and `TESSERA_CONFIG_NOT_A_FILE` when it is not a
 * regular file. Nothing is changed either way.
 */
export async function resolveWriteTarget(path: string): Promise<WriteTarget> {
  const file = await followLinks(path);
  let stats: Awaited<ReturnType<typeof stat>>;
  try {
    stats = await stat(file);
  } catch (error) {
    if (isCode(error, 'ENOENT')) return { file };
    throw error;
  }
  if (!stats.isFile()) {
    throw new ConfigError(
      'TESSERA_CONFIG_NOT_A_FILE',
      `${path}${file !== path ? ` (a link to ${file})` : ''} is not a regular file: it cannot be saved. ` +
        'Give the path of the server configuration file itself with --config or TESSERA_CONFIG.',
      { path },
    );
  }
  const keep: Ownership = { uid: stats.uid, gid: stats.gid, mode: stats.mode & 0o7777 };
  const where = file !== path ? `${path} (a link to ${file})` : path;
  const euid = process.geteuid?.();
  if (euid === undefined) return { file, keep };
  const mode = `0${keep.mode.toString(8)}`;
  if (euid === 0 ? (keep.mode & 0o222) === 0 : !(await writable(file))) {
    throw new ConfigError(
      'TESSERA_CONFIG_WRITE',
      `${where} is read-only for this user (mode ${mode}, owner uid ${keep.uid}): Tessera does not replace a ` +
        'file whose permissions protect it. Nothing was changed. If it is meant to be edited, make it writable ' +
        `(e.g. \`chmod u+w ${file}\`${euid === 0 ? '' : ', or run the command as its owner'}) and run the command again.`,
      { path },
    );
  }
  if (euid !== 0 && keep.uid !== euid) {
    throw new ConfigError(
      'TESSERA_CONFIG_WRITE',
      `${where} belongs to uid ${keep.uid}; saved by this user (uid ${euid}) it would change owner, and its owner ` +
        'could lose access. Nothing was changed. Run the command as its owner (or as root, which keeps the owner).',
      { path },
    );
  }
  return { file, keep };
}

/**
 * Gives the open temporary file the owner, group and mode to keep. Throws
 * `TESSERA_CONFIG_WRITE` when the owner cannot be given (the rename is then not done).
 */
export async function keepOwnership(
  handle: FileHandle,
  keep: Ownership | undefined,
  path: string,
): Promise<void> {
  if (keep === undefined) return;
  const now = await handle.stat();
  if (now.uid !== keep.uid || now.gid !== keep.gid) {
    try {
      await handle.chown(keep.uid, keep.gid);
    } catch (error) {
      if (!isCode(error, 'EPERM')) throw error;
      throw new ConfigError(
        'TESSERA_CONFIG_WRITE',
        `${path} belongs to uid ${keep.uid}, group ${keep.gid}; this user cannot give the saved file that owner ` +
          'and group. Nothing was changed. Run the command as its owner, or as root.',
        { cause: error, path },
      );
    }
  }
  // After chown, which may clear the set-id bits.
  await handle.chmod(keep.mode);
}

async function writable(file: string): Promise<boolean> {
  try {
    await access(file, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** `path` with every symbolic link followed, also a link whose target does not exist yet. */
async function followLinks(path: string): Promise<string> {
  let current = path;
  for (let hops = 0; hops < MAX_LINKS; hops += 1) {
    try {
      return await realpath(current);
    } catch (error) {
      if (!isCode(error, 'ENOENT')) throw error;
    }
    // The file does not exist: if `current` is a dangling link, the save creates its target.
    const link = await lstat(current).catch(() => undefined);
    if (link === undefined || !link.isSymbolicLink()) return current;
    current = resolve(dirname(current), await readlink(current));
  }
  return current;
}
