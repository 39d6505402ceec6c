/**
 * The lock file that serialises two Tessera processes saving the same
 * configuration: `<file>.lock`, created exclusively and held for the few
 * milliseconds of the check and rename. A lock older than any save
 * (`LOCK_STALE_MS`) was left by a process that died while saving and is taken over.
 *
 * Hand-written rather than `proper-lockfile`: that library locks with a folder it
 * keeps fresh on a timer and needs the file to exist (or `realpath: false`), for a
 * lock held for milliseconds; an exclusive create does it with nothing running.
 */
import { open, stat, unlink } from 'node:fs/promises';
import { ConfigError } from './errors.ts';
import { isCode } from './private-key.ts';

const LOCK_STALE_MS = 30_000;

/**
 * Takes the lock of `path`; returns the function that releases it. Throws
 * `TESSERA_CONFIG_CONCURRENT_WRITE` while another process holds it, and the file
 * system's error when the lock file cannot be created.
 */
export async function acquireWriteLock(path: string): Promise<() => Promise<void>> {
  const lock = `${path}.lock`;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(lock, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => unlink(lock).catch(() => {});
    } catch (error) {
      if (!isCode(error, 'EEXIST')) throw error;
      // A lock older than any save is left by a process that died while saving.
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => Number.POSITIVE_INFINITY,
      );
      if (age > LOCK_STALE_MS) {
        await unlink(lock).catch(() => {});
        continue;
      }
      throw new ConfigError(
        'TESSERA_CONFIG_CONCURRENT_WRITE',
        `${path} is being saved by another Tessera process right now (${lock} exists). ` +
          `Nothing was saved. Run the command again in a moment; if no other process runs, delete ${lock}.`,
        { path },
      );
    }
  }
  throw new ConfigError('TESSERA_CONFIG_WRITE', `${path} could not be locked for writing (${lock}).`, {
    path,
  });
}
