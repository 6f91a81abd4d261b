/**
 * The drift report: per feature, its type (numeric, categorical, binary), a test chosen as Evidently
 * chooses by default, its statistic and p-value or distance, and whether it drifted; then whether
 * the data set drifted (the share of drifted features against `drift_share`).
 *
 * Default test per feature (Evidently's): with at most 1000 reference values, the two-sample KS test
 * for numeric features with more than 5 distinct values, chi-square for other features with more
 * than 2, and the two-proportion z-test for those with 1 or 2; with more reference values, the
 * normed Wasserstein distance for numeric features with more than 5 distinct values, and the
 * Jensen–Shannon distance for all others. p-value tests drift at p < alpha (0.05) after the
 * correction across features (none, Bonferroni or Benjamini–Hochberg); distances drift at
 * ≥ threshold (0.1). PSI is available on request (drift at ≥ 0.1).
 *
 * Missing values are left out of the tests and are a signal of their own: a feature drifts when its
 * share of missing values changes (two-proportion z-test, p < alpha / features), or when it has no
 * value at all in the current data. Categories of the current data that the reference never had
 * are drift, whatever the test says, once they hold 1% or more of the current values; fewer are a
 * note (one new surname among ten thousand rows is not drift).
 *
 * Identifiers are not features: a text column with more than 100 distinct values that are at least
 * a fifth of its values (ids, names, free text), or a column of integers all distinct (row numbers,
 * customer numbers), with 50 values or more, is skipped with a note unless the settings give it a type.
 */
import type { DriftDistribution, DriftFeatureType, DriftReport, DriftTest, FeatureDrift } from '../contract';
import { benjaminiHochberg, bonferroni, chiSquareContingency, jensenShannon, ks2samp, normedWasserstein, psi, PSI_EPSILON, twoProportionZ } from '../stats/index';
import { DriftInputError, type Column, type FeatureTable } from './table';

export type DriftMethod = 'auto' | DriftTest;
export type Correction = 'none' | 'bonferroni' | 'fdr';
export const DRIFT_METHODS: readonly DriftMethod[] = ['auto', 'ks', 'chi-square', 'z-test', 'wasserstein', 'jensen-shannon', 'psi'];
export const P_VALUE_TESTS: ReadonlySet<DriftTest> = new Set(['ks', 'chi-square', 'z-test']);
/** Tests that need numbers. */
const NUMERIC_TESTS: ReadonlySet<DriftTest> = new Set(['ks', 'wasserstein']);

export interface FeatureOverride {
  method?: DriftMethod;
  /** alpha for p-value tests, the distance threshold for distance tests. */
  threshold?: number;
  type?: DriftFeatureType;
}

export interface DriftOptions {
  method?: DriftMethod;
  alpha?: number;
  /** Distance threshold of Wasserstein, Jensen–Shannon and PSI; default 0.1. */
  threshold?: number;
  correction?: Correction;
  driftShare?: number;
  features?: Record<string, FeatureOverride>;
  /** Reference columns that are not features (ids, labels, timestamps). */
  exclude?: string[];
}

export const DEFAULTS = { alpha: 0.05, threshold: 0.1, driftShare: 0.5, correction: 'none' as Correction, smallReference: 1000 };
/** New categories are drift from this share of the current values on. */
export const NEW_CATEGORY_SHARE = 0.01;
/** The normed Wasserstein distance is in units of the reference's standard deviation. */
export const WASSERSTEIN_UNIT = '× the reference’s std';
const IDENTIFIER = { minValues: 50, textDistinct: 100, textShare: 0.2 };
/** Distinct values counted at most; enough for every rule that looks at the count. */
const UNIQUE_CAP = 21;
const DISTRIBUTION_BINS = 20;
const DISTRIBUTION_CATEGORIES = 20;

interface Prepared {
  name: string;
  type: DriftFeatureType;
  /** Non-missing values: numbers when both columns are numeric, else text. */
  ref: Float64Array | string[];
  cur: Float64Array | string[];
  missingRef: number;
  missingCur: number;
  rowsRef: number;
  rowsCur: number;
  /** Distinct non-missing values of both samples together, capped at UNIQUE_CAP. */
  unique: number;
  /** Distinct non-missing values of the reference, capped at UNIQUE_CAP. */
  uniqueRef: number;
  /** Counts per value, computed once when a test or chart needs them. */
  counts?: Counts;
}

interface Counts {
  keys: (number | string)[];
  ref: number[];
  cur: number[];
}

/** The drift report of `current` against `reference`. Throws DriftInputError on unusable input. */
export function driftReport(reference: FeatureTable, current: FeatureTable, options: DriftOptions = {}): DriftReport {
  const alpha = options.alpha ?? DEFAULTS.alpha;
  const correction = options.correction ?? DEFAULTS.correction;
  const driftShare = options.driftShare ?? DEFAULTS.driftShare;
  if (reference.rows === 0) throw new DriftInputError(`${reference.source}: no data rows below the header`);
  if (current.rows === 0) throw new DriftInputError(`${current.source}: no data rows${current.source.endsWith('.csv') ? ' below the header' : ''}`);
  const exclude = new Set(options.exclude ?? []);
  const features = reference.columns.filter((c) => !exclude.has(c.name));
  if (features.length === 0) throw new DriftInputError(`${reference.source}: no feature columns${exclude.size > 0 ? ' (all excluded)' : ''}`);
  const byName = new Map(current.columns.map((c) => [c.name, c]));
  const missing = features.filter((c) => !byName.has(c.name)).map((c) => c.name);
  if (missing.length > 0) {
    const extra = current.columns.map((c) => c.name).filter((n) => !reference.columns.some((r) => r.name === n));
    throw new DriftInputError(
      `${current.source}: no column${missing.length === 1 ? '' : 's'} ${missing.map((n) => `"${n}"`).join(', ')} of ${reference.source}` +
        (extra.length > 0 ? `; it has ${extra.map((n) => `"${n}"`).join(', ')} that the reference does not` : ''),
    );
  }
  for (const name of Object.keys(options.features ?? {})) {
    if (!features.some((c) => c.name === name)) throw new DriftInputError(`drift settings name a feature "${name}" that ${reference.source} has no column for`);
  }

  const skipped: DriftReport['skipped'] = [];
  const tested = features.filter((column) => {
    const reason = options.features?.[column.name]?.type ? undefined : identifierReason(column);
    if (reason) skipped.push({ name: column.name, reason });
    return !reason;
  });
  if (tested.length === 0) throw new DriftInputError(`${reference.source}: no feature columns: ${skipped.map((s) => `"${s.name}"`).join(', ')} ${skipped.length === 1 ? 'is an identifier' : 'are identifiers'} (give ${skipped.length === 1 ? 'it' : 'one'} a type in the drift settings to test ${skipped.length === 1 ? 'it' : 'it anyway'})`);
  const prepared = tested.map((column) => prepare(column, byName.get(column.name)!, options.features?.[column.name]?.type));
  const results: FeatureDrift[] = prepared.map((p) => featureDrift(p, options, alpha));

  // Correction across the features tested with a p-value.
  const withP = results.map((f, i) => ({ f, i })).filter(({ f }) => f.pvalue !== null && !f.error);
  const pvalues = withP.map(({ f }) => f.pvalue!);
  const adjusted = correction === 'bonferroni' ? bonferroni(pvalues, alpha).adjusted : correction === 'fdr' ? benjaminiHochberg(pvalues, alpha).adjusted : pvalues;
  withP.forEach(({ f }, k) => {
    f.adjusted_pvalue = adjusted[k];
    if (adjusted[k] < f.threshold) f.reasons.unshift(`${f.test} p = ${formatP(adjusted[k])}${correction === 'none' ? '' : ` (${correction === 'fdr' ? 'FDR' : 'Bonferroni'} adjusted)`} < ${f.threshold}`);
  });
  const m = results.length;
  results.forEach((f, i) => {
    const p = prepared[i];
    if (p.missingRef + p.missingCur > 0 && p.ref.length > 0 && p.cur.length > 0) {
      // Missing values are a signal of their own, tested at alpha / features (Bonferroni).
      const z = twoProportionZ(p.missingRef, p.rowsRef, p.missingCur, p.rowsCur);
      if (z.pvalue < alpha / m) f.reasons.push(`missing values ${pct(f.missing.reference)} → ${pct(f.missing.current)} (p = ${formatP(z.pvalue)})`);
    }
    f.drifted = f.reasons.length > 0;
  });
  const drifted = results.filter((f) => f.drifted).length;
  const share = drifted / m;
  return {
    dataset_drift: share >= driftShare,
    share,
    drift_share: driftShare,
    drifted_features: drifted,
    correction,
    alpha,
    reference: { source: reference.source, rows: reference.rows },
    current: { source: current.source, rows: current.rows },
    features: results,
    skipped,
  };
}

/** Why a column is an identifier rather than a feature, or undefined when it is a feature. */
function identifierReason(column: Column): string | undefined {
  if (column.kind === 'text') {
    const seen = new Set<string>();
    let n = 0;
    for (const v of column.values) {
      if (v === null) continue;
      n++;
      seen.add(v);
    }
    if (n >= IDENTIFIER.minValues && seen.size > IDENTIFIER.textDistinct && seen.size >= IDENTIFIER.textShare * n) return `an identifier, not a feature: ${seen.size.toLocaleString('en-US')} distinct values in ${n.toLocaleString('en-US')} rows`;
    return undefined;
  }
  const present: number[] = [];
  for (const v of column.values) {
    if (!Number.isFinite(v)) continue;
    if (!Number.isInteger(v)) return undefined;
    present.push(v);
  }
  if (present.length < IDENTIFIER.minValues) return undefined;
  present.sort((a, b) => a - b);
  for (let i = 1; i < present.length; i++) if (present[i] === present[i - 1]) return undefined;
  return `an identifier, not a feature: ${present.length.toLocaleString('en-US')} distinct integers, one per row`;
}

function prepare(refCol: Column, curCol: Column, forcedType: DriftFeatureType | undefined): Prepared {
  let ref: Float64Array | string[];
  let cur: Float64Array | string[];
  let missingRef: number;
  let missingCur: number;
  const numeric = refCol.kind === 'numbers' && curCol.kind === 'numbers' && forcedType !== 'categorical';
  if (numeric) {
    [ref, missingRef] = presentNumbers(refCol.values as Float64Array);
    [cur, missingCur] = presentNumbers(curCol.values as Float64Array);
  } else {
    [ref, missingRef] = presentText(refCol);
    [cur, missingCur] = presentText(curCol);
  }
  const uniqueRef = countUnique(ref, undefined);
  const unique = countUnique(ref, cur);
  const type: DriftFeatureType = forcedType ?? (unique <= 2 ? 'binary' : numeric ? 'numeric' : 'categorical');
  return { name: refCol.name, type, ref, cur, missingRef, missingCur, rowsRef: refCol.values.length, rowsCur: curCol.values.length, unique, uniqueRef };
}

function presentNumbers(values: Float64Array): [Float64Array, number] {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) n++;
  if (n === values.length) return [values, 0];
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) out[k++] = values[i];
  return [out, values.length - n];
}

function presentText(column: Column): [string[], number] {
  const out: string[] = [];
  if (column.kind === 'numbers') {
    for (const v of column.values) if (Number.isFinite(v)) out.push(String(v));
  } else {
    for (const v of column.values) if (v !== null) out.push(v);
  }
  return [out, column.values.length - out.length];
}

function countUnique(a: Float64Array | string[], b: Float64Array | string[] | undefined): number {
  if (a instanceof Float64Array && (b === undefined || b instanceof Float64Array)) {
    // Few distinct numbers: a linear scan of a small array beats hashing.
    const seen = new Float64Array(UNIQUE_CAP);
    let n = 0;
    for (const values of b ? [a, b] : [a]) {
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        let k = 0;
        while (k < n && seen[k] !== v) k++;
        if (k === n) {
          seen[n++] = v;
          if (n >= UNIQUE_CAP) return UNIQUE_CAP;
        }
      }
    }
    return n;
  }
  const seen = new Set<number | string>();
  for (const values of b ? [a, b] : [a]) {
    for (let i = 0; i < values.length; i++) {
      seen.add(values[i]);
      if (seen.size >= UNIQUE_CAP) return UNIQUE_CAP;
    }
  }
  return seen.size;
}

/** The test Evidently picks by default. */
export function defaultTest(p: { type: DriftFeatureType; unique: number; referenceValues: number }): DriftTest {
  const numeric = p.type === 'numeric' && p.unique > 5;
  if (p.referenceValues <= DEFAULTS.smallReference) return numeric ? 'ks' : p.unique > 2 ? 'chi-square' : 'z-test';
  return numeric ? 'wasserstein' : 'jensen-shannon';
}

function featureDrift(p: Prepared, options: DriftOptions, alpha: number): FeatureDrift {
  const override = options.features?.[p.name];
  const method = override?.method ?? options.method ?? 'auto';
  const test = method === 'auto' ? defaultTest({ type: p.type, unique: p.unique, referenceValues: p.ref.length }) : method;
  const threshold = override?.threshold ?? (P_VALUE_TESTS.has(test) ? alpha : (options.threshold ?? DEFAULTS.threshold));
  const f: FeatureDrift = {
    name: p.name,
    type: p.type,
    test,
    statistic: null,
    pvalue: null,
    distance: null,
    drifted: false,
    adjusted_pvalue: null,
    threshold,
    ...(test === 'wasserstein' ? { unit: WASSERSTEIN_UNIT } : {}),
    missing: { reference: p.missingRef / p.rowsRef, current: p.missingCur / p.rowsCur },
    new_categories: [],
    new_category_share: 0,
    reasons: [],
    notes: [],
    distribution: null,
  };
  if (p.ref.length === 0 || p.cur.length === 0) {
    f.error = `no values in the ${p.ref.length === 0 ? 'reference' : 'current'} data`;
    if (p.ref.length > 0) f.reasons.push('every value is missing in the current data');
    return f;
  }
  f.distribution = distribution(p);
  if (p.type !== 'numeric') {
    const c = countsOf(p);
    const fresh = new Set<string>();
    let freshValues = 0;
    c.keys.forEach((k, i) => {
      if (c.ref[i] === 0) {
        fresh.add(String(k));
        freshValues += c.cur[i];
      }
    });
    f.new_categories = [...fresh].sort();
    f.new_category_share = freshValues / p.cur.length;
    if (fresh.size > 0) {
      const what = `${fresh.size === 1 ? 'a category' : `${fresh.size} categories`} not in the reference (${pctShort(f.new_category_share)} of the current values): ${f.new_categories.slice(0, 5).join(', ')}${fresh.size > 5 ? ', …' : ''}`;
      if (f.new_category_share >= NEW_CATEGORY_SHARE) f.reasons.push(what);
      else f.notes.push(`${what}; below ${pctShort(NEW_CATEGORY_SHARE)}, not drift by itself`);
    }
  }
  const numbers = p.ref instanceof Float64Array && p.cur instanceof Float64Array;
  if (NUMERIC_TESTS.has(test) && !numbers) {
    f.error = `${test} needs numbers; ${p.name} is ${p.type}`;
    return f;
  }
  if (test === 'z-test' && p.unique > 2) {
    f.error = `the z-test needs a binary feature; ${p.name} has more than 2 distinct values`;
    return f;
  }
  switch (test) {
    case 'ks': {
      const r = ks2samp(p.ref as Float64Array, p.cur as Float64Array);
      f.statistic = r.statistic;
      f.pvalue = r.pvalue;
      break;
    }
    case 'wasserstein':
      f.distance = normedWasserstein(p.ref as Float64Array, p.cur as Float64Array);
      break;
    case 'chi-square': {
      const c = countsOf(p);
      const r = c.ref.length < 2 ? { statistic: 0, pvalue: 1 } : chiSquareContingency(c.ref, c.cur, { yates: true });
      f.statistic = r.statistic;
      f.pvalue = r.pvalue;
      break;
    }
    case 'z-test': {
      const c = countsOf(p);
      // The share of the larger value (numbers) or the last category in sort order.
      const k = c.keys.length - 1;
      const r = twoProportionZ(c.ref[k], p.ref.length, c.cur[k], p.cur.length);
      f.statistic = r.statistic;
      f.pvalue = r.pvalue;
      break;
    }
    case 'jensen-shannon': {
      const [a, b] = binnedShares(p);
      f.distance = jensenShannon(a, b);
      break;
    }
    case 'psi': {
      f.distance = numbers && p.type === 'numeric' ? psi(p.ref as Float64Array, p.cur as Float64Array) : categoricalPsi(p);
      break;
    }
  }
  if (f.distance !== null && f.distance >= threshold) f.reasons.push(`${test} distance ${f.distance.toPrecision(3)} ≥ ${threshold}${f.unit ? ` ${f.unit}` : ''}`);
  return f;
}

function countsOf(p: Prepared): Counts {
  return (p.counts ??= p.ref instanceof Float64Array && p.cur instanceof Float64Array && p.unique < UNIQUE_CAP ? fewNumberCounts(p.ref, p.cur) : counts(p.ref, p.cur));
}

/** Counts of numbers with few distinct values (fewer than UNIQUE_CAP), by linear search. */
function fewNumberCounts(ref: Float64Array, cur: Float64Array): Counts {
  const keys = new Float64Array(UNIQUE_CAP);
  const cr = new Float64Array(UNIQUE_CAP);
  const cc = new Float64Array(UNIQUE_CAP);
  let n = 0;
  for (const [values, into] of [
    [ref, cr],
    [cur, cc],
  ] as const) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      let k = 0;
      while (k < n && keys[k] !== v) k++;
      if (k === n) keys[n++] = v;
      into[k]++;
    }
  }
  const order = Array.from({ length: n }, (_, k) => k).sort((x, y) => keys[x] - keys[y]);
  return { keys: order.map((k) => keys[k]), ref: order.map((k) => cr[k]), cur: order.map((k) => cc[k]) };
}

/** Counts of each value in both samples over the sorted union of values. */
function counts(ref: Float64Array | string[], cur: Float64Array | string[]): Counts {
  const index = new Map<number | string, [number, number]>();
  for (let i = 0; i < ref.length; i++) {
    const e = index.get(ref[i]);
    if (e) e[0]++;
    else index.set(ref[i], [1, 0]);
  }
  for (let i = 0; i < cur.length; i++) {
    const e = index.get(cur[i]);
    if (e) e[1]++;
    else index.set(cur[i], [0, 1]);
  }
  const keys = [...index.keys()].sort((x, y) => (typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0));
  return { keys, ref: keys.map((k) => index.get(k)![0]), cur: keys.map((k) => index.get(k)![1]) };
}

/**
 * Shares of each sample as Evidently bins them for Jensen–Shannon: numeric features with more than
 * 20 distinct reference values on NumPy's Sturges histogram of both samples together, everything
 * else per distinct value.
 */
function binnedShares(p: Prepared): [Float64Array, Float64Array] {
  if (p.ref instanceof Float64Array && p.cur instanceof Float64Array && p.type === 'numeric' && p.uniqueRef > 20) {
    const edges = sturgesEdges(p.ref, p.cur);
    return [histogram(p.ref, edges), histogram(p.cur, edges)];
  }
  const c = countsOf(p);
  return [Float64Array.from(c.ref, (v) => v / p.ref.length), Float64Array.from(c.cur, (v) => v / p.cur.length)];
}

function minMax(...samples: Float64Array[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of samples)
    for (let i = 0; i < s.length; i++) {
      if (s[i] < lo) lo = s[i];
      if (s[i] > hi) hi = s[i];
    }
  return [lo, hi];
}

/** np.histogram_bin_edges(concat(a, b), bins="sturges"). */
export function sturgesEdges(a: Float64Array, b: Float64Array): Float64Array {
  let [first, last] = minMax(a, b);
  const n = a.length + b.length;
  const width = (last - first) / (Math.log2(n) + 1);
  const bins = width ? Math.ceil((last - first) / width) : 1;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  return linspace(first, last, bins);
}

function linspace(first: number, last: number, bins: number): Float64Array {
  const edges = new Float64Array(bins + 1);
  const step = (last - first) / bins;
  for (let i = 0; i <= bins; i++) edges[i] = i * step + first;
  edges[bins] = last;
  return edges;
}

/** Shares of `values` in equal-width bins, as np.histogram (the last bin closed). */
function histogram(values: Float64Array, edges: Float64Array): Float64Array {
  const bins = edges.length - 1;
  const first = edges[0];
  const span = edges[bins] - first;
  const out = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= first && v <= edges[bins])) continue;
    let k = Math.trunc(((v - first) / span) * bins);
    if (k === bins) k--;
    if (v < edges[k]) k--;
    else if (k !== bins - 1 && v >= edges[k + 1]) k++;
    out[k]++;
  }
  for (let k = 0; k < bins; k++) out[k] /= values.length;
  return out;
}

/** PSI over categories: shares per value, an empty category counting as PSI_EPSILON. */
function categoricalPsi(p: Prepared): number {
  const c = countsOf(p);
  let total = 0;
  for (let k = 0; k < c.keys.length; k++) {
    const a = c.ref[k] / p.ref.length || PSI_EPSILON;
    const b = c.cur[k] / p.cur.length || PSI_EPSILON;
    total += (b - a) * Math.log(b / a);
  }
  return total;
}

/** What the report's charts draw: shared equal-width bins, or the most frequent categories. */
function distribution(p: Prepared): DriftDistribution {
  if (p.ref instanceof Float64Array && p.cur instanceof Float64Array && p.type === 'numeric' && p.unique > DISTRIBUTION_BINS) {
    const [lo, hi] = minMax(p.ref, p.cur);
    const edges = linspace(lo, hi, DISTRIBUTION_BINS);
    const labels: string[] = [];
    for (let k = 0; k < DISTRIBUTION_BINS; k++) labels.push(`${fmt(edges[k])} – ${fmt(edges[k + 1])}`);
    return { kind: 'bins', labels, reference: Array.from(histogram(p.ref, edges)), current: Array.from(histogram(p.cur, edges)) };
  }
  const c = countsOf(p);
  const order = c.keys.map((_, k) => k);
  if (order.length > DISTRIBUTION_CATEGORIES) order.sort((x, y) => c.ref[y] + c.cur[y] - (c.ref[x] + c.cur[x]));
  const top = order.slice(0, DISTRIBUTION_CATEGORIES);
  const d: DriftDistribution = {
    kind: 'categories',
    labels: top.map((k) => String(c.keys[k])),
    reference: top.map((k) => c.ref[k] / p.ref.length),
    current: top.map((k) => c.cur[k] / p.cur.length),
  };
  if (order.length > top.length) {
    d.labels.push('(other)');
    d.reference.push(1 - d.reference.reduce((s, v) => s + v, 0));
    d.current.push(1 - d.current.reduce((s, v) => s + v, 0));
  }
  return d;
}

function fmt(v: number): string {
  return String(Number(v.toPrecision(4)));
}

/** 0.014% and 1%: enough digits to tell a tiny share from none. */
function pctShort(v: number): string {
  return `${Number((100 * v).toPrecision(2))}%`;
}

function pct(v: number): string {
  return `${(100 * v).toFixed(1)}%`;
}

export function formatP(p: number): string {
  return p === 0 ? '0' : p < 1e-4 ? p.toExponential(1) : String(Number(p.toPrecision(3)));
}
