import { existsSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CHURN_DATA_FILE } from '../../example/churn-data';
import { BINARY_METRIC_NAMES } from '../../example/metrics';
import { trainChurnExample, type ChurnTrainResult } from '../../example/train';
import { EXIT_OK, UsageError, type Out } from '../usage';

export const TRAIN_HELP = `Usage: mlops train [folder] [--json]

Trains the bundled churn example (examples/churn, or any folder with ${CHURN_DATA_FILE}):
two logistic-regression versions on different feature sets, each logged as a JSONL run and
exported to ONNX, and the training split written as the monitoring reference:

  data/reference.csv                       the training split's encoded features
  runs/churn-v1.jsonl, runs/churn-v2.jsonl  params, per-epoch loss and test metrics
  models/churn-v1.onnx, models/churn-v2.onnx

Models and reference are deterministic (byte-identical on every run); the run logs carry the
real times. folder defaults to the current folder.

Options:
  --json   {folder, data, features, reference, versions: [{version, run_id, features, params,
           metrics, model, run_log}], seconds}

Exit codes: 0 success, 2 bad usage (no data file).
`;

/** `mlops train --json`. */
export interface TrainJson {
  folder: string;
  data: { path: string; rows: number; train_rows: number; test_rows: number; sha256: string };
  features: string[];
  reference: string;
  versions: {
    version: string;
    run_id: string;
    features: string[];
    params: Record<string, string>;
    metrics: Record<string, number>;
    model: string;
    run_log: string;
    seconds: number;
  }[];
  seconds: number;
}

export function trainCommand(args: string[], out: Out): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    out.stdout(TRAIN_HELP);
    return EXIT_OK;
  }
  if (positionals.length > 1) throw new UsageError('train takes at most one folder');
  const folder = positionals[0] ?? '.';
  const root = resolve(folder);
  if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${folder} is not a folder`);
  if (!existsSync(resolve(root, CHURN_DATA_FILE))) {
    throw new UsageError(`${folder} has no ${CHURN_DATA_FILE}: mlops train trains the churn example (examples/churn)`);
  }
  const result = trainChurnExample(root);
  out.stdout(values.json ? JSON.stringify(trainJson(result), null, 2) + '\n' : summary(result, folder));
  return EXIT_OK;
}

export function trainJson(result: ChurnTrainResult): TrainJson {
  const { dataset } = result;
  return {
    folder: result.folder,
    data: { path: CHURN_DATA_FILE, rows: dataset.all.x.rows, train_rows: dataset.train.x.rows, test_rows: dataset.test.x.rows, sha256: dataset.sha256 },
    features: [...dataset.features],
    reference: result.referencePath,
    versions: result.versions.map((v) => ({
      version: v.spec.version,
      run_id: v.spec.runId,
      features: [...v.spec.features],
      params: v.params,
      metrics: { ...v.metrics },
      model: v.modelPath,
      run_log: v.runPath,
      seconds: round(v.seconds, 3),
    })),
    seconds: round(result.seconds, 3),
  };
}

function summary(result: ChurnTrainResult, folder: string): string {
  const { dataset } = result;
  const header = ['version', 'run', 'features', ...BINARY_METRIC_NAMES];
  const rows = result.versions.map((v) => [v.spec.version, v.spec.runId, String(v.spec.features.length), ...BINARY_METRIC_NAMES.map((m) => v.metrics[m].toFixed(4))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  // Text columns to the left, numbers to the right.
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const shown = relative(process.cwd(), result.folder) || folder;
  const written = [result.referencePath, ...result.versions.flatMap((v) => [v.runPath, v.modelPath])];
  return [
    `Trained the churn example in ${shown} in ${result.seconds.toFixed(1)} s: ${dataset.all.x.rows} customers (${dataset.train.x.rows} train, ${dataset.test.x.rows} test), ${dataset.features.length} encoded features.`,
    `Metrics on the test split:`,
    '',
    line(header),
    ...rows.map(line),
    '',
    `Wrote ${written.join(', ')}.`,
    '',
  ].join('\n');
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
