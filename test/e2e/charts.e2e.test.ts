// Charts scenarios: the metric history of the example's two runs (per-epoch metrics in runs/*.jsonl),
// opened from the Experiments selection, drawn by vega in the webview under its strict CSP, with the
// controls changing it, and the state surviving a hide and reopen.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, copyWorkspace, withWorkbench, type Workbench } from './harness';

const VSIX = process.env.MLOPS_VSIX ?? path.join(ROOT, 'dist', 'mlops-workbench.vsix');
const EXAMPLE = process.env.MLOPS_EXAMPLE ?? path.join(ROOT, 'examples', 'churn');
const MLFLOW_STORE = path.resolve(ROOT, '..', 'shared', 'fixtures', 'mlruns', 'mlflow-2.4-registry', 'mlruns');
const INDEX_MS = 30_000;
const DRAW_MS = 20_000;

/** The example plus a real MLflow 2.4 store with a model registry, listed under `tracking:`. */
function trackingWorkspace(name: string): string {
  const workspace = copyWorkspace(EXAMPLE, name);
  fs.cpSync(MLFLOW_STORE, path.join(workspace, 'mlruns'), { recursive: true });
  fs.mkdirSync(path.join(workspace, 'runs'), { recursive: true });
  const manifest = path.join(workspace, 'mlops.yaml');
  fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace(/^tracking: .*$/m, 'tracking: [mlruns/, runs/]'));
  return workspace;
}

function pane(wb: Workbench, title: string) {
  const header = wb.page.locator('.pane-header', { hasText: title });
  return wb.page.locator('.part.sidebar .pane').filter({ has: header });
}

function row(wb: Workbench, view: string, text: string | RegExp) {
  return pane(wb, view).locator('.monaco-list-row', { hasText: text }).first();
}

async function expand(rowLocator: ReturnType<typeof row>): Promise<void> {
  if ((await rowLocator.getAttribute('aria-expanded')) !== 'true') await rowLocator.click();
}

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
