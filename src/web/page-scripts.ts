/**
 * The scripts of the consoles' pages. Each is a real TypeScript file under a
 * `browser/` folder, type-checked against the DOM (`tsconfig.browser.json`) and
 * linted like the rest, compiled by `npm run build` beside the server's code, and
 * inlined in the page (with the page's CSP nonce) as a module script.
 *
 * A page names its script by the URL of the compiled file, relative to its own
 * module: `new URL('./browser/session-page.js', import.meta.url)`. From `dist/`
 * that file exists; from the sources (the tests, `tsx`) the `.ts` beside it is
 * compiled here with TypeScript, a development dependency, once per process.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { SafeHtml } from './html.ts';

const loaded = new Map<string, SafeHtml>();

interface TypeScriptTranspiler {
  transpileModule(
    source: string,
    options: { compilerOptions: Record<string, unknown>; fileName: string },
  ): { outputText: string };
  ScriptTarget: { ES2022: number };
  ModuleKind: { ES2022: number };
}

/** The JavaScript of the page script compiled to `url` (a `.js` URL), ready to inline. */
export function pageScript(url: URL): SafeHtml {
  const cached = loaded.get(url.href);
  if (cached !== undefined) return cached;
  const path = fileURLToPath(url);
  const text = existsSync(path) ? readFileSync(path, 'utf8') : compileSource(path.replace(/\.js$/, '.ts'));
  // `</script` inside the code would end the element; compiled code never holds it in a
  // string that matters, and a refusal here is better than a broken page.
  if (/<\/script/i.test(text)) throw new Error(`${path} holds "</script", which cannot be inlined.`);
  const script = new SafeHtml(text.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n'));
  loaded.set(url.href, script);
  return script;
}

function compileSource(path: string): string {
  const ts = createRequire(import.meta.url)('typescript') as TypeScriptTranspiler;
  return ts.transpileModule(readFileSync(path, 'utf8'), {
    fileName: path,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, isolatedModules: true },
  }).outputText;
}
