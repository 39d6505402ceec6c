/** A SQLite database file in a fresh temporary folder, removed (with its -wal and -shm files) by `remove()`. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestSqliteFile {
  readonly path: string;
  /** `sqlite:<path>` */
  readonly url: string;
  remove(): Promise<void>;
}

export async function createSqliteFile(): Promise<TestSqliteFile> {
  const folder = await mkdtemp(join(tmpdir(), 'tessera-sqlite-'));
  const path = join(folder, 'platform.db');
  return { path, url: `sqlite:${path}`, remove: () => rm(folder, { recursive: true, force: true }) };
}
