// Run logs from other tools in the editor: an Optuna storage, a PyTorch Lightning TensorBoard log and a
// W&B run folder (real files from the fixtures) listed under `tracking:` fill the Experiments view;
// the study's best trial is starred; Compare Runs on trials picks the best by the study's direction and
// draws the params against the objective; Plot Metrics draws a TensorBoard run's scalars.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, copyWorkspace, withWorkbench } from './harness';
import { expand, pane, row } from './views';

const VSIX = process.env.MLOPS_VSIX ?? path.join(ROOT, 'dist', 'mlops-workbench.vsix');
const FIXTURES = path.resolve(ROOT, '..', 'shared', 'fixtures');
const INDEX_MS = 30_000;
const DRAW_MS = 20_000;

function sourcesWorkspace(name: string): string {
  const workspace = copyWorkspace(path.join(ROOT, 'examples', 'churn'), name);
  fs.copyFileSync(path.join(FIXTURES, 'optuna', 'pfnet-research_optuna-book', 'optuna-prepared.db'), path.join(workspace, 'study.db'));
  fs.cpSync(path.join(FIXTURES, 'tensorboard', 'Abdul-AA_Text-Generation-With-LSTM', 'lightning_logs'), path.join(workspace, 'lightning_logs'), { recursive: true });
  fs.cpSync(path.join(FIXTURES, 'wandb', 'ADL-Group-10_lab0', 'wandb'), path.join(workspace, 'wandb'), { recursive: true });
  const manifest = path.join(workspace, 'mlops.yaml');
  fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace(/^tracking: .*$/m, 'tracking: [study.db, lightning_logs/, wandb/]'));
  return workspace;
}

test('sources: an Optuna study, a TensorBoard log and a W&B run in the Experiments view; Compare Runs on trials; Plot Metrics on a TensorBoard run', (t) =>
  withWorkbench(t, { name: 'sources', workspace: sourcesWorkspace('sources'), vsix: VSIX }, async (wb) => {
    await wb.activityBarEntry('MLOps').click();
    const study = row(wb, 'Experiments', 'ch2-conditional');
    await wb.waitForText(study, /100 runs/, INDEX_MS);
    await wb.waitForText(row(wb, 'Experiments', 'lightning_logs'), /1 run/, INDEX_MS);
    await wb.waitForText(row(wb, 'Experiments', 'Lab-0'), /1 run/, INDEX_MS);

    // A TensorBoard run: its scalars on the chart.
    await expand(row(wb, 'Experiments', 'lightning_logs'));
    const tbRun = row(wb, 'Experiments', /^version_0/);
    await tbRun.click();
    await wb.runCommand('MLOps: Plot Metrics');
    const charts = wb.webviewFrame();
    await wb.waitForText(charts.locator('[data-testid="charts"] h1'), /Metrics of 1 run/, DRAW_MS);
    await charts.locator('[data-testid="chart"] canvas, [data-testid="chart"] svg').first().waitFor({ state: 'visible', timeout: DRAW_MS });
    await wb.shot('tensorboard-metrics');

    // The W&B run, with its name from the run log.
    await expand(row(wb, 'Experiments', 'Lab-0'));
    await row(wb, 'Experiments', 'alexnet_feature_extraction').waitFor({ timeout: INDEX_MS });
    await wb.shot('wandb-run');

    // The study's best trial and the first two, by a filter across every source (a tag with dots in backticks).
    await wb.runCommand('MLOps: Filter Runs…');
    const input = wb.page.locator('.quick-input-widget input.input');
    await input.fill("tags.`optuna.best` = 'true' or (tags.`optuna.study` = 'ch2-conditional' and attributes.run_name IN ('0', '1'))");
    await input.press('Enter');
    await wb.waitForText(study, /3 of 100 runs/, INDEX_MS);
    await expand(study);
    // The best trial has a star.
    const best = pane(wb, 'Experiments').locator('.monaco-list-row', { has: wb.page.locator('.codicon-star-full') }).first();
    await best.waitFor({ timeout: INDEX_MS });
    await wb.shot('optuna-study');

    const first = row(wb, 'Experiments', /^0value=/);
    const second = row(wb, 'Experiments', /^1value=/);
    for (let attempt = 1; ; attempt++) {
      await best.click();
      await first.click({ modifiers: ['Control'] });
      await second.click({ modifiers: ['Control'] });
      try {
        await wb.waitForText(pane(wb, 'Experiments').locator('.pane-header'), '3 runs selected', 5_000);
        break;
      } catch (err) {
        if (attempt === 3) throw err;
        wb.noteRetry('selecting 3 trials', attempt, err);
      }
    }
    // Compare Runs picks the best by the study's own direction and draws the params against the objective.
    await wb.runCommand('MLOps: Compare Runs');
    const frame = wb.webviewFrame();
    await wb.waitForText(frame.locator('[data-testid="compare"] h1'), 'Compare 3 runs', DRAW_MS);
    await wb.waitForText(frame.locator('[data-testid="best-run"]'), /^★ \d+: the (highest|lowest) value, [\d.]+ \(the Optuna study’s direction\)/, DRAW_MS);
    await frame.locator('[data-testid="parallel-chart"] canvas, [data-testid="parallel-chart"] svg').first().waitFor({ state: 'visible', timeout: DRAW_MS });
    await wb.shot('optuna-compare');
  }));
