// `mlops check` as the CI gate: files, ONNX models and runs are checked, a failed gate is an error.
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { countBySeverity } from '../../server/src/check/check';
import { checkPathWithContext } from '../../server/src/check/context';
import { toJsonFindings, type JsonFinding } from '../../server/src/check/format';
import { SHARED_FIXTURES, tempDir } from '../helpers/paths';

const RELU = join(SHARED_FIXTURES, 'onnx', 'onnx-backend-tests', 'simple', 'test_single_relu_model', 'model.onnx');

function workspace(accuracyOfV2: number): string {
  const dir = tempDir('gate');
  mkdirSync(join(dir, 'models'));
  mkdirSync(join(dir, 'runs'));
  copyFileSync(RELU, join(dir, 'models', 'v1.onnx'));
  copyFileSync(RELU, join(dir, 'models', 'v2.onnx'));
  const run = (id: string, accuracy: number) =>
    writeFileSync(join(dir, 'runs', `${id}.jsonl`), [
      JSON.stringify({ type: 'run_start', run_id: id, experiment: 'churn', time: 1732700000000 }),
      JSON.stringify({ type: 'metric', metrics: { accuracy, f1_score: 0.7 }, step: 1, time: 1732700001000 }),
      JSON.stringify({ type: 'run_end', status: 'FINISHED', time: 1732700002000 }),
      '',
    ].join('\n'));
  run('train-v1', 0.9);
  run('train-v2', accuracyOfV2);
  writeFileSync(
    join(dir, 'mlops.yaml'),
    [
      'version: 1',
      'tracking: [runs/]',
      'models:',
      '  churn:',
      '    versions:',
      '      "1": { path: models/v1.onnx, run: train-v1 }',
      '      "2": { path: models/v2.onnx, run: train-v2 }',
      '    aliases: { production: "1" }',
      '    gates: { accuracy: { min: 0.85 }, p95_latency_ms: { max: 50 } }',
      'serving:',
      '  endpoints:',
      '    churn: { model: churn, traffic: { "1": 90, "2": 10 } }',
      '',
    ].join('\n'),
  );
  return dir;
}

/** What `mlops check <dir> --format json` prints, and its exit code. */
async function check(dir: string): Promise<{ code: number; rows: JsonFinding[]; stderr: string }> {
  let stderr = '';
  const report = await checkPathWithContext(dir, (note) => (stderr += `${note}\n`));
  return { code: countBySeverity(report.files).errors > 0 ? 1 : 0, rows: toJsonFindings(report.files, dir), stderr };
}

test('a version whose run misses a gate fails the check with the value, at the run id', async () => {
  const { code, rows, stderr } = await check(workspace(0.8));
  assert.equal(code, 1, stderr);
  assert.deepEqual(
    rows.map((r) => [r.code, r.severity, r.line, r.column, r.endLine, r.endColumn]),
    [['gate-failed', 'error', 7, 41, 7, 49]],
  );
  assert.match(rows[0].message, /`accuracy` is 0\.8 .*needs ≥ 0\.85/);
  assert.deepEqual(Object.keys(rows[0]).sort(), ['code', 'column', 'endColumn', 'endLine', 'file', 'line', 'message', 'severity']);
});

test('when every gate holds the check passes', async () => {
  const { code, rows, stderr } = await check(workspace(0.91));
  assert.equal(code, 0, stderr);
  assert.deepEqual(rows, []);
});

test('the bundled example passes the gate: its models load, its runs meet every gate, its reference fits', async () => {
  const { code, rows, stderr } = await check(tempDir('gate-example', 'examples/churn'));
  assert.equal(code, 0, stderr);
  assert.deepEqual(rows.map((r) => `${r.severity} ${r.code} ${r.line}:${r.column} ${r.message}`), []);
});

test('gates read runs of every source: an Optuna trial, a TensorBoard run and a W&B run as versions', async () => {
  const dir = tempDir('gate-sources');
  mkdirSync(join(dir, 'models'));
  for (const v of ['1', '2', '3']) copyFileSync(RELU, join(dir, 'models', `v${v}.onnx`));
  copyFileSync(join(SHARED_FIXTURES, 'optuna', 'pfnet-research_optuna-book', 'optuna-prepared.db'), join(dir, 'study.db'));
  cpSync(join(SHARED_FIXTURES, 'tensorboard', 'Abdul-AA_Text-Generation-With-LSTM', 'lightning_logs'), join(dir, 'lightning_logs'), { recursive: true });
  cpSync(join(SHARED_FIXTURES, 'wandb', 'ADL-Group-10_lab0', 'wandb'), join(dir, 'wandb'), { recursive: true });
  const manifest = (valueMin: number) =>
    writeFileSync(
      join(dir, 'mlops.yaml'),
      [
        'version: 1',
        'tracking: [study.db, lightning_logs/, wandb/]',
        'models:',
        '  tuned:',
        '    versions:',
        '      "1": { path: models/v1.onnx, run: "optuna:ch2-conditional:18" }',
        `    gates: { value: { min: ${valueMin} } }`,
        '  lstm:',
        '    versions:',
        '      "1": { path: models/v2.onnx, run: "tensorboard:version_0" }',
        '    gates: { val_loss: { max: 0.3 } }',
        '  alexnet:',
        '    versions:',
        '      "1": { path: models/v3.onnx, run: "wandb:0w7qaruh" }',
        '    gates: { training_loss: { max: 10 } }',
        '',
      ].join('\n'),
    );
  manifest(0.85);
  const passing = await check(dir);
  assert.equal(passing.code, 0, `${passing.stderr}${JSON.stringify(passing.rows)}`);
  assert.deepEqual(passing.rows, []);
  // The best trial's value is 0.8598…: a higher bar fails at the trial's id.
  manifest(0.9);
  const failing = await check(dir);
  assert.equal(failing.code, 1);
  assert.deepEqual(failing.rows.map((r) => [r.code, r.line]), [['gate-failed', 6]]);
  assert.match(failing.rows[0].message, /`value` is 0\.8598\d* .*needs ≥ 0\.9/);
});
