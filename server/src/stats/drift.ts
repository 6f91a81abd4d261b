/**
 * Drift statistics between a reference sample (a) and a current sample (b): the two-sample
 * Kolmogorov–Smirnov test (scipy.stats.ks_2samp), the Wasserstein-1 distance
 * (scipy.stats.wasserstein_distance) and its normed form, the Jensen–Shannon distance
 * (scipy.spatial.distance.jensenshannon, natural log), the population stability index, and the
 * z-test for a binary feature.
 */
import { twoProportionZ, type ZTestResult } from './abtest';
import { kolmogorovSf, ksTwoSampleExactSf } from './kolmogorov';
import { KS_PRUNED_AVAILABLE, ksStatisticUnsorted } from './ks-statistic';
import { checkSample, gcd, numpySum, roundHalfEven, sortedCopy, StatsError, type Sample } from './sample';

export type KsMethod = 'auto' | 'exact' | 'asymp';

export interface KsResult {
  statistic: number;
  pvalue: number;
  /** The method actually used ('auto' resolves to one of these; 'exact' falls back to 'asymp' when infeasible). */
  method: 'exact' | 'asymp';
}

export interface SortedInputOptions {
  /** a and b are Float64Arrays already sorted ascending and checked: use them as they are. */
  sorted?: boolean;
  /** Sort Float64Array inputs in place instead of sorting copies. */
  inPlace?: boolean;
}

/** max over the pooled values of |F_a − F_b| for ascending samples (ties: after every copy of a value). */
function ksStatisticSorted(x: Float64Array, y: Float64Array): number {
  const n1 = x.length;
  const n2 = y.length;
  let i = 0;
  let j = 0;
  let maxS = -Infinity;
  let minS = Infinity;
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && x[i] <= y[j]) ? x[i] : y[j];
    while (i < n1 && x[i] === v) i++;
    while (j < n2 && y[j] === v) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxS) maxS = diff;
    if (diff < minS) minS = diff;
  }
  const minClipped = Math.min(Math.max(-minS, 0), 1);
  return minClipped > maxS ? minClipped : maxS;
}

/** From this many pooled values on, the statistic is computed without sorting everything. */
const PRUNED_MIN = 4096;
/** scipy's limit for method 'auto': exact when both samples have at most this many values. */
const MAX_AUTO_N = 10000;
const INT32_MAX = 2147483647;

function prepare(values: Sample, name: string, opts: SortedInputOptions): Float64Array {
  if (opts.sorted && values instanceof Float64Array) {
    if (values.length === 0) throw new StatsError(`sample ${name} is empty`);
    return values;
  }
  return sortedCopy(values, name, opts.inPlace);
}

/**
 * Two-sided two-sample Kolmogorov–Smirnov test, as scipy.stats.ks_2samp: D = max |F_a − F_b| over
 * the pooled values (ties handled by evaluating both ECDFs after every copy of a value);
 * 'auto' uses the exact distribution when both samples have ≤ 10000 values, else the asymptotic
 * one, which (like scipy) is the one-sample Kolmogorov distribution at n = round(n_a·n_b/(n_a+n_b)).
 * With 'exact' the statistic is reported as h/lcm(n_a, n_b), as scipy does.
 * Large samples are not sorted in full (see ks-statistic.ts: bucket counts on the bit patterns
 * prune everything that cannot hold the maximum); small ones are radix-sorted copies. Inputs are
 * never modified, and nothing is allocated per element.
 */
export function ks2samp(a: Sample, b: Sample, method: KsMethod = 'auto', opts: SortedInputOptions = {}): KsResult {
  if (method !== 'auto' && method !== 'exact' && method !== 'asymp') throw new StatsError(`unknown method "${String(method)}" (auto, exact or asymp)`);
  let d: number;
  let n1: number;
  let n2: number;
  if (!opts.sorted && KS_PRUNED_AVAILABLE && a.length + b.length >= PRUNED_MIN) {
    // Large samples: the statistic without a full sort (bit-identical to sort-and-merge).
    checkSample(a, 'a');
    checkSample(b, 'b');
    n1 = a.length;
    n2 = b.length;
    d = ksStatisticUnsorted(a instanceof Float64Array ? a : Float64Array.from(a), b instanceof Float64Array ? b : Float64Array.from(b));
  } else {
    const x = prepare(a, 'a', opts);
    const y = prepare(b, 'b', opts);
    n1 = x.length;
    n2 = y.length;
    d = ksStatisticSorted(x, y);
  }
  const g = gcd(n1, n2);
  let mode: 'exact' | 'asymp' = method === 'auto' ? (Math.max(n1, n2) <= MAX_AUTO_N ? 'exact' : 'asymp') : method;
  if (mode === 'exact' && n1 / g >= INT32_MAX / (n2 / g)) mode = 'asymp';
  let pvalue = NaN;
  if (mode === 'exact') {
    const lcm = (n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    d = h / lcm;
    pvalue = ksTwoSampleExactSf(n1, n2, g, h);
    if (Number.isNaN(pvalue)) mode = 'asymp';
  }
  if (mode === 'asymp') {
    const m = Math.max(n1, n2);
    const n = Math.min(n1, n2);
    const en = (m * n) / (m + n);
    const k = roundHalfEven(en);
    pvalue = k >= 1 ? kolmogorovSf(k, d) : NaN;
  }
  return { statistic: d, pvalue: Math.min(Math.max(pvalue, 0), 1), method: mode };
}

/**
 * The Wasserstein-1 (earth mover's) distance between the empirical distributions of a and b,
 * ∫|F_a − F_b|, as scipy.stats.wasserstein_distance (unweighted).
 */
export function wasserstein(a: Sample, b: Sample, opts: SortedInputOptions = {}): number {
  const x = prepare(a, 'a', opts);
  const y = prepare(b, 'b', opts);
  const n1 = x.length;
  const n2 = y.length;
  let i = 0;
  let j = 0;
  let sum = 0;
  let carry = 0;
  let v = j >= n2 || (i < n1 && x[i] <= y[j]) ? x[i] : y[j];
  for (;;) {
    while (i < n1 && x[i] === v) i++;
    while (j < n2 && y[j] === v) j++;
    if (i === n1 && j === n2) break;
    const next = j >= n2 || (i < n1 && x[i] <= y[j]) ? x[i] : y[j];
    const term = Math.abs(i / n1 - j / n2) * (next - v);
    const t = sum + term;
    carry += sum >= term ? sum - t + term : term - t + sum;
    sum = t;
    v = next;
  }
  return sum + carry;
}

/**
 * Wasserstein distance divided by the reference's standard deviation (ddof 0), floored at 0.001 —
 * Evidently's "normed Wasserstein" drift score (drift when ≥ 0.1 by default).
 */
export function normedWasserstein(reference: Sample, current: Sample): number {
  checkSample(reference, 'reference');
  const n = reference.length;
  const mean = numpySum(reference) / n;
  const sd = Math.sqrt(numpySum(reference, mean) / n);
  return wasserstein(reference, current) / Math.max(sd, 0.001);
}

/**
 * Jensen–Shannon distance (the square root of the divergence, natural log) between two
 * distributions given as non-negative weights over the same categories; each is normalised to sum
 * to 1 first, as scipy.spatial.distance.jensenshannon. 0 for identical, at most √ln 2.
 */
export function jensenShannon(p: Sample, q: Sample): number {
  if (p.length !== q.length) throw new StatsError(`distributions have different lengths (${p.length} and ${q.length})`);
  if (p.length === 0) throw new StatsError('distributions are empty');
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    for (const [v, name] of [
      [p[i], 'p'],
      [q[i], 'q'],
    ] as const) {
      if (!(v >= 0) || !Number.isFinite(v)) throw new StatsError(`${name}[${i}] must be a finite number ≥ 0, is ${v}`);
    }
    sp += p[i];
    sq += q[i];
  }
  if (sp === 0 || sq === 0) throw new StatsError(`${sp === 0 ? 'p' : 'q'} sums to 0`);
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / sp;
    const qi = q[i] / sq;
    const m = (pi + qi) / 2;
    if (pi > 0) left += pi * Math.log(pi / m);
    if (qi > 0) right += qi * Math.log(qi / m);
  }
  // Rounding can leave a tiny negative divergence for near-identical inputs; that is distance 0.
  return Math.sqrt(Math.max(0, (left + right) / 2));
}

/** Counts of each category in a and b over the union of their categories (first-seen order: a, then b). */
export function categoryCounts<T>(a: Iterable<T>, b: Iterable<T>): { categories: T[]; a: number[]; b: number[] } {
  const index = new Map<T, number>();
  const ca: number[] = [];
  const cb: number[] = [];
  for (const [values, counts, other] of [
    [a, ca, cb],
    [b, cb, ca],
  ] as const) {
    for (const v of values) {
      let k = index.get(v);
      if (k === undefined) {
        k = index.size;
        index.set(v, k);
        counts.push(0);
        other.push(0);
      }
      counts[k]++;
    }
  }
  return { categories: [...index.keys()], a: ca, b: cb };
}

/** Proportion used for an empty bin in the population stability index. */
export const PSI_EPSILON = 1e-4;

/**
 * Population stability index of current (b) against reference (a): Σ (b_k − a_k)·ln(b_k / a_k) over
 * bins, a_k and b_k the shares of each sample in bin k.
 *
 * Bins: the edges are the reference's quantiles at k/bins, k = 1 … bins−1 (NumPy's default
 * linear interpolation), with repeated edges dropped — so heavily tied data get fewer bins. A value
 * v is in bin k when edge_k < v ≤ edge_{k+1}; the first bin is open to −∞, the last to +∞. A bin
 * with no values in one sample counts as a share of 0.0001 (PSI_EPSILON) there, so the index stays
 * finite. Rule of thumb: < 0.1 stable, 0.1–0.2 a moderate shift, > 0.2 a significant shift.
 */
export function psi(a: Sample, b: Sample, bins = 10): number {
  if (!Number.isInteger(bins) || bins < 1) throw new StatsError(`bins must be a positive integer, is ${bins}`);
  const ref = sortedCopy(a, 'a');
  checkSample(b, 'b');
  const n = ref.length;
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const index = (n - 1) * (k / bins);
    const lo = Math.floor(index);
    const t = index - lo;
    const below = ref[lo];
    const above = ref[Math.min(lo + 1, n - 1)];
    const diff = above - below;
    const edge = t >= 0.5 ? above - diff * (1 - t) : below + diff * t;
    if (edges.length === 0 || edge !== edges[edges.length - 1]) edges.push(edge);
  }
  const binOf = (v: number): number => {
    // Number of edges strictly below v.
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (edges[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const refCounts = new Float64Array(edges.length + 1);
  const curCounts = new Float64Array(edges.length + 1);
  for (let i = 0; i < n; i++) refCounts[binOf(ref[i])]++;
  for (let i = 0; i < b.length; i++) curCounts[binOf(b[i])]++;
  let total = 0;
  for (let k = 0; k < refCounts.length; k++) {
    const pa = refCounts[k] / n || PSI_EPSILON;
    const pb = curCounts[k] / b.length || PSI_EPSILON;
    total += (pb - pa) * Math.log(pb / pa);
  }
  return total;
}

/**
 * z-test for drift of a binary feature: the pooled two-proportion z-test on the share of ones
 * (values must be 0 or 1; true/false count as 1/0).
 */
export function zTestBinary(a: ArrayLike<number | boolean>, b: ArrayLike<number | boolean>): ZTestResult {
  const ones = (values: ArrayLike<number | boolean>, name: string): number => {
    if (values.length === 0) throw new StatsError(`sample ${name} is empty`);
    let count = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === 1 || v === true) count++;
      else if (v !== 0 && v !== false) throw new StatsError(`sample ${name} has ${String(v)} at index ${i}; a binary feature must be 0 or 1`);
    }
    return count;
  };
  return twoProportionZ(ones(a, 'a'), a.length, ones(b, 'b'), b.length);
}
