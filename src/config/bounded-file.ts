/**
 * Reading the files of the server configuration (the configuration file, the
 * private key file) without trusting what the path names.
 *
 * A path may name a FIFO (reading it waits for a writer forever), a device
 * (`/dev/zero` never ends), a folder, or a file of gigabytes. Only a regular file
 * (after following symbolic links) is read, and only up to a limit: anything else
 * is a `ConfigError` naming the path and what to do, raised before a byte is read.
 */
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { ConfigError } from './errors.ts';

/** The limits on what Tessera reads from the server configuration's files. */
export const CONFIG_FILE_LIMITS = {
  /** The configuration file: a few KB in practice; 1 MiB. */
  configFileMaxBytes: 1024 * 1024,
  /** Objects and lists in the configuration file: it nests 4 levels; deeper than this is not a configuration. */
  configFileMaxNesting: 32,
  /** The private key file: 32 bytes, or 44 in base64. */
  privateKeyFileMaxBytes: 4096,
} as const;

/** What a refusal says about the file: `label` names it ("The configuration file"), `fix` what to do. */
export interface FileRole {
  readonly label: string;
  readonly fix: string;
}

export interface BoundedFile {
  readonly bytes: Buffer;
  readonly mtimeMs: number;
}

// O_NONBLOCK: opening a FIFO for reading must not wait for a writer (it is then refused).
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/**
 * Reads the regular file at `path`, at most `maxBytes` of it. Returns `null` when
 * it does not exist; throws `TESSERA_CONFIG_NOT_A_FILE` or `TESSERA_CONFIG_TOO_LARGE`;
 * lets other system errors (EACCES…) through, for the caller to name.
 */
export async function readBoundedFile(
  path: string,
  maxBytes: number,
  role: FileRole,
): Promise<BoundedFile | null> {
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT') return null;
    if (code === 'EISDIR') throw notAFile(path, 'a folder', role);
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw notAFile(path, kindOf(stats), role);
    if (stats.size > maxBytes) throw tooLarge(path, `${stats.size} bytes`, maxBytes, role);
    // The size may be stale (the file grows meanwhile; /proc files say 0): read to the end, up to the limit.
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(Math.max(stats.size, 4096), maxBytes + 1 - length));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      length += bytesRead;
      if (length > maxBytes) throw tooLarge(path, `more than ${maxBytes} bytes`, maxBytes, role);
    }
    return { bytes: Buffer.concat(chunks, length), mtimeMs: stats.mtimeMs };
  } finally {
    await handle.close();
  }
}

function kindOf(stats: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function notAFile(path: string, kind: string, role: FileRole): ConfigError {
  return new ConfigError(
    'TESSERA_CONFIG_NOT_A_FILE',
    `${role.label} ${path} is ${kind}, not a regular file: Tessera reads only regular files (symbolic links to them are followed). ${role.fix}`,
    { path },
  );
}

function tooLarge(path: string, size: string, maxBytes: number, role: FileRole): ConfigError {
  return new ConfigError(
    'TESSERA_CONFIG_TOO_LARGE',
    `${role.label} ${path} is ${size}; Tessera reads at most ${maxBytes} bytes from it. ${role.fix}`,
    { path },
  );
}
