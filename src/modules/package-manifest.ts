/**
 * A module's `package.json`, as the platform reads it: `name` (the module name and
 * its URL path), `main` (the entry, default `index.js`) and, optionally,
 * `"tessera": { "application": "Shop" }` (default: the module is its own application).
 */
import { posix } from 'node:path';
import { quoteInput } from '../errors.ts';
import { ModuleError } from './errors.ts';
import { applicationNameProblem, moduleNameProblem } from './names.ts';

export interface ModuleManifest {
  readonly name: string;
  readonly application: string;
  /** The entry, relative to the module's folder, with `/` separators. */
  readonly main: string;
}

export const DEFAULT_MAIN = 'index.js';
/** The most bytes of a `package.json` read. */
export const MANIFEST_MAX_BYTES = 1_048_576;

/** Checks the text of `package.json` (`file` names it in messages) and returns what the platform needs. */
export function parseManifest(text: string, file: string): ModuleManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModuleError(
      'TESSERA_MODULE_PACKAGE_JSON',
      `${file} is not valid JSON (${(error as Error).message}). Fix its syntax; \`node -e "require('./package.json')"\` in the module's folder shows where.`,
      { cause: error, file },
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ModuleError(
      'TESSERA_MODULE_PACKAGE_JSON',
      `${file} must hold a JSON object such as {"name": "shop", "main": "index.js"}.`,
      { file },
    );
  }
  const manifest = json as Record<string, unknown>;
  const nameProblem = moduleNameProblem(manifest.name);
  if (nameProblem !== undefined) {
    throw new ModuleError(
      'TESSERA_MODULE_NAME',
      `"name" in ${file} ${nameProblem}. Set "name" to the path the module is served at, such as "shop" for /shop/.`,
      { file },
    );
  }
  const name = manifest.name as string;
  const main = checkMain(manifest.main, file);
  const tessera = manifest.tessera;
  if (tessera !== undefined && (typeof tessera !== 'object' || tessera === null || Array.isArray(tessera))) {
    throw new ModuleError(
      'TESSERA_MODULE_PACKAGE_JSON',
      `"tessera" in ${file} must be an object such as {"application": "Shop"}, or be left out.`,
      { file },
    );
  }
  const application = (tessera as { application?: unknown } | undefined)?.application;
  if (application !== undefined) {
    const problem = applicationNameProblem(application);
    if (problem !== undefined) {
      throw new ModuleError(
        'TESSERA_MODULE_APPLICATION',
        `"tessera.application" in ${file} ${problem}. Give the application's name, such as "Shop", or leave it out (the module is then its own application).`,
        { file },
      );
    }
  }
  return Object.freeze({ name, application: (application as string | undefined) ?? name, main });
}

function checkMain(main: unknown, file: string): string {
  if (main === undefined) return DEFAULT_MAIN;
  if (typeof main !== 'string' || main.trim() === '') {
    throw new ModuleError(
      'TESSERA_MODULE_PACKAGE_JSON',
      `"main" in ${file} must be the path of the entry file, such as "index.js" (or be left out: index.js).`,
      { file },
    );
  }
  const normalized = posix.normalize(main.replaceAll('\\', '/'));
  if (posix.isAbsolute(normalized) || normalized === '..' || normalized.startsWith('../')) {
    throw new ModuleError(
      'TESSERA_MODULE_PACKAGE_JSON',
      `"main" in ${file} is ${quoteInput(main)}, outside the module's folder. Give a path inside it, such as "index.js" or "dist/server.js".`,
      { file },
    );
  }
  return normalized.replace(/^\.\//, '');
}
