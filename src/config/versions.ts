/**
 * The versions of the server configuration file, and the upgrades between them.
 *
 * Every change to the file's form that an older Tessera would refuse (a new
 * section, a new field: unknown fields are refused) is a new version, with one
 * entry in `CONFIG_UPGRADES` that turns a file of the previous version into the
 * new one. A file of an older version is upgraded in memory when it is read (the
 * file is not touched); the next save writes the current version, after keeping
 * the old file beside it as `<file>.v<N>.bak`. A file of a newer version than this
 * Tessera knows is refused (`TESSERA_CONFIG_NEWER_VERSION`) and never written.
 */
import { quoteInput } from '../errors.ts';
import { ConfigError } from './errors.ts';
import { CONFIG_VERSION } from './schema.ts';

/** The file's JSON object, before it is validated against the current schema. */
export type FileObject = Readonly<Record<string, unknown>>;

export interface ConfigUpgrade {
  /** The version this upgrade reads; it returns the next one (its `version` is set by the caller). */
  readonly from: number;
  /** What the next version adds or changes. */
  readonly changes: string;
  readonly upgrade: (file: FileObject) => FileObject;
}

/** One upgrade per version: the one at index i reads version i + 1. */
export const CONFIG_UPGRADES: readonly ConfigUpgrade[] = [
  {
    from: 1,
    changes:
      'version 2 adds the "platformDatabase" section and, under session.redis, "asyncTimeoutMs" and ' +
      '"noEffectOptions"; all are optional, so a version 1 file reads unchanged',
    upgrade: (file) => file,
  },
];

/**
 * The version of the file `raw`, checked: throws `TESSERA_CONFIG_INVALID` without
 * one, `TESSERA_CONFIG_VERSION` when it is not a whole number from 1, and
 * `TESSERA_CONFIG_NEWER_VERSION` when it is newer than this Tessera's.
 */
export function fileVersion(raw: FileObject, path: string): number {
  const version = raw.version;
  if (version === undefined) {
    throw new ConfigError(
      'TESSERA_CONFIG_INVALID',
      `${path} has no "version" field. Add "version": ${CONFIG_VERSION} at the top of the object.`,
      { path, field: 'version' },
    );
  }
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new ConfigError(
      'TESSERA_CONFIG_VERSION',
      `${path}: "version" must be a whole number from 1 to ${CONFIG_VERSION}, not ${describe(version)}. ` +
        'Tessera did not change the file: correct the version, or restore the file from a backup.',
      { path, field: 'version' },
    );
  }
  if (version > CONFIG_VERSION) {
    throw new ConfigError(
      'TESSERA_CONFIG_NEWER_VERSION',
      `${path} is a version ${version} configuration, written by a newer Tessera; this Tessera reads versions ` +
        `up to ${CONFIG_VERSION}. Tessera did not change the file. Upgrade Tessera on this server; or, to go back ` +
        `to this Tessera, restore the version ${CONFIG_VERSION} file the newer one kept beside it ` +
        `(${path}.v${CONFIG_VERSION}.bak), losing the changes made since.`,
      { path, field: 'version' },
    );
  }
  return version;
}

/** `raw`, of version `from`, upgraded one version at a time to the current one. */
export function upgradeFile(raw: FileObject, from: number): FileObject {
  let file = raw;
  for (let version = from; version < CONFIG_VERSION; version += 1) {
    const step = CONFIG_UPGRADES[version - 1];
    if (step === undefined || step.from !== version) {
      throw new Error(`no upgrade of the configuration file from version ${version}`);
    }
    file = { ...step.upgrade(file), version: version + 1 };
  }
  return file;
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `the string ${quoteInput(value)}`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}
