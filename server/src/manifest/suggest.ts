/** "Did you mean" for misspelled keys, metric names, models and endpoints. */

/**
 * The candidate closest to `word`, if it is close enough to be a likely typo: one edit for words of
 * 3 to 5 characters, about a third of the length for longer ones, none for 1 or 2 (any "2" is one
 * edit from "1"). Case and `-`/`_` differences are free.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const target = normalize(word);
  const limit = target.length < 3 ? 0 : Math.max(1, Math.floor(target.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const c = normalize(candidate);
    if (Math.abs(c.length - target.length) >= bestDistance) continue;
    const d = editDistance(target, c, bestDistance);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function normalize(s: string): string {
  return s.toLowerCase().replace(/-/g, '_');
}

/**
 * Optimal string alignment distance (Levenshtein plus adjacent transpositions, "recieve" → "receive"
 * is one edit). Stops early once every path exceeds `cap`, returning `cap`.
 */
export function editDistance(a: string, b: string, cap = Infinity): number {
  if (a === b) return 0;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      row.push(d);
      if (d < rowMin) rowMin = d;
    }
    if (rowMin >= cap) return cap;
    prev2 = prev;
    prev = row;
  }
  return prev[b.length];
}
