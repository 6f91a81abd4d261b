import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bestRun, bestRunIndex, chooseBest, comparisonData, differences, goalsFromGates, sortOrder } from '../../server/src/charts/comparison';
import { renderSvg } from '../../server/src/charts/render';
import { withTheme } from '../../server/src/charts/spec';
import { parseCompareMessage, parseComparisonOptions, type ComparisonOptions, type RunInfo } from '../../server/src/contract';
import { lowerIsBetter } from '../../server/src/util/metric-direction';
import { seededRandom } from '../../server/src/util/random';

function run(runId: string, name: string, params: Record<string, string>, metrics: Record<string, number | string>): RunInfo {
  return { runId, experimentId: '1', experiment: 'exp', name, status: 'FINISHED', startTime: 1_700_000_000_000, endTime: 1_700_000_060_000, params, tags: {}, metrics, source: '/x' };
}

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

const sample = [
  run('a1', 'baseline', { lr: '0.1', optimizer: 'sgd', seed: '1' }, { accuracy: 0.8, loss: 0.5 }),
  run('b2', 'wide', { lr: '0.01', optimizer: 'adam', seed: '1' }, { accuracy: 0.9, loss: 0.3 }),
  run('c3', 'deep', { lr: '0.001', optimizer: 'adam', seed: '1' }, { accuracy: 0.85, loss: 'NaN' }),
];

test('differences: cells that differ from the value most runs share, or every cell when none is shared by most', () => {
  assert.deepEqual(differences([1, 1, 2]), [false, false, true]);
  assert.deepEqual(differences([1, 2]), [true, true]);
  assert.deepEqual(differences(['a', 'a']), [false, false]);
  assert.deepEqual(differences([1, null, 1]), [false, true, false], 'a missing value differs');
  assert.deepEqual(differences([null, null]), [false, false]);
  assert.deepEqual(differences([1, '1']), [true, true], 'a number and text are not the same value');
  assert.deepEqual(differences(['NaN', 'NaN', 0.5]), [false, false, true]);
  assert.deepEqual(differences([]), []);
});

test('bestRunIndex: max or min of the finite values; NaN, infinities and missing never win; ties mark none', () => {
  assert.equal(bestRunIndex([0.8, 0.9, 0.85], 'max'), 1);
  assert.equal(bestRunIndex([0.8, 0.9, 0.85], 'min'), 0);
  assert.equal(bestRunIndex(['NaN', 0.2, 'Infinity', null, 0.3], 'max'), 4);
  assert.equal(bestRunIndex(['-Infinity', 0.2, null], 'min'), 1);
  assert.equal(bestRunIndex([0.9, 0.9, 0.1], 'max'), -1, 'a tie at the top');
  assert.equal(bestRunIndex([0.9, 0.1, 0.1], 'max'), 0, 'a tie lower down does not matter');
  assert.equal(bestRunIndex(['NaN', null], 'max'), -1);
  assert.equal(bestRunIndex([], 'min'), -1);
});

test('chooseBest: the chosen metric, else the first manifest gate the runs have, else the first metric, max', () => {
  const goals = goalsFromGates([{ metric: 'p95_latency_ms', max: 50 }, { metric: 'loss', max: 0.5 }, { metric: 'accuracy', min: 0.8 }]);
  assert.deepEqual(goals.map((g) => g.direction), ['min', 'min', 'max']);
  assert.deepEqual(chooseBest({ metric: 'accuracy', direction: 'min' }, goals, ['accuracy', 'loss']), { metric: 'accuracy', direction: 'min', source: 'chosen' });
  assert.deepEqual(chooseBest({ metric: 'gone', direction: 'min' }, goals, ['accuracy', 'loss']), { metric: 'loss', direction: 'min', source: 'manifest' });
  assert.deepEqual(chooseBest(undefined, [], ['accuracy', 'loss']), { metric: 'accuracy', direction: 'max', source: 'name' });
  // Errors and losses are better low wherever no gate says otherwise.
  for (const metric of ['mae', 'mse', 'rmse', 'loss', 'log_loss', 'error', 'val_loss', 'mean_absolute_error', 'eval/rmse', 'perplexity']) {
    assert.deepEqual(chooseBest(undefined, [], [metric, 'r2']), { metric, direction: 'min', source: 'name' }, metric);
  }
  assert.deepEqual(chooseBest(undefined, [{ metric: 'mae', direction: 'max' }], ['mae']), { metric: 'mae', direction: 'max', source: 'manifest' }, 'a gate wins over the name');
  assert.equal(chooseBest(undefined, goals, []), null);
});

test('lowerIsBetter: errors, losses, latencies and perplexity by their last word; scikit-learn neg_ scorers and the rest higher', () => {
  for (const m of ['mae', 'mse', 'rmse', 'rmsle', 'mape', 'loss', 'log_loss', 'val_loss', 'train/epoch_loss', 'error', 'error_rate', 'total_errors', 'mean_absolute_error', 'p95_latency_ms', 'perplexity', 'wer']) assert.equal(lowerIsBetter(m), true, m);
  for (const m of ['accuracy', 'f1', 'r2', 'roc_auc', 'precision', 'recall', 'score', 'neg_mean_squared_error', 'neg_log_loss', 'lossy', 'terror', 'msec', 'mean_ap']) assert.equal(lowerIsBetter(m), false, m);
});

test('bestRun: says why there is no best run — no finite value, or how many runs tie at which value', () => {
  assert.deepEqual(bestRun([0.333, 0.333], 'min'), { runIndex: -1, none: 'tie', tied: 2, value: 0.333 });
  assert.deepEqual(bestRun([0.2, 0.5, 0.5, 0.5], 'max'), { runIndex: -1, none: 'tie', tied: 3, value: 0.5 });
  assert.deepEqual(bestRun(['NaN', null, 'Infinity'], 'max'), { runIndex: -1, none: 'no-finite-value' });
  assert.deepEqual(bestRun([], 'max'), { runIndex: -1, none: 'no-finite-value' });
  assert.deepEqual(bestRun([0.4, 0.1], 'min'), { runIndex: 1, value: 0.1 });
});

test('scatter: runs with equal values coincide; the data says how many distinct points, and each names its runs', async () => {
  const twins = [run('t1', 'thundering-gnu', {}, { mae: 1 / 3, r2: -1 / 3 }), run('t2', 'funny-wren', {}, { mae: 1 / 3, r2: -1 / 3 }), run('t3', 'odd', {}, { mae: 0.5, r2: 0.1 })];
  const data = comparisonData(twins, { runIds: ['t1', 't2', 't3'] });
  assert.deepEqual(data.best, { metric: 'mae', direction: 'min', source: 'name', runIndex: -1, none: 'tie', tied: 2, value: 1 / 3 });
  assert.equal(data.columns.find((c) => c.id === 'metric:r2')?.better, 'max');
  assert.equal(data.columns.find((c) => c.id === 'metric:mae')?.better, 'min');
  assert.deepEqual([data.scatter?.shown, data.scatter?.distinct], [3, 2]);
  const warnings: string[] = [];
  const svg = await renderSvg(data.scatter!.spec as never, undefined, warnings);
  assert.deepEqual(warnings, [], 'no best run and no empty layer: nothing with an infinite extent');
  assert.equal(groups(svg, 'mark-symbol role-mark best').length, 0, 'no diamond without a best run');
  assert.equal((groups(svg, 'mark-symbol role-mark points_marks')[0].match(/<path/g) ?? []).length, 2, 'one point per place');
  assert.match(svg, />×2</, 'the shared point is marked');
  const rows = (data.scatter!.spec as { datasets: { runs: { run: string; count: number }[] } }).datasets.runs;
  assert.deepEqual(rows.map((r) => [r.run, r.count]), [['thundering-gnu, funny-wren', 2], ['odd', 1]]);
});

test('sortOrder: numbers numerically, text naturally, NaN after numbers, missing last in both directions', () => {
  const values = [3, null, 'NaN', -1, 'Infinity', 10];
  assert.deepEqual(sortOrder(values, false), [3, 0, 5, 4, 2, 1]);
  assert.deepEqual(sortOrder(values, true), [4, 5, 0, 3, 2, 1]);
  assert.deepEqual(sortOrder(['lr10', 'lr2', null, 'Lr1'], false), [3, 1, 0, 2]);
  assert.deepEqual(sortOrder([1, 1, 0], false), [2, 0, 1], 'ties keep the runs order');
});

test('comparisonData: columns of metrics, params and attributes; numeric params parsed; differences; best by the manifest gate', () => {
  const data = comparisonData(sample, { runIds: ['c3', 'a1', 'missing', 'b2'] }, [{ metric: 'loss', direction: 'min' }]);
  assert.deepEqual(data.runs.map((r) => r.label), ['deep', 'baseline', 'wide']);
  const col = (id: string) => data.columns.find((c) => c.id === id)!;
  assert.deepEqual(col('param:lr').values, [0.001, 0.1, 0.01]);
  assert.equal(col('param:lr').numeric, true);
  assert.equal(col('param:optimizer').numeric, false);
  assert.deepEqual(col('param:optimizer').differs, [false, true, false]);
  assert.deepEqual(col('param:seed').differs, [false, false, false]);
  assert.deepEqual(col('metric:loss').values, ['NaN', 0.5, 0.3]);
  assert.deepEqual(col('attribute:duration').values, [60, 60, 60]);
  // Metrics, then the params that differ.
  assert.deepEqual(data.defaultColumns, ['metric:accuracy', 'metric:loss', 'param:lr', 'param:optimizer']);
  assert.deepEqual(data.best, { metric: 'loss', direction: 'min', source: 'manifest', runIndex: 2, value: 0.3 });
  assert.deepEqual(data.parallel?.dimensions, ['param:lr', 'param:optimizer', 'metric:loss']);
  assert.equal(data.scatter?.x, 'param:lr');
  assert.equal(data.scatter?.y, 'metric:loss');
  assert.equal(data.scatter?.shown, 2, 'the run with a NaN loss has no point');
  const chosen = comparisonData(sample, { runIds: ['a1', 'b2', 'c3'], best: { metric: 'accuracy', direction: 'max' }, scatterX: 'param:optimizer', scatterY: 'metric:accuracy', parallelMetric: 'accuracy' });
  assert.deepEqual(chosen.best, { metric: 'accuracy', direction: 'max', source: 'chosen', runIndex: 1, value: 0.9 });
  assert.equal(chosen.scatter?.x, 'param:optimizer');
  assert.equal(chosen.scatter?.shown, 3);
  assert.equal(chosen.parallel?.metric, 'accuracy');
});

test('comparisonData: missing params, mixed text and numbers, unicode names and empty input', () => {
  const runs = [
    run('u1', 'größe-α', { 'taux d’apprentissage': '0.1', 'mod.el[0]': 'réseau', batch: '32' }, { 'précision/val': 0.7 }),
    run('u2', '実験', { batch: 'auto' }, { 'précision/val': 0.75 }),
    run('u3', '', { 'taux d’apprentissage': '0.3', 'mod.el[0]': '木' }, {}),
  ];
  const data = comparisonData(runs, { runIds: ['u1', 'u2', 'u3'] });
  assert.deepEqual(data.runs.map((r) => r.label), ['größe-α', '実験', 'u3']);
  const col = (id: string) => data.columns.find((c) => c.id === id)!;
  assert.deepEqual(col('param:batch').values, ['32', 'auto', null], 'a column with text keeps every value as logged');
  assert.equal(col('param:batch').numeric, false);
  assert.deepEqual(col('param:taux d’apprentissage').values, [0.1, null, 0.3]);
  assert.deepEqual(col('metric:précision/val').values, [0.7, 0.75, null]);
  assert.deepEqual(data.best, { metric: 'précision/val', direction: 'max', source: 'name', runIndex: 1, value: 0.75 });
  const empty = comparisonData([], { runIds: ['x'] });
  assert.deepEqual([empty.runs, empty.best, empty.parallel, empty.scatter], [[], null, null, null]);
});

test('parallel coordinates: compiles and renders one line per run, an axis per dimension, and one best-run line', async () => {
  const data = comparisonData(sample, { runIds: ['a1', 'b2', 'c3'], best: { metric: 'accuracy', direction: 'max' } });
  const svg = await renderSvg(data.parallel!.spec as never);
  const lines = groups(svg, 'mark-line role-mark lines_marks');
  assert.equal(lines.length, 3, 'a line per run');
  assert.ok(lines.every((g) => (g.match(/<path/g) ?? []).length === 1));
  const best = groups(svg, 'mark-line role-mark best_marks');
  assert.equal(best.length, 1, 'one best-run line');
  assert.match(best[0], /stroke="#e8710a"/);
  assert.match(best[0], /stroke-width="4"/);
  assert.equal((groups(svg, 'mark-rule role-mark axes_marks')[0].match(/<line/g) ?? []).length, 3, 'an axis per dimension: lr, optimizer, accuracy');
  const ticks = groups(svg, 'mark-text role-mark ticks_marks')[0];
  for (const text of ['adam', 'sgd', '0.001', '0.1', '0.8', '0.9']) assert.match(ticks, new RegExp(`>${text}<`), text);
  for (const title of ['lr', 'optimizer', 'accuracy']) assert.match(svg, new RegExp(`>${title}<`));
});

test('scatter: compiles and renders a point per run with both values and a distinct best-run mark', async () => {
  const data = comparisonData(sample, { runIds: ['a1', 'b2', 'c3'], best: { metric: 'accuracy', direction: 'max' }, scatterX: 'param:lr', scatterY: 'metric:accuracy' });
  const svg = await renderSvg(data.scatter!.spec as never);
  const points = groups(svg, 'mark-symbol role-mark points_marks')[0];
  assert.equal((points.match(/<path/g) ?? []).length, 3);
  const best = groups(svg, 'mark-symbol role-mark best');
  assert.equal(best.length, 1);
  assert.equal((best[0].match(/<path/g) ?? []).length, 1, 'one diamond');
  assert.match(best[0], /fill="#e8710a"/);
  assert.match(svg, />wide</, 'the best run is named');
  // Categorical x: an ordinal axis with the categories.
  const categorical = comparisonData(sample, { runIds: ['a1', 'b2', 'c3'], scatterX: 'param:optimizer', scatterY: 'metric:accuracy' });
  const svg2 = await renderSvg(categorical.scatter!.spec as never);
  assert.equal((groups(svg2, 'mark-symbol role-mark points_marks')[0].match(/<path/g) ?? []).length, 3);
  assert.match(svg2, />adam</);
});

test('1,000 runs: the table, the best run and both charts, with N lines and N points', async () => {
  const random = seededRandom(5);
  const runs: RunInfo[] = [];
  for (let i = 0; i < 1_000; i++) {
    const metrics: Record<string, number | string> = { accuracy: i === 637 ? 0.999 : Math.round(random() * 900) / 1000, loss: random() };
    if (i % 100 === 7) metrics.accuracy = 'NaN';
    runs.push(run(`r${i}`, `run-${i}`, { lr: String(Math.round(random() * 1000) / 10_000), opt: ['sgd', 'adam', 'rmsprop'][i % 3], depth: String(i % 7) }, metrics));
  }
  const t0 = performance.now();
  const data = comparisonData(runs, { runIds: runs.map((r) => r.runId), best: { metric: 'accuracy', direction: 'max' } });
  const computeMs = performance.now() - t0;
  assert.ok(computeMs < 1_000, `computed in ${computeMs} ms`);
  assert.equal(data.runs.length, 1_000);
  assert.equal(data.best?.runIndex, 637);
  const accuracy = data.columns.find((c) => c.id === 'metric:accuracy')!;
  const order = sortOrder(accuracy.values, true);
  assert.equal(order[0], 637);
  assert.ok(order.slice(-10).every((i) => accuracy.values[i] === 'NaN'));
  const parallel = await renderSvg(data.parallel!.spec as never);
  assert.equal(groups(parallel, 'mark-line role-mark lines_marks').length, 1_000);
  assert.equal(groups(parallel, 'mark-line role-mark best_marks').length, 1);
  const scatter = await renderSvg(data.scatter!.spec as never);
  assert.equal((groups(scatter, 'mark-symbol role-mark points_marks')[0].match(/<path/g) ?? []).length, data.scatter!.distinct);
  assert.equal(data.scatter!.shown, 1_000 - 10);
  assert.equal(data.scatter!.x, 'param:depth');
  const places = new Set(runs.filter((r) => typeof r.metrics.accuracy === 'number').map((r) => `${r.params.depth} ${r.metrics.accuracy}`));
  assert.equal(data.scatter!.distinct, places.size, 'runs with the same depth and accuracy share a point');
});

test('comparison messages: the parser accepts the contract and rejects the rest', () => {
  const options: ComparisonOptions = { runIds: ['a'], columns: ['metric:x'], sort: { column: 'metric:x', descending: true }, best: { metric: 'x', direction: 'min' }, parallelMetric: null, scatterX: 'param:lr', scatterY: null };
  assert.deepEqual(parseCompareMessage({ type: 'comparisonOptions', payload: options }), { type: 'comparisonOptions', payload: options });
  assert.deepEqual(parseCompareMessage({ type: 'refresh' }), { type: 'refresh' });
  assert.deepEqual(parseComparisonOptions({ ...options, columns: null, sort: null, best: null }), { ...options, columns: null, sort: null, best: null });
  for (const bad of [
    null,
    { type: 'comparisonOptions' },
    { type: 'comparisonOptions', payload: { ...options, runIds: 'a' } },
    { type: 'comparisonOptions', payload: { ...options, columns: [1] } },
    { type: 'comparisonOptions', payload: { ...options, sort: { column: 'x' } } },
    { type: 'comparisonOptions', payload: { ...options, best: { metric: 'x', direction: 'up' } } },
    { type: 'comparisonOptions', payload: { ...options, scatterX: 3 } },
    { type: 'chartOptions', payload: options },
  ]) {
    assert.equal(parseCompareMessage(bad), undefined, JSON.stringify(bad));
  }
});

test('withTheme recolours the best run, the axes and the tick labels from the editor theme', async () => {
  const data = comparisonData(sample, { runIds: ['a1', 'b2', 'c3'], best: { metric: 'accuracy', direction: 'max' } });
  const themed = withTheme(data.parallel!.spec, { foreground: '#cccccc', background: '#1e1e1e', grid: '#454545', highlight: '#d18616' });
  assert.equal(themed.datasets, data.parallel!.spec.datasets);
  const svg = await renderSvg(themed as never);
  assert.match(groups(svg, 'mark-line role-mark best_marks')[0], /stroke="#d18616"/);
  assert.match(groups(svg, 'mark-rule role-mark axes_marks')[0], /stroke="#454545"/);
  assert.match(groups(svg, 'mark-text role-mark ticks_marks')[0], /fill="#cccccc"/);
  assert.match(svg, /fill="#1e1e1e"/, 'the background');
});
