/**
 * A module's `.tgz`: packing a folder into one (deterministic: the same content
 * always gives the same bytes, hence the same sha256), and unpacking one into an
 * empty folder, refusing before it is written any entry that would land outside
 * the folder (absolute path, `..`, a link leading out, an entry under a link), a
 * device or FIFO, an entry twice, or more bytes than allowed.
 */
import { createWriteStream } from 'node:fs';
import { link, mkdir, readFile, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { extract as tarExtract, pack as tarPack } from 'tar-stream';
import { quoteInput } from '../errors.ts';
import { describeLink, entryPathProblem, normalizeEntryPath, resolveLinkInside } from './archive-paths.ts';
import { ModuleError } from './errors.ts';
import { type FolderEntry, MAX_ENTRIES, tooLarge } from './module-folder.ts';

/** Every entry's time in a packed module: the content, not when it was copied, makes the package. */
const PACKED_MTIME = new Date('2000-01-01T00:00:00Z');
/** Byte 9 of a gzip header names the operating system; "unknown" makes the bytes the same everywhere. */
const GZIP_OS_BYTE = 9;
const GZIP_OS_UNKNOWN = 255;

/** Packs the entries of `folder` (from `listModuleFolder`, sorted) into a `.tgz`. */
export async function packModuleFolder(folder: string, entries: readonly FolderEntry[]): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  const collecting = pipeline(pack, createGzip({ level: 9 }), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) chunks.push(chunk);
  });
  const common = { mtime: PACKED_MTIME, uid: 0, gid: 0, uname: '', gname: '' };
  try {
    for (const entry of entries) {
      if (entry.type === 'directory') {
        await addEntry(pack, { ...common, name: `${entry.path}/`, type: 'directory', mode: 0o755 });
      } else if (entry.type === 'symlink') {
        await addEntry(pack, {
          ...common,
          name: entry.path,
          type: 'symlink',
          linkname: entry.target,
          mode: 0o777,
        });
      } else {
        const content = await readFile(join(folder, entry.path));
        const mode = entry.executable ? 0o755 : 0o644;
        await addEntry(
          pack,
          { ...common, name: entry.path, type: 'file', mode, size: content.length },
          content,
        );
      }
    }
    pack.finalize();
  } catch (error) {
    pack.destroy(error as Error);
    await collecting.catch(() => {});
    throw error;
  }
  await collecting;
  const bytes = Buffer.concat(chunks);
  bytes[GZIP_OS_BYTE] = GZIP_OS_UNKNOWN;
  return bytes;
}

function addEntry(
  pack: ReturnType<typeof tarPack>,
  header: Parameters<ReturnType<typeof tarPack>['entry']>[0],
  content?: Buffer,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error | null) => (error ? reject(error) : resolve());
    if (content === undefined) pack.entry(header, done);
    else pack.entry(header, content, done);
  });
}

export interface ExtractOptions {
  /** Names the archive in messages (a file path, or "module shop version 3"). */
  readonly label: string;
  /** The most bytes the files may hold once unpacked. */
  readonly maxUnpackedBytes: number;
}

/**
 * Unpacks a `.tgz` into `folder`, which must exist and be empty. Throws
 * `TESSERA_MODULE_ARCHIVE_INVALID` (not a gzip'd tar, damaged, an entry twice),
 * `TESSERA_MODULE_ARCHIVE_UNSAFE` or `TESSERA_MODULE_TOO_LARGE`; the caller removes
 * the folder then (it may hold part of the archive).
 */
export async function extractModuleArchive(
  source: Uint8Array | AsyncIterable<Uint8Array>,
  folder: string,
  options: ExtractOptions,
): Promise<void> {
  const { label } = options;
  const extract = tarExtract();
  const input = source instanceof Uint8Array ? Readable.from([source]) : Readable.from(source);
  const feeding = pipeline(input, createGunzip(), extract);
  // Read below; a failure here (not gzip, damaged) is reported when the loop ends.
  feeding.catch(() => {});
  const seen = new Set<string>();
  const files = new Set<string>();
  const links = new Map<string, string>();
  let unpackedBytes = 0;
  try {
    for await (const entry of extract) {
      const { header } = entry;
      const problem = entryPathProblem(header.name);
      if (problem !== undefined) throw unsafe(label, header.name, `${problem}`);
      const path = normalizeEntryPath(header.name);
      if (path === '') {
        entry.resume();
        continue;
      }
      if (seen.has(path)) {
        throw new ModuleError(
          'TESSERA_MODULE_ARCHIVE_INVALID',
          `${label} holds ${quoteInput(path)} twice. Pack the module again from its folder.`,
          { file: label },
        );
      }
      seen.add(path);
      if (seen.size > MAX_ENTRIES)
        throw tooLarge(`${label} (more than ${MAX_ENTRIES} entries)`, options.maxUnpackedBytes);
      const underLink = ancestors(path).find((ancestor) => links.has(ancestor));
      if (underLink !== undefined) throw unsafe(label, path, `lies under the link ${quoteInput(underLink)}`);
      const target = join(folder, path);
      switch (header.type) {
        case 'directory':
          await mkdir(target, { recursive: true, mode: 0o755 });
          entry.resume();
          break;
        case 'file':
        case 'contiguous-file': {
          unpackedBytes += header.size ?? 0;
          if (unpackedBytes > options.maxUnpackedBytes)
            throw tooLarge(`${label} once unpacked`, options.maxUnpackedBytes);
          await mkdir(dirname(target), { recursive: true, mode: 0o755 });
          const mode = ((header.mode ?? 0o644) & 0o111) !== 0 ? 0o755 : 0o644;
          await pipeline(entry, createWriteStream(target, { flags: 'wx', mode }));
          files.add(path);
          break;
        }
        case 'symlink': {
          const linkTarget = header.linkname ?? '';
          // Checked now against the links seen so far, and again at the end against all of them.
          links.set(path, linkTarget);
          if (resolveLinkInside(path, linkTarget, links) === undefined)
            throw unsafe(label, path, `is ${describeLink(linkTarget)}, outside the module's folder`);
          await mkdir(dirname(target), { recursive: true, mode: 0o755 });
          await symlink(linkTarget, target);
          entry.resume();
          break;
        }
        case 'link': {
          const linkTarget = normalizeEntryPath(header.linkname ?? '');
          if (entryPathProblem(header.linkname ?? '') !== undefined || !files.has(linkTarget))
            throw unsafe(
              label,
              path,
              `is a hard link to ${quoteInput(header.linkname ?? '')}, not to a file of the module`,
            );
          await mkdir(dirname(target), { recursive: true, mode: 0o755 });
          await link(join(folder, linkTarget), target);
          entry.resume();
          break;
        }
        default:
          throw unsafe(
            label,
            path,
            `is a ${header.type ?? 'special file'}; a module holds only files, folders and links`,
          );
      }
    }
  } catch (error) {
    extract.destroy();
    await feeding.catch(() => {});
    if (error instanceof ModuleError) throw error;
    throw invalid(label, error);
  }
  try {
    await feeding;
  } catch (error) {
    throw invalid(label, error);
  }
  for (const [path, linkTarget] of links) {
    if (resolveLinkInside(path, linkTarget, links) === undefined)
      throw unsafe(label, path, `is ${describeLink(linkTarget)}, outside the module's folder`);
  }
}

/** `a/b/c` → `a`, `a/b`. */
function ancestors(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(0, -1).map((_, index) => parts.slice(0, index + 1).join('/'));
}

function unsafe(label: string, entry: string, problem: string): ModuleError {
  return new ModuleError(
    'TESSERA_MODULE_ARCHIVE_UNSAFE',
    `${label}: the entry ${quoteInput(entry)} ${problem}. Nothing was unpacked from it; pack the module from a folder holding only its own files (\`tessera module publish <folder>\` packs it for you).`,
    { file: label },
  );
}

function invalid(label: string, cause: unknown): ModuleError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new ModuleError(
    'TESSERA_MODULE_ARCHIVE_INVALID',
    `${label} is not a gzip-compressed tar archive, or it is damaged (${reason}). Give the module's folder, or a .tgz made with \`npm pack\` or \`tar czf\`.`,
    { cause, file: label },
  );
}
