import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { type ConfigLocation, resolveConfigLocation } from '../../src/config/index.ts';

const folders: string[] = [];
after(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** A fresh folder for one test's configuration, removed after the file's tests. */
export function freshFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'tessera-config-'));
  folders.push(folder);
  return folder;
}

/** The location of `server.json` in a fresh folder (private key beside it). */
export function freshLocation(env: NodeJS.ProcessEnv = {}): ConfigLocation {
  return resolveConfigLocation({ path: join(freshFolder(), 'server.json'), env });
}

export function bytesOf(path: string): Buffer {
  return readFileSync(path);
}

export function filesIn(folder: string): string[] {
  return readdirSync(folder).sort();
}

/** Asserts a promise rejects with a TesseraError of `code`, and returns it. */
export async function rejectsWithCode<E extends Error & { code: string }>(
  promise: Promise<unknown>,
  code: string,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    if ((error as { code?: string }).code === code) return error as E;
    throw new Error(
      `expected ${code}, got ${(error as { code?: string }).code}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  throw new Error(`expected ${code}, but it succeeded`);
}
