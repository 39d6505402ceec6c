/**
 * Reading and writing the server configuration file.
 *
 * Reading validates everything (JSON syntax, version, fields, types, hosts,
 * encrypted secrets) before returning; any problem is a `ConfigError` naming the
 * file and the line or field, and nothing is written. A file of an older version
 * is upgraded in memory (versions.ts); the next save keeps it beside the file as
 * `<file>.v<N>.bak`, byte for byte with the same owner and mode, before replacing it.
 *
 * Writing is atomic and refuses lost updates: the new content is written to a
 * temporary file in the same folder, flushed, and renamed over the file; and if
 * the file changed since it was read (another Configuration Tool, an editor), the
 * write is refused with `TESSERA_CONFIG_CONCURRENT_WRITE`. The file keeps its
 * owner, group and mode (a new one gets mode 0600), a symbolic link is written
 * through, and a file the user may not write is refused (see write-target.ts). A lock
 * file held for the few milliseconds of the check and rename serialises two
 * Tessera writers; an editor that saves in that window is the remaining race.
 *
 * One file per concern: config-parse.ts (text to settings), config-decode.ts
 * (secrets and setting rules), config-format.ts (settings to text),
 * atomic-write.ts (replace and back up a file), write-lock.ts (the lock file).
 */
import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { keepBackup, replaceFile, syncFolder } from './atomic-write.ts';
import { type BoundedFile, CONFIG_FILE_LIMITS, type FileRole, readBoundedFile } from './bounded-file.ts';
import {
  decodeConfiguration,
  deepFreeze,
  settingProblems,
  structuredCloneConfiguration,
} from './config-decode.ts';
import { formatConfigurationText, hasSecrets } from './config-format.ts';
import { parseConfigurationText, parseVersionedText } from './config-parse.ts';
import { ConfigError } from './errors.ts';
import type { ConfigLocation } from './location.ts';
import { codeOf, loadOrCreatePrivateKey } from './private-key.ts';
import { CONFIG_VERSION, DEFAULT_CONFIGURATION, type ServerConfiguration } from './schema.ts';
import type { SecretField } from './secret-fields.ts';
import { acquireWriteLock } from './write-lock.ts';
import { resolveWriteTarget } from './write-target.ts';

/** The file as it was read, to detect a concurrent writer. */
export type FileSnapshot =
  | { readonly exists: false }
  | { readonly exists: true; readonly size: number; readonly mtimeMs: number; readonly sha256: string };

export interface LoadedConfiguration {
  readonly location: ConfigLocation;
  /** False when the file does not exist: `configuration` holds the defaults. */
  readonly exists: boolean;
  readonly configuration: ServerConfiguration;
  /** Secret fields written in plain text in the file; they are encrypted on the next save. */
  readonly plainTextSecrets: readonly string[];
  readonly snapshot: FileSnapshot;
  /**
   * The file's version when it is older than `CONFIG_VERSION` (it was upgraded in
   * memory): the next save keeps the file as it is beside it, `<file>.v<N>.bak`.
   */
  readonly upgradedFrom?: number;
  /** After a save that upgraded the file: where the old file was kept. */
  readonly backup?: string;
}

export interface ReadOptions {
  /**
   * The secret fields the caller is about to replace or remove. They are not
   * decrypted, so that a secret whose stored value cannot be read (the private key
   * file missing, replaced or damaged, the value tampered with) can still be
   * replaced: the loaded configuration holds no value for them, and the caller must
   * set or remove each one before saving. Everything else is read as usual.
   */
  readonly replacing?: readonly SecretField[];
}

/** Reads and validates the configuration file; a missing file gives the defaults. */
export async function readConfiguration(
  location: ConfigLocation,
  options: ReadOptions = {},
): Promise<LoadedConfiguration> {
  const { path } = location;
  const file = await readConfigFileBytes(path);
  if (file === null) {
    return freeze({
      location,
      exists: false,
      configuration: DEFAULT_CONFIGURATION,
      plainTextSecrets: [],
      snapshot: { exists: false },
    });
  }
  const { bytes, mtimeMs } = file;
  const snapshot: FileSnapshot = { exists: true, size: bytes.length, mtimeMs, sha256: sha256(bytes) };
  const { file: parsed, version } = parseVersionedText(bytes.toString('utf8'), path);
  const { configuration, plainTextSecrets } = await decodeConfiguration(
    parsed,
    location,
    options.replacing ?? [],
  );
  const upgraded = version < CONFIG_VERSION ? { upgradedFrom: version } : {};
  return freeze({ location, exists: true, configuration, plainTextSecrets, snapshot, ...upgraded });
}

const CONFIG_FILE_ROLE: FileRole = {
  label: 'The configuration file',
  fix: 'Give the path of the server configuration file itself (e.g. /etc/tessera/server.json) with --config or TESSERA_CONFIG.',
};

/** The bytes of the configuration file (a regular file of at most 1 MiB), or `null` when it does not exist. */
async function readConfigFileBytes(path: string): Promise<BoundedFile | null> {
  try {
    return await readBoundedFile(path, CONFIG_FILE_LIMITS.configFileMaxBytes, CONFIG_FILE_ROLE);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw unreadable(path, error);
  }
}

/**
 * Validates `next` and writes it over the file `loaded` was read from, creating
 * the folder (0700), the file (0600) and the private key file as needed. Refuses
 * with `TESSERA_CONFIG_CONCURRENT_WRITE` if the file changed since `loaded` was read.
 * Returns the configuration as now stored (for a further save).
 */
export async function saveConfiguration(
  loaded: LoadedConfiguration,
  next: ServerConfiguration,
): Promise<LoadedConfiguration> {
  const { location } = loaded;
  const { path } = location;
  const problems = settingProblems(next);
  if (problems.length > 0) {
    throw new ConfigError(
      'TESSERA_CONFIG_INVALID',
      `Not saved: ${problems.map((p) => `${p.field}: ${p.problem}`).join(' ')}`,
      { path, field: problems[0]!.field },
    );
  }
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw writeFailed(path, error);
  }
  // Before anything is created: a file this user may not write is refused untouched.
  const target = await resolveWriteTarget(path).catch((error: unknown) => {
    throw writeFailed(path, error);
  });
  const key = hasSecrets(next)
    ? await loadOrCreatePrivateKey(location.privateKeyPath, { owner: target.keep })
    : null;
  const text = formatConfigurationText(next, key);
  // The written text must read back as the same configuration: a last guard against writing a file we refuse.
  parseConfigurationText(text, path);

  const folder = dirname(target.file);
  const written = Buffer.from(text, 'utf8');
  const release = await acquireWriteLock(target.file).catch((error: unknown) => {
    throw writeFailed(path, error);
  });
  let backup: string | undefined;
  try {
    const old = await bytesIfUnchanged(loaded);
    try {
      // The old version's file is kept, byte for byte, before it is replaced.
      if (loaded.upgradedFrom !== undefined && old !== null) {
        backup = await keepBackup(target.file, loaded.upgradedFrom, old, target.keep, path);
      }
      await replaceFile(target.file, written, target.keep, path);
      await syncFolder(folder);
    } catch (error) {
      throw writeFailed(path, error);
    }
  } finally {
    await release();
  }
  const mtimeMs = (await stat(path)).mtimeMs;
  return freeze({
    location,
    exists: true,
    configuration: deepFreeze(structuredCloneConfiguration(next)),
    plainTextSecrets: [],
    snapshot: { exists: true, size: written.length, mtimeMs, sha256: sha256(written) },
    ...(backup !== undefined ? { backup } : {}),
  });
}

/**
 * Throws `TESSERA_CONFIG_CONCURRENT_WRITE` if the file changed (or appeared, or
 * was deleted) since `loaded` was read. `saveConfiguration` calls it under its lock;
 * an apply that may write nothing calls it too, so that it never reports stale settings.
 */
export async function refuseIfChanged(loaded: LoadedConfiguration): Promise<void> {
  await bytesIfUnchanged(loaded);
}

/** The file's bytes (`null`: it does not exist), after checking it did not change since `loaded` was read. */
async function bytesIfUnchanged(loaded: LoadedConfiguration): Promise<Buffer | null> {
  const { path } = loaded.location;
  const file = await readConfigFileBytes(path);
  const now: FileSnapshot =
    file === null
      ? { exists: false }
      : { exists: true, size: file.bytes.length, mtimeMs: file.mtimeMs, sha256: sha256(file.bytes) };
  const before = loaded.snapshot;
  const same =
    before.exists === now.exists && (!before.exists || (now.exists && before.sha256 === now.sha256));
  if (same) return file === null ? null : file.bytes;
  const what = !now.exists ? 'was deleted' : before.exists ? 'was changed' : 'was created';
  throw new ConfigError(
    'TESSERA_CONFIG_CONCURRENT_WRITE',
    `${path} ${what} by someone else since it was read (another Configuration Tool, or an editor). ` +
      'Nothing was saved, so that their change is not lost. Run the command again: it reads the file anew.',
    { path },
  );
}

function unreadable(path: string, error: unknown): ConfigError {
  const code = codeOf(error);
  const fix =
    code === 'EACCES' || code === 'EPERM'
      ? 'Give the user that runs Tessera read and write access to it.'
      : 'Check the path and its permissions.';
  return new ConfigError('TESSERA_CONFIG_UNREADABLE', `${path} cannot be read (${code}). ${fix}`, {
    cause: error,
    path,
  });
}

function writeFailed(path: string, error: unknown): ConfigError {
  if (error instanceof ConfigError) return error;
  return new ConfigError(
    'TESSERA_CONFIG_WRITE',
    `${path} cannot be written (${codeOf(error)}). Nothing was changed. ` +
      'Give the user that runs Tessera write access to its folder, or choose another file with --config.',
    { cause: error, path },
  );
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function freeze(loaded: LoadedConfiguration): LoadedConfiguration {
  return Object.freeze(loaded);
}
