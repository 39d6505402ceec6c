/**
 * The names of the module layer: a module's name (a URL path segment), an
 * application's name (anything a person types, "Web Shop" included) and the
 * application key derived from it, which names the application's sessions in the
 * store and its session cookie.
 */
import { createHash } from 'node:crypto';
import { quoteInput } from '../errors.ts';
import { ModuleError } from './errors.ts';

/**
 * Module names the front-end server keeps for itself: Service Center's place and
 * the server's own endpoints (`/_tessera/health`).
 */
export const RESERVED_MODULE_NAMES = ['servicecenter', '_tessera'] as const;

/** Lowercase letters, digits, `.`, `_`, `~` and `-`, starting with a letter or digit: a path segment that needs no escaping. */
const MODULE_NAME = /^[a-z0-9][a-z0-9._~-]{0,99}$/;
const MODULE_NAME_MAX_CHARS = 100;
const APPLICATION_NAME_MAX_CHARS = 200;

/** Why `name` cannot be a module name, or `undefined` when it can. */
export function moduleNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'is missing (it is the module name and its URL path)';
  if ((RESERVED_MODULE_NAMES as readonly string[]).includes(name.toLowerCase()))
    return `${quoteInput(name)} is reserved by the front-end server (${RESERVED_MODULE_NAMES.map((n) => `/${n}/`).join(', ')})`;
  if (name.length > MODULE_NAME_MAX_CHARS)
    return `${quoteInput(name)} is longer than ${MODULE_NAME_MAX_CHARS} characters`;
  if (name.startsWith('@') && name.includes('/'))
    return `${quoteInput(name)} is a scoped package name; the module is served at /<name>/, so use a name without scope and "/"`;
  if (!MODULE_NAME.test(name))
    return `${quoteInput(name)} is not a URL path segment of lowercase letters, digits, ".", "_", "~" and "-" starting with a letter or digit`;
  return undefined;
}

/** Why `name` cannot be an application name, or `undefined` when it can. */
export function applicationNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.trim() === '') return 'must be a non-empty string';
  if (name.length > APPLICATION_NAME_MAX_CHARS)
    return `is longer than ${APPLICATION_NAME_MAX_CHARS} characters`;
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'holds a control character';
  return undefined;
}

/** An application key is at most this long (the session layer's limit for `appKey`). */
const APP_KEY_MAX_CHARS = 100;
const KEPT = /[A-Za-z0-9-]/;

/**
 * The application key of an application name: what names its sessions in the
 * store (`appKey`) and its cookie. Letters, digits and `-` are kept; every other
 * character becomes `.` and the hex of its UTF-8 bytes (`Web Shop` → `Web.20Shop`),
 * so two names never share a key (the mapping is one-to-one: `.` only ever starts
 * an escape). A key that would pass 100 characters is cut and ends with `..` and a
 * hash of the whole name (`..` never appears in an escaped name). Stable: the same
 * name gives the same key on every front-end, in every version.
 */
export function applicationKey(applicationName: string): string {
  const problem = applicationNameProblem(applicationName);
  if (problem !== undefined)
    throw new ModuleError('TESSERA_MODULE_APPLICATION', `The application name ${problem}.`);
  let key = '';
  for (const char of applicationName) {
    if (KEPT.test(char)) key += char;
    else for (const byte of Buffer.from(char, 'utf8')) key += `.${byte.toString(16).padStart(2, '0')}`;
  }
  if (key.length <= APP_KEY_MAX_CHARS) return key;
  const hash = createHash('sha256').update(applicationName, 'utf8').digest('hex').slice(0, 24);
  // Cut before a possibly broken escape ("." plus fewer than two digits).
  let head = key.slice(0, APP_KEY_MAX_CHARS - hash.length - 2);
  const lastDot = head.lastIndexOf('.');
  if (lastDot >= 0 && head.length - lastDot < 3) head = head.slice(0, lastDot);
  return `${head}..${hash}`;
}
