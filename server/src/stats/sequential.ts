/**
 * Peeking-safe sequential testing with asymptotic confidence sequences (Waudby-Smith et al. 2023,
 * "Time-uniform central limit theory and asymptotic confidence sequences", building on the normal
 * mixture boundary of Howard et al. 2021), parameterised as GrowthBook does:
 *
 *   ρ        = √((−2 ln α + ln(1 − 2 ln α)) / N*)          (N* = the tuning parameter, default 5000:
 *                                                           the total sample size where the sequence
 *                                                           is tightest)
 *   s²       = SE² · n                                    (per-observation variance; n = n_a + n_b)
 *   halfwidth = √s² · √(2(nρ² + 1) / (n²ρ²) · ln(√(nρ² + 1) / α))
 *
 * The interval estimate ± halfwidth covers the true difference at every n simultaneously with
 * probability ≥ 1 − α (asymptotically), so it may be looked at after every observation and the
 * experiment stopped as soon as it excludes 0. The matching always-valid p-value is
 * min(1, 1/E) with E = exp(ρ²S²/(2(nρ² + 1))) / √(nρ² + 1), S² = estimate² · n / SE²;
 * p ≤ α exactly when the interval excludes 0.
 */
import { checkAlpha, checkSummary, StatsError, type Summary } from './sample';
import { proportionSummary } from './abtest';

/** GrowthBook's default tuning parameter N*. */
export const DEFAULT_SEQUENTIAL_TUNING = 5000;

export interface SequentialOptions {
  /** Significance level; default 0.05. */
  alpha?: number;
  /** N*, the total sample size at which the sequence is tightest; default 5000. */
  tuning?: number;
}

export interface SequentialResult {
  estimate: number;
  /** Standard error of the estimate (as a fixed-horizon test would use). */
  se: number;
  /** Total sample size n_a + n_b. */
  n: number;
  lower: number;
  upper: number;
  halfwidth: number;
  /** Always-valid p-value. */
  pvalue: number;
  /** The interval excludes 0 (equivalently pvalue ≤ alpha). */
  significant: boolean;
  alpha: number;
  tuning: number;
}

function options(o: SequentialOptions): { alpha: number; tuning: number } {
  const alpha = o.alpha ?? 0.05;
  const tuning = o.tuning ?? DEFAULT_SEQUENTIAL_TUNING;
  checkAlpha(alpha);
  if (!(tuning > 0) || !Number.isFinite(tuning)) throw new StatsError(`the tuning parameter N* must be a positive number, is ${tuning}`);
  return { alpha, tuning };
}

/** The mixing parameter ρ for a two-sided sequence tightest at N* observations. */
export function sequentialRho(alpha: number, tuning: number): number {
  const logAlpha = Math.log(alpha);
  return Math.sqrt((-2 * logAlpha + Math.log(1 - 2 * logAlpha)) / tuning);
}

/** Half-width of the confidence sequence for per-observation variance s² after n observations. */
export function sequentialHalfwidth(s2: number, n: number, opts: SequentialOptions = {}): number {
  const { alpha, tuning } = options(opts);
  const rho = sequentialRho(alpha, tuning);
  const r2 = n * rho * rho + 1;
  return Math.sqrt(s2) * Math.sqrt(((2 * r2) / (n * n * rho * rho)) * Math.log(Math.sqrt(r2) / alpha));
}

/** The confidence sequence and always-valid p-value for an estimate with standard error `se` at total sample size n. */
export function confidenceSequence(estimate: number, se: number, n: number, opts: SequentialOptions = {}): SequentialResult {
  const { alpha, tuning } = options(opts);
  if (!Number.isFinite(estimate)) throw new StatsError(`estimate is ${estimate}`);
  if (!(se >= 0) || !Number.isFinite(se)) throw new StatsError(`standard error must be finite and ≥ 0, is ${se}`);
  if (!(n >= 1)) throw new StatsError(`n must be ≥ 1, is ${n}`);
  const rho = sequentialRho(alpha, tuning);
  const halfwidth = sequentialHalfwidth(se * se * n, n, { alpha, tuning });
  const r2 = n * rho * rho + 1;
  let pvalue: number;
  if (se === 0) pvalue = estimate === 0 ? 1 : 0;
  else {
    const s2 = (estimate * estimate * n) / (se * se);
    // 1/E = √(nρ²+1) · exp(−ρ²S²/(2(nρ²+1))), in logs so huge S² gives 0 rather than NaN.
    pvalue = Math.min(1, Math.exp(0.5 * Math.log(r2) - (rho * rho * s2) / (2 * r2)));
  }
  const lower = estimate - halfwidth;
  const upper = estimate + halfwidth;
  return { estimate, se, n, lower, upper, halfwidth, pvalue, significant: lower > 0 || upper < 0, alpha, tuning };
}

/** Confidence sequence for mean(a) − mean(b) (SE² = var_a/n_a + var_b/n_b). */
export function sequentialMeanDiff(a: Summary, b: Summary, opts: SequentialOptions = {}): SequentialResult {
  checkSummary(a, 'sample a');
  checkSummary(b, 'sample b');
  return confidenceSequence(a.mean - b.mean, Math.sqrt(a.variance / a.n + b.variance / b.n), a.n + b.n, opts);
}

/** Confidence sequence for x1/n1 − x2/n2 (variances p(1 − p)). */
export function sequentialProportionDiff(x1: number, n1: number, x2: number, n2: number, opts: SequentialOptions = {}): SequentialResult {
  return sequentialMeanDiff(proportionSummary(x1, n1), proportionSummary(x2, n2), opts);
}

/** Confidence sequence for the relative lift mean(a)/mean(b) − 1 (delta-method SE, as relativeLiftInterval). */
export function sequentialLift(a: Summary, b: Summary, opts: SequentialOptions = {}): SequentialResult {
  checkSummary(a, 'sample a');
  checkSummary(b, 'sample b');
  if (b.mean === 0) throw new StatsError('relative lift is undefined: the mean of b is 0');
  const se = Math.sqrt(a.variance / (a.n * b.mean ** 2) + (b.variance * a.mean ** 2) / (b.n * b.mean ** 4));
  return confidenceSequence(a.mean / b.mean - 1, se, a.n + b.n, opts);
}

/**
 * Total sample size at which the sequence would exclude 0 if the estimate and the per-observation
 * variance stayed as they are (the half-width decreases monotonically in n); Infinity for a zero
 * estimate, n itself when already significant.
 */
export function sequentialSamplesNeeded(result: SequentialResult): number {
  if (result.significant) return result.n;
  const target = Math.abs(result.estimate);
  if (target === 0 || result.se === 0) return Infinity;
  const s2 = result.se * result.se * result.n;
  const opts = { alpha: result.alpha, tuning: result.tuning };
  let lo = result.n;
  let hi = Math.max(2 * result.n, 2);
  while (sequentialHalfwidth(s2, hi, opts) >= target) {
    lo = hi;
    hi *= 2;
    if (hi > 1e18) return Infinity;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (sequentialHalfwidth(s2, mid, opts) < target) hi = mid;
    else lo = mid;
  }
  return hi;
}

export type SequentialVerdict = 'a-better' | 'b-better' | 'continue';

export interface SequentialDecision {
  verdict: SequentialVerdict;
  /** For 'continue': estimated further observations (total, both groups) needed to decide; Infinity when no effect is visible. */
  moreSamples: number;
  result: SequentialResult;
}

/**
 * Decision at one look: 'a-better' / 'b-better' when the confidence sequence excludes 0 (a − b > 0
 * or < 0), else 'continue'. Valid under continuous peeking: the chance that any look of an A/A
 * experiment says anything but 'continue' is at most alpha. `minSamples` (total) holds the verdict
 * at 'continue' until enough data has arrived for the normal approximation.
 */
export function sequentialDecision(result: SequentialResult, opts: { minSamples?: number } = {}): SequentialDecision {
  const minSamples = opts.minSamples ?? 0;
  if (result.n < minSamples) {
    return { verdict: 'continue', moreSamples: Math.max(minSamples, sequentialSamplesNeeded(result)) - result.n, result };
  }
  if (result.significant) return { verdict: result.estimate > 0 ? 'a-better' : 'b-better', moreSamples: 0, result };
  return { verdict: 'continue', moreSamples: sequentialSamplesNeeded(result) - result.n, result };
}

/**
 * Keeps the decision across looks: once a look is decisive the verdict stays (stopping at the first
 * crossing is what the error guarantee covers), and the always-valid p-value reported is the
 * running minimum, which is itself always valid.
 */
export class SequentialMonitor {
  private decided: SequentialDecision | undefined;
  private minP = 1;
  looks = 0;

  constructor(private readonly opts: { minSamples?: number } = {}) {}

  look(result: SequentialResult): SequentialDecision & { pvalue: number; looks: number } {
    this.looks++;
    if (result.n >= (this.opts.minSamples ?? 0)) this.minP = Math.min(this.minP, result.pvalue);
    if (!this.decided) {
      const d = sequentialDecision(result, this.opts);
      if (d.verdict !== 'continue') this.decided = d;
      return { ...d, pvalue: this.minP, looks: this.looks };
    }
    return { ...this.decided, pvalue: this.minP, looks: this.looks };
  }
}
