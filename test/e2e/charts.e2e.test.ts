// Charts scenarios: the metric history of the example's two runs (per-epoch metrics in runs/*.jsonl),
// opened from the Experiments selection, drawn by vega in the webview under its strict CSP, with the
// controls changing it, and the state surviving a hide and reopen. Then a sweep of JSONL runs compared:
// the table (sorted from the keyboard, columns picked), parallel coordinates and a scatter, with the best
// run following a run that is still logging.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, withWorkbench } from './harness';
import { expand, row, selectRuns, trackingWorkspace } from './views';

const VSIX = process.env.MLOPS_VSIX ?? path.join(ROOT, 'dist', 'mlops-workbench.vsix');
const INDEX_MS = 30_000;
const DRAW_MS = 20_000;


test('charts: Plot Metrics draws the metric history of the selected runs', (t) =>
  withWorkbench(t, { name: 'charts', workspace: trackingWorkspace('charts'), vsix: VSIX }, async (wb) => {
    await wb.activityBarEntry('MLOps').click();
    const experiment = row(wb, 'Experiments', 'churn');
    await experiment.waitFor({ timeout: INDEX_MS });
    await expand(experiment);
    await selectRuns(wb, ['churn-v1', 'churn-v2']);
    await wb.runCommand('MLOps: Plot Metrics');

    const frame = wb.webviewFrame();
    await wb.waitForText(frame.locator('[data-testid="charts"] h1'), 'Metrics of 2 runs', DRAW_MS);
    const drawn = frame.locator('[data-testid="chart"] canvas, [data-testid="chart"] svg').first();
    await drawn.waitFor({ state: 'visible', timeout: DRAW_MS });
    await wb.shot('metric-history');

    // Log scale: drawn by the webview alone.
    await frame.locator('[data-testid="log-scale"]').click();
    await drawn.waitFor({ state: 'visible', timeout: DRAW_MS });
    await wb.shot('metric-history-log');

    // Smoothing from the keyboard: focus the slider and step it up; the server smooths and answers.
    const smoothing = frame.locator('[data-testid="smoothing"]');
    await smoothing.focus();
    for (let i = 0; i < 60; i++) await smoothing.press('ArrowRight');
    await wb.waitForText(frame.locator('.slider-value'), '0.60', DRAW_MS);
    // The server smooths; the chart is redrawn with its answer.
    await frame.locator('[data-testid="chart"][data-smoothing="0.6"] canvas').first().waitFor({ state: 'visible', timeout: DRAW_MS });
    await wb.shot('metric-history-smoothed');

    // Hidden and reopened: the panel comes back with the same options (webview state).
    await wb.runCommand('MLOps: Show Dashboard');
    await wb.page.locator('.tabs-container .tab', { hasText: 'Metric Charts' }).first().click();
    const again = wb.webviewFrame();
    await wb.waitForText(again.locator('.slider-value'), '0.60', DRAW_MS);
    await again.locator('[data-testid="chart"] canvas, [data-testid="chart"] svg').first().waitFor({ state: 'visible', timeout: DRAW_MS });
    await wb.shot('metric-history-restored');
  }));

const line = (o: object) => JSON.stringify(o) + '\n';
const OPTIMIZERS = ['sgd', 'adam', 'rmsprop'];

/** Eight runs of a hyper-parameter sweep, 30 epochs each; sweep-5 is the most accurate. */
function writeSweep(dir: string): void {
  for (let r = 1; r <= 8; r++) {
    const lr = [0.3, 0.1, 0.03, 0.01][r % 4];
    const depth = 2 + (r % 5);
    const final = r === 5 ? 0.93 : 0.7 + ((r * 37) % 20) / 100;
    let text = line({ type: 'run_start', run_id: `sweep-${r}`, experiment: 'sweep', name: `sweep-${r}`, time: 1_790_000_000_000 + r * 60_000, params: { lr: String(lr), optimizer: OPTIMIZERS[r % 3], depth: String(depth), seed: '42' } });
    for (let step = 0; step < 30; step++) {
      const progress = 1 - Math.exp(-step / 8);
      text += line({ type: 'metric', metrics: { accuracy: 0.5 + (final - 0.5) * progress, loss: 1.2 - (1.2 - (1 - final)) * progress }, step, time: 1_790_000_000_000 + r * 60_000 + step * 1_000 });
    }
    fs.writeFileSync(path.join(dir, `sweep-${r}.jsonl`), text);
  }
}

test('comparison: a sweep compared in a sortable table, parallel coordinates and a scatter, following a live run', (t) => {
  const workspace = trackingWorkspace('comparison');
  writeSweep(path.join(workspace, 'runs'));
  return withWorkbench(t, { name: 'comparison', workspace, vsix: VSIX }, async (wb) => {
    await wb.activityBarEntry('MLOps').click();
    const experiment = row(wb, 'Experiments', /^sweep/);
    await experiment.waitFor({ timeout: INDEX_MS });
    await expand(experiment);
    await selectRuns(wb, ['sweep-1', 'sweep-8'], 8, 'Shift');

    await wb.runCommand('MLOps: Plot Metrics');
    let frame = wb.webviewFrame();
    await wb.waitForText(frame.locator('[data-testid="charts"] h1'), 'Metrics of 8 runs', DRAW_MS);
    await frame.locator('[data-testid="chart"] canvas').first().waitFor({ state: 'visible', timeout: DRAW_MS });
    await wb.shot('metric-history');

    await wb.runCommand('MLOps: Compare Runs');
    frame = wb.webviewFrame();
    await wb.waitForText(frame.locator('[data-testid="compare"] h1'), 'Compare 8 runs', DRAW_MS);
    // The manifest gates accuracy with a minimum: higher is better, so sweep-5 is the best run.
    await wb.waitForText(frame.locator('[data-testid="best-run"]'), /sweep-5: the highest accuracy, [\d.]+ \(the manifest’s gate/, DRAW_MS);
    const table = frame.locator('[data-testid="comparison-table"]');
    await wb.waitForText(table.locator('tr.best th'), 'sweep-5');
    // seed is the same everywhere: not a default column. lr and optimizer differ: highlighted cells.
    assert.equal(await table.locator('th[data-column="param:seed"]').count(), 0);
    assert.ok((await table.locator('td.differs').count()) > 0);

    // Sort by accuracy from the keyboard: Tab to the header, Enter (ascending), Space (descending).
    const accuracy = table.locator('th[data-column="metric:accuracy"]');
    await accuracy.focus();
    await accuracy.press('Enter');
    await table.locator('th[data-column="metric:accuracy"][aria-sort="ascending"]').waitFor();
    await table.locator('th[data-column="metric:accuracy"]').press(' ');
    await table.locator('th[data-column="metric:accuracy"][aria-sort="descending"]').waitFor();
    await wb.waitForText(table.locator('tbody tr').first(), 'sweep-5');
    // The arrow keys move between headers; focus stays visible on the one reached.
    await table.locator('th[data-column="metric:accuracy"]').press('ArrowRight');
    assert.equal(await frame.locator(':focus').getAttribute('data-column'), 'metric:loss');

    // Columns: add seed, drop loss.
    await frame.locator('[data-testid="column-picker"] summary').click();
    await frame.locator('[data-testid="column-param:seed"]').click();
    await frame.locator('[data-testid="column-metric:loss"]').click();
    await table.locator('th[data-column="param:seed"]').waitFor();
    await table.locator('th[data-column="metric:loss"]').waitFor({ state: 'detached' });
    await wb.shot('comparison-table');

    const parallel = frame.locator('[data-testid="parallel-chart"]');
    await parallel.locator('canvas').waitFor({ state: 'visible', timeout: DRAW_MS });
    await frame.locator('section', { has: parallel }).evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await wb.shot('parallel-coordinates');

    const scatter = frame.locator('[data-testid="scatter-chart"]');
    await scatter.locator('canvas').waitFor({ state: 'visible', timeout: DRAW_MS });
    await frame.locator('section', { has: scatter }).evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await wb.waitForText(frame.locator('section', { has: scatter }), '8 of 8 runs have both values');
    await wb.shot('scatter');

    // A run still logging overtakes: the table, the best run and the charts follow.
    fs.appendFileSync(path.join(workspace, 'runs', 'sweep-2.jsonl'), line({ type: 'metric', metrics: { accuracy: 0.97 }, step: 30, time: 1_790_000_200_000 }));
    await wb.waitForText(frame.locator('[data-testid="best-run"]'), /sweep-2: the highest accuracy/, DRAW_MS);
    await wb.waitForText(table.locator('tr.best th'), 'sweep-2');

    // Hidden and reopened: the chosen columns and the order come back (webview state).
    await wb.runCommand('MLOps: Show Dashboard');
    await wb.page.locator('.tabs-container .tab', { hasText: 'Compare Runs' }).first().click();
    frame = wb.webviewFrame();
    const again = frame.locator('[data-testid="comparison-table"]');
    await again.locator('th[data-column="param:seed"]').waitFor({ timeout: DRAW_MS });
    assert.equal(await again.locator('th[data-column="metric:loss"]').count(), 0);
    await again.locator('th[data-column="metric:accuracy"][aria-sort="descending"]').waitFor();
    await wb.waitForText(again.locator('tbody tr').first(), 'sweep-2');
    await wb.shot('comparison-restored');
  });
});
