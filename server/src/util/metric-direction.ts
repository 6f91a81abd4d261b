/**
 * Whether a metric is better high or low, from its name alone: errors, losses, latencies and
 * perplexity are better low; everything else (accuracy, f1, r2, auc, …) high. A manifest gate, where
 * there is one, says it instead.
 */
/** Last words of a name that make it lower-is-better ("val_loss", "mean_absolute_error", "p95_latency_ms"). */
const LOWER_WORDS = new Set(['loss', 'losses', 'error', 'errors', 'err', 'mae', 'mse', 'rmse', 'msle', 'rmsle', 'mape', 'smape', 'perplexity', 'ppl', 'wer', 'cer', 'brier', 'latency', 'ms', 'seconds', 'duration']);
/** Whole names that are lower-is-better though their last word is not. */
const LOWER_NAMES = new Set(['error_rate', 'brier_score']);

export function lowerIsBetter(metric: string): boolean {
  // A namespaced name ("eval/rmse", "train.mae") reads by its last part.
  const last = (metric.toLowerCase().split(/[/.]/).pop() ?? '').trim();
  // scikit-learn's scorers negate errors so that higher is better: neg_mean_squared_error.
  if (last.startsWith('neg_')) return false;
  if (LOWER_NAMES.has(last)) return true;
  const words = last.split(/[_\- ]+/).filter(Boolean);
  return words.length > 0 && LOWER_WORDS.has(words[words.length - 1]);
}

export function metricDirection(metric: string): 'max' | 'min' {
  return lowerIsBetter(metric) ? 'min' : 'max';
}
