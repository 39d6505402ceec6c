/**
 * The paths inside a module's archive, checked before anything is written: each
 * must stay inside the module's folder, and so must each symbolic link, resolved
 * as the operating system would resolve it (through the archive's other links).
 */
import { quoteInput } from '../errors.ts';

/** Links followed in one resolution before it is called a loop (Linux's limit). */
const MAX_LINK_DEPTH = 40;

/**
 * The path of an entry with `/` separators and no leading `./`, or why it cannot be
 * one: absolute, a drive or UNC path, a `..` segment, a backslash, a NUL.
 */
export function entryPathProblem(name: string): string | undefined {
  if (name.includes('\0')) return 'holds a NUL character';
  if (name.includes('\\')) return 'holds a backslash (a Windows path separator)';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'is an absolute path';
  if (name.split('/').includes('..')) return 'climbs out of its folder with ".."';
  return undefined;
}

/** `./a//b/` → `a/b`; `.` and `./` → `` (the folder itself). */
export function normalizeEntryPath(name: string): string {
  return name
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/');
}

/**
 * Where the link at `linkPath` (a path in the module) pointing to `target` ends,
 * as a path in the module, or `undefined` when it leaves the module's folder, is
 * absolute, or loops. `links` holds every link of the module (path → target), so
 * that `..` after a link is resolved from where that link points, as the kernel does.
 */
export function resolveLinkInside(
  linkPath: string,
  target: string,
  links: ReadonlyMap<string, string>,
): string | undefined {
  if (target === '' || target.startsWith('/') || target.includes('\\') || /^[A-Za-z]:/.test(target))
    return undefined;
  const start = linkPath.split('/').slice(0, -1);
  const resolved = walk(start, target, links, 0);
  return resolved?.join('/');
}

function walk(
  start: readonly string[],
  target: string,
  links: ReadonlyMap<string, string>,
  depth: number,
): string[] | undefined {
  if (depth > MAX_LINK_DEPTH || target.startsWith('/')) return undefined;
  let components = [...start];
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (components.length === 0) return undefined;
      components.pop();
      continue;
    }
    components.push(part);
    const link = links.get(components.join('/'));
    if (link !== undefined) {
      components.pop();
      const through = walk(components, link, links, depth + 1);
      if (through === undefined) return undefined;
      components = through;
    }
  }
  return components;
}

/** `a link to "…"` for messages: the target is the archive's, not a secret, and quoted safely. */
export function describeLink(target: string): string {
  return `a link to ${quoteInput(target)}`;
}
