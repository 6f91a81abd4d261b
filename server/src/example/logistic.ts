/**
 * Binary logistic regression with L2 regularization, trained by full-batch gradient descent on
 * features standardized with the training set's statistics. Plain float64 arithmetic in a fixed
 * order, so training the same data twice gives the same model bit for bit.
 */

/** A row-major matrix. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

export interface LogisticModel {
  /** Columns of the full feature vector the model reads, in the order of `weights`. */
  columns: number[];
  /** Training-set mean and standard deviation (population, ddof 0) of each used column. */
  mean: Float64Array;
  std: Float64Array;
  weights: Float64Array;
  bias: number;
}

export interface TrainSettings {
  columns: number[];
  /** Strength λ of the penalty (λ/2)·‖w‖² added to the mean log loss; the bias is not penalized. */
  l2: number;
  /** Step size of gradient descent. */
  learningRate: number;
  epochs: number;
  /**
   * Called after every epoch (1, 2, …) with the model it produced (updated in place by the next
   * epoch: copy what must be kept) and `lossBefore`, the training objective of the weights the
   * epoch started from (those after epoch − 1 epochs), which the epoch computes anyway.
   */
  onEpoch?: (epoch: number, model: LogisticModel, lossBefore: number) => void;
}

export function sigmoid(z: number): number {
  // Both branches stay finite: exp of a large positive number is never taken.
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Column means and standard deviations; a constant column gets a standard deviation of 1. */
export function standardization(x: Matrix, columns: number[]): { mean: Float64Array; std: Float64Array } {
  const m = columns.length;
  const mean = new Float64Array(m);
  const std = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const c = columns[j];
    let sum = 0;
    for (let i = 0; i < x.rows; i++) sum += x.data[i * x.cols + c];
    const mu = sum / x.rows;
    let squares = 0;
    for (let i = 0; i < x.rows; i++) {
      const d = x.data[i * x.cols + c] - mu;
      squares += d * d;
    }
    const sd = Math.sqrt(squares / x.rows);
    mean[j] = mu;
    std[j] = sd > 0 ? sd : 1;
  }
  return { mean, std };
}

function standardize(x: Matrix, columns: number[], mean: Float64Array, std: Float64Array): Float64Array {
  const m = columns.length;
  const out = new Float64Array(x.rows * m);
  for (let i = 0; i < x.rows; i++) {
    for (let j = 0; j < m; j++) out[i * m + j] = (x.data[i * x.cols + columns[j]] - mean[j]) / std[j];
  }
  return out;
}

/** Fits the model on `x` (all feature columns) and labels `y` (0 or 1). */
export function trainLogistic(x: Matrix, y: ArrayLike<number>, settings: TrainSettings): LogisticModel {
  const { columns, l2, learningRate, epochs } = settings;
  if (y.length !== x.rows) throw new RangeError(`${x.rows} rows but ${y.length} labels`);
  if (x.rows === 0) throw new RangeError('no training rows');
  const n = x.rows;
  const m = columns.length;
  const { mean, std } = standardization(x, columns);
  const z = standardize(x, columns, mean, std);
  const model: LogisticModel = { columns: [...columns], mean, std, weights: new Float64Array(m), bias: 0 };
  const residual = new Float64Array(n);
  const gradient = new Float64Array(m);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    let loss = 0;
    let gradientBias = 0;
    for (let i = 0; i < n; i++) {
      let logit = model.bias;
      for (let j = 0; j < m; j++) logit += z[i * m + j] * model.weights[j];
      const p = sigmoid(logit);
      residual[i] = p - y[i];
      gradientBias += residual[i];
      // log(1 + e^-|t|) + max(t, 0) - y·t: the log loss without overflow or log(0).
      loss += Math.log1p(Math.exp(-Math.abs(logit))) + Math.max(logit, 0) - y[i] * logit;
    }
    gradient.fill(0);
    for (let i = 0; i < n; i++) {
      const r = residual[i];
      for (let j = 0; j < m; j++) gradient[j] += z[i * m + j] * r;
    }
    let penalty = 0;
    for (let j = 0; j < m; j++) penalty += model.weights[j] * model.weights[j];
    const objective = loss / n + (l2 / 2) * penalty;
    for (let j = 0; j < m; j++) model.weights[j] -= learningRate * (gradient[j] / n + l2 * model.weights[j]);
    model.bias -= learningRate * (gradientBias / n);
    settings.onEpoch?.(epoch, model, objective);
  }
  return model;
}

/** The training objective: mean log loss over `x`, `y` plus (λ/2)·‖w‖². */
export function objective(model: LogisticModel, x: Matrix, y: ArrayLike<number>, l2: number): number {
  const m = model.columns.length;
  let loss = 0;
  for (let i = 0; i < x.rows; i++) {
    let logit = model.bias;
    for (let j = 0; j < m; j++) logit += ((x.data[i * x.cols + model.columns[j]] - model.mean[j]) / model.std[j]) * model.weights[j];
    loss += Math.log1p(Math.exp(-Math.abs(logit))) + Math.max(logit, 0) - y[i] * logit;
  }
  let penalty = 0;
  for (let j = 0; j < m; j++) penalty += model.weights[j] * model.weights[j];
  return loss / x.rows + (l2 / 2) * penalty;
}

/** Probability of the positive class for every row of `x` (all feature columns). */
export function predictProbability(model: LogisticModel, x: Matrix): Float64Array {
  const out = new Float64Array(x.rows);
  const m = model.columns.length;
  for (let i = 0; i < x.rows; i++) {
    let logit = model.bias;
    for (let j = 0; j < m; j++) logit += ((x.data[i * x.cols + model.columns[j]] - model.mean[j]) / model.std[j]) * model.weights[j];
    out[i] = sigmoid(logit);
  }
  return out;
}
