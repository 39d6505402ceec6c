/**
 * Reading the files the variables name, with errors that say which variable, which
 * file and what to do, and the cheap stamp that tells when a file has changed.
 */
import { readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { TlsError } from './errors.ts';
import type { TlsVariableName } from './variables.ts';

/** The absolute path a variable's value stands for (relative paths resolve against the working folder). */
export function resolveMaterialPath(value: string): string {
  return resolve(value);
}

/** Reads the whole file named by `variable`, or throws TESSERA_TLS_FILE_NOT_FOUND / _UNREADABLE. */
export function readMaterialFile(variable: TlsVariableName, value: string): Buffer {
  const path = resolveMaterialPath(value);
  try {
    return readFileSync(path);
  } catch (cause) {
    throw fileError(variable, value, path, cause);
  }
}

function fileError(variable: TlsVariableName, value: string, path: string, cause: unknown): TlsError {
  const errno = (cause as NodeJS.ErrnoException).code;
  const shown = path === value ? path : `${path} (from "${value}")`;
  if (errno === 'ENOENT' || errno === 'ENOTDIR') {
    return new TlsError(
      'TESSERA_TLS_FILE_NOT_FOUND',
      `${variable} names ${shown}, which does not exist on this server. ` +
        `Copy the file there, or set ${variable} to the full path of the file.${pathHint(value)}`,
      { cause, variable },
    );
  }
  const reason =
    errno === 'EISDIR'
      ? 'it is a folder, not a file'
      : errno === 'EACCES' || errno === 'EPERM'
        ? `permission denied for the user ${currentUser()} that runs this process`
        : `${errno ?? 'read error'}`;
  const fix =
    errno === 'EISDIR'
      ? `Set ${variable} to the full path of the file itself.`
      : `Give the user running the front-end server read access to the file and to every folder above it.`;
  return new TlsError(
    'TESSERA_TLS_FILE_UNREADABLE',
    `${variable} names ${shown}, which cannot be read (${reason}). ${fix}`,
    {
      cause,
      variable,
    },
  );
}

/** Quotes and spaces around a path are a common slip when setting variables on Windows. */
function pathHint(value: string): string {
  if (/^\s|\s$/.test(value)) return ' The value starts or ends with a space: remove it.';
  if (/^["']|["']$/.test(value)) return ' The value starts or ends with a quote: remove the quotes.';
  if (!isAbsolute(value)) return ` A relative path is resolved against ${process.cwd()}: use a full path.`;
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
