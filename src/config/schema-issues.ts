// Turns zod's issues with a configuration file into one ConfigError that names the
// file and every field concerned, in the file's own words. Values are never
// quoted (any of them may be a secret); only their JSON type is.
import type { z } from 'zod';
import { closestName } from '../closest-name.ts';
import { ConfigError } from './errors.ts';
import { memberPath } from './json-syntax.ts';
import { KNOWN_FIELDS, PLATFORM_DATABASE_PROVIDERS, SESSION_PROVIDERS } from './schema.ts';

type Issue = z.core.$ZodIssue;

export function describeSchemaIssues(issues: readonly Issue[], raw: unknown, path: string): ConfigError {
  const unknown = issues.filter((issue) => issue.code === 'unrecognized_keys');
  const ordered = [...unknown, ...issues.filter((issue) => issue.code !== 'unrecognized_keys')];
  const sentences = ordered.slice(0, 5).map((issue) => describe(issue, raw));
  const more = ordered.length > 5 ? ` (and ${ordered.length - 5} more problems)` : '';
  const first = ordered[0]!;
  const field =
    first.code === 'unrecognized_keys'
      ? fieldPath([...first.path, first.keys[0] ?? ''])
      : fieldPath(first.path);
  const fix =
    unknown.length > 0
      ? 'Correct or remove the field (every field is listed in docs/configuration-tool.md); Tessera did not change the file.'
      : 'Correct the file (every field is described in docs/configuration-tool.md); Tessera did not change it.';
  return new ConfigError(
    unknown.length > 0 ? 'TESSERA_CONFIG_UNKNOWN_FIELD' : 'TESSERA_CONFIG_INVALID',
    `${path}: ${sentences.join(' ')}${more} ${fix}`,
    { path, field },
  );
}

function describe(issue: Issue, raw: unknown): string {
  const where = fieldPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const parent = where === '(top level)' ? '' : where;
      return issue.keys
        .map((key) => {
          const known = knownFields(parent);
          const hint = closestName(key, known);
          return (
            `unknown field ${fieldPath([...issue.path, key])}` +
            (hint !== undefined
              ? ` (did you mean "${hint}"?).`
              : known.length > 0
                ? ` (known here: ${known.join(', ')}).`
                : '.')
          );
        })
        .join(' ');
    }
    case 'invalid_type': {
      const found = valueAt(raw, issue.path);
      if (found === undefined) return `${where} is missing: it is required.`;
      return `${where} must be ${expected(issue.expected, where)}, not ${jsonType(found)}.`;
    }
    case 'invalid_value':
      if (valueAt(raw, issue.path) === undefined) return `${where} is missing: it is required.`;
      if (where === 'session.provider' || where === 'applied.provider') {
        return `${where} must be one of ${SESSION_PROVIDERS.map((p) => `"${p}"`).join(', ')}.`;
      }
      return `${where} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}.`;
    case 'too_small':
      if (issue.origin === 'array') return `${where} must list at least ${issue.minimum} entry.`;
      if (issue.origin === 'string')
        return `${where} must not be empty (remove the field to leave it unset).`;
      return `${where} must be at least ${issue.minimum}.`;
    case 'too_big':
      return `${where} must be at most ${issue.maximum}.`;
    case 'invalid_union':
      if (where.endsWith('.password')) {
        return `${where} must be a string (the password in plain text, encrypted on the next save) or {"$encrypted": "v1:…"}, not ${jsonType(valueAt(raw, issue.path))}.`;
      }
      if (where === 'platformDatabase.provider') {
        if (valueAt(raw, issue.path) === undefined) return `${where} is missing: it is required.`;
        return `${where} must be one of ${PLATFORM_DATABASE_PROVIDERS.map((p) => `"${p}"`).join(', ')}.`;
      }
      return `${where} has an unexpected form.`;
    case 'invalid_format':
      return `${where} must be ${issue.format === 'datetime' ? 'an ISO 8601 time, e.g. "2025-01-31T12:00:00Z"' : `in the ${issue.format} format`}.`;
    default:
      return `${where}: ${issue.message}.`;
  }
}

function expected(type: string, where: string): string {
  if (type === 'int') return 'a whole number';
  if (type === 'boolean') return 'true or false';
  if (type === 'array') return where.endsWith('hosts') ? 'a list of "host:port" strings' : 'a list';
  if (type === 'object') return 'an object';
  if (type === 'string') return 'a string';
  if (type === 'number') return 'a number';
  return type;
}

/** `session.redis.hosts[1]`; a name read from the file that is not a plain word is quoted, bounded. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    text = typeof part === 'number' ? `${text}[${part}]` : memberPath(text, String(part));
  }
  return text === '' ? '(top level)' : text;
}

function knownFields(parent: string): readonly string[] {
  if (parent.endsWith('.password')) return ['$encrypted'];
  return (KNOWN_FIELDS as Record<string, readonly string[]>)[parent] ?? [];
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const part of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

/** The JSON type of a value read from a file, as a message names it (`a list`, `true/false`…); never the value. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a number' : 'a fractional number';
  if (typeof value === 'boolean') return 'true/false';
  return typeof value;
}
