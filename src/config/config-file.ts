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
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type BoundedFile, CONFIG_FILE_LIMITS, type FileRole, readBoundedFile } from './bounded-file.ts';
import { ConfigError } from './errors.ts';
import { frontendProblems } from './frontend-settings.ts';
import { checkJsonText, type JsonTextProblem } from './json-syntax.ts';
import type { ConfigLocation } from './location.ts';
import { platformDatabaseProblems } from './platform-database-settings.ts';
import { codeOf, isCode, loadOrCreatePrivateKey, type PrivateKey, readPrivateKey } from './private-key.ts';
import { redisSettingsProblems, type SettingProblem } from './redis-settings.ts';
import {
  type AppliedRecord,
  CONFIG_VERSION,
  type ConfigurationFile,
  configurationFileSchema,
  DEFAULT_CONFIGURATION,
  type PlatformDatabaseFileSettings,
  type PlatformDatabaseSettings,
  type RedisFileSettings,
  type RedisSessionSettings,
  type ServerConfiguration,
  type StoredSecret,
} from './schema.ts';
import { describeSchemaIssues } from './schema-issues.ts';
import { Secret } from './secret.ts';
import { decryptSecret, encryptSecret, parseEncryptedValue } from './secret-encryption.ts';
import { SECRET_FIELD_NAMES, type SecretField, secretRemedy, valueAt, withValueAt } from './secret-fields.ts';
import { type FileObject, fileVersion, upgradeFile } from './versions.ts';
import { keepOwnership, type Ownership, resolveWriteTarget } from './write-target.ts';

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

const LOCK_STALE_MS = 30_000;

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
 * Parses and validates the text of a configuration file (no secrets decrypted),
 * upgraded to the current version. Throws `TESSERA_CONFIG_SYNTAX`, `_VERSION`,
 * `_NEWER_VERSION`, `_UNKNOWN_FIELD` or `_INVALID`.
 */
export function parseConfigurationText(text: string, path: string): ConfigurationFile {
  return parseVersionedText(text, path).file;
}

/** The file of `text` upgraded to the current version, and the version it had. */
function parseVersionedText(text: string, path: string): { file: ConfigurationFile; version: number } {
  const clean = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const found = checkJsonText(clean, { maxNesting: CONFIG_FILE_LIMITS.configFileMaxNesting });
  if (found !== null) throw jsonTextError(found, clean, path);
  const raw: unknown = JSON.parse(clean);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(
      'TESSERA_CONFIG_INVALID',
      `${path} must hold a JSON object ({ "version": ${CONFIG_VERSION}, "session": { … } }), not ${typeName(raw)}.`,
      { path },
    );
  }
  const version = fileVersion(raw as FileObject, path);
  const upgraded = upgradeFile(raw as FileObject, version);
  const result = configurationFileSchema.safeParse(upgraded);
  if (!result.success) throw describeSchemaIssues(result.error.issues, upgraded, path);
  return { file: result.data, version };
}

/** The error for a problem the scanner found: a syntax error, a field given twice, or nesting too deep. */
function jsonTextError(found: JsonTextProblem, text: string, path: string): ConfigError {
  const at = `line ${found.line}, column ${found.column}`;
  const field = found.field !== undefined ? { field: found.field } : {};
  if (found.kind === 'duplicate') {
    return new ConfigError(
      'TESSERA_CONFIG_DUPLICATE_FIELD',
      `${path}: ${found.problem}, again at ${at}. JSON readers disagree on which one counts: keep one of them ` +
        '(Tessera did not change the file).',
      { path, ...field },
    );
  }
  if (found.kind === 'nesting') {
    return new ConfigError(
      'TESSERA_CONFIG_TOO_DEEP',
      `${path}: at ${at}, under ${found.field}, ${found.problem}; a server configuration nests 4 levels. ` +
        'This is not a Tessera configuration file: give the path of the right file, or restore it from a backup.',
      { path, ...field },
    );
  }
  // The engine's message quotes the text around the error (maybe a secret): only the scanner's words are shown.
  const empty = text.trim() === '' ? ' The file is empty: delete it to start from the defaults.' : '';
  return new ConfigError(
    'TESSERA_CONFIG_SYNTAX',
    `${path} is not valid JSON: ${at}: ${found.problem}.${empty} ` +
      'Correct the file (or restore it from a backup); Tessera did not change it.',
    { path },
  );
}

async function decodeConfiguration(
  file: ConfigurationFile,
  location: ConfigLocation,
  replacing: readonly SecretField[],
): Promise<{ configuration: ServerConfiguration; plainTextSecrets: string[] }> {
  const plainTextSecrets: string[] = [];
  // The secrets first, each by its path; the sections are then read without them.
  let withoutSecrets = file;
  const secrets = new Map<SecretField, Secret>();
  for (const field of SECRET_FIELD_NAMES) {
    const stored = valueAt(file, field) as StoredSecret | undefined;
    if (stored === undefined) continue;
    withoutSecrets = withValueAt(withoutSecrets, field, undefined);
    if (replacing.includes(field)) continue;
    const secret = await decodeSecret(stored, field, location, plainTextSecrets);
    if (secret !== undefined) secrets.set(field, secret);
  }
  const { session, platformDatabase, frontend, applied } = withoutSecrets;
  let configuration: ServerConfiguration = {
    version: CONFIG_VERSION,
    session: {
      provider: session.provider,
      ...(session.redis !== undefined ? { redis: fromFileRedis(session.redis) } : {}),
    },
    ...(platformDatabase !== undefined
      ? { platformDatabase: fromFilePlatformDatabase(platformDatabase) }
      : {}),
    ...(frontend !== undefined ? { frontend } : {}),
    ...(applied !== undefined ? { applied: applied as AppliedRecord } : {}),
  };
  for (const [field, secret] of secrets) configuration = withValueAt(configuration, field, secret);
  const problems = settingProblems(configuration);
  if (problems.length > 0) {
    throw new ConfigError(
      'TESSERA_CONFIG_INVALID',
      `${location.path}: ${problems.map((p) => `${p.field}: ${p.problem}`).join(' ')} ` +
        `Correct the file, or set the settings again with \`${commandOf(problems[0]!.field)}\`.`,
      { path: location.path, field: problems[0]!.field },
    );
  }
  return { configuration: deepFreeze(configuration), plainTextSecrets };
}

/** The command that sets `field` (a full path). */
function commandOf(field: string): string {
  if (field.startsWith('session.')) return 'tessera config session';
  if (field.startsWith('frontend.')) return 'tessera config frontend';
  return 'tessera config database';
}

/** Every problem of the settings of `configuration`, by its field's full path. */
function settingProblems(configuration: ServerConfiguration): SettingProblem[] {
  const { redis } = configuration.session;
  const within = (section: string, problems: readonly SettingProblem[]) =>
    problems.map((p) => ({ field: `${section}.${p.field}`, problem: p.problem }));
  return [
    ...(redis !== undefined ? within('session.redis', redisSettingsProblems(redis)) : []),
    ...(configuration.platformDatabase !== undefined
      ? within('platformDatabase', platformDatabaseProblems(configuration.platformDatabase))
      : []),
    ...(configuration.frontend !== undefined
      ? within('frontend', frontendProblems(configuration.frontend))
      : []),
  ];
}

async function decodeSecret(
  stored: StoredSecret | undefined,
  field: SecretField,
  location: ConfigLocation,
  plainTextSecrets: string[],
): Promise<Secret | undefined> {
  if (stored === undefined) return undefined;
  if (typeof stored === 'string') {
    plainTextSecrets.push(field);
    return new Secret(stored);
  }
  try {
    const value = parseEncryptedValue(stored.$encrypted);
    if (value === null) {
      throw new ConfigError(
        'TESSERA_CONFIG_INVALID',
        `${field}.$encrypted in ${location.path} is not an encrypted value written by Tessera (expected "v1:…"). ` +
          'To set the secret by hand, write it in plain text ("password": "…"): it is encrypted on the next save.',
        { path: location.path, field: `${field}.$encrypted` },
      );
    }
    const key = await readPrivateKey(location.privateKeyPath);
    if (key === null) {
      throw new ConfigError(
        'TESSERA_CONFIG_PRIVATE_KEY_MISSING',
        `${field} in ${location.path} is encrypted, but the private key file ${location.privateKeyPath} does not exist` +
          `${location.privateKeySource === 'environment' ? ' (TESSERA_PRIVATE_KEY names it)' : ''}.`,
        { path: location.path, field },
      );
    }
    return decryptSecret(value, key, field, location.path);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(error.code, `${error.message} ${secretRemedy(field, location, error.code)}`, {
      cause: error.cause,
      path: location.path,
      field: error.field ?? field,
    });
  }
}

/** The Redis settings of the file, its password left out (set by the caller). */
function fromFileRedis(stored: RedisFileSettings): RedisSessionSettings {
  const { password: _password, useSsl, ...rest } = stored;
  return { ...rest, useSsl: useSsl ?? false };
}

/** The platform database settings of the file, its password left out (set by the caller). */
function fromFilePlatformDatabase(stored: PlatformDatabaseFileSettings): PlatformDatabaseSettings {
  if (stored.provider === 'sqlite') return stored;
  const { password: _password, ssl, ...rest } = stored;
  return { ...rest, ssl: ssl ?? false };
}

/** The JSON text of a configuration, secrets encrypted with `key`. */
export function formatConfigurationText(configuration: ServerConfiguration, key: PrivateKey | null): string {
  const { redis } = configuration.session;
  let file: Record<string, unknown> = {
    version: CONFIG_VERSION,
    session: {
      provider: configuration.session.provider,
      redis:
        redis === undefined
          ? undefined
          : (({ hosts, password, user, useSsl, sslHost, ...advanced }) => ({
              hosts,
              password,
              user,
              useSsl,
              sslHost,
              ...advanced,
            }))(redis),
    },
    platformDatabase: configuration.platformDatabase,
    frontend: configuration.frontend,
    applied: configuration.applied,
  };
  for (const field of SECRET_FIELD_NAMES) {
    const secret = valueAt(configuration, field);
    if (!(secret instanceof Secret)) continue;
    if (key === null) throw new Error('a private key is needed to write a secret');
    file = withValueAt(file, field, { $encrypted: encryptSecret(secret, key, field) });
  }
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** True when writing `configuration` needs the private key (it holds a secret). */
export function hasSecrets(configuration: ServerConfiguration): boolean {
  return SECRET_FIELD_NAMES.some((field) => valueAt(configuration, field) instanceof Secret);
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
  const release = await acquireLock(target.file);
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

/** Replaces `file` by `bytes` atomically (a temporary file renamed over it). */
async function replaceFile(
  file: string,
  bytes: Buffer,
  keep: Ownership | undefined,
  path: string,
): Promise<void> {
  const temporary = await writeTemporary(file, bytes, keep, path);
  try {
    await rename(temporary, file);
  } finally {
    await unlink(temporary).catch(() => {});
  }
}

/**
 * Keeps `bytes`, the file of version `version`, as `<file>.v<N>.bak` with the same
 * owner and mode; never overwrites another backup (an existing one that differs
 * gives `<file>.v<N>.2.bak`, and so on). Returns the backup's path.
 */
async function keepBackup(
  file: string,
  version: number,
  bytes: Buffer,
  keep: Ownership | undefined,
  path: string,
): Promise<string> {
  const temporary = await writeTemporary(file, bytes, keep, path);
  try {
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
  } finally {
    await unlink(temporary).catch(() => {});
  }
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

async function acquireLock(path: string): Promise<() => Promise<void>> {
  const lock = `${path}.lock`;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(lock, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => unlink(lock).catch(() => {});
    } catch (error) {
      if (!isCode(error, 'EEXIST')) throw writeFailed(path, error);
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

async function syncFolder(folder: string): Promise<void> {
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

export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a whole number' : 'a number';
  if (typeof value === 'boolean') return 'true/false';
  return typeof value;
}

function structuredCloneConfiguration(configuration: ServerConfiguration): ServerConfiguration {
  // Secrets are objects with private fields: copy the plain parts, keep the Secret instances.
  const { redis } = configuration.session;
  return {
    version: configuration.version,
    session: {
      provider: configuration.session.provider,
      ...(redis ? { redis: { ...redis, hosts: [...redis.hosts] } } : {}),
    },
    ...(configuration.platformDatabase ? { platformDatabase: { ...configuration.platformDatabase } } : {}),
    ...(configuration.frontend ? { frontend: { ...configuration.frontend } } : {}),
    ...(configuration.applied ? { applied: { ...configuration.applied } } : {}),
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !(value instanceof Secret) && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function freeze(loaded: LoadedConfiguration): LoadedConfiguration {
  return Object.freeze(loaded);
}
