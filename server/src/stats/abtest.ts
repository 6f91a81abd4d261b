/**
 * A/B statistics: two-sample t-tests, the pooled two-proportion z-test, 2×K contingency chi-square,
 * the sample-ratio-mismatch check, confidence intervals for a difference and for relative lift, and
 * power / minimum detectable effect / sample size. Conventions follow scipy: the difference is
 * a − b, tests are two-sided.
 */
import { chi2Sf, normalCdf, normalPpf, normalSf, tPpf, tTwoSided } from './special';
import {
  checkAlpha,
  checkCount,
  checkSample,
  checkSummary,
  StatsError,
  summarize,
  type Sample,
  type Summary,
} from './sample';

export interface TTestResult {
  statistic: number;
  pvalue: number;
  df: number;
}

export interface ZTestResult {
  statistic: number;
  pvalue: number;
}

export interface ChiSquareResult {
  statistic: number;
  pvalue: number;
  dof: number;
}

function ttestFinish(diff: number, denom: number, df: number): TTestResult {
  const statistic = diff / denom;
  return { statistic, pvalue: tTwoSided(statistic, df), df };
}

/**
 * Welch's t-test from summaries (scipy.stats.ttest_ind_from_stats, equal_var=False). df is the
 * Welch–Satterthwaite approximation; when both variances are 0 it is undefined and, as in scipy,
 * taken as 1 (the statistic is then ±Infinity, or NaN when the means are equal too).
 */
export function welchFromSummary(a: Summary, b: Summary): TTestResult {
  checkSummary(a, 'sample a');
  checkSummary(b, 'sample b');
  const vn1 = a.variance / a.n;
  const vn2 = b.variance / b.n;
  let df = (vn1 + vn2) ** 2 / (vn1 ** 2 / (a.n - 1) + vn2 ** 2 / (b.n - 1));
  if (Number.isNaN(df)) df = 1;
  return ttestFinish(a.mean - b.mean, Math.sqrt(vn1 + vn2), df);
}

/** Student's t-test with pooled variance from summaries (ttest_ind_from_stats, equal_var=True). */
export function studentFromSummary(a: Summary, b: Summary): TTestResult {
  checkSummary(a, 'sample a');
  checkSummary(b, 'sample b');
  const df = a.n + b.n - 2;
  const pooled = ((a.n - 1) * a.variance + (b.n - 1) * b.variance) / df;
  return ttestFinish(a.mean - b.mean, Math.sqrt(pooled * (1 / a.n + 1 / b.n)), df);
}

/** Welch's unequal-variance t-test of mean(a) − mean(b) (scipy.stats.ttest_ind, equal_var=False). */
export function welch(a: Sample, b: Sample): TTestResult {
  checkSample(a, 'a', 2);
  checkSample(b, 'b', 2);
  return welchFromSummary(summarize(a, 'a'), summarize(b, 'b'));
}

/** Student's pooled-variance t-test of mean(a) − mean(b) (scipy.stats.ttest_ind). */
export function student(a: Sample, b: Sample): TTestResult {
  checkSample(a, 'a', 2);
  checkSample(b, 'b', 2);
  return studentFromSummary(summarize(a, 'a'), summarize(b, 'b'));
}

function checkProportion(x: number, n: number, name: string): void {
  checkCount(x, `${name}: successes`);
  checkCount(n, `${name}: trials`);
  if (n === 0) throw new StatsError(`${name}: trials must be > 0`);
  if (x > n) throw new StatsError(`${name}: successes (${x}) exceed trials (${n})`);
}

/**
 * Two-sided two-proportion z-test with the pooled proportion under H0:
 * z = (x1/n1 − x2/n2) / √(p̂(1−p̂)(1/n1 + 1/n2)), p̂ = (x1+x2)/(n1+n2). When p̂ is 0 or 1 both
 * samples are identical and constant: z = 0, p = 1.
 */
export function twoProportionZ(x1: number, n1: number, x2: number, n2: number): ZTestResult {
  checkProportion(x1, n1, 'a');
  checkProportion(x2, n2, 'b');
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { statistic: 0, pvalue: 1 };
  const statistic = (x1 / n1 - x2 / n2) / se;
  return { statistic, pvalue: 2 * normalSf(Math.abs(statistic)) };
}

/**
 * Pearson chi-square test of independence on the 2×K table [rowA; rowB], as
 * scipy.stats.chi2_contingency: expected = row total × column total / grand total, dof = K − 1,
 * and with `yates` the continuity correction (each |observed − expected| reduced by up to 0.5),
 * applied only when dof = 1 as scipy does. scipy's default is yates = true; here it is opt-in.
 * A category present in only one row is fine; one absent from both rows is an error.
 */
export function chiSquareContingency(rowA: Sample, rowB: Sample, options: { yates?: boolean } = {}): ChiSquareResult {
  if (rowA.length !== rowB.length) throw new StatsError(`rows have different lengths (${rowA.length} and ${rowB.length})`);
  const k = rowA.length;
  if (k === 0) throw new StatsError('the table is empty');
  let totalA = 0;
  let totalB = 0;
  const columns = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    checkCount(rowA[j], `row a, column ${j + 1}`, false);
    checkCount(rowB[j], `row b, column ${j + 1}`, false);
    totalA += rowA[j];
    totalB += rowB[j];
    columns[j] = rowA[j] + rowB[j];
  }
  if (totalA === 0) throw new StatsError('row a is all zeros');
  if (totalB === 0) throw new StatsError('row b is all zeros');
  for (let j = 0; j < k; j++) {
    if (columns[j] === 0) throw new StatsError(`column ${j + 1} is zero in both rows (its expected frequency would be 0)`);
  }
  const dof = k - 1;
  if (dof === 0) return { statistic: 0, pvalue: 1, dof };
  const total = totalA + totalB;
  const correct = options.yates === true && dof === 1;
  let statistic = 0;
  for (const [row, rowTotal] of [
    [rowA, totalA],
    [rowB, totalB],
  ] as const) {
    for (let j = 0; j < k; j++) {
      const expected = (rowTotal * columns[j]) / total;
      let observed = row[j];
      if (correct) {
        const diff = expected - observed;
        observed += Math.sign(diff) * Math.min(0.5, Math.abs(diff));
      }
      statistic += (observed - expected) ** 2 / expected;
    }
  }
  return { statistic, pvalue: chi2Sf(statistic, dof), dof };
}

export interface SrmResult extends ChiSquareResult {
  /** p < 0.001: the observed split does not match the configured one. */
  flagged: boolean;
}

/** The p-value below which a sample-ratio mismatch is flagged. */
export const SRM_THRESHOLD = 0.001;

/**
 * Sample-ratio-mismatch check: chi-square goodness of fit of the observed counts per variant against
 * the configured split (scipy.stats.chisquare with f_exp = total × weight / Σ weights; equal weights
 * when omitted). Flagged when p < 0.001.
 */
export function sampleRatioMismatch(counts: Sample, weights?: Sample): SrmResult {
  const k = counts.length;
  if (k < 2) throw new StatsError(`need counts for at least 2 variants, got ${k}`);
  if (weights && weights.length !== k) throw new StatsError(`${k} counts but ${weights.length} weights`);
  let total = 0;
  let weightSum = 0;
  for (let i = 0; i < k; i++) {
    checkCount(counts[i], `count ${i + 1}`, false);
    total += counts[i];
    const w = weights ? weights[i] : 1;
    if (!(w > 0) || !Number.isFinite(w)) throw new StatsError(`weight ${i + 1} must be a positive number, is ${w}`);
    weightSum += w;
  }
  if (total === 0) throw new StatsError('all counts are zero');
  let statistic = 0;
  for (let i = 0; i < k; i++) {
    const expected = ((weights ? weights[i] : 1) / weightSum) * total;
    statistic += (counts[i] - expected) ** 2 / expected;
  }
  const dof = k - 1;
  const pvalue = chi2Sf(statistic, dof);
  return { statistic, pvalue, dof, flagged: pvalue < SRM_THRESHOLD };
}

// ---------------------------------------------------------------------------------------------
// Confidence intervals

export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
  /** Standard error of the estimate. */
  se: number;
  /** Degrees of freedom of the t quantile used (Infinity: normal quantile). */
  df: number;
}

export interface IntervalOptions {
  /** 1 − confidence level; default 0.05. */
  alpha?: number;
}

function interval(estimate: number, se: number, df: number, alpha: number): Interval {
  checkAlpha(alpha);
  const q = df === Infinity ? normalPpf(1 - alpha / 2) : tPpf(1 - alpha / 2, df);
  const half = q * se;
  return { estimate, lower: estimate - half, upper: estimate + half, se, df };
}

/**
 * Confidence interval for mean(a) − mean(b): Welch's (t quantile with Welch–Satterthwaite df) by
 * default, the pooled Student interval with `equalVariance`.
 */
export function meanDiffInterval(a: Summary, b: Summary, options: IntervalOptions & { equalVariance?: boolean } = {}): Interval {
  const test = options.equalVariance ? studentFromSummary(a, b) : welchFromSummary(a, b);
  const diff = a.mean - b.mean;
  const se = options.equalVariance
    ? Math.sqrt((((a.n - 1) * a.variance + (b.n - 1) * b.variance) / (a.n + b.n - 2)) * (1 / a.n + 1 / b.n))
    : Math.sqrt(a.variance / a.n + b.variance / b.n);
  return interval(diff, se, test.df, options.alpha ?? 0.05);
}

/** Wald interval for x1/n1 − x2/n2 (unpooled standard error, normal quantile). */
export function proportionDiffInterval(x1: number, n1: number, x2: number, n2: number, options: IntervalOptions = {}): Interval {
  checkProportion(x1, n1, 'a');
  checkProportion(x2, n2, 'b');
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const se = Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  return interval(p1 - p2, se, Infinity, options.alpha ?? 0.05);
}

/** Summary of a proportion for the lift and sequential functions: mean x/n, variance p(1 − p). */
export function proportionSummary(x: number, n: number): Summary {
  checkProportion(x, n, 'proportion');
  const p = x / n;
  return { n, mean: p, variance: p * (1 - p) };
}

/**
 * Relative lift of a over b, mean(a)/mean(b) − 1, with its delta-method standard error
 * √(var_a/(n_a·m_b²) + var_b·m_a²/(n_b·m_b⁴)) (a and b independent). The quantile is Student's t
 * with the Welch–Satterthwaite df of the two means, or the normal one with `normal: true`.
 */
export function relativeLiftInterval(a: Summary, b: Summary, options: IntervalOptions & { normal?: boolean } = {}): Interval {
  checkSummary(a, 'sample a');
  checkSummary(b, 'sample b');
  if (b.mean === 0) throw new StatsError('relative lift is undefined: the mean of b is 0');
  const estimate = a.mean / b.mean - 1;
  const se = Math.sqrt(a.variance / (a.n * b.mean ** 2) + (b.variance * a.mean ** 2) / (b.n * b.mean ** 4));
  const df = options.normal ? Infinity : welchFromSummary(a, b).df;
  return interval(estimate, se, df, options.alpha ?? 0.05);
}

// ---------------------------------------------------------------------------------------------
// Power, minimum detectable effect, sample size (two-sided, normal approximation)

export interface PowerOptions {
  /** Significance level; default 0.05. */
  alpha?: number;
  /** Target power; default 0.8. */
  power?: number;
  /** n_b / n_a; default 1. */
  ratio?: number;
}

function twoSidedPower(delta: number, se0: number, se1: number, alpha: number): number {
  const z = normalPpf(1 - alpha / 2);
  const d = Math.abs(delta);
  return normalCdf((d - z * se0) / se1) + normalCdf((-d - z * se0) / se1);
}

/**
 * Power of the pooled two-proportion z-test to detect p_a = p1 against p_b = p2 with n1 and n2
 * observations: Φ((|Δ| − z·σ₀)/σ₁) + Φ((−|Δ| − z·σ₀)/σ₁), σ₀ from the pooled proportion
 * (n1·p1 + n2·p2)/(n1 + n2), σ₁ = √(p1q1/n1 + p2q2/n2), z = Φ⁻¹(1 − α/2).
 */
export function proportionPower(p1: number, p2: number, n1: number, n2: number, options: { alpha?: number } = {}): number {
  const alpha = options.alpha ?? 0.05;
  checkAlpha(alpha);
  for (const [p, name] of [
    [p1, 'p1'],
    [p2, 'p2'],
  ] as const) {
    if (!(p > 0 && p < 1)) throw new StatsError(`${name} must be between 0 and 1 (exclusive), is ${p}`);
  }
  if (!(n1 > 0) || !(n2 > 0)) throw new StatsError('sample sizes must be positive');
  const pooled = (n1 * p1 + n2 * p2) / (n1 + n2);
  const se0 = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  const se1 = Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  return twoSidedPower(p2 - p1, se0, se1, alpha);
}

/** Power of the two-sample test of means (known standard deviations, normal approximation). */
export function meanPower(delta: number, sd1: number, sd2: number, n1: number, n2: number, options: { alpha?: number } = {}): number {
  const alpha = options.alpha ?? 0.05;
  checkAlpha(alpha);
  if (!(sd1 > 0) || !(sd2 > 0)) throw new StatsError('standard deviations must be positive');
  if (!(n1 > 0) || !(n2 > 0)) throw new StatsError('sample sizes must be positive');
  const se = Math.sqrt((sd1 * sd1) / n1 + (sd2 * sd2) / n2);
  return twoSidedPower(delta, se, se, alpha);
}

export interface SampleSize {
  /** Observations in group a. */
  n1: number;
  /** Observations in group b (⌈ratio · n1⌉). */
  n2: number;
}

/** The smallest integer n1 ≥ 2 with power(n1, ⌈ratio·n1⌉) ≥ target, searched from a closed-form start. */
function smallestN(power: (n1: number, n2: number) => number, target: number, ratio: number, start: number): SampleSize {
  const n2of = (n1: number) => Math.max(2, Math.ceil(ratio * n1 - 1e-9));
  let lo = 1;
  let hi = Math.max(2, Math.ceil(start));
  while (power(hi, n2of(hi)) < target) {
    lo = hi;
    hi *= 2;
    if (hi > 1e15) throw new StatsError('the effect is too small to detect with any practical sample size');
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (power(mid, n2of(mid)) >= target) hi = mid;
    else lo = mid;
  }
  return { n1: hi, n2: n2of(hi) };
}

function checkPowerOptions(options: PowerOptions): { alpha: number; power: number; ratio: number } {
  const alpha = options.alpha ?? 0.05;
  const power = options.power ?? 0.8;
  const ratio = options.ratio ?? 1;
  checkAlpha(alpha);
  checkAlpha(power, 'power');
  if (!(ratio > 0) || !Number.isFinite(ratio)) throw new StatsError(`ratio must be a positive number, is ${ratio}`);
  return { alpha, power, ratio };
}

/**
 * Sample size to detect p_a = p1 vs p_b = p2 with the pooled z-test: the smallest n1 (and
 * n2 = ⌈ratio·n1⌉) whose proportionPower reaches the target.
 */
export function proportionSampleSize(p1: number, p2: number, options: PowerOptions = {}): SampleSize {
  const { alpha, power, ratio } = checkPowerOptions(options);
  if (p1 === p2) throw new StatsError('p1 and p2 are equal: there is no effect to detect');
  const za = normalPpf(1 - alpha / 2);
  const zb = normalPpf(power);
  const pooled = (p1 + ratio * p2) / (1 + ratio);
  const start = (za * Math.sqrt(pooled * (1 - pooled) * (1 + 1 / ratio)) + zb * Math.sqrt(p1 * (1 - p1) + (p2 * (1 - p2)) / ratio)) ** 2 / (p1 - p2) ** 2;
  return smallestN((n1, n2) => proportionPower(p1, p2, n1, n2, { alpha }), power, ratio, start);
}

/** Sample size to detect a difference of means `delta` (standard deviations sd1, sd2). */
export function meanSampleSize(delta: number, sd1: number, sd2: number, options: PowerOptions = {}): SampleSize {
  const { alpha, power, ratio } = checkPowerOptions(options);
  if (!(Math.abs(delta) > 0)) throw new StatsError('delta must be non-zero');
  const za = normalPpf(1 - alpha / 2);
  const zb = normalPpf(power);
  const start = ((za + zb) ** 2 * (sd1 * sd1 + (sd2 * sd2) / ratio)) / (delta * delta);
  return smallestN((n1, n2) => meanPower(delta, sd1, sd2, n1, n2, { alpha }), power, ratio, start);
}

/** Bisection for the smallest effect in (lo, hi) with power ≥ target (power increasing in the effect). */
function solveEffect(power: (effect: number) => number, target: number, lo: number, hi: number): number {
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (power(mid) >= target) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * Minimum detectable effect (absolute, p2 − p1) for a baseline p1 with n1, n2 observations: the
 * smallest Δ with proportionPower(p1, p1 ± Δ) ≥ target (`direction` 'up', the default, or 'down').
 * Throws when not even p2 = 1 (or 0) reaches the power.
 */
export function proportionMde(p1: number, n1: number, n2: number, options: { alpha?: number; power?: number; direction?: 'up' | 'down' } = {}): number {
  const { alpha, power } = checkPowerOptions(options);
  const down = options.direction === 'down';
  const limit = down ? p1 : 1 - p1;
  const at = (delta: number) => proportionPower(p1, down ? p1 - delta : p1 + delta, n1, n2, { alpha });
  const edge = limit * (1 - 1e-12);
  if (!(edge > 0) || at(edge) < power) throw new StatsError('no effect within the possible range reaches the requested power');
  return solveEffect(at, power, 0, edge);
}

/** Minimum detectable difference of means with n1, n2 observations and standard deviations sd1, sd2. */
export function meanMde(sd1: number, sd2: number, n1: number, n2: number, options: { alpha?: number; power?: number } = {}): number {
  const { alpha, power } = checkPowerOptions(options);
  const se = Math.sqrt((sd1 * sd1) / n1 + (sd2 * sd2) / n2);
  const start = (normalPpf(1 - alpha / 2) + normalPpf(power)) * se;
  const at = (delta: number) => meanPower(delta, sd1, sd2, n1, n2, { alpha });
  let hi = start * 2;
  while (at(hi) < power) hi *= 2;
  return solveEffect(at, power, 0, hi);
}
