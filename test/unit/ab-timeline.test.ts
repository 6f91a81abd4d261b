import assert from 'node:assert/strict';
import { test } from 'node:test';
import { abIntervalSpec, abTimelineSpec } from '../../server/src/charts/ab-spec';
import { renderSvg } from '../../server/src/charts/render';
import { analyzeObservations, bucketWidth, experimentTimeline, type ExperimentSpec, type Observation } from '../../server/src/experiments/analysis';

const spec = (metric: string, task: ExperimentSpec['task'] = 'classification'): ExperimentSpec => ({
  name: 'x',
  endpoint: 'e',
  model: 'm',
  control: '1',
  treatment: '2',
  task,
  metric,
  test: task === 'regression' ? 'welch' : 'two-proportion',
  alpha: 0.05,
  power: 0.8,
  sequential: false,
});

test('bucket widths: the smallest whole width that fits the span in the asked number of buckets', () => {
  assert.equal(bucketWidth(0, 29_999, 30), 1000);
  assert.equal(bucketWidth(0, 30_000, 30), 2000);
  assert.equal(bucketWidth(500, 500, 30), 1000);
  assert.equal(bucketWidth(0, 3_600_000, 30), 300_000);
  // Aligned buckets: 0.9 s to 1.1 s touches two one-second buckets.
  assert.equal(bucketWidth(900, 1100, 1), 2000);
  assert.equal(bucketWidth(0, 1e13, 30), 7 * 86_400_000);
});

test('accuracy per minute and cumulative, per variant; empty buckets are left out', () => {
  const t0 = Date.UTC(2026, 0, 1, 10, 0, 0);
  const obs: Observation[] = [];
  const add = (arm: Observation['arm'], minute: number, hit: boolean, feedback = true) =>
    obs.push({ arm, time: t0 + minute * 60_000 + obs.length, latencyMs: 1, ok: true, predicted: '1', label: feedback ? (hit ? '1' : '0') : undefined });
  // control: minute 0: 1/2, minute 1: 2/2; treatment: minute 0: 0/1, minute 2: 3/4 (+ one without feedback).
  add('control', 0, true), add('control', 0, false), add('control', 1, true), add('control', 1, true);
  add('treatment', 0, false), add('treatment', 2, true), add('treatment', 2, true), add('treatment', 2, true), add('treatment', 2, false), add('treatment', 2, true, false);
  const t = experimentTimeline(spec('accuracy'), obs, 3);
  assert.equal(t.bucketMs, 60_000);
  assert.equal(t.metric, 'accuracy');
  const rows = t.points.map((p) => [p.arm, (p.start - t0) / 60_000, p.n, p.withFeedback, p.value, p.cumulative]);
  assert.deepEqual(rows, [
    ['control', 0, 2, 2, 0.5, 0.5],
    ['control', 1, 2, 2, 1, 0.75],
    ['treatment', 0, 1, 1, 0, 0],
    ['treatment', 2, 5, 4, 0.75, 0.6],
  ]);
  // The last cumulative value is the analysis's own figure.
  const report = analyzeObservations(spec('accuracy'), obs);
  assert.equal(report.control.metrics.accuracy, 0.75);
  assert.equal(report.treatment.metrics.accuracy, 0.6);
});

test('regression (MAE), live metrics (error rate) and buckets without feedback', () => {
  const obs: Observation[] = [
    { arm: 'control', time: 0, latencyMs: 1, ok: true, predicted: 3, value: 1 },
    { arm: 'control', time: 1500, latencyMs: 1, ok: true, predicted: 3, value: 4 },
    { arm: 'treatment', time: 200, latencyMs: 1, ok: true, predicted: 2 },
  ];
  const mae = experimentTimeline(spec('mae', 'regression'), obs);
  assert.equal(mae.bucketMs, 1000);
  assert.deepEqual(mae.points.map((p) => [p.arm, p.start, p.value, p.cumulative]), [
    ['control', 0, 2, 2],
    ['control', 1000, 1, 1.5],
    ['treatment', 0, null, null],
  ]);
  const errors = experimentTimeline(spec('error_rate'), [
    { arm: 'control', time: 0, latencyMs: 1, ok: false },
    { arm: 'control', time: 10, latencyMs: 1, ok: true },
    { arm: 'treatment', time: 20, latencyMs: 1, ok: true },
  ]);
  assert.deepEqual(errors.points.map((p) => [p.arm, p.value]), [['control', 0.5], ['treatment', 0]]);
  assert.deepEqual(experimentTimeline(spec('accuracy'), []).points, []);
});

test('the dashboard charts render: the interval against zero, and the metric over time per variant', async () => {
  const t0 = Date.UTC(2026, 0, 1);
  const obs: Observation[] = [];
  for (let i = 0; i < 400; i++) {
    const arm = i % 2 === 0 ? 'control' : 'treatment';
    const hit = arm === 'control' ? i % 5 !== 0 : i % 7 !== 0;
    obs.push({ arm, time: t0 + i * 1000, latencyMs: 2, ok: true, predicted: '1', label: hit ? '1' : '0' });
  }
  const report = { ...analyzeObservations(spec('accuracy'), obs), timeline: experimentTimeline(spec('accuracy'), obs) };
  const d = report.difference!;
  assert.ok(d.lower < d.estimate && d.estimate < d.upper);
  const interval = await renderSvg(abIntervalSpec(report, { interactive: false })!);
  assert.ok(/Difference in accuracy/.test(interval), '/Difference in accuracy/');
  // A rule from lower to upper, a diamond at the estimate, a dashed rule at 0.
  assert.ok(/stroke-dasharray="4,3"/.test(interval), '/stroke-dasharray="4,3"/');
  const timeline = await renderSvg(abTimelineSpec(report.timeline, { theme: { foreground: '#ccc', background: '#1e1e1e' } })!);
  assert.ok(/control &quot;1&quot;|control "1"/.test(timeline), '/control &quot;1&quot;|control "1"/');
  assert.ok(/treatment &quot;2&quot;|treatment "2"/.test(timeline), '/treatment &quot;2&quot;|treatment "2"/');
  assert.ok(/Time \(15 s buckets\)/.test(timeline), '/Time \(15 s buckets\)/');
  // Two lines, one per variant.
  assert.equal((timeline.match(/aria-roledescription="line mark"/g) ?? []).length, 2);
  assert.equal(abIntervalSpec({ ...report, difference: undefined }), undefined);
  assert.equal(abTimelineSpec({ metric: 'accuracy', bucketMs: 0, points: [] }), undefined);
});
