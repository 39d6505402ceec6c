/**
 * The one place the certificate-material layer reads a file the variables name (the
 * PFX, the PEM certificate and key, the issuer certificates), with errors that say
 * which variable, which file and what to do, and the cheap stamp that tells when a
 * file has changed.
 *
 * Contract of `readMaterialFile`:
 * - Only a regular file is read, after following symlinks. A FIFO, a device
 *   (`/dev/zero`), a socket or a folder is refused by its type, before it is opened, so
 *   nothing hangs waiting for a writer and nothing reads without end.
 * - A file larger than {@link MATERIAL_FILE_MAX_BYTES} is refused: certificates, keys and
 *   PFX files are a few KB, so a larger one is the wrong file.
 * - The file is opened non-blocking and checked again through its descriptor, so a
 *   path swapped for a FIFO or a device between the two checks is refused as well.
 */
import { closeSync, constants as fs, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { quoteInput } from '../errors.ts';
import { TlsError } from './errors.ts';
import type { TlsVariableName } from './variables.ts';

/** The largest certificate, key or PFX file read: 1 MiB. A real one is a few KB. */
export const MATERIAL_FILE_MAX_BYTES = 1024 * 1024;

/** The longest path a message quotes, in characters: longer ones are cut (with their length). */
const PATH_QUOTE_MAX_CHARS = 300;

/** The absolute path a variable's value stands for (relative paths resolve against the working folder). */
export function resolveMaterialPath(value: string): string {
  return resolve(value);
}

/** A path as messages show it: quoted, escaped, bounded. */
export function quotePath(path: string): string {
  return quoteInput(path, PATH_QUOTE_MAX_CHARS);
}

/**
 * Reads the whole file named by `variable`. Throws TESSERA_TLS_FILE_NOT_FOUND,
 * _UNREADABLE, _NOT_REGULAR or _TOO_LARGE.
 */
export function readMaterialFile(variable: TlsVariableName, value: string): Buffer {
  const path = resolveMaterialPath(value);
  let fd: number | undefined;
  try {
    // stat follows symlinks: the type checked is the target's.
    refuseUnusable(variable, value, path, statSync(path));
    // O_NONBLOCK: should the path have become a FIFO since, opening it does not wait for a writer.
    fd = openSync(path, fs.O_RDONLY | (fs.O_NONBLOCK ?? 0));
    refuseUnusable(variable, value, path, fstatSync(fd));
    return readAtMost(variable, value, path, fd);
  } catch (cause) {
    throw cause instanceof TlsError ? cause : fileError(variable, value, path, cause);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function refuseUnusable(variable: TlsVariableName, value: string, path: string, stats: Stats): void {
  if (!stats.isFile()) {
    const kind = fileKind(stats);
    throw new TlsError(
      'TESSERA_TLS_FILE_NOT_REGULAR',
      `${variable} names ${shownPath(path, value)}, which is ${kind}, not a file. ` +
        `Set ${variable} to the full path of the ${expectedFile(variable)} itself.`,
      { variable },
    );
  }
  if (stats.size > MATERIAL_FILE_MAX_BYTES) throw tooLarge(variable, value, path, stats.size);
}

/** Reads up to the cap, and refuses a file that grew past it since it was checked. */
function readAtMost(variable: TlsVariableName, value: string, path: string, fd: number): Buffer {
  const buffer = Buffer.alloc(MATERIAL_FILE_MAX_BYTES + 1);
  let length = 0;
  for (;;) {
    const read = readSync(fd, buffer, length, buffer.length - length, null);
    if (read === 0) break;
    length += read;
    if (length > MATERIAL_FILE_MAX_BYTES) throw tooLarge(variable, value, path, length);
  }
  return Buffer.from(buffer.subarray(0, length));
}

function tooLarge(variable: TlsVariableName, value: string, path: string, size: number): TlsError {
  return new TlsError(
    'TESSERA_TLS_FILE_TOO_LARGE',
    `${variable} names ${shownPath(path, value)}, which holds ${size} bytes or more: larger than 1 MiB ` +
      `(${MATERIAL_FILE_MAX_BYTES} bytes), the most a ${expectedFile(variable)} may be (a real one is a few KB). ` +
      `Set ${variable} to the full path of the ${expectedFile(variable)} itself.`,
    { variable },
  );
}

function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'something other than a regular file';
}

const EXPECTED_FILES: Readonly<Record<TlsVariableName, string>> = {
  SERedis_ClientCertPfxPath: '.pfx file',
  SERedis_ClientCertPassword: 'file',
  SERedis_ClientCertStorageFlags: 'file',
  SERedis_IssuerCertPath: 'CA certificate file',
  SERedis_ClientCertPemPath: 'PEM certificate file',
  SERedis_ClientCertPasswordPath: 'PEM private key file',
};

function expectedFile(variable: TlsVariableName): string {
  return EXPECTED_FILES[variable];
}

/** Errors that mean no file has that name (a NUL in the value makes Node refuse the path itself). */
const NO_SUCH_FILE = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG', 'ERR_INVALID_ARG_VALUE']);

function fileError(variable: TlsVariableName, value: string, path: string, cause: unknown): TlsError {
  const errno = (cause as NodeJS.ErrnoException).code;
  const missing = errno !== undefined && NO_SUCH_FILE.has(errno);
  if (missing && !looksLikePath(value)) {
    return new TlsError(
      'TESSERA_TLS_FILE_NOT_FOUND',
      `${variable} holds ${unshownValue(value)}, and no file of that name exists. ` +
        `Set ${variable} to the full path of the ${expectedFile(variable)}${
          variable === 'SERedis_ClientCertPasswordPath'
            ? ' (the variable holds the path of the PEM private key, despite its name; a password belongs in SERedis_ClientCertPassword)'
            : ''
        }.`,
      { cause, variable },
    );
  }
  if (missing) {
    return new TlsError(
      'TESSERA_TLS_FILE_NOT_FOUND',
      `${variable} names ${shownPath(path, value)}, which does not exist on this server. ` +
        `Copy the file there, or set ${variable} to the full path of the file.${pathHint(value)}`,
      { cause, variable },
    );
  }
  const reason =
    errno === 'EACCES' || errno === 'EPERM'
      ? `permission denied for the user ${currentUser()} that runs this process`
      : `${errno ?? 'read error'}`;
  return new TlsError(
    'TESSERA_TLS_FILE_UNREADABLE',
    `${variable} names ${shownPath(path, value)}, which cannot be read (${reason}). ` +
      `Give the user running the front-end server read access to the file and to every folder above it.`,
    { cause, variable },
  );
}

/**
 * What a message shows of a path: the absolute path, and the value it came from when
 * that differs. A value that does not look like a path (no folder separator, no file
 * extension) and names no file is not shown: it may be a secret set in the wrong
 * variable (a password in SERedis_ClientCertPasswordPath, whose name invites it).
 */
function shownPath(path: string, value: string): string {
  if (!looksLikePath(value) && !exists(path)) return unshownValue(value);
  return path === value ? quotePath(path) : `${quotePath(path)} (from ${quotePath(value)})`;
}

/** A variable's path value as messages show it: see {@link shownPath}. */
export function quotePathValue(value: string): string {
  return shownPath(resolveMaterialPath(value), value);
}

/**
 * What the report shows of a path variable's value: the absolute path (cut after
 * 300 characters, with its length), or the shape of a value that may be a secret.
 */
export function shownPathValue(value: string): string {
  const path = resolveMaterialPath(value);
  if (!looksLikePath(value) && !exists(path)) return unshownValue(value);
  const characters = Array.from(path);
  return characters.length <= PATH_QUOTE_MAX_CHARS
    ? path
    : `${characters.slice(0, PATH_QUOTE_MAX_CHARS - 1).join('')}… (${characters.length} characters)`;
}

function unshownValue(value: string): string {
  const length = Array.from(value).length;
  return `a value of ${length} character${length === 1 ? '' : 's'} that does not look like a path (no folder separator, no file extension; not shown, as it may be a secret)`;
}

/** A folder separator, or a name ending in an extension (`client.pfx`, `ca.crt`). */
function looksLikePath(value: string): boolean {
  return /[/\\]/.test(value) || /\.[A-Za-z][A-Za-z0-9]{0,7}["'\s]*$/.test(value);
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Quotes and spaces around a path are a common slip when setting variables on Windows. */
function pathHint(value: string): string {
  if (value.includes('\0'))
    return ' The value holds a NUL character, which no path can: set the variable again.';
  if (/^\s|\s$/.test(value)) return ' The value starts or ends with a space: remove it.';
  if (/^["']|["']$/.test(value)) return ' The value starts or ends with a quote: remove the quotes.';
  if (!isAbsolute(value))
    return ` A relative path is resolved against ${quotePath(process.cwd())}: use a full path.`;
  return '';
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

/**
 * What identifies one version of a file without reading it: path, inode, size and
 * modification time in nanoseconds. A file replaced by rename changes inode; one
 * rewritten in place changes time (and usually size).
 */
export function fileStamp(value: string): string {
  const path = resolveMaterialPath(value);
  try {
    const s = statSync(path, { bigint: true });
    return `${path}:${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch (error) {
    return `${path}:${(error as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}
