/** What the manifest knows about metric names: which are measured while serving, and each one's range. */

/** Metrics the model server measures itself; gates and experiments may name them before any run logs them. */
export const LIVE_METRICS = ['p50_latency_ms', 'p90_latency_ms', 'p95_latency_ms', 'p99_latency_ms', 'mean_latency_ms', 'error_rate', 'throughput_rps'] as const;

const LIVE = new Set<string>(LIVE_METRICS);

export function isLiveMetric(name: string): boolean {
  return LIVE.has(name) || /^p\d{1,2}(\.\d+)?_latency_ms$/.test(name);
}

/** The values a metric can take; a bound outside them can never be met (or never fail). */
export interface MetricRange {
  /** e.g. "a probability", used in messages. */
  kind: string;
  min: number;
  max: number;
  /** Whether min itself is excluded (latencies are > 0). */
  minOpen: boolean;
}

const UNIT_TOKENS = new Set(['accuracy', 'acc', 'precision', 'recall', 'f1', 'fbeta', 'auc', 'auroc', 'specificity', 'sensitivity', 'tpr', 'fpr', 'tnr', 'fnr', 'jaccard', 'iou', 'ndcg']);
const UNIT_NAMES = /(^|_)(error_rate|hit_rate|average_precision|drift_share|success_rate)$/;
const NON_NEGATIVE_TOKENS = new Set(['rmse', 'mse', 'mae', 'mape', 'smape', 'loss', 'logloss', 'error', 'deviance', 'throughput', 'rps', 'qps']);

/**
 * The range of a metric, recognised by name: ratios and probabilities (accuracy, precision, recall,
 * f1(_score), auc, roc_auc, error_rate, with prefixes such as val_ or suffixes such as _macro) lie in
 * [0, 1]; latencies are > 0; errors and losses ≥ 0; r2 ≤ 1. Unknown names have no range.
 */
export function metricRange(name: string): MetricRange | undefined {
  const lower = name.toLowerCase();
  const tokens = lower.split(/[^a-z0-9]+/).filter(Boolean);
  if (tokens.includes('latency') || /_(ms|seconds|secs)$/.test(lower)) return { kind: 'a latency', min: 0, max: Infinity, minOpen: true };
  if (UNIT_NAMES.test(lower.replace(/[^a-z0-9]+/g, '_')) || tokens.some((t) => UNIT_TOKENS.has(t))) return { kind: 'a ratio between 0 and 1', min: 0, max: 1, minOpen: false };
  if (tokens.includes('r2')) return { kind: 'an R² score', min: -Infinity, max: 1, minOpen: false };
  if (tokens.some((t) => NON_NEGATIVE_TOKENS.has(t))) return { kind: 'never negative', min: 0, max: Infinity, minOpen: false };
  return undefined;
}

export function inRange(value: number, range: MetricRange): boolean {
  return (range.minOpen ? value > range.min : value >= range.min) && value <= range.max;
}

export function describeRange(range: MetricRange): string {
  if (range.max === Infinity) return range.minOpen ? `greater than ${range.min}` : `at least ${range.min}`;
  if (range.min === -Infinity) return `at most ${range.max}`;
  return `between ${range.min} and ${range.max}`;
}
