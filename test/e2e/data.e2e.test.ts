// Data validation in a real VS Code: the example's manifest with a `data:` section whose Telco file
// has 11 blank TotalCharges. The failed expectation shows in the Problems panel, MLOps: Validate Data
// shows the report (the failure first, its rows, a histogram per numeric column), and the "Infer
// expectations" lens rewrites the data set so that, once saved, the problem goes.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, copyWorkspace, withWorkbench } from './harness';

const VSIX = process.env.MLOPS_VSIX ?? path.join(ROOT, 'dist', 'mlops-workbench.vsix');
const EXAMPLE = process.env.MLOPS_EXAMPLE ?? path.join(ROOT, 'examples', 'churn');
const SERVER_MS = 30_000;

const DATA = `
data:
  customers:
    path: data/telco-churn.csv
    columns:
      tenure: { type: integer, min: 0, max: 100 }
      TotalCharges: { type: number, min: 0, max_null_share: 0 }
      Contract: { type: category, values: [Month-to-month, One year, Two year] }
`;

test('data: a failing expectation in the Problems panel and the report, and the inferred block that passes', (t) => {
  const workspace = copyWorkspace(EXAMPLE, 'data-validation');
  const manifest = path.join(workspace, 'mlops.yaml');
  fs.appendFileSync(manifest, DATA);
  const line = fs.readFileSync(manifest, 'utf8').split('\n').findIndex((l) => l.includes('TotalCharges: {')) + 1;
  assert.ok(line > 0);
  return withWorkbench(t, { name: 'data-validation', workspace, vsix: VSIX }, async (wb) => {
    await wb.statusBarItem('MLOps server: running').waitFor({ timeout: SERVER_MS });
    await wb.openFile('mlops.yaml');
    const rows = await wb.openProblems();
    const problem = rows.filter({ hasText: /data-max-null-share/ }).first();
    await wb.waitForText(problem, /TotalCharges.* has 11 nulls in 7,043 rows/, SERVER_MS);
    await wb.waitForText(problem, new RegExp(`\\[Ln ${line},`), SERVER_MS);
    await wb.shot('problems-null-share');

    await wb.runCommand('MLOps: Validate Data');
    const frame = wb.webviewFrame();
    await wb.waitForText(frame.locator('[data-testid="verdict"]'), /^Data invalid/, SERVER_MS);
    const failed = frame.locator('[data-testid="result-customers-TotalCharges-max_null_share"]');
    await wb.waitForText(failed, /11 \(0\.156%\)/, SERVER_MS);
    await wb.waitForText(failed, /489, 754, 937/, SERVER_MS);
    const histogram = frame.locator('[data-testid="histogram-customers-tenure"]');
    await histogram.locator('.chart canvas, .chart svg').first().waitFor({ state: 'visible', timeout: SERVER_MS });
    // Paths as the manifest writes them, relative to its folder.
    await wb.waitForText(frame.locator('[data-testid="dataset-customers"] > p').first(), /^data\/telco-churn\.csv · 7,043 rows · /, SERVER_MS);
    await wb.shot('validate-data-report');
    await histogram.scrollIntoViewIfNeeded();
    await wb.shot('validate-data-histograms');
    // Keyboard: the failure's Go to button is reachable and takes the editor to its line.
    await frame.locator('[data-testid="result-customers-TotalCharges-max_null_share-goto"]').focus();
    await wb.page.keyboard.press('Enter');
    await wb.page.locator('.editor-group-container .monaco-editor .current-line').first().waitFor({ timeout: SERVER_MS });
    await wb.waitForText(wb.page.locator('.statusbar-item', { hasText: /^Ln \d+, Col \d+/ }).first(), new RegExp(`^Ln ${line},`), SERVER_MS);

    // The lens over the data set: expectations inferred from the file replace the block.
    const editor = wb.page.locator('.editor-group-container .monaco-editor').first();
    const lens = editor.locator('.codelens-decoration a', { hasText: 'Infer expectations again from the file' });
    await lens.waitFor({ timeout: SERVER_MS });
    await wb.shot('infer-lens');
    await lens.click();
    await editor.locator('.view-line', { hasText: 'customerID: { type: string, unique: true' }).first().waitFor({ timeout: SERVER_MS });
    await editor.locator('.view-lines').click();
    await wb.page.keyboard.press('Control+S');
    await problem.waitFor({ state: 'detached', timeout: SERVER_MS });
    const left = (await wb.problemTexts()).filter((p) => /data-/.test(p));
    assert.deepEqual(left, [], left.join('\n'));
    await wb.shot('inferred-block-passes');
    assert.match(fs.readFileSync(manifest, 'utf8'), /TotalCharges: \{ type: number, min: 0, max: \d+, max_null_share: 0\.0032 \}/);
  });
});
