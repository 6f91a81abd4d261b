// Tracking scenarios: the Experiments and Models views over a real MLflow store (a fixture copied into
// the example), a JSONL run appended while the editor is open, and the run filter.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, withWorkbench } from './harness';
import { expand, pane, row, selectRuns, trackingWorkspace } from './views';

const VSIX = process.env.MLOPS_VSIX ?? path.join(ROOT, 'dist', 'mlops-workbench.vsix');
const INDEX_MS = 30_000;


const line = (o: object) => JSON.stringify(o) + '\n';

test('experiments: the tree shows MLflow experiments, runs with their key metric, and registered models', (t) =>
  withWorkbench(t, { name: 'tracking-tree', workspace: trackingWorkspace('tracking-tree'), vsix: VSIX }, async (wb) => {
    await wb.activityBarEntry('MLOps').click();
    const experiment = row(wb, 'Experiments', 'Gabriel_Neil_Project');
    await experiment.waitFor({ timeout: INDEX_MS });
    await expand(experiment);
    // The fixture's two runs; the one with metrics shows its key metric (r2) in the description.
    const run = row(wb, 'Experiments', 'funny-wren-299');
    await wb.waitForText(run, /r2=/);
    await wb.shot('experiments-tree');

    // Compare: select both runs (Ctrl+click) and compare them side by side.
    await selectRuns(wb, ['funny-wren-299', 'thundering-gnu-196']);
    await wb.runCommand('MLOps: Compare Runs');
    const frame = wb.webviewFrame();
    await wb.waitForText(frame.locator('[data-testid="compare"] h1'), 'Compare 2 runs');
    await wb.waitForText(frame.locator('table.compare'), /r2/);
    // Both runs logged the same values: mae is an error (lower is better), the two tie, and their points coincide.
    await wb.waitForText(frame.locator('[data-testid="best-run"]'), 'No single best run by mae: 2 runs tie at the lowest value, 0.333333.');
    await wb.waitForText(frame.locator('[data-testid="scatter-note"]'), /2 of 2 runs have both values; they all fall on one point\./);
    await wb.shot('compare-runs');

    const model = row(wb, 'Models', 'my-sklearn-model');
    await model.waitFor();
    // The registry's versions carry MLflow stages; the manifest's own churn model is listed too.
    await row(wb, 'Models', /Version 1.*Production/).waitFor();
    await row(wb, 'Models', /Version 2.*Staging/).waitFor();
    // The manifest's model says its one figure (health, or that it is not served yet); its versions carry the aliases.
    await wb.waitForText(row(wb, 'Models', /^churn/), /not served yet/);
    await row(wb, 'Models', /Version 1\s*@production/).waitFor();
    await wb.shot('models-tree');
  }));

test('live: a JSONL run appended while the editor is open appears, and its new metric values follow', (t) => {
  const workspace = trackingWorkspace('tracking-live');
  return withWorkbench(t, { name: 'tracking-live', workspace, vsix: VSIX }, async (wb) => {
    await wb.activityBarEntry('MLOps').click();
    await row(wb, 'Experiments', 'Gabriel_Neil_Project').waitFor({ timeout: INDEX_MS });

    const file = path.join(workspace, 'runs', 'live.jsonl');
    fs.writeFileSync(file, line({ type: 'run_start', run_id: 'live-1', experiment: 'live-demo', name: 'live-run', params: { lr: '0.1' } }));
    fs.appendFileSync(file, line({ type: 'metric', key: 'loss', value: 0.9, step: 0 }));
    const experiment = row(wb, 'Experiments', 'live-demo');
    await experiment.waitFor({ timeout: INDEX_MS });
    await expand(experiment);
    const run = row(wb, 'Experiments', 'live-run');
    await wb.waitForText(run, /loss=0\.9/);
    await wb.shot('live-run-appeared');

    for (let step = 1; step <= 5; step++) fs.appendFileSync(file, line({ type: 'metric', key: 'loss', value: 0.9 - step * 0.13, step }));
    await wb.waitForText(run, /loss=0\.25/);
    await wb.shot('live-run-updated');
  });
});

test('filter: MLflow search syntax narrows the tree and a bad filter is refused with its column', (t) =>
  withWorkbench(t, { name: 'tracking-filter', workspace: trackingWorkspace('tracking-filter'), vsix: VSIX }, async (wb) => {
    await wb.activityBarEntry('MLOps').click();
    const experiment = row(wb, 'Experiments', 'Gabriel_Neil_Project');
    await experiment.waitFor({ timeout: INDEX_MS });

    await wb.runCommand('MLOps: Filter Runs…');
    const input = wb.page.locator('.quick-input-widget input.input');
    await input.fill("attributes.run_name = 'funny-wren-299' or metrics.r2 >");
    await input.press('Enter');
    // Refused: the input stays open and says where the filter went wrong.
    await wb.waitForText(wb.page.locator('.quick-input-widget'), /column/i);
    await wb.shot('bad-filter');
    // `or` and parentheses go beyond MLflow's own syntax.
    await input.fill("attributes.run_name = 'funny-wren-299' or (metrics.r2 > 0.5 and params.model = 'rf')");
    await input.press('Enter');
    await wb.waitForText(experiment, /1 of 2 runs/);
    await expand(experiment);
    await row(wb, 'Experiments', 'funny-wren-299').waitFor();
    await wb.shot('filtered');
    assert.equal(await pane(wb, 'Experiments').locator('.monaco-list-row', { hasText: /r2=/ }).count(), 1);
  }));
