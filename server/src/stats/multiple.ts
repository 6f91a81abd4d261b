/** Corrections for testing many hypotheses at once (e.g. drift across many features). */
import { checkAlpha, StatsError } from './sample';

export interface Corrected {
  /** Adjusted p-values, in the input order. */
  adjusted: number[];
  /** adjusted ≤ alpha. */
  rejected: boolean[];
}

function check(pvalues: ArrayLike<number>, alpha: number): void {
  checkAlpha(alpha);
  for (let i = 0; i < pvalues.length; i++) {
    const p = pvalues[i];
    if (!(p >= 0 && p <= 1)) throw new StatsError(`p-value ${i + 1} must be between 0 and 1, is ${p}`);
  }
}

/** Bonferroni: p·m, capped at 1 (controls the family-wise error rate). */
export function bonferroni(pvalues: ArrayLike<number>, alpha = 0.05): Corrected {
  check(pvalues, alpha);
  const m = pvalues.length;
  const adjusted = Array.from(pvalues, (p) => Math.min(1, p * m));
  return { adjusted, rejected: adjusted.map((p) => p <= alpha) };
}

/**
 * Benjamini–Hochberg (controls the false discovery rate): with p sorted ascending,
 * adjusted_(i) = min over j ≥ i of m·p_(j)/j, capped at 1 — as scipy.stats.false_discovery_control.
 */
export function benjaminiHochberg(pvalues: ArrayLike<number>, alpha = 0.05): Corrected {
  check(pvalues, alpha);
  const m = pvalues.length;
  const order = Array.from({ length: m }, (_, i) => i).sort((x, y) => pvalues[x] - pvalues[y]);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const i = order[r];
    running = Math.min(running, (pvalues[i] * m) / (r + 1));
    adjusted[i] = running;
  }
  return { adjusted, rejected: adjusted.map((p) => p <= alpha) };
}
