/**
 * The factory: applications, their modules, and the modules' published versions.
 * A version's package (a `.tgz` of tens of MB) is stored once per content, keyed by
 * its SHA-256, in chunks of `PACKAGE_CHUNK_BYTES`: publishing streams it in (one
 * chunk in memory at a time, each chunk its own short write, so a slow upload never
 * holds the database's write lock), and reading streams it out, checking the hash.
 */
import { createHash, randomBytes } from 'node:crypto';
import { packageIntegrity, unlessNameTaken } from '../errors.ts';
import { foundRow, Repository } from './repository.ts';

export const PACKAGE_CHUNK_BYTES = 1024 * 1024;
/** Packages still being uploaded carry this prefix instead of their hash. */
const UPLOAD_PREFIX = 'upload:';

export interface ModuleRecord {
  readonly id: number;
  readonly name: string;
  readonly application: string;
  /** The version the front-end servers run, or `null` before the first deployment. */
  readonly runningVersion: number | null;
}

export interface ModuleVersionRecord {
  readonly id: number;
  readonly module: string;
  readonly version: number;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly publishedBy: string;
  readonly publishedAtMs: number;
}

export class FactoryRepository extends Repository {
  /** The application's id, created when it does not exist yet. */
  async ensureApplication(name: string): Promise<number> {
    await this.db
      .insertInto('applications')
      .values({ name, created_at_ms: Date.now() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const row = await this.db
      .selectFrom('applications')
      .select('id')
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** Adds a module to an application (created when needed). */
  async createModule(name: string, application: string = name): Promise<number> {
    const applicationId = await this.ensureApplication(application);
    const row = await unlessNameTaken('module', name, () =>
      this.db
        .insertInto('modules')
        .values({ name, application_id: applicationId, running_version_id: null, created_at_ms: Date.now() })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    return row.id;
  }

  async listModules(): Promise<ModuleRecord[]> {
    const rows = await this.db
      .selectFrom('modules')
      .innerJoin('applications', 'applications.id', 'modules.application_id')
      .leftJoin('module_versions', 'module_versions.id', 'modules.running_version_id')
      .select([
        'modules.id as id',
        'modules.name as name',
        'applications.name as application',
        'module_versions.version as runningVersion',
      ])
      .orderBy('modules.name')
      .execute();
    return rows.map((row) => ({ ...row, runningVersion: row.runningVersion ?? null }));
  }

  async moduleId(name: string): Promise<number> {
    const row = await foundRow(
      this.db.selectFrom('modules').select('id').where('name', '=', name),
      'module',
      name,
    );
    return row.id;
  }

  /**
   * Stores `content` (any iterable of byte chunks: a file stream, a request body)
   * as the module's next version, and returns it. The same bytes published twice
   * are stored once.
   */
  async publishVersion(
    moduleName: string,
    content: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    publishedBy: string,
  ): Promise<ModuleVersionRecord> {
    const moduleId = await this.moduleId(moduleName);
    const { sha256, sizeBytes } = await this.#storePackage(content);
    const publishedAtMs = Date.now();
    const row = await this.db.transaction().execute(async (trx) => {
      const last = await trx
        .selectFrom('module_versions')
        .select((eb) => eb.fn.max('version').as('version'))
        .where('module_id', '=', moduleId)
        .executeTakeFirst();
      const version = Number(last?.version ?? 0) + 1;
      return trx
        .insertInto('module_versions')
        .values({
          module_id: moduleId,
          version,
          package_sha256: sha256,
          size_bytes: sizeBytes,
          published_by: publishedBy,
          published_at_ms: publishedAtMs,
        })
        .returning(['id', 'version'])
        .executeTakeFirstOrThrow();
    });
    return {
      id: row.id,
      module: moduleName,
      version: row.version,
      sha256,
      sizeBytes,
      publishedBy,
      publishedAtMs,
    };
  }

  async listVersions(moduleName: string): Promise<ModuleVersionRecord[]> {
    const moduleId = await this.moduleId(moduleName);
    const rows = await this.db
      .selectFrom('module_versions')
      .selectAll()
      .where('module_id', '=', moduleId)
      .orderBy('version')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      module: moduleName,
      version: row.version,
      sha256: row.package_sha256,
      sizeBytes: row.size_bytes,
      publishedBy: row.published_by,
      publishedAtMs: row.published_at_ms,
    }));
  }

  /** Makes `version` the one the module runs (a deployment records it when it succeeded). */
  async setRunningVersion(moduleName: string, version: number): Promise<void> {
    const moduleId = await this.moduleId(moduleName);
    const row = await foundRow(
      this.db
        .selectFrom('module_versions')
        .select('id')
        .where('module_id', '=', moduleId)
        .where('version', '=', version),
      'version of module',
      `${moduleName}@${version}`,
    );
    await this.db
      .updateTable('modules')
      .set({ running_version_id: row.id })
      .where('id', '=', moduleId)
      .execute();
  }

  /**
   * The package's bytes, chunk by chunk, as stored; rejects with
   * `TESSERA_PLATFORM_PACKAGE_INTEGRITY` at the end when they do not hash to `sha256`.
   */
  async *readPackage(sha256: string): AsyncGenerator<Uint8Array> {
    const pkg = await foundRow(
      this.db.selectFrom('packages').select(['chunk_count', 'size_bytes']).where('sha256', '=', sha256),
      'module package',
      sha256,
    );
    const hash = createHash('sha256');
    let size = 0;
    for (let index = 0; index < pkg.chunk_count; index++) {
      const chunk = await this.db
        .selectFrom('package_chunks')
        .select('data')
        .where('sha256', '=', sha256)
        .where('chunk_index', '=', index)
        .executeTakeFirst();
      if (!chunk) throw packageIntegrity(sha256, `chunk ${index} of ${pkg.chunk_count} is missing.`);
      hash.update(chunk.data);
      size += chunk.data.byteLength;
      yield chunk.data;
    }
    if (size !== pkg.size_bytes || hash.digest('hex') !== sha256)
      throw packageIntegrity(sha256, 'its bytes do not match its SHA-256.');
  }

  /** Removes uploads that never finished (the publisher went away) and are older than `olderThanMs`. */
  async removeAbandonedUploads(olderThanMs: number): Promise<number> {
    const rows = await this.db
      .deleteFrom('packages')
      .where('sha256', 'like', `${UPLOAD_PREFIX}%`)
      .where('created_at_ms', '<', Date.now() - olderThanMs)
      .returning('sha256')
      .execute();
    return rows.length;
  }

  /** Streams `content` into chunks under a temporary key, then files it under its hash (or drops it when that content is already stored). */
  async #storePackage(
    content: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ): Promise<{ sha256: string; sizeBytes: number }> {
    const uploadKey = `${UPLOAD_PREFIX}${randomBytes(16).toString('hex')}`;
    await this.db
      .insertInto('packages')
      .values({ sha256: uploadKey, size_bytes: 0, chunk_count: 0, created_at_ms: Date.now() })
      .execute();
    const hash = createHash('sha256');
    let sizeBytes = 0;
    let chunkCount = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      const data = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await this.db
        .insertInto('package_chunks')
        .values({ sha256: uploadKey, chunk_index: chunkCount, data })
        .execute();
      chunkCount += 1;
    };
    try {
      for await (const piece of content) {
        hash.update(piece);
        sizeBytes += piece.byteLength;
        let offset = 0;
        while (offset < piece.byteLength) {
          const take = Math.min(PACKAGE_CHUNK_BYTES - pendingBytes, piece.byteLength - offset);
          pending.push(Buffer.from(piece.buffer, piece.byteOffset + offset, take));
          pendingBytes += take;
          offset += take;
          if (pendingBytes === PACKAGE_CHUNK_BYTES) await flush();
        }
      }
      if (pendingBytes > 0) await flush();
    } catch (error) {
      await this.db.deleteFrom('packages').where('sha256', '=', uploadKey).execute();
      throw error;
    }
    const sha256 = hash.digest('hex');
    await this.db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom('packages')
        .select('sha256')
        .where('sha256', '=', sha256)
        .executeTakeFirst();
      if (existing) {
        await trx.deleteFrom('packages').where('sha256', '=', uploadKey).execute();
        return;
      }
      // The chunks follow the key (ON UPDATE CASCADE).
      await trx
        .updateTable('packages')
        .set({ sha256, size_bytes: sizeBytes, chunk_count: chunkCount })
        .where('sha256', '=', uploadKey)
        .execute();
    });
    return { sha256, sizeBytes };
  }
}
