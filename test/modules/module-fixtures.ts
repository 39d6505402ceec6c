/**
 * Modules written into fresh folders for the tests, and archives crafted entry by
 * entry (to hold what `packModuleFolder` would never write: `..`, absolute paths,
 * links leading out, devices).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';
import { gzipSync } from 'node:zlib';
import { type Header, pack } from 'tar-stream';

const folders: string[] = [];
after(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** A fresh folder, removed after the file's tests. */
export function freshFolder(prefix = 'tessera-modules-'): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  folders.push(folder);
  return folder;
}

/** Writes `files` (path → content) under a fresh folder and returns it. */
export function writeFolder(files: Readonly<Record<string, string>>, folder = freshFolder()): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), content);
  }
  return folder;
}

/** A module whose listener answers `<name> says hello` and counts visits in the session. */
export const HELLO_ENTRY = `export default function createModule(context) {
  return (req, res) => {
    req.session.visits = (req.session.visits ?? 0) + 1;
    res.end(context.name + ' visit ' + req.session.visits);
  };
}
`;

export function moduleFiles(
  name: string,
  options: { application?: string; entry?: string; main?: string; extra?: Record<string, string> } = {},
): Record<string, string> {
  const manifest: Record<string, unknown> = { name, type: 'module' };
  if (options.main !== undefined) manifest.main = options.main;
  if (options.application !== undefined) manifest.tessera = { application: options.application };
  return {
    'package.json': JSON.stringify(manifest),
    [options.main ?? 'index.js']: options.entry ?? HELLO_ENTRY,
    ...options.extra,
  };
}

/** A module folder (see `moduleFiles`). */
export function writeModule(name: string, options: Parameters<typeof moduleFiles>[1] = {}): string {
  return writeFolder(moduleFiles(name, options));
}

export type CraftedEntry = Partial<Header> & { readonly name: string; readonly content?: string };

/** A `.tgz` holding exactly `entries`, in order. */
export async function craftArchive(entries: readonly CraftedEntry[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of archive) chunks.push(chunk as Buffer);
  })();
  for (const { content, ...header } of entries) {
    await new Promise<void>((resolve, reject) => {
      const callback = (error?: Error | null) => (error ? reject(error) : resolve());
      if (content === undefined) archive.entry({ mode: 0o644, ...header }, callback);
      else archive.entry({ mode: 0o644, ...header }, content, callback);
    });
  }
  archive.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

/** Writes a crafted archive to a fresh `.tgz` file and returns its path. */
export async function craftArchiveFile(entries: readonly CraftedEntry[]): Promise<string> {
  const file = join(freshFolder(), 'module.tgz');
  writeFileSync(file, await craftArchive(entries));
  return file;
}

/** The entries of a valid module, to which a test adds one bad entry. */
export function validModuleEntries(name = 'crafted'): CraftedEntry[] {
  return [
    { name: 'package.json', content: JSON.stringify({ name, type: 'module' }) },
    { name: 'index.js', content: HELLO_ENTRY },
  ];
}
