import { readFileSync } from 'node:fs';

/** The version in package.json (read at run time: the same file serves src/ and dist/). */
export function packageVersion(): string {
  const url = new URL('../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}
