/**
 * Run in a child process by `checkModuleEntry`: imports a module's entry and tells
 * the parent whether it exports a factory, so that an entry that throws, exits or
 * hangs at import cannot hurt the process publishing it. Nothing else is run: the
 * factory itself is called only by the front-end servers.
 */
import { pathToFileURL } from 'node:url';
import { describeExports, factoryOf } from './module-factory.ts';

export type EntryCheckResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly kind: 'no-factory'; readonly exports: string }
  | { readonly ok: false; readonly kind: 'throws'; readonly error: string };

const entry = process.argv[2];

async function check(): Promise<EntryCheckResult> {
  try {
    const namespace = (await import(pathToFileURL(entry ?? '').href)) as Record<string, unknown>;
    if (factoryOf(namespace) !== undefined) return { ok: true };
    return { ok: false, kind: 'no-factory', exports: describeExports(namespace) };
  } catch (error) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { ok: false, kind: 'throws', error: text.slice(0, 2000) };
  }
}

const result = await check();
process.send?.(result, () => process.exit(0));
