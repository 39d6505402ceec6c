/**
 * A front-end server's deployment folder (`deployments/` beside its server
 * configuration):
 *
 *   packages/<sha256>/                    each module version, unpacked once (content-addressed)
 *   modules/<module>/<stamp>/tessera-module.json   the module's configuration artifacts
 *   state.json                            what the serving workers run
 *
 * An artifact is never rewritten in place: Apply Settings writes a new one, and the
 * old one stays for the old workers (and for a crashed worker's replacement) until
 * the reload succeeded. Packages and artifacts that nothing runs any more are
 * removed after each successful reload.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import type { PrivateKey } from '../config/index.ts';
import {
  ARTIFACT_FILE_NAME,
  type ModuleRuntimeSettings,
  unpackModulePackage,
  writeConfigurationArtifact,
} from '../modules/index.ts';
import type { PlannedModule } from './messages.ts';

/** A module as this front-end runs it. */
export interface DeployedModule extends PlannedModule {
  readonly moduleId: number;
  readonly versionId: number;
  readonly sha256: string;
  /** The revision of the server configuration its artifact was written from. */
  readonly revision: string;
}

const STATE_FILE = 'state.json';

export class DeploymentFolder {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /** What the workers ran when this front-end last served (none on a new server). */
  async readState(): Promise<DeployedModule[]> {
    try {
      const text = await readFile(join(this.root, STATE_FILE), 'utf8');
      return (JSON.parse(text) as { modules: DeployedModule[] }).modules;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  async writeState(modules: readonly DeployedModule[]): Promise<void> {
    await mkdir(this.root, { recursive: true });
    const temporary = join(this.root, `.${STATE_FILE}.${randomBytes(6).toString('hex')}.tmp`);
    await writeFile(temporary, `${JSON.stringify({ modules }, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, join(this.root, STATE_FILE));
  }

  /** Unpacks the version (once per content) and returns its folder. */
  unpack(sha256: string, bytes: AsyncIterable<Uint8Array>): Promise<string> {
    return unpackModulePackage(this.root, { sha256, bytes });
  }

  /** Writes a new artifact for the module and returns its path. */
  async writeArtifact(
    module: string,
    version: number,
    settings: ModuleRuntimeSettings,
    key: PrivateKey,
  ): Promise<string> {
    const stamp = `v${version}-r${settings.revision}-${Date.now()}-${randomBytes(3).toString('hex')}`;
    const file = join(this.root, 'modules', module, stamp, ARTIFACT_FILE_NAME);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeConfigurationArtifact(file, { module, version, settings }, key);
    return file;
  }

  /** Removes an artifact that was never served (a reload that failed). */
  async removeArtifact(file: string): Promise<void> {
    await rm(dirname(file), { recursive: true, force: true });
  }

  /** Removes the packages and artifacts that none of `inUse` (every generation still running) needs. */
  async removeUnused(inUse: readonly PlannedModule[]): Promise<void> {
    const used = (path: string) =>
      inUse.some(
        (module) =>
          module.folder === path ||
          module.folder.startsWith(`${path}${sep}`) ||
          dirname(module.artifact) === path ||
          dirname(dirname(module.artifact)) === path,
      );
    for (const parent of [join(this.root, 'packages'), join(this.root, 'modules')]) {
      for (const entry of await readdir(parent).catch(() => [] as string[])) {
        if (entry.startsWith('.')) continue;
        const path = join(parent, entry);
        if (parent.endsWith('modules')) {
          for (const stamp of await readdir(path).catch(() => [] as string[])) {
            const artifactFolder = join(path, stamp);
            if (!used(artifactFolder)) await rm(artifactFolder, { recursive: true, force: true });
          }
        } else if (!used(path)) await rm(path, { recursive: true, force: true });
      }
    }
  }
}
