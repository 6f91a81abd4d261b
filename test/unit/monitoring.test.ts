import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { monitoredDrift } from '../../server/src/drift/index';
import { readManifestModel } from '../../server/src/manifest/model';
import { parseManifest } from '../../server/src/manifest/parse';
import { lastRetrain, loadLive, modelHealth, performanceReport, recordRetrain, retrainDecision, rocAuc, windowMetrics, type LiveObservation } from '../../server/src/monitoring/index';
import { degradationMessage } from '../../server/src/monitoring/performance';
import { formatSpan, windowLabel } from '../../server/src/cli/commands/monitor';
import { PredictionLog } from '../../server/src/serving/prediction-log';
import { openStore } from '../../server/src/store/store';
import { seededRandom } from '../../server/src/util/random';
import { REPO } from '../helpers/paths';

const dir = mkdtempSync(join(tmpdir(), 'mlops-monitor-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const HOUR = 3_600_000;

function scipy(cases: object[]): Record<string, Record<string, number>> {
  const file = join(dir, 'auc-cases.json');
  writeFileSync(file, JSON.stringify(cases));
  const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import scipy']).status === 0);
  assert.ok(python, 'python3-scipy is needed');
  const r = spawnSync(python, [join(REPO, 'test', 'helpers', 'scipy_truth.py'), file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { results: Record<string, Record<string, number>> }).results;
}

test('ROC AUC matches the Mann–Whitney U from scipy, with ties', () => {
  const u = seededRandom(11);
  const cases: { id: string; fn: string; scores: number[]; labels: boolean[] }[] = [];
  for (const [n, round] of [
    [50, 1],
    [500, 2],
    [3000, 0],
  ]) {
    const labels = Array.from({ length: n }, () => u() < 0.3);
    // Rounded scores: many ties, the case AUC implementations get wrong.
    const scores = labels.map((l) => Number((u() + (l ? 0.25 : 0)).toFixed(round)));
    cases.push({ id: `auc-${n}`, fn: 'roc_auc', scores, labels });
  }
  const truth = scipy(cases);
  for (const c of cases) {
    const ours = rocAuc(c.scores, c.labels);
    assert.ok(Math.abs(ours - truth[c.id].auc) <= 1e-12, `${c.id}: ours ${ours}, scipy ${truth[c.id].auc}`);
  }
  assert.ok(Number.isNaN(rocAuc([0.1, 0.2], [true, true])), 'one class only: undefined');
  assert.equal(rocAuc([0.1, 0.9, 0.5, 0.5], [false, true, true, false]), 0.875);
});

test('window metrics: classification and regression by their definitions, latency percentiles, throughput', () => {
  const obs: LiveObservation[] = [
    { time: 0, latencyMs: 1, ok: true, predicted: '1', score: 0.9, label: '1' },
    { time: 1, latencyMs: 2, ok: true, predicted: '1', score: 0.6, label: '0' },
    { time: 2, latencyMs: 3, ok: true, predicted: '0', score: 0.4, label: '1' },
    { time: 3, latencyMs: 4, ok: true, predicted: '0', score: 0.1, label: '0' },
    { time: 4, latencyMs: 100, ok: false },
  ];
  const w = windowMetrics(obs, 'classification', 0, 10_000);
  assert.deepEqual(w.metrics, { accuracy: 0.5, precision: 0.5, recall: 0.5, f1: 0.5, roc_auc: 0.75 });
  assert.equal(w.with_feedback, 4);
  assert.equal(w.latency_ms.p50, 3);
  assert.ok(Math.abs(w.latency_ms.p95! - (4 + 0.8 * 96)) < 1e-12); // NumPy: 80.8
  assert.equal(w.throughput, 0.5);
  assert.equal(w.error_rate, 0.2);
  const reg = windowMetrics(
    [
      { time: 0, latencyMs: 1, ok: true, predicted: 2, value: 1 },
      { time: 0, latencyMs: 1, ok: true, predicted: 2, value: 3 },
      { time: 0, latencyMs: 1, ok: true, predicted: 5, value: 5 },
    ],
    'regression',
    0,
    1000,
  );
  // errors 1, -1, 0 around values with mean 3: SS_res 2, SS_tot 8.
  assert.deepEqual(reg.metrics, { mae: 2 / 3, rmse: Math.sqrt(2 / 3), r2: 1 - 2 / 8 });
});

test('degradation against the baseline run, with severities, in rolling windows', () => {
  const now = 10 * HOUR;
  const u = seededRandom(5);
  const obs: LiveObservation[] = [];
  // Three hours of traffic: accurate at first, then the model gets it wrong half of the time.
  for (let i = 0; i < 600; i++) {
    const time = now - 3 * HOUR + i * 18_000;
    const label = u() < 0.3 ? '1' : '0';
    const wrong = time > now - HOUR ? u() < 0.5 : u() < 0.1;
    const predicted = wrong ? (label === '1' ? '0' : '1') : label;
    obs.push({ time, latencyMs: 2 + u(), ok: true, predicted, label });
  }
  const report = performanceReport({
    model: 'churn',
    task: 'classification',
    endpoints: ['churn'],
    observations: obs,
    windowMs: HOUR,
    now,
    baseline: { run: 'r1', metrics: { accuracy: 0.9, f1_score: 0.8, log_loss: 0.4 }, tolerance: 0.05 },
    liveGates: { p95_latency_ms: { max: 2.5 } },
  });
  assert.equal(report.windows.length, 4);
  assert.equal(report.windows.reduce((s, w) => s + w.requests, 0), 600);
  const acc = report.windows.map((w) => w.metrics.accuracy);
  // Windows on the clock: 07:00–08:00 … 09:00–10:00, and the one that starts at now (10:00), still empty.
  assert.deepEqual(report.windows.map((w) => w.start), [7 * HOUR, 8 * HOUR, 9 * HOUR, 10 * HOUR]);
  assert.equal(report.windows[3].requests, 0);
  assert.ok(acc[1] > 0.85 && acc[2] < 0.6, acc.join(', '));
  const accuracy = report.degraded.find((d) => d.metric === 'accuracy');
  assert.ok(accuracy && accuracy.drop > 0.3);
  assert.ok(report.degraded.some((d) => d.metric === 'f1'), 'f1 is compared with the run\'s f1_score');
  const accuracyAlert = report.alerts.find((a) => a.metric === 'accuracy' && a.severity === 'critical');
  // The message says the live value, the drop and the baseline's value, each once.
  assert.match(accuracyAlert?.message ?? '', /^accuracy 0\.\d+ against 0\.9 in the baseline run r1: down 0\.\d+ \(−\d+(\.\d+)?%; tolerance 0\.05\)\.$/);
  assert.ok(report.alerts.some((a) => a.metric === 'p95_latency_ms' && a.severity === 'warning'));
  // Within tolerance: nothing degraded.
  const fine = performanceReport({ model: 'm', task: 'classification', endpoints: [], observations: obs.slice(0, 300), windowMs: HOUR, now: now - 1.5 * HOUR, baseline: { run: 'r1', metrics: { accuracy: 0.9 }, tolerance: 0.05 } });
  assert.deepEqual(fine.degraded, []);
});

test('the alert text: live value, baseline and change once each, even when the live value is 0', () => {
  assert.equal(degradationMessage('precision', 0, 0.6535, 0.6535, 'churn-v1', 0.05), 'precision 0 against 0.6535 in the baseline run churn-v1: down 0.6535 (−100%; tolerance 0.05).');
  assert.equal(degradationMessage('rmse', 1.5, 1.2, 0.3, 'r', 0.1), 'rmse 1.5 against 1.2 in the baseline run r: up 0.3 (+25%; tolerance 0.1).');
});

test('windows sit on the clock: a burst at 08:05:19–08:05:22 is the 08:05 window, its rate over 3 s', () => {
  const t0 = Date.UTC(2026, 11, 2, 8, 5, 19);
  const obs: LiveObservation[] = Array.from({ length: 1000 }, (_, i) => ({ time: t0 + i * 3, latencyMs: 2, ok: true, predicted: '1', label: '1' }));
  const now = t0 + 3000 + 20_000; // 08:05:42
  const report = performanceReport({ model: 'm', task: 'classification', endpoints: ['m'], observations: obs, windowMs: 60_000, now });
  assert.equal(report.windows.length, 1);
  const [w] = report.windows;
  assert.equal(w.start, Date.UTC(2026, 11, 2, 8, 5));
  assert.equal(w.end, now + 1);
  assert.equal(windowLabel(w.start, 60_000), '2026-12-02T08:05Z');
  assert.equal(w.span_ms, 2997);
  assert.equal(w.requests, 1000);
  // Across a window boundary: 08:05:50 to 08:06:10 makes two windows, each labelled by its own minute.
  const across = Array.from({ length: 21 }, (_, i) => ({ time: Date.UTC(2026, 11, 2, 8, 5, 50 + i), latencyMs: 1, ok: true }));
  const two = performanceReport({ model: 'm', task: 'classification', endpoints: ['m'], observations: across, windowMs: 60_000, now: Date.UTC(2026, 11, 2, 8, 6, 30) });
  assert.deepEqual(two.windows.map((x) => [windowLabel(x.start, 60_000), x.requests]), [['2026-12-02T08:05Z', 10], ['2026-12-02T08:06Z', 11]]);
  for (const x of two.windows) for (const o of across.filter((o) => o.time >= x.start && o.time < x.end)) assert.equal(windowLabel(o.time, 60_000), windowLabel(x.start, 60_000));
  assert.equal(windowLabel(Date.UTC(2026, 11, 2, 14), 3_600_000), '2026-12-02T14Z');
  assert.equal(windowLabel(Date.UTC(2026, 11, 2), 86_400_000), '2026-12-02');
  assert.equal(formatSpan(2997), '3 s');
});

test('retrain decision: what fired, retrain.on, the cooldown', () => {
  const retrain = { command: 'python train.py', on: ['drift'], cooldownMs: 6 * HOUR };
  const now = 100 * HOUR;
  assert.equal(retrainDecision({ retrain: undefined, drift: true, degraded: true, lastRun: null, now }).trigger, false);
  const yes = retrainDecision({ retrain, drift: true, degraded: false, lastRun: null, now });
  assert.deepEqual([yes.trigger, yes.reasons, yes.command, yes.cooldown_until], [true, ['drift'], 'python train.py', null]);
  const notListed = retrainDecision({ retrain, drift: false, degraded: true, lastRun: null, now });
  assert.equal(notListed.trigger, false);
  assert.match(notListed.message, /does not list it/);
  const cooling = retrainDecision({ retrain, drift: true, degraded: null, lastRun: now - HOUR, now });
  assert.equal(cooling.trigger, false);
  assert.equal(cooling.cooldown_until, now + 5 * HOUR);
  assert.match(cooling.message, /cooldown ends in 5 h/);
  assert.equal(retrainDecision({ retrain, drift: true, degraded: null, lastRun: now - 6 * HOUR, now }).trigger, true);
  assert.equal(retrainDecision({ retrain: { ...retrain, on: ['drift', 'degradation'] }, drift: false, degraded: true, lastRun: null, now }).reasons[0], 'degradation');
});

const MANIFEST = `version: 1
models:
  m:
    task: classification
    versions: { "1": { path: m.onnx } }
    gates: { p95_latency_ms: { max: 50 } }
serving:
  endpoints:
    ep: { model: m }
monitoring:
  m:
    reference: ref.csv
    window: 2h
    drift: { correction: bonferroni }
    retrain: { command: echo retrain, on: [drift, degradation], cooldown: 12h }
`;

test('from the prediction log: drift of the logged inputs in the window, health, and the persisted cooldown', async () => {
  const root = join(dir, 'ws');
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'mlops.yaml'), MANIFEST);
  const u = seededRandom(3);
  const rows = Array.from({ length: 400 }, () => [(20 + 5 * normal(u)).toFixed(2), u() < 0.4 ? 1 : 0, Math.floor(u() * 3)]);
  writeFileSync(join(root, 'ref.csv'), `charges,senior,plan\n${rows.map((r) => r.join(',')).join('\n')}\n`);
  const now = Date.now();
  const log = PredictionLog.open(root);
  const send = async (i: number, time: number, features: number[], label: number, predicted: number) => {
    await log.record({
      requestId: `r${i}`,
      time,
      endpoint: 'ep',
      model: 'm',
      version: '1',
      protocol: 'v2',
      inputs: JSON.stringify({ features: { datatype: 'FP32', shape: [1, 3], data: features } }),
      inputsBytes: null,
      outputs: JSON.stringify({ label: { datatype: 'INT64', shape: [1, 1], data: [predicted] }, probability: { datatype: 'FP32', shape: [1, 1], data: [predicted ? 0.8 : 0.2] } }),
      latencyMs: 3,
      status: 200,
      error: null,
      mirrored: false,
    });
    await log.feedback({ requestId: `r${i}`, endpoint: 'ep', label });
  };
  // Old traffic (outside the 2h window) looks like the reference; recent traffic is shifted.
  for (let i = 0; i < 200; i++) await send(i, now - 5 * HOUR + i, [20 + 5 * normal(u), u() < 0.4 ? 1 : 0, Math.floor(u() * 3)], 0, 0);
  for (let i = 200; i < 500; i++) await send(i, now - HOUR + i, [30 + 5 * normal(u), u() < 0.9 ? 1 : 0, Math.floor(u() * 3)], 1, 0);
  await log.close();

  const manifest = readManifestModel(parseManifest(MANIFEST));
  const db = openStore(root);
  try {
    const recent = monitoredDrift({ manifestPath: join(root, 'mlops.yaml'), manifest, model: 'm', db, now });
    assert.equal(recent.window, '2h');
    assert.equal(recent.report.current.rows, 300);
    assert.deepEqual(recent.report.features.map((f) => [f.name, f.test]), [['charges', 'ks'], ['senior', 'z-test'], ['plan', 'chi-square']]);
    assert.equal(recent.report.dataset_drift, true);
    assert.deepEqual(recent.report.features.map((f) => f.drifted), [true, true, false]);
    const since = monitoredDrift({ manifestPath: join(root, 'mlops.yaml'), manifest, model: 'm', db, now, since: now - 3 * HOUR });
    assert.equal(since.report.current.rows, 300);
    assert.equal(since.window, null);
    const old = monitoredDrift({ manifestPath: join(root, 'mlops.yaml'), manifest, model: 'm', db, now: now - 4 * HOUR, window: '2h' });
    assert.equal(old.report.current.rows, 200);
    assert.equal(old.report.dataset_drift, false);
    assert.throws(() => monitoredDrift({ manifestPath: join(root, 'mlops.yaml'), manifest, model: 'm', db, now: now - 10 * HOUR }), /no requests with inputs in the window/);

    const live = loadLive(db, ['ep'], 'classification');
    assert.equal(live.length, 500);
    assert.equal(live[0].score, 0.2);
    const health = modelHealth({ manifestPath: join(root, 'mlops.yaml'), manifest, model: 'm', db, now });
    assert.equal(health.state, 'drift');
    assert.equal(health.retrain.trigger, true);
    assert.deepEqual(health.retrain.reasons, ['drift']);
    recordRetrain(db, { manifest: join(root, 'mlops.yaml'), model: 'm', reasons: ['drift'], command: 'echo retrain', cause: 'monitoring', time: now });
  } finally {
    db.close();
  }
  // The cooldown outlives the process: a fresh store connection sees it.
  const again = openStore(root);
  try {
    assert.equal(lastRetrain(again, join(root, 'mlops.yaml'), 'm'), now);
    const health = modelHealth({ manifestPath: join(root, 'mlops.yaml'), manifest: readManifestModel(parseManifest(MANIFEST)), model: 'm', db: again, now: now + HOUR });
    assert.equal(health.retrain.trigger, false);
    assert.equal(health.retrain.cooldown_until, now + 12 * HOUR);
  } finally {
    again.close();
  }
});

function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}
