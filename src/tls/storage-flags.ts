/**
 * `SERedis_ClientCertStorageFlags`: .NET's X509KeyStorageFlags, which tell Windows
 * where and how to import the key of a PFX file. On this platform the key is only
 * ever held in the memory of the process that connects, so the flags are validated
 * and explained, and change nothing.
 */
import { quoteInput } from '../errors.ts';
import { TlsError } from './errors.ts';
import { TLS_VARIABLES } from './variables.ts';

export const STORAGE_FLAGS = {
  DefaultKeySet: 0,
  UserKeySet: 1,
  MachineKeySet: 2,
  Exportable: 4,
  UserProtected: 8,
  PersistKeySet: 16,
  EphemeralKeySet: 32,
} as const;
export type StorageFlagName = keyof typeof STORAGE_FLAGS;

const FLAG_NAMES = Object.keys(STORAGE_FLAGS) as StorageFlagName[];
const ALL_FLAGS = 63;

/** What each flag would do on Windows, and what it does here. */
const MEANINGS: Readonly<Record<StorageFlagName, string>> = {
  DefaultKeySet: 'Windows would use the default key set; here the key is read into this process’s memory.',
  UserKeySet: 'Windows would import the key into the user’s profile; here it stays in this process’s memory.',
  MachineKeySet: 'Windows would import the key into the machine key store; here nothing is imported.',
  Exportable: 'Windows would allow the key to be exported; Tessera never exports it.',
  UserProtected:
    'Windows would ask the user before each use of the key; a server process cannot ask, so this is ignored.',
  PersistKeySet: 'Windows would keep the key after use; nothing is persisted here.',
  EphemeralKeySet:
    'The key is held in memory only and never written to disk, which is what Tessera always does.',
};

export interface StorageFlags {
  /** The variable's value as set. */
  readonly raw: string;
  /** The sum of the flags, 0–63. */
  readonly value: number;
  /** The flags set; `['DefaultKeySet']` for 0. */
  readonly names: readonly StorageFlagName[];
  /** What the flags change on this platform, in sentences. */
  readonly meaning: string;
}

/**
 * Parses `9`, `UserKeySet|UserProtected` or `userkeyset, userprotected`; throws
 * TESSERA_TLS_STORAGE_FLAGS. The message quotes the value (bounded) only when it has the
 * shape of what the variable expects, a number or words; anything else may be a secret
 * set in the wrong variable (a password, say), and only its length is told.
 */
export function parseStorageFlags(raw: string): StorageFlags {
  const value = flagsValue(raw.trim());
  if (value === undefined) {
    throw new TlsError(
      'TESSERA_TLS_STORAGE_FLAGS',
      `${TLS_VARIABLES.storageFlags} ${describeRefused(raw.trim())}, which is not a set of key storage flags. ` +
        `Set it to an integer from 0 to ${ALL_FLAGS} (the sum of the flags: 1 for UserKeySet, 9 for UserKeySet and UserProtected) ` +
        `or to flag names separated by "," or "|" (${FLAG_NAMES.join(', ')}), or remove it: ` +
        `on this platform the flags change nothing.`,
      { variable: TLS_VARIABLES.storageFlags },
    );
  }
  const names =
    value === 0 ? (['DefaultKeySet'] as const) : FLAG_NAMES.filter((n) => (STORAGE_FLAGS[n] & value) !== 0);
  return Object.freeze({ raw, value, names: Object.freeze([...names]), meaning: describe(value, names) });
}

/** What the report shows of the variable's value: the value when valid, else what a message may say of it. */
export function shownStorageFlags(raw: string): string {
  const text = raw.trim();
  const value = flagsValue(text);
  if (value === undefined) return couldBeFlags(text) ? quoteInput(text) : shape(text);
  if (Array.from(text).length <= 60) return text;
  return value === 0 ? 'DefaultKeySet' : FLAG_NAMES.filter((n) => (STORAGE_FLAGS[n] & value) !== 0).join('|');
}

/** A number, or words of letters with separators: what someone meaning flags would write. */
function couldBeFlags(text: string): boolean {
  return /^[+-]?\d+(\.\d+)?$/.test(text) || /^[A-Za-z]+([\s,|+;]+[A-Za-z]+)*[\s,|+;]*$/.test(text);
}

function describeRefused(text: string): string {
  return couldBeFlags(text) ? `is ${quoteInput(text)}` : `holds ${shape(text)}`;
}

function shape(text: string): string {
  const length = Array.from(text).length;
  return (
    `a value of ${length} character${length === 1 ? '' : 's'} that is neither a number nor a list of flag names ` +
    `(not shown: it may be a secret, such as a password set in the wrong variable)`
  );
}

function flagsValue(text: string): number | undefined {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n <= ALL_FLAGS ? n : undefined;
  }
  const parts = text.split(/[,|]/).map((p) => p.trim());
  if (parts.some((p) => p === '')) return undefined;
  let value = 0;
  for (const part of parts) {
    const name = FLAG_NAMES.find((n) => n.toLowerCase() === part.toLowerCase());
    if (name === undefined) return undefined;
    value |= STORAGE_FLAGS[name];
  }
  return value;
}

function describe(value: number, names: readonly StorageFlagName[]): string {
  const sentences = names.map((n) => `${n}: ${MEANINGS[n]}`);
  const both = (a: StorageFlagName, b: StorageFlagName) =>
    (value & STORAGE_FLAGS[a]) !== 0 && (value & STORAGE_FLAGS[b]) !== 0;
  if (both('UserKeySet', 'MachineKeySet') || both('PersistKeySet', 'EphemeralKeySet')) {
    sentences.push(
      '.NET on Windows refuses some of these combinations; they are accepted here because they change nothing.',
    );
  }
  sentences.push('The key is only ever held in this process’s memory, whatever the flags.');
  return sentences.join(' ');
}
