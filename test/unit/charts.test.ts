import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseChartOptions, parseChartsMessage, type MetricHistoryData } from '../../server/src/contract';
import { ema, LINE_RUN_LIMIT, lttb, lttbIndices, metricHistoryData, metricHistorySpec, metricSeries, pointsPerSeries, segmentRows, type ChartRun, type HistorySource } from '../../server/src/charts';
import { loadVega, renderSvg } from '../../server/src/charts/render';
import type { MetricHistory } from '../../server/src/tracking/repository';
import { seededRandom } from '../../server/src/util/random';

const range = (n: number) => Float64Array.from({ length: n }, (_, i) => i);

test('lttb keeps the endpoints and at most threshold points, in order', () => {
  const random = seededRandom(3);
  const xs = range(10_000);
  const ys = xs.map(() => random());
  for (const threshold of [3, 10, 100, 999]) {
    const { indices, xs: ox, ys: oy } = lttb(xs, ys, threshold);
    assert.equal(indices.length, threshold);
    assert.equal(indices[0], 0);
    assert.equal(indices[indices.length - 1], 9_999);
    for (let i = 1; i < indices.length; i++) assert.ok(indices[i] > indices[i - 1]);
    assert.equal(ox[5], xs[indices[5]]);
    assert.equal(oy[5], ys[indices[5]]);
  }
  assert.deepEqual([...lttbIndices(xs, ys, 2)], [0, 9_999]);
  assert.deepEqual([...lttbIndices(xs, ys, 1)], [0]);
  assert.equal(lttbIndices(xs, ys, 0).length, 0);
  // Fewer points than the threshold: all of them.
  assert.deepEqual([...lttbIndices(range(5), range(5), 10)], [0, 1, 2, 3, 4]);
  assert.equal(lttbIndices(new Float64Array(0), new Float64Array(0), 10).length, 0);
});

test('lttb picks the spike and the dip of a flat series', () => {
  const xs = range(1_000);
  const ys = new Float64Array(1_000).fill(1);
  ys[437] = 50;
  ys[811] = -20;
  const kept = [...lttbIndices(xs, ys, 20)];
  assert.ok(kept.includes(437), `spike kept: ${kept}`);
  assert.ok(kept.includes(811), `dip kept: ${kept}`);
});

test('lttb is deterministic', () => {
  const random = seededRandom(11);
  const xs = range(5_000);
  const ys = xs.map(() => random() * 100);
  assert.deepEqual(lttbIndices(xs, ys, 300), lttbIndices(xs.slice(), ys.slice(), 300));
});

test('lttb skips NaN and infinite points and keeps the first and last drawable ones', () => {
  const xs = range(1_000);
  const ys = xs.map((x) => Math.sin(x / 30));
  ys[0] = NaN;
  ys[1] = Infinity;
  ys[999] = NaN;
  for (let i = 300; i < 400; i++) ys[i] = NaN;
  const kept = [...lttbIndices(xs, ys, 50)];
  assert.ok(kept.length <= 50);
  assert.equal(kept[0], 2);
  assert.equal(kept[kept.length - 1], 998);
  assert.ok(kept.every((i) => Number.isFinite(ys[i])));
  // All NaN: nothing to draw.
  assert.equal(lttbIndices(xs, new Float64Array(1_000).fill(NaN), 50).length, 0);
});

test('ema is debiased and ignores non-finite values', () => {
  const out = ema([10, 10, NaN, 10, 20], 0.9);
  assert.equal(out[0], 10);
  assert.equal(out[1], 10);
  assert.ok(Number.isNaN(out[2]));
  assert.ok(Math.abs(out[3] - 10) < 1e-12);
  assert.ok(out[4] > 10 && out[4] < 20);
  assert.deepEqual([...ema([1, 2, 3], 0)], [1, 2, 3]);
});

function history(key: string, n: number, t0: number, f: (i: number) => number): MetricHistory {
  return { key, steps: range(n), timestamps: range(n).map((i) => t0 + i * 1000), values: range(n).map(f) };
}

function source(histories: Record<string, MetricHistory[]>): HistorySource {
  return { metricHistory: (runId, key) => (histories[runId] ?? []).filter((h) => key === undefined || h.key === key) };
}

test('metricSeries: one series per run and key, x as asked, within the budget', () => {
  const src = source({
    a: [history('loss', 500, 1_000_000, (i) => 1 / (i + 1)), history('acc', 500, 1_000_500, (i) => i / 500)],
    b: [history('loss', 10, 2_000_000, (i) => 2 / (i + 1))],
  });
  const series = metricSeries(src, ['a', 'b'], ['loss', 'acc'], { x: 'step', maxPoints: 300 });
  assert.deepEqual(
    series.map((s) => `${s.runId}/${s.key}`),
    ['a/loss', 'a/acc', 'b/loss'],
  );
  assert.equal(series[0].count, 500);
  assert.equal(series[0].x.length, pointsPerSeries(300, 3));
  assert.equal(series[2].x.length, 10);
  assert.deepEqual(series[2].x, series[2].step);
  const wall = metricSeries(src, ['a'], ['loss'], { x: 'wall' });
  assert.equal(wall[0].x[0], 1_000_000);
  // Relative: seconds since the run's first metric (acc starts 0.5 s after loss).
  const relative = metricSeries(src, ['a'], ['acc'], { x: 'relative' });
  assert.equal(relative[0].x[0], 0.5);
  const smoothed = metricSeries(src, ['b'], ['loss'], { smoothing: 0.6 });
  assert.equal(smoothed[0].smoothed?.x.length, 10);
  assert.equal(smoothed[0].smoothed?.value[0], 2);
});

function chartRun(runId: string, name: string, src: HistorySource, keys: string[]): ChartRun {
  return { runId, name, experiment: 'exp', status: 'FINISHED', metrics: Object.fromEntries(keys.map((k) => [k, 0])), source: src };
}

function sampleData(options: { smoothing?: number } = {}): MetricHistoryData {
  const src = source({
    r1: [history('loss', 200, 0, (i) => 1 / (i + 1)), history('accuracy', 200, 0, (i) => i / 200)],
    r2: [history('loss', 150, 0, (i) => 1.5 / (i + 1)), history('accuracy', 150, 0, (i) => i / 160)],
    r3: [history('loss', 100, 0, (i) => 2 / (i + 1)), history('accuracy', 100, 0, (i) => i / 120)],
  });
  const runs = [chartRun('r1', 'baseline', src, ['loss', 'accuracy']), chartRun('r2', 'wide', src, ['loss', 'accuracy']), chartRun('r3', 'wide', src, ['loss', 'accuracy'])];
  return metricHistoryData(runs, { runIds: ['r1', 'r2', 'r3', 'missing'], smoothing: options.smoothing });
}

test('metricHistoryData: found runs only, unique legend labels, preferred keys first', () => {
  const data = sampleData();
  assert.deepEqual(
    data.runs.map((r) => r.label),
    ['baseline', 'wide (r2)', 'wide (r3)'],
  );
  assert.deepEqual(data.keys, ['loss', 'accuracy']);
  assert.equal(data.series.length, 6);
});

/** The contents of the SVG groups of one mark role, e.g. "mark-line role-mark". */
function groups(svg: string, cls: string): string[] {
  const out: string[] = [];
  let at = svg.indexOf(`class="${cls}`);
  while (at !== -1) {
    const start = svg.indexOf('>', at) + 1;
    out.push(svg.slice(start, svg.indexOf('</g>', start)));
    at = svg.indexOf(`class="${cls}`, start);
  }
  return out;
}

test('the metric history spec compiles and renders one line per run per key, with a legend of run names', async () => {
  const data = sampleData();
  const svg = await renderSvg(metricHistorySpec(data, { interactive: true }));
  // Vega draws each run's line in its own group (the line is faceted by colour): one path each.
  const lines = groups(svg, 'mark-line role-mark');
  assert.equal(lines.length, 3 * 2, 'one path per run per key');
  assert.ok(lines.every((g) => (g.match(/<path/g) ?? []).length === 1));
  const strokes = new Set(lines.map((g) => /stroke="([^"]+)"/.exec(g)?.[1]));
  assert.equal(strokes.size, 3, 'a colour per run');
  const labels = groups(svg, 'mark-text role-legend-label').flatMap((g) => [...g.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]));
  assert.deepEqual(labels, ['baseline', 'wide (r2)', 'wide (r3)']);
  assert.match(svg, />loss</);
  assert.match(svg, />accuracy</);
});

test('smoothing adds a smoothed line per run per key; log scale and theme compile', async () => {
  const data = sampleData({ smoothing: 0.8 });
  const svg = await renderSvg(metricHistorySpec(data, { logScale: true, interactive: false, theme: { foreground: '#cccccc', background: '#1e1e1e', font: 'sans-serif', fontSize: 12 } }));
  const lines = groups(svg, 'mark-line role-mark');
  assert.equal(lines.length, 3 * 2 * 2, 'raw and smoothed path per run per key');
  assert.match(svg, /fill="#1e1e1e"/);
  for (const x of ['wall', 'relative'] as const) {
    const other = await renderSvg(metricHistorySpec({ ...data, x }, { interactive: true }));
    assert.ok(groups(other, 'mark-line role-mark').length >= 2);
  }
});

test('the spec renders with the expression interpreter and no code generation', async () => {
  const { vega, vegaLite, interpreter } = await loadVega();
  const compiled = vegaLite.compile(metricHistorySpec(sampleData({ smoothing: 0.5 }), { interactive: true, logScale: true })).spec;
  const original = globalThis.Function;
  const refuse = function refuse(): never {
    throw new Error('code generation attempted');
  } as unknown as FunctionConstructor;
  globalThis.Function = refuse;
  try {
    const view = new vega.View(vega.parse(compiled, undefined, { ast: true }), { renderer: 'none', expr: interpreter.expressionInterpreter });
    const svg = await view.toSVG();
    view.finalize();
    assert.ok(svg.startsWith('<svg'));
  } finally {
    globalThis.Function = original;
  }
});

test('charts messages: the parser accepts the contract and rejects the rest', () => {
  const options = { runIds: ['a'], keys: ['loss'], x: 'step', smoothing: 0.6, logScale: false };
  assert.deepEqual(parseChartsMessage({ type: 'initialized' }), { type: 'initialized' });
  assert.deepEqual(parseChartsMessage({ type: 'chartOptions', payload: options }), { type: 'chartOptions', payload: options });
  assert.deepEqual(parseChartsMessage({ type: 'export', payload: { format: 'svg', data: '<svg width="1"></svg>' } })?.type, 'export');
  assert.deepEqual(parseChartsMessage({ type: 'export', payload: { format: 'png', data: 'data:image/png;base64,AAAA' } })?.type, 'export');
  for (const bad of [
    null,
    'initialized',
    { type: 'nope' },
    { type: 'chartOptions' },
    { type: 'chartOptions', payload: { ...options, x: 'epoch' } },
    { type: 'chartOptions', payload: { ...options, smoothing: 1 } },
    { type: 'chartOptions', payload: { ...options, runIds: [1] } },
    { type: 'chartOptions', payload: { ...options, logScale: 'yes' } },
    { type: 'export', payload: { format: 'pdf', data: '<svg></svg>' } },
    { type: 'export', payload: { format: 'png', data: 'data:text/html;base64,AAAA' } },
    { type: 'export', payload: { format: 'svg', data: '<script>alert(1)</script>' } },
    { type: 'runCommand', payload: { command: 'workbench.action.terminal.new' } },
  ]) {
    assert.equal(parseChartsMessage(bad), undefined, JSON.stringify(bad));
  }
  assert.equal(parseChartOptions({ ...options, smoothing: NaN }), undefined);
  assert.deepEqual(parseChartOptions(options), options);
});

test('beyond LINE_RUN_LIMIT runs a chart draws every run as segments of one rule mark, without a legend', async () => {
  const runs = LINE_RUN_LIMIT + 10;
  const histories: Record<string, MetricHistory[]> = {};
  for (let r = 0; r < runs; r++) histories[`r${r}`] = [history('loss', 40, 0, (i) => (r + 1) / (i + 1))];
  const src = source(histories);
  const data = metricHistoryData(
    Object.keys(histories).map((id) => chartRun(id, `run ${id}`, src, ['loss'])),
    { runIds: Object.keys(histories), maxPoints: runs * 8 },
  );
  const perRun = data.series[0].x.length;
  const svg = await renderSvg(metricHistorySpec(data, { interactive: true }));
  assert.equal(groups(svg, 'mark-line role-mark').length, 0, 'no line per run');
  const rules = groups(svg, 'mark-rule role-mark').filter((g) => g.includes('<line'));
  assert.equal(rules.length, 1, 'one rule mark');
  assert.equal((rules[0].match(/<line/g) ?? []).length, runs * (perRun - 1), 'a segment between consecutive points of each run');
  assert.equal(groups(svg, 'mark-text role-legend-label').length, 0, 'no legend');
  assert.deepEqual(segmentRows([{ run: 'a', key: 'k', x: 0, value: 1 }, { run: 'a', key: 'k', x: 1, value: 2 }, { run: 'b', key: 'k', x: 0, value: 5 }]), [{ run: 'a', x: 0, value: 1, x2: 1, value2: 2 }]);
});

test('a metric logged once per run is drawn as a point per run', async () => {
  const src = source({ a: [history('f1', 1, 0, () => 0.5)], b: [history('f1', 1, 0, () => 0.6)] });
  const data = metricHistoryData([chartRun('a', 'a', src, ['f1']), chartRun('b', 'b', src, ['f1'])], { runIds: ['a', 'b'] });
  const svg = await renderSvg(metricHistorySpec(data, { interactive: false }));
  const points = groups(svg, 'mark-symbol role-mark').filter((g) => g.includes('<path'));
  assert.equal(points.length, 1);
  assert.equal((points[0].match(/<path/g) ?? []).length, 2, 'a point per run');
  // Lines of many points get no point marks.
  assert.equal(groups(await renderSvg(metricHistorySpec(sampleData(), { interactive: false })), 'mark-symbol role-mark').length, 0);
});
