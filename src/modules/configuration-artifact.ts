/**
 * A module's configuration artifact: the file a front-end server writes next to
 * the module's files when it deploys a version or applies settings, and the only
 * place the running module's settings come from.
 *
 * ```json
 * {
 *   "format": 1,
 *   "module": "shop",
 *   "version": 3,
 *   "settings": {
 *     "provider": "redis",
 *     "connectionString": { "$encrypted": "v1:…" },
 *     "timeoutMinutes": 20,
 *     "mode": "exclusive",
 *     "revision": "4"
 *   }
 * }
 * ```
 *
 * The connection string is encrypted with the server's private key (as the server
 * configuration's secrets are), bound to the module's name so that it does not
 * decrypt in another module's artifact. The file is written atomically, mode 0600.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  decryptSecret,
  encryptSecret,
  type PrivateKey,
  parseEncryptedValue,
  Secret,
} from '../config/index.ts';
import { hasErrorCode } from '../errors.ts';
import { ModuleError, reasonOf } from './errors.ts';
import { type ModuleRuntimeSettings, runtimeSettingsProblem } from './runtime-settings.ts';

export const ARTIFACT_FORMAT = 1;
/** The artifact's name in a module's deployment. */
export const ARTIFACT_FILE_NAME = 'tessera-module.json';

export interface ConfigurationArtifact {
  readonly module: string;
  /** The module version the artifact was written for. */
  readonly version: number;
  readonly settings: ModuleRuntimeSettings;
}

/** Writes the artifact: the connection string encrypted, atomically (temporary file, then rename), mode 0600. */
export async function writeConfigurationArtifact(
  file: string,
  artifact: ConfigurationArtifact,
  secretKey: PrivateKey,
): Promise<void> {
  const problem = runtimeSettingsProblem(artifact.settings);
  if (problem !== undefined)
    throw new ModuleError(
      'TESSERA_MODULE_SETTINGS',
      `The runtime settings of module ${artifact.module} ${problem}.`,
    );
  const { connectionString, ...settings } = artifact.settings;
  const stored = {
    format: ARTIFACT_FORMAT,
    module: artifact.module,
    version: artifact.version,
    settings: {
      provider: settings.provider,
      ...(connectionString === undefined
        ? {}
        : {
            connectionString: {
              $encrypted: encryptSecret(
                new Secret(connectionString),
                secretKey,
                secretField(artifact.module),
              ),
            },
          }),
      timeoutMinutes: settings.timeoutMinutes,
      mode: settings.mode,
      revision: settings.revision,
    },
  };
  const temporary = join(
    dirname(file),
    `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(stored, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new ModuleError(
      'TESSERA_MODULE_ARTIFACT',
      `The configuration artifact ${file} cannot be written (${reasonOf(error)}). Give the user running the front-end server write access to its deployment folder.`,
      { cause: error, file },
    );
  }
}

/** Reads an artifact written by `writeConfigurationArtifact`, the connection string decrypted. */
export async function readConfigurationArtifact(
  file: string,
  secretKey: PrivateKey,
): Promise<ConfigurationArtifact> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ModuleError(
      'TESSERA_MODULE_ARTIFACT',
      `The configuration artifact ${file} cannot be read (${reasonOf(error)}). Apply Settings (or Republish) writes it again.`,
      { cause: error, file },
    );
  }
  const fail = (what: string, cause?: unknown): never => {
    throw new ModuleError(
      'TESSERA_MODULE_ARTIFACT',
      `The configuration artifact ${file} ${what}. Apply Settings (or Republish) writes it again.`,
      { cause, file },
    );
  };
  let stored: {
    format?: unknown;
    module?: unknown;
    version?: unknown;
    settings?: Record<string, unknown>;
  };
  try {
    stored = JSON.parse(text);
  } catch (error) {
    return fail('is not valid JSON', error);
  }
  if (typeof stored !== 'object' || stored === null) return fail('is not a JSON object');
  if (stored.format !== ARTIFACT_FORMAT)
    return fail(`has format ${String(stored.format)}, not ${ARTIFACT_FORMAT}`);
  if (typeof stored.module !== 'string') return fail('names no module');
  if (typeof stored.version !== 'number' || !Number.isInteger(stored.version))
    return fail('names no version');
  const module = stored.module;
  const { connectionString: encrypted, ...rest } = stored.settings ?? {};
  let connectionString: string | undefined;
  if (encrypted !== undefined) {
    const value =
      typeof encrypted === 'object' && encrypted !== null
        ? parseEncryptedValue(String((encrypted as { $encrypted?: unknown }).$encrypted))
        : null;
    if (value === null) return fail('holds a connection string that is not encrypted');
    try {
      connectionString = decryptSecret(value, secretKey, secretField(module), file).reveal();
    } catch (error) {
      if (hasErrorCode(error, { prefix: 'TESSERA_CONFIG_' }))
        return fail(
          `holds a connection string that does not decrypt with the private key ${secretKey.path} (written with another key, or damaged)`,
          error,
        );
      throw error;
    }
  }
  const settings = { ...rest, ...(connectionString === undefined ? {} : { connectionString }) };
  const problem = runtimeSettingsProblem(settings);
  if (problem !== undefined) return fail(`holds settings where ${problem}`);
  return Object.freeze({
    module,
    version: stored.version,
    settings: Object.freeze(settings as unknown as ModuleRuntimeSettings),
  });
}

function secretField(module: string): string {
  return `module:${module}:settings.connectionString`;
}
