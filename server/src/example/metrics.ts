/** Binary classification metrics, named as the manifest's gates and MLflow's autologging name them. */
export interface BinaryMetrics {
  accuracy: number;
  precision: number;
  recall: number;
  f1_score: number;
  roc_auc: number;
  log_loss: number;
}

export const BINARY_METRIC_NAMES = ['accuracy', 'precision', 'recall', 'f1_score', 'roc_auc', 'log_loss'] as const;

/** Probabilities are clipped this far from 0 and 1 in the log loss, as scikit-learn does for float64. */
const LOG_LOSS_EPSILON = 1e-15;

/**
 * Metrics of predicted probabilities `p` against labels `y` (0 or 1); the predicted label is
 * `p > threshold`, as the exported model's Greater node decides. Precision, recall and F1 are those
 * of the positive class, 0 when undefined (no predicted or no actual positives).
 */
export function binaryMetrics(y: ArrayLike<number>, p: ArrayLike<number>, threshold = 0.5): BinaryMetrics {
  const n = y.length;
  if (p.length !== n) throw new RangeError(`${n} labels but ${p.length} predictions`);
  if (n === 0) throw new RangeError('no predictions to score');
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < n; i++) {
    const predicted = p[i] > threshold;
    if (y[i] === 1) predicted ? tp++ : fn++;
    else predicted ? fp++ : tn++;
  }
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  return {
    accuracy: (tp + tn) / n,
    precision,
    recall,
    f1_score: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
    roc_auc: rocAuc(y, p),
    log_loss: logLoss(y, p),
  };
}

/** Mean negative log-likelihood of the labels. */
export function logLoss(y: ArrayLike<number>, p: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < y.length; i++) {
    const q = Math.min(Math.max(p[i], LOG_LOSS_EPSILON), 1 - LOG_LOSS_EPSILON);
    sum -= y[i] === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return sum / y.length;
}

/**
 * Area under the ROC curve by the trapezoidal rule over the curve's points: scores sorted from high
 * to low, one point per distinct score (tied scores move along a diagonal). NaN when only one class
 * is present.
 */
export function rocAuc(y: ArrayLike<number>, p: ArrayLike<number>): number {
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[b] - p[a] || a - b);
  let positives = 0;
  for (let i = 0; i < n; i++) positives += y[i] === 1 ? 1 : 0;
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  let area = 0;
  let tp = 0;
  let fp = 0;
  let i = 0;
  while (i < n) {
    const score = p[order[i]];
    const tp0 = tp;
    const fp0 = fp;
    while (i < n && p[order[i]] === score) {
      if (y[order[i]] === 1) tp++;
      else fp++;
      i++;
    }
    area += ((fp - fp0) * (tp + tp0)) / 2;
  }
  return area / (positives * negatives);
}
