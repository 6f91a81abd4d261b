import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type * as OrtTypes from 'onnxruntime-node';
import { trainCommand, type TrainJson } from '../../server/src/cli/commands/train';
import { UsageError } from '../../server/src/cli/usage';
import { CHURN_FEATURES, encodeChurnCsv } from '../../server/src/example/churn-data';
import { parseCsv } from '../../server/src/example/csv';
import { CHURN_VERSIONS, trainChurnExample, type ChurnTrainResult, type TrainedVersion } from '../../server/src/example/train';
import { readJsonlRun } from '../../server/src/tracking/jsonl';
import { latestMetrics, type RunRecord } from '../../server/src/tracking/model';
import { REPO, tempDir } from '../helpers/paths';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ort = require('onnxruntime-node') as typeof OrtTypes;
ort.env.logLevel = 'error';

const EXAMPLE = join(REPO, 'examples', 'churn');
const OUTPUTS = ['data/reference.csv', 'models/churn-v1.onnx', 'models/churn-v2.onnx'];

/** A folder holding only the example's data, as a fresh clone would before training. */
function dataOnly(): string {
  const dir = tempDir('train');
  mkdirSync(join(dir, 'data'));
  copyFileSync(join(EXAMPLE, 'data', 'telco-churn.csv'), join(dir, 'data', 'telco-churn.csv'));
  return dir;
}

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, sink: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s) } };
}

let dir: string;
let trained: ChurnTrainResult;
const runs = new Map<string, RunRecord>();
const onnxProbability = new Map<string, Float32Array>();
const onnxLabel = new Map<string, BigInt64Array>();
const sessions = new Map<string, OrtTypes.InferenceSession>();

before(async () => {
  dir = dataOnly();
  trained = trainChurnExample(dir);
  const { test: rows } = trained.dataset;
  for (const v of trained.versions) {
    const read = readJsonlRun(join(dir, v.runPath));
    assert.deepEqual(read.issues, []);
    assert.ok(read.run);
    runs.set(v.spec.runId, read.run);
    const session = await ort.InferenceSession.create(join(dir, v.modelPath), { logSeverityLevel: 3 });
    sessions.set(v.spec.runId, session);
    const feeds = { features: new ort.Tensor('float32', Float32Array.from(rows.x.data), [rows.x.rows, rows.x.cols]) };
    const out = await session.run(feeds);
    onnxProbability.set(v.spec.runId, out.probability.data as Float32Array);
    onnxLabel.set(v.spec.runId, out.label.data as BigInt64Array);
  }
});

const version = (runId: string): TrainedVersion => trained.versions.find((v) => v.spec.runId === runId)!;

// ---- independent scoring: ranks for the AUC, plain counts for the rest ---------------------------

/** AUC as the Mann–Whitney statistic: the positives' rank sum, ties sharing their average rank. */
function rankSumAuc(y: ArrayLike<number>, p: ArrayLike<number>): number {
  const order = Array.from({ length: y.length }, (_, i) => i).sort((a, b) => p[a] - p[b]);
  const ranks = new Float64Array(y.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && p[order[end + 1]] === p[order[start]]) end++;
    for (let i = start; i <= end; i++) ranks[order[i]] = (start + end) / 2 + 1;
    start = end + 1;
  }
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] === 1) {
      positives++;
      rankSum += ranks[i];
    }
  }
  const negatives = y.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

function scores(y: ArrayLike<number>, predicted: (i: number) => boolean, p: ArrayLike<number>) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let correct = 0;
  let nll = 0;
  for (let i = 0; i < y.length; i++) {
    const hit = predicted(i);
    if (hit && y[i] === 1) tp++;
    if (hit && y[i] === 0) fp++;
    if (!hit && y[i] === 1) fn++;
    if (hit === (y[i] === 1)) correct++;
    nll -= Math.log(y[i] === 1 ? p[i] : 1 - p[i]);
  }
  const precision = tp / (tp + fp);
  const recall = tp / (tp + fn);
  return { accuracy: correct / y.length, precision, recall, f1_score: (2 * tp) / (2 * tp + fp + fn), roc_auc: rankSumAuc(y, p), log_loss: nll / y.length };
}

function logged(runId: string): Record<string, number> {
  return Object.fromEntries([...latestMetrics(runs.get(runId)!.metrics)].map(([k, point]) => [k, point.value]));
}

// ---- tests ---------------------------------------------------------------------------------------

test('training is deterministic: models and reference byte-identical, run logs equal but for their times', () => {
  const again = dataOnly();
  const { out, sink } = capture();
  assert.equal(trainCommand([again, '--json'], sink), 0);
  const json = JSON.parse(out.stdout) as TrainJson;
  assert.deepEqual(
    json.versions.map((v) => [v.run_id, v.model, v.run_log]),
    [
      ['churn-v1', 'models/churn-v1.onnx', 'runs/churn-v1.jsonl'],
      ['churn-v2', 'models/churn-v2.onnx', 'runs/churn-v2.jsonl'],
    ],
  );
  for (const file of OUTPUTS) assert.ok(readFileSync(join(dir, file)).equals(readFileSync(join(again, file))), `${file} differs between two trainings`);
  const timeless = (path: string) => readFileSync(path, 'utf8').replace(/"time":\d+/g, '"time":0');
  for (const v of trained.versions) assert.equal(timeless(join(again, v.runPath)), timeless(join(dir, v.runPath)), v.runPath);
  // The same numbers as the first training, as JSON.
  assert.deepEqual(json.versions.map((v) => v.metrics), trained.versions.map((v) => ({ ...v.metrics })));
});

test('the outputs committed in examples/churn are what training makes now', () => {
  for (const file of OUTPUTS) {
    assert.ok(readFileSync(join(dir, file)).equals(readFileSync(join(EXAMPLE, file))), `examples/churn/${file} is stale: run "mlops train examples/churn"`);
  }
  for (const v of trained.versions) {
    const committed = readJsonlRun(join(EXAMPLE, v.runPath));
    assert.deepEqual(committed.issues, []);
    assert.equal(committed.run?.status, 'FINISHED');
    assert.deepEqual(committed.run?.params, runs.get(v.spec.runId)?.params, `examples/churn/${v.runPath} is stale`);
    const values = (run: RunRecord) => [...latestMetrics(run.metrics)].map(([key, point]) => [key, point.step, point.value]);
    assert.deepEqual(values(committed.run!), values(runs.get(v.spec.runId)!), `examples/churn/${v.runPath} is stale`);
  }
});

test('the data is encoded and split as documented', () => {
  const { all, train, test: held } = trained.dataset;
  assert.equal(all.x.rows, 7043);
  assert.equal(all.x.cols, 26);
  assert.equal([...all.y].filter((v) => v === 1).length, 1869);
  assert.deepEqual([train.x.rows, held.x.rows], [4930, 2113]);
  assert.deepEqual([[...train.y].filter((v) => v === 1).length, [...held.y].filter((v) => v === 1).length], [1308, 561]);
  assert.equal(new Set([...train.ids, ...held.ids]).size, 7043, 'train and test are disjoint and cover the data');

  // Straight from the file, with a naive split (the file has no quoted fields): TotalCharges blanks are
  // the tenure-0 customers, encoded 0; one-hot groups sum to one.
  const lines = readFileSync(join(EXAMPLE, 'data', 'telco-churn.csv'), 'utf8').trim().split(/\r?\n/);
  const header = lines[0].split(',');
  const blank = lines.slice(1).map((l) => l.split(',')).filter((f) => f[header.indexOf('TotalCharges')].trim() === '');
  assert.equal(blank.length, 11);
  const k = all.x.cols;
  const totalAt = CHURN_FEATURES.indexOf('TotalCharges');
  const tenureAt = CHURN_FEATURES.indexOf('tenure');
  for (const f of blank) {
    const i = all.ids.indexOf(f[0]);
    assert.equal(all.x.data[i * k + totalAt], 0);
    assert.equal(all.x.data[i * k + tenureAt], 0);
  }
  for (const group of ['Contract_', 'InternetService_', 'PaymentMethod_']) {
    const columns = CHURN_FEATURES.flatMap((name, j) => (name.startsWith(group) ? [j] : []));
    for (let i = 0; i < all.x.rows; i++) assert.equal(columns.reduce((s, j) => s + all.x.data[i * k + j], 0), 1, `${group} of row ${i}`);
  }
  const row = lines[1].split(','); // 7590-VHVEG, Female, 0, Yes, No, 1, No, No phone service, DSL, …, Electronic check, 29.85, 29.85
  const encoded = Object.fromEntries(CHURN_FEATURES.map((name, j) => [name, all.x.data[j]]));
  assert.equal(row[0], '7590-VHVEG');
  assert.deepEqual(
    [encoded.tenure, encoded.MonthlyCharges, encoded.TotalCharges, encoded.gender_Male, encoded.Partner, encoded.PhoneService, encoded.MultipleLines, encoded.InternetService_DSL, encoded.PaymentMethod_Electronic_check, encoded.Contract_Month_to_month],
    [1, 29.85, 29.85, 0, 1, 0, 0, 1, 1, 1],
  );
});

test('data/reference.csv is the training split, one column per model input, in the documented order', () => {
  const lines = readFileSync(join(dir, 'data', 'reference.csv'), 'utf8').trimEnd().split('\n');
  assert.deepEqual(lines[0].split(','), [...CHURN_FEATURES]);
  assert.equal(lines.length - 1, trained.dataset.train.x.rows);
  const { train } = trained.dataset;
  for (const i of [0, 1, 2500, train.x.rows - 1]) {
    assert.deepEqual(lines[i + 1].split(',').map(Number), Array.from(train.x.data.subarray(i * 26, (i + 1) * 26)), `row ${i}`);
  }
  // The models carry the same order in their metadata.
  for (const v of trained.versions) {
    const bytes = readFileSync(join(dir, v.modelPath));
    assert.ok(bytes.includes(JSON.stringify(CHURN_FEATURES)), `${v.modelPath} names its features`);
    assert.ok(bytes.includes('mlops-workbench'));
  }
});

test('the metrics are in sane ranges, and version 2 is better than version 1', () => {
  const [v1, v2] = [version('churn-v1').metrics, version('churn-v2').metrics];
  for (const m of [v1, v2]) {
    // "No churn" for everyone scores 0.7345 accuracy and 0.579 log loss on this split.
    assert.ok(m.accuracy > 0.76 && m.accuracy < 0.9, `accuracy ${m.accuracy}`);
    assert.ok(m.roc_auc > 0.75 && m.roc_auc < 0.95, `roc_auc ${m.roc_auc}`);
    assert.ok(m.log_loss > 0.3 && m.log_loss < 0.55, `log_loss ${m.log_loss}`);
    assert.ok(m.precision > 0.5 && m.recall > 0.3 && m.f1_score > 0.45, JSON.stringify(m));
  }
  assert.ok(v2.roc_auc > v1.roc_auc + 0.02, `roc_auc v2 ${v2.roc_auc} vs v1 ${v1.roc_auc}`);
  assert.ok(v2.accuracy > v1.accuracy, `accuracy v2 ${v2.accuracy} vs v1 ${v1.accuracy}`);
  assert.ok(v2.f1_score > v1.f1_score && v2.log_loss < v1.log_loss);
});

test('the ONNX models take the same [N, 26] input and answer as the TypeScript models do', () => {
  const y = trained.dataset.test.y;
  for (const v of trained.versions) {
    const session = sessions.get(v.spec.runId)!;
    assert.deepEqual(
      session.inputMetadata.map((m) => (m.isTensor ? [m.name, m.type, [...m.shape]] : [m.name])),
      [['features', 'float32', ['N', 26]]],
    );
    assert.deepEqual(
      session.outputMetadata.map((m) => (m.isTensor ? [m.name, m.type, [...m.shape]] : [m.name])),
      [
        ['probability', 'float32', ['N', 1]],
        ['label', 'int64', ['N', 1]],
      ],
    );
    const p = onnxProbability.get(v.spec.runId)!;
    const labels = onnxLabel.get(v.spec.runId)!;
    assert.equal(p.length, y.length);
    for (let i = 0; i < p.length; i++) {
      const want = v.testProbability[i];
      assert.ok(Math.abs(p[i] - want) <= 1e-5 * want, `${v.spec.runId} row ${i}: ONNX ${p[i]}, TypeScript ${want}`);
      if (Math.abs(want - 0.5) > 1e-5) assert.equal(labels[i], want > 0.5 ? 1n : 0n, `${v.spec.runId} label of row ${i}`);
    }
  }
});

test('version 1 reads only its three columns: the others do not move its answer', async () => {
  assert.deepEqual(CHURN_VERSIONS[0].features, ['tenure', 'MonthlyCharges', 'TotalCharges']);
  const session = sessions.get('churn-v1')!;
  const base = Float32Array.from(trained.dataset.test.x.data.subarray(0, 26));
  const noisy = base.map((v, j) => (j < 3 ? v : v + 1000 * (j + 1)));
  const out = await session.run({ features: new ort.Tensor('float32', Float32Array.from([...base, ...noisy]), [2, 26]) });
  const p = out.probability.data as Float32Array;
  assert.equal(p[0], p[1]);
});

test('the logged metrics agree with an independent scoring of the saved predictions', () => {
  const y = trained.dataset.test.y;
  for (const v of trained.versions) {
    const metrics = logged(v.spec.runId);
    // The float64 predictions kept by training: the same numbers by other formulas.
    const exact = scores(y, (i) => v.testProbability[i] > 0.5, v.testProbability);
    for (const [key, value] of Object.entries(exact)) assert.ok(Math.abs(metrics[key] - value) < 1e-12, `${v.spec.runId} ${key}: logged ${metrics[key]}, recomputed ${value}`);
    // What the served ONNX model answers: float32, so equal to a little less.
    const p = onnxProbability.get(v.spec.runId)!;
    const labels = onnxLabel.get(v.spec.runId)!;
    const served = scores(y, (i) => labels[i] === 1n, p);
    assert.ok(Math.abs(metrics.roc_auc - served.roc_auc) < 1e-4, `${v.spec.runId} roc_auc ${metrics.roc_auc} vs served ${served.roc_auc}`);
    assert.ok(Math.abs(metrics.accuracy - served.accuracy) <= 1 / y.length, `${v.spec.runId} accuracy ${metrics.accuracy} vs served ${served.accuracy}`);
    assert.ok(Math.abs(metrics.log_loss - served.log_loss) < 1e-5, `${v.spec.runId} log_loss`);
  }
});

test('the run logs read back with the expected ids, params, history and final metrics', () => {
  for (const v of trained.versions) {
    const run = runs.get(v.spec.runId)!;
    assert.equal(run.runId, v.spec.runId);
    assert.equal(run.name, v.spec.runId);
    assert.equal(run.experimentId, 'churn');
    assert.equal(run.status, 'FINISHED');
    assert.ok(run.startTime !== null && run.endTime !== null && run.endTime >= run.startTime && run.startTime > 1.6e12, 'real times');
    assert.equal(run.params.features, v.spec.features.join(','));
    assert.equal(run.params.n_features, String(v.spec.features.length));
    assert.equal(run.params.l2, '0.001');
    assert.equal(run.params.lr, '1');
    assert.equal(run.params.epochs, '500');
    assert.equal(run.params.C, String(Number((1 / (0.001 * 4930)).toPrecision(6))));
    assert.equal(run.tags.onnx, v.modelPath);
    assert.equal(run.tags.data_sha256, trained.dataset.sha256);
    const metrics = logged(v.spec.runId);
    for (const key of ['accuracy', 'precision', 'recall', 'f1_score', 'roc_auc', 'log_loss'] as const) assert.equal(metrics[key], v.metrics[key], key);
    const finals = latestMetrics(run.metrics);
    assert.equal(finals.get('accuracy')?.step, 500);
    // train_loss at every step 0..500, decreasing; test metrics every 10 epochs.
    const loss = run.metrics.filter((m) => m.key === 'train_loss');
    assert.deepEqual(
      loss.map((m) => m.step),
      Array.from({ length: 501 }, (_, i) => i),
    );
    assert.ok(Math.abs(loss[0].value - Math.log(2)) < 1e-12, 'all-zero weights start at log 2');
    for (let i = 1; i < loss.length; i++) assert.ok(loss[i].value <= loss[i - 1].value, `train_loss rose at step ${i}`);
    assert.deepEqual(
      run.metrics.filter((m) => m.key === 'roc_auc').map((m) => m.step),
      Array.from({ length: 50 }, (_, i) => (i + 1) * 10),
    );
  }
});

test('gradient descent reached the optimum: standardization from the reference, gradient near zero', () => {
  // Column statistics recomputed from data/reference.csv (the training split as written).
  const rows = readFileSync(join(dir, 'data', 'reference.csv'), 'utf8').trimEnd().split('\n').slice(1).map((l) => l.split(',').map(Number));
  const y = trained.dataset.train.y;
  for (const v of trained.versions) {
    const { model } = v;
    const n = rows.length;
    const means = model.columns.map((c) => rows.reduce((s, row) => s + row[c], 0) / n);
    const stds = model.columns.map((c, j) => Math.sqrt(rows.reduce((s, row) => s + (row[c] - means[j]) ** 2, 0) / n));
    model.columns.forEach((_, j) => {
      assert.ok(Math.abs(model.mean[j] - means[j]) <= 1e-9 * Math.max(1, Math.abs(means[j])), `mean ${j}`);
      assert.ok(Math.abs(model.std[j] - stds[j]) <= 1e-9 * stds[j], `std ${j}`);
    });
    // ∇ of mean log loss + (λ/2)‖w‖². The objective is λ-strongly convex, so its gap to the optimum
    // is at most ‖∇‖² / (2λ): below 1e-3 here.
    const m = model.columns.length;
    const gradient = new Float64Array(m + 1);
    rows.forEach((row, i) => {
      const z = model.columns.map((c, j) => (row[c] - means[j]) / stds[j]);
      const logit = model.bias + z.reduce((s, zj, j) => s + zj * model.weights[j], 0);
      const r = 1 / (1 + Math.exp(-logit)) - y[i];
      z.forEach((zj, j) => (gradient[j] += (zj * r) / n));
      gradient[m] += r / n;
    });
    for (let j = 0; j < m; j++) gradient[j] += 0.001 * model.weights[j];
    const norm = Math.hypot(...gradient);
    assert.ok(norm ** 2 / (2 * 0.001) < 1e-3, `${v.spec.runId}: gradient norm ${norm}`);
  }
});

test('mlops train: the summary table, --help, and usage errors', () => {
  const again = dataOnly();
  const { out, sink } = capture();
  assert.equal(trainCommand([again], sink), 0);
  assert.match(out.stdout, /7043 customers \(4930 train, 2113 test\), 26 encoded features/);
  assert.match(out.stdout, /^version\s+run\s+features\s+accuracy\s+precision\s+recall\s+f1_score\s+roc_auc\s+log_loss$/m);
  const v2 = version('churn-v2').metrics;
  assert.match(out.stdout, new RegExp(`^2\\s+churn-v2\\s+26\\s+${v2.accuracy.toFixed(4)}\\s+`, 'm'));
  const help = capture();
  assert.equal(trainCommand(['--help'], help.sink), 0);
  assert.match(help.out.stdout, /^Usage: mlops train \[folder\] \[--json\]/);
  const empty = tempDir('train-empty');
  assert.throws(() => trainCommand([empty], capture().sink), (e: unknown) => e instanceof UsageError && /has no data\/telco-churn\.csv/.test(e.message));
  assert.throws(() => trainCommand([join(empty, 'nope')], capture().sink), (e: unknown) => e instanceof UsageError && /is not a folder/.test(e.message));
  assert.throws(() => trainCommand([empty, empty], capture().sink), UsageError);
});

test('a data file with a bad value fails with its record and column, and writes nothing', () => {
  const bad = dataOnly();
  const path = join(bad, 'data', 'telco-churn.csv');
  const lines = readFileSync(path, 'utf8').split('\r\n');
  lines[5] = lines[5].replace('Month-to-month', 'Monthly');
  writeFileSync(path, lines.join('\r\n'));
  assert.throws(() => trainChurnExample(bad), /record 6: Contract must be one of "Month-to-month", "One year", "Two year", not "Monthly"/);
  for (const file of [...OUTPUTS, 'runs']) assert.ok(!existsSync(join(bad, file)), `${file} was written`);
});

test('CSV: quoted fields hold commas, quotes and line breaks; CRLF and LF both end records', () => {
  assert.deepEqual(parseCsv('a,b,c\r\n1,"x, y","say ""hi"""\n2,"two\r\nlines",\n'), [
    ['a', 'b', 'c'],
    ['1', 'x, y', 'say "hi"'],
    ['2', 'two\r\nlines', ''],
  ]);
  assert.deepEqual(parseCsv('\uFEFFa,b\n1,2'), [
    ['a', 'b'],
    ['1', '2'],
  ]);
  assert.throws(() => parseCsv('a\n"open'), /not closed/);
  assert.throws(() => parseCsv('"a"b\n'), /closing quote/);
  // The encoder reads quoted values like plain ones.
  const text = readFileSync(join(EXAMPLE, 'data', 'telco-churn.csv'), 'utf8').split('\r\n').slice(0, 3);
  const quoted = [text[0], ...text.slice(1).map((l) => l.split(',').map((f) => `"${f}"`).join(','))].join('\n');
  assert.deepEqual(encodeChurnCsv(quoted).x.data, encodeChurnCsv(text.join('\n')).x.data);
  assert.equal(parseCsv(text.join('\n'))[1].length, 21);
});
