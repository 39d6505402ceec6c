/**
 * The text of a configuration file to the file's settings: JSON syntax (checked by
 * our own scanner, so that no message quotes the file, which may hold a secret),
 * the version (older ones upgraded in memory, see versions.ts) and the schema.
 * Nothing here decrypts a secret or touches the disk.
 */
import { CONFIG_FILE_LIMITS } from './bounded-file.ts';
import { ConfigError } from './errors.ts';
import { checkJsonText, type JsonTextProblem } from './json-syntax.ts';
import { CONFIG_VERSION, type ConfigurationFile, configurationFileSchema } from './schema.ts';
import { describeSchemaIssues, jsonType } from './schema-issues.ts';
import { type FileObject, fileVersion, upgradeFile } from './versions.ts';

/**
 * Parses and validates the text of a configuration file (no secrets decrypted),
 * upgraded to the current version. Throws `TESSERA_CONFIG_SYNTAX`, `_VERSION`,
 * `_NEWER_VERSION`, `_UNKNOWN_FIELD` or `_INVALID`.
 */
export function parseConfigurationText(text: string, path: string): ConfigurationFile {
  return parseVersionedText(text, path).file;
}

/** The file of `text` upgraded to the current version, and the version it had. */
export function parseVersionedText(text: string, path: string): { file: ConfigurationFile; version: number } {
  const clean = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const found = checkJsonText(clean, { maxNesting: CONFIG_FILE_LIMITS.configFileMaxNesting });
  if (found !== null) throw jsonTextError(found, clean, path);
  const raw: unknown = JSON.parse(clean);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(
      'TESSERA_CONFIG_INVALID',
      `${path} must hold a JSON object ({ "version": ${CONFIG_VERSION}, "session": { … } }), not ${jsonType(raw)}.`,
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
