// `mlops check` as the CI gate: files, ONNX models and runs are checked, a failed gate is an error.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
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
