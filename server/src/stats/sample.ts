/** Input checking and summaries shared by the statistics functions. */
import { sortFloat64 } from './sort';

/** Invalid input to a statistics function (empty sample, NaN, negative count, …). */
export class StatsError extends Error {
  override name = 'StatsError';
}

/** A sample of numbers: a plain array or a typed array. */
export type Sample = ArrayLike<number>;

/** n, mean and unbiased variance (ddof = 1) of a sample. */
export interface Summary {
  n: number;
  mean: number;
  variance: number;
}

/** Throws a StatsError unless `values` has at least `min` elements, all finite numbers. */
export function checkSample(values: Sample, name: string, min = 1): void {
  if (values.length < min) {
    throw new StatsError(values.length === 0 ? `sample ${name} is empty` : `sample ${name} needs at least ${min} values, has ${values.length}`);
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new StatsError(`sample ${name} has ${typeof v === 'number' ? String(v) : `a non-number (${typeof v})`} at index ${i}`);
    }
  }
}

/** A checked, ascending Float64Array copy of `values` (or `values` itself, sorted in place, when `inPlace`). */
export function sortedCopy(values: Sample, name: string, inPlace = false): Float64Array {
  checkSample(values, name);
  const out = inPlace && values instanceof Float64Array ? values : Float64Array.from(values);
  return sortFloat64(out);
}

/** Sum of values[lo, lo+n) (or of (v − center)² when `squares`) in NumPy's pairwise order. */
function pairwise(values: Sample, lo: number, n: number, squares: boolean, center: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = lo; i < lo + n; i++) res += squares ? (values[i] - center) * (values[i] - center) : values[i];
    return res;
  }
  if (n <= 128) {
    const r = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let j = 0; j < 8; j++) r[j] = squares ? (values[lo + j] - center) * (values[lo + j] - center) : values[lo + j];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) {
        const v = values[lo + i + j];
        r[j] += squares ? (v - center) * (v - center) : v;
      }
    }
    let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) res += squares ? (values[lo + i] - center) * (values[lo + i] - center) : values[lo + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwise(values, lo, n2, squares, center) + pairwise(values, lo + n2, n - n2, squares, center);
}

/**
 * Σ values (or Σ (v − center)² with `center`), summed exactly as NumPy's add.reduce does (pairwise
 * within blocks of 8192, blocks accumulated in order), so means and variances agree with
 * NumPy/scipy to the last bit, and the error grows only with log n.
 */
export function numpySum(values: Sample, center?: number): number {
  const squares = center !== undefined;
  let total = 0;
  for (let lo = 0; lo < values.length; lo += 8192) total += pairwise(values, lo, Math.min(8192, values.length - lo), squares, center ?? 0);
  return total;
}

/**
 * n, mean and unbiased variance of a checked sample, computed as scipy.stats.ttest_ind does:
 * mean = Σx/n, variance = (Σ(x − mean)²/n) · n/(n − 1).
 */
export function summarize(values: Sample, name = 'sample'): Summary {
  checkSample(values, name);
  const n = values.length;
  const mean = numpySum(values) / n;
  const variance = n > 1 ? (numpySum(values, mean) / n) * (n / (n - 1)) : NaN;
  return { n, mean, variance };
}

/** Checks a summary passed in directly (n ≥ min, finite mean, finite non-negative variance). */
export function checkSummary(s: Summary, name: string, min = 2): void {
  if (!Number.isInteger(s.n) || s.n < min) throw new StatsError(`${name}: n must be an integer ≥ ${min}, is ${s.n}`);
  if (!Number.isFinite(s.mean)) throw new StatsError(`${name}: mean is ${s.mean}`);
  if (!(s.variance >= 0) || !Number.isFinite(s.variance)) throw new StatsError(`${name}: variance must be finite and ≥ 0, is ${s.variance}`);
}

/** Throws unless x is a finite number ≥ 0 (and an integer when `integer`). */
export function checkCount(x: number, name: string, integer = true): void {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || (integer && !Number.isInteger(x))) {
    throw new StatsError(`${name} must be a ${integer ? 'non-negative integer' : 'finite number ≥ 0'}, is ${x}`);
  }
}

/** Throws unless 0 < alpha < 1. */
export function checkAlpha(alpha: number, name = 'alpha'): void {
  if (!(alpha > 0 && alpha < 1)) throw new StatsError(`${name} must be between 0 and 1 (exclusive), is ${alpha}`);
}

/** Round half to even, as NumPy's round. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
