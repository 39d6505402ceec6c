/**
 * The name a misspelt word was probably meant to be, for the "did you mean" of a
 * message about a connection string option or a configuration field.
 */

/** No name is longer: a longer word is text typed in the wrong place, and its edit distance would be slow. */
const LONGEST_WORD = 40;

/**
 * The candidate nearest to `word` (case ignored), when it is near enough to be a
 * misspelling of it: at most one edit per three characters of `word`, at least one.
 */
export function closestName(word: string, candidates: Iterable<string>): string | undefined {
  if (word.length > LONGEST_WORD) return undefined;
  const lower = word.toLowerCase();
  const allowed = Math.max(1, Math.floor(lower.length / 3));
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(lower, name.toLowerCase());
    if (distance <= allowed && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] ?? [];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, at(i - 2, j - 2) + 1); // two neighbours swapped: "sslhots"
      }
      row[j] = d;
    }
  }
  return at(a.length, b.length);
}
