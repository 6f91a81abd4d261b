// Charts scenarios: the metric history of the example's two runs (per-epoch metrics in runs/*.jsonl),
// opened from the Experiments selection, drawn by vega in the webview under its strict CSP, with the
// controls changing it, and the state surviving a hide and reopen.
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, withWorkbench } from './harness';
import { expand, row, trackingWorkspace } from './views';

const VSIX = process.env.MLOPS_VSIX ?? path.join(ROOT, 'dist', 'mlops-workbench.vsix');
const INDEX_MS = 30_000;
const DRAW_MS = 20_000;


test('charts: Plot Metrics draws the metric history of the selected runs', (t) =>
  withWorkbench(t, { name: 'charts', workspace: trackingWorkspace('charts'), vsix: VSIX }, async (wb) => {
    await wb.activityBarEntry('MLOps').click();
    const experiment = row(wb, 'Experiments', 'churn');
    await experiment.waitFor({ timeout: INDEX_MS });
    await expand(experiment);
    await row(wb, 'Experiments', 'churn-v1').click();
    await row(wb, 'Experiments', 'churn-v2').click({ modifiers: ['Control'] });
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
    await frame.locator('[data-testid="chart"] canvas, [data-testid="chart"] svg').first().waitFor({ state: 'visible', timeout: DRAW_MS });
    await wb.page.waitForTimeout(1_000);
    await wb.shot('metric-history-smoothed');

    // Hidden and reopened: the panel comes back with the same options (webview state).
    await wb.runCommand('MLOps: Show Dashboard');
    await wb.page.locator('.tabs-container .tab', { hasText: 'Metric Charts' }).first().click();
    const again = wb.webviewFrame();
    await wb.waitForText(again.locator('.slider-value'), '0.60', DRAW_MS);
    await again.locator('[data-testid="chart"] canvas, [data-testid="chart"] svg').first().waitFor({ state: 'visible', timeout: DRAW_MS });
    await wb.shot('metric-history-restored');
  }));
