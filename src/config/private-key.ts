/**
 * The server's private key file: 32 random bytes that encrypt the secrets of the
 * server configuration (AES-256-GCM). It lives beside the configuration file
 * (`private.key`) or at `TESSERA_PRIVATE_KEY`, is created on first use with mode
 * 0600, and is never rewritten. Losing it makes the stored secrets unreadable:
 * back it up with the configuration, or re-enter the secrets.
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, open, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CONFIG_FILE_LIMITS, type FileRole, readBoundedFile } from './bounded-file.ts';
import { ConfigError } from './errors.ts';
import { shellWord } from './secret-fields.ts';

export const PRIVATE_KEY_BYTES = 32;

/** A loaded private key. `id` is a short fingerprint that names the key in messages (it reveals nothing of it). */
export interface PrivateKey {
  readonly path: string;
  readonly id: string;
  readonly bytes: Buffer;
}

/** The fingerprint written beside every encrypted secret, so a wrong key is told apart from a damaged value. */
export function privateKeyId(bytes: Buffer): string {
  return createHash('sha256').update('tessera-private-key-id\0').update(bytes).digest('hex').slice(0, 12);
}

const PRIVATE_KEY_ROLE: FileRole = {
  label: 'The private key file',
  fix:
    'Give the path of the private key file itself (a regular file of 32 bytes) with TESSERA_PRIVATE_KEY, ' +
    'or unset TESSERA_PRIVATE_KEY to use private.key beside the configuration file.',
};

/**
 * Reads the private key file. Returns `null` when it does not exist. Accepts the
 * 32 raw bytes Tessera writes, or the same bytes in base64 (a key restored from a
 * password manager or provisioned by a script).
 */
export async function readPrivateKey(path: string): Promise<PrivateKey | null> {
  let content: Buffer;
  try {
    const file = await readBoundedFile(path, CONFIG_FILE_LIMITS.privateKeyFileMaxBytes, PRIVATE_KEY_ROLE);
    if (file === null) return null;
    content = file.bytes;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      'TESSERA_CONFIG_PRIVATE_KEY_INVALID',
      `The private key file ${path} cannot be read (${codeOf(error)}). ` +
        'Give the user that runs Tessera read access to it (mode 0600, owned by that user).',
      { cause: error, path },
    );
  }
  const bytes = decodeKey(content);
  if (bytes === null) {
    throw new ConfigError(
      'TESSERA_CONFIG_PRIVATE_KEY_INVALID',
      `The private key file ${path} does not hold a private key (expected ${PRIVATE_KEY_BYTES} bytes, ` +
        `or them in base64; found ${content.length} bytes). Restore the file from a backup, ` +
        `or move it away (\`mv ${shellWord(path)} ${shellWord(`${path}.unusable`)}\`) and enter the secrets again (a new key is created on the next save).`,
      { path },
    );
  }
  return { path, id: privateKeyId(bytes), bytes };
}

/**
 * Reads the private key file, creating it first when it does not exist (mode 0600,
 * owned by `owner` when given: the owner of the configuration file). Two
 * processes creating it at once agree on one key: the key is written to a temporary
 * file and hard-linked into place, which fails if the other process won.
 */
export async function loadOrCreatePrivateKey(
  path: string,
  options: { readonly owner?: { readonly uid: number; readonly gid: number } | undefined } = {},
): Promise<PrivateKey> {
  const existing = await readPrivateKey(path);
  if (existing !== null) return existing;
  const bytes = randomBytes(PRIVATE_KEY_BYTES);
  const temporary = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(bytes);
      // Readable by whoever owns the configuration (a service user, when root edits it).
      const { owner } = options;
      if (owner !== undefined) {
        const now = await handle.stat();
        if (now.uid !== owner.uid || now.gid !== owner.gid) await handle.chown(owner.uid, owner.gid);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temporary, path);
    } catch (error) {
      if (!isCode(error, 'EEXIST')) throw error;
      // Another process created the key meanwhile: use theirs.
      const theirs = await readPrivateKey(path);
      if (theirs !== null) return theirs;
      throw error;
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      'TESSERA_CONFIG_WRITE',
      `The private key file ${path} cannot be created (${codeOf(error)}). ` +
        'Give the user that runs Tessera write access to its folder, or set TESSERA_PRIVATE_KEY to a writable path.',
      { cause: error, path },
    );
  } finally {
    await unlink(temporary).catch(() => {});
  }
  return { path, id: privateKeyId(bytes), bytes };
}

function decodeKey(content: Buffer): Buffer | null {
  if (content.length === PRIVATE_KEY_BYTES) return content;
  const text = content.toString('latin1').trim();
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    const bytes = Buffer.from(text, 'base64');
    if (bytes.length === PRIVATE_KEY_BYTES) return bytes;
  }
  return null;
}

export function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

export function codeOf(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}
