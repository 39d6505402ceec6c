/**
 * Replacing a file so that a reader sees the old bytes or the new, never a mix:
 * the new bytes go to a temporary file in the same folder (mode 0600 from its
 * creation, then the kept owner and mode), flushed, renamed over the file, and the
 * folder flushed so that the rename survives a crash.
 *
 * Hand-written rather than `write-file-atomic`: the temporary file must take the
 * owner and mode of the file it replaces through its open handle before any byte
 * can be read by another user, and a backup is the same temporary file hard-linked
 * under a name that must not exist yet (`link`, never overwriting); the library
 * offers neither, and follows symbolic links by itself where write-target.ts
 * decides (and refuses) first.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isCode } from './private-key.ts';
import { keepOwnership, type Ownership } from './write-target.ts';

/** A new file beside `file`, holding `bytes`, with the owner and mode to keep (0600 when none), flushed. */
async function writeTemporary(
  file: string,
  bytes: Buffer,
  keep: Ownership | undefined,
  path: string,
): Promise<string> {
  const temporary = join(
    dirname(file),
    `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(bytes);
    await keepOwnership(handle, keep, path);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temporary).catch(() => {});
    throw error;
  }
  await handle.close();
  return temporary;
}

/** Runs `use` on a temporary file beside `file` holding `bytes` (see `writeTemporary`), then removes it. */
async function withTemporary<T>(
  file: string,
  bytes: Buffer,
  keep: Ownership | undefined,
  path: string,
  use: (temporary: string) => Promise<T>,
): Promise<T> {
  const temporary = await writeTemporary(file, bytes, keep, path);
  try {
    return await use(temporary);
  } finally {
    await unlink(temporary).catch(() => {});
  }
}

/** Replaces `file` by `bytes` atomically (a temporary file renamed over it). */
export function replaceFile(
  file: string,
  bytes: Buffer,
  keep: Ownership | undefined,
  path: string,
): Promise<void> {
  return withTemporary(file, bytes, keep, path, (temporary) => rename(temporary, file));
}

/**
 * Keeps `bytes`, the file of version `version`, as `<file>.v<N>.bak` with the same
 * owner and mode; never overwrites another backup (an existing one that differs
 * gives `<file>.v<N>.2.bak`, and so on). Returns the backup's path.
 */
export function keepBackup(
  file: string,
  version: number,
  bytes: Buffer,
  keep: Ownership | undefined,
  path: string,
): Promise<string> {
  return withTemporary(file, bytes, keep, path, async (temporary) => {
    for (let n = 1; ; n += 1) {
      const backup = `${file}.v${version}${n === 1 ? '' : `.${n}`}.bak`;
      try {
        await link(temporary, backup);
        return backup;
      } catch (error) {
        if (!isCode(error, 'EEXIST')) throw error;
        const existing = await readFile(backup).catch(() => null);
        if (existing?.equals(bytes)) return backup;
      }
    }
  });
}

/** Makes a rename in `folder` durable. */
export async function syncFolder(folder: string): Promise<void> {
  // Makes the rename itself durable. Not possible on every platform (Windows): best effort.
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {}
}
