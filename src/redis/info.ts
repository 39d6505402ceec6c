/** Parses the `field:value` lines of `INFO` into a record; section headers are dropped. */
export function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

/** The major version of `redis_version` (`7.0.15` → 7), or NaN when absent. */
export function majorVersion(info: Record<string, string>): number {
  return Number.parseInt(info.redis_version ?? '', 10);
}
