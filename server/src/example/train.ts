/**
 * Trains the bundled churn example (examples/churn): two logistic-regression versions on different
 * feature sets, each logged as a JSONL run and exported to ONNX, and the training split written as
 * the monitoring reference. Everything but the run logs' times is deterministic: the same data gives
 * byte-identical models and reference.
 *
 *   data/telco-churn.csv  →  data/reference.csv, runs/churn-v1.jsonl, runs/churn-v2.jsonl,
 *                            models/churn-v1.onnx, models/churn-v2.onnx
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { encodeOnnxModel, logisticRegressionModel, LOGREG_INPUT, LOGREG_LABEL, LOGREG_PROBABILITY } from '../onnx/export';
import { CHURN_DATA_FILE, CHURN_FEATURES, DEFAULT_SPLIT, featureColumns, loadChurnDataset, type ChurnDataset, type ChurnRows } from './churn-data';
import { formatCsv } from './csv';
import { objective, predictProbability, trainLogistic, type LogisticModel } from './logistic';
import { binaryMetrics, type BinaryMetrics } from './metrics';
import { withRunLog } from './run-log';

export const CHURN_REFERENCE_FILE = 'data/reference.csv';
export const CHURN_EXPERIMENT = 'churn';
export const CHURN_MODEL_NAME = 'churn';
/** Probability above which a customer is predicted to churn. */
export const CHURN_THRESHOLD = 0.5;
/** Test metrics are logged every this many epochs (and after the last one). */
export const EVAL_EVERY = 10;

/** One model version: which features it reads and how it is trained. */
export interface ChurnVersionSpec {
  version: string;
  runId: string;
  description: string;
  features: readonly string[];
  l2: number;
  learningRate: number;
  epochs: number;
}

export const CHURN_VERSIONS: readonly ChurnVersionSpec[] = [
  {
    version: '1',
    runId: 'churn-v1',
    description: 'logistic regression on tenure and charges',
    features: ['tenure', 'MonthlyCharges', 'TotalCharges'],
    l2: 0.001,
    learningRate: 1,
    epochs: 500,
  },
  {
    version: '2',
    runId: 'churn-v2',
    description: 'logistic regression on every encoded feature',
    features: CHURN_FEATURES,
    l2: 0.001,
    learningRate: 1,
    epochs: 500,
  },
];

export const modelFile = (spec: ChurnVersionSpec): string => `models/${spec.runId}.onnx`;
export const runFile = (spec: ChurnVersionSpec): string => `runs/${spec.runId}.jsonl`;

export interface TrainedVersion {
  spec: ChurnVersionSpec;
  model: LogisticModel;
  /** Metrics on the test split. */
  metrics: BinaryMetrics;
  /** As logged in the run (strings, as MLflow keeps them). */
  params: Record<string, string>;
  /** The model's probabilities for the test split's rows, in float64. */
  testProbability: Float64Array;
  /** Paths relative to the example's folder, with `/`. */
  modelPath: string;
  runPath: string;
  seconds: number;
}

export interface ChurnTrainResult {
  folder: string;
  dataset: ChurnDataset;
  referencePath: string;
  versions: TrainedVersion[];
  seconds: number;
}

export interface TrainOptions {
  /** Milliseconds since the epoch, for the run logs' times. Default Date.now. */
  clock?: () => number;
}

/** Trains every version of the example in `folder` (which holds data/telco-churn.csv) and writes its outputs. */
export function trainChurnExample(folder: string, options: TrainOptions = {}): ChurnTrainResult {
  const started = performance.now();
  const dataPath = join(folder, CHURN_DATA_FILE);
  if (!existsSync(dataPath)) throw new Error(`${dataPath} does not exist`);
  const dataset = loadChurnDataset(dataPath, DEFAULT_SPLIT);
  writeAtomically(join(folder, CHURN_REFERENCE_FILE), referenceCsv(dataset.train));
  const versions = CHURN_VERSIONS.map((spec) => trainVersion(folder, dataset, spec, options.clock ?? Date.now));
  return { folder, dataset, referencePath: CHURN_REFERENCE_FILE, versions, seconds: (performance.now() - started) / 1000 };
}

/** The monitoring reference: the training split's encoded features, one column per model input column. */
export function referenceCsv(rows: ChurnRows): string {
  const k = rows.x.cols;
  const table: number[][] = [];
  for (let i = 0; i < rows.x.rows; i++) table.push(Array.from(rows.x.data.subarray(i * k, (i + 1) * k)));
  return formatCsv([...CHURN_FEATURES], table);
}

function trainVersion(folder: string, dataset: ChurnDataset, spec: ChurnVersionSpec, clock: () => number): TrainedVersion {
  const started = performance.now();
  const { train, test } = dataset;
  const params: Record<string, string> = {
    model: 'logistic_regression',
    features: spec.features.join(','),
    n_features: String(spec.features.length),
    l2: String(spec.l2),
    // scikit-learn's C for the same objective: mean log loss + (l2/2)·‖w‖² = (C·Σ log loss + ½‖w‖²) / (C·n).
    C: String(Number((1 / (spec.l2 * train.x.rows)).toPrecision(6))),
    lr: String(spec.learningRate),
    epochs: String(spec.epochs),
    optimizer: 'full_batch_gradient_descent',
    scaling: 'standardize_train_mean_std',
    threshold: String(CHURN_THRESHOLD),
    test_fraction: String(DEFAULT_SPLIT.testFraction),
    split_seed: String(DEFAULT_SPLIT.seed),
    train_rows: String(train.x.rows),
    test_rows: String(test.x.rows),
  };
  const tags = {
    model: CHURN_MODEL_NAME,
    model_version: spec.version,
    description: spec.description,
    onnx: modelFile(spec),
    data: CHURN_DATA_FILE,
    data_sha256: dataset.sha256,
  };
  const runPath = runFile(spec);
  const { model, metrics, testProbability } = withRunLog(
    join(folder, runPath),
    { runId: spec.runId, experiment: CHURN_EXPERIMENT, name: spec.runId, params, tags },
    (log) => {
      const model = trainLogistic(train.x, train.y, {
        columns: featureColumns(spec.features),
        l2: spec.l2,
        learningRate: spec.learningRate,
        epochs: spec.epochs,
        onEpoch: (epoch, current, lossBefore) => {
          log.metrics({ train_loss: lossBefore }, epoch - 1);
          if (epoch % EVAL_EVERY === 0 && epoch < spec.epochs) {
            const m = binaryMetrics(test.y, predictProbability(current, test.x), CHURN_THRESHOLD);
            log.metrics({ log_loss: m.log_loss, accuracy: m.accuracy, roc_auc: m.roc_auc }, epoch);
          }
        },
      });
      const testProbability = predictProbability(model, test.x);
      const metrics = binaryMetrics(test.y, testProbability, CHURN_THRESHOLD);
      log.metrics({ train_loss: objective(model, train.x, train.y, spec.l2), ...metrics }, spec.epochs);
      return { model, metrics, testProbability };
    },
    clock,
  );
  const modelPath = modelFile(spec);
  writeAtomically(join(folder, modelPath), churnOnnx(spec, model, dataset.sha256));
  return { spec, model, metrics, params, testProbability, modelPath, runPath, seconds: (performance.now() - started) / 1000 };
}

/** The ONNX file of one version: it takes the whole encoded feature vector and gathers its own columns. */
export function churnOnnx(spec: ChurnVersionSpec, model: LogisticModel, dataSha256: string): Uint8Array {
  const k = CHURN_FEATURES.length;
  return encodeOnnxModel(
    logisticRegressionModel({
      inputWidth: k,
      columns: model.columns,
      mean: [...model.mean],
      std: [...model.std],
      weights: [...model.weights],
      bias: model.bias,
      threshold: CHURN_THRESHOLD,
      name: `churn_v${spec.version}`,
      modelVersion: Number(spec.version),
      docString: `Telco customer churn, version ${spec.version}: ${spec.description}.`,
      metadata: {
        model: CHURN_MODEL_NAME,
        version: spec.version,
        run_id: spec.runId,
        input: `${LOGREG_INPUT}: float32 [N, ${k}], the encoded features in the order of feature_names: numbers as they are, Yes/No as 1/0, categories one-hot (examples/churn/README.md)`,
        outputs: `${LOGREG_PROBABILITY}: float32 [N, 1], the probability of churn; ${LOGREG_LABEL}: int64 [N, 1], 1 when ${LOGREG_PROBABILITY} > ${CHURN_THRESHOLD}`,
        feature_names: JSON.stringify(CHURN_FEATURES),
        used_features: JSON.stringify(spec.features),
        training: `logistic regression, l2 ${spec.l2}, full-batch gradient descent, lr ${spec.learningRate}, ${spec.epochs} epochs, features standardized with the training split's mean and std`,
        training_data: CHURN_DATA_FILE,
        training_data_sha256: dataSha256,
      },
    }),
  );
}

/** Writes through a temporary file and a rename, so a watcher or a loading server never sees half a file. */
function writeAtomically(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
