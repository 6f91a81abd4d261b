// Batch scoring from the editor: "Score File…" on a CSV in the Explorer's context menu, a version
// picked, the progress notification while 400,000 rows are scored in the language server, and the
// output opened in an editor when it is written.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, copyWorkspace, withWorkbench } from './harness';

const VSIX = process.env.MLOPS_VSIX ?? path.join(ROOT, 'dist', 'mlops-workbench.vsix');
const EXAMPLE = process.env.MLOPS_EXAMPLE ?? path.join(ROOT, 'examples', 'churn');
// Enough that the job runs for seconds, few enough that its output (~8 MB) opens in an editor.
const ROWS = 400_000;

/** The example's reference customers (26 encoded features), with an id, repeated to ROWS rows. */
function writeInput(workspace: string): string {
  const [header, ...lines] = fs.readFileSync(path.join(workspace, 'data', 'reference.csv'), 'utf8').trim().split('\n');
  const file = path.join(workspace, 'score.csv');
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, `id,${header}\n`);
  let chunk = '';
  for (let i = 0; i < ROWS; i++) {
    chunk += `c${i},${lines[i % lines.length]}\n`;
    if (chunk.length > 1 << 20) {
      fs.writeSync(fd, chunk);
      chunk = '';
    }
  }
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  return file;
}

test('scoring: Score File… from the Explorer, progress, the output opened', (t) => {
  const workspace = copyWorkspace(EXAMPLE, 'scoring');
  writeInput(workspace);
  const output = path.join(workspace, 'score.predictions.csv');
  return withWorkbench(t, { name: 'scoring', workspace, vsix: VSIX }, async (wb) => {
    await wb.statusBarItem('MLOps server: running').waitFor({ timeout: 30_000 });
    await wb.runCommand('View: Show Explorer');
    const file = wb.page.locator('.explorer-folders-view').getByRole('treeitem', { name: 'score.csv' });
    await file.waitFor();
    await file.click({ button: 'right' });
    const item = wb.page.locator('.context-view .action-label', { hasText: 'Score File…' }).first();
    await item.waitFor();
    await wb.shot('explorer-context-menu');
    await item.click();

    const version = wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: /^churn@production/ }).first();
    await version.waitFor();
    await wb.waitForText('.quick-input-widget', /Score score\.csv with which version\?/);
    await wb.shot('version-picker');
    await version.click();

    // The job runs in the language server; its notification carries rows and rows/s as they come.
    const progress = wb.page.locator('.notification-toast', { hasText: 'Scoring score.csv with churn@production' });
    await progress.waitFor({ timeout: 30_000 });
    await wb.waitForText(progress, /[\d,]+ rows · [\d,]+ rows\/s/, 60_000);
    assert.equal(await progress.getByRole('button', { name: 'Cancel' }).count(), 1, 'the job can be cancelled');
    await wb.shot('scoring-progress');

    // Done: the output is opened, and the summary says what was scored.
    await wb.page.locator('.tabs-container .tab.active[aria-label^="score.predictions.csv"]').waitFor({ timeout: 180_000 });
    await wb.waitForText('.notifications-toasts', /Scored 400,000 of 400,000 rows with churn version 1/, 30_000);
    await wb.page.locator('.editor-group-container .view-line', { hasText: 'id,probability,label' }).first().waitFor();
    await wb.shot('output-opened');
    const lines = fs.readFileSync(output, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, ROWS + 1);
    assert.equal(lines[0], 'id,probability,label');
    assert.match(lines[1], /^c0,0\.\d+,[01]$/);
  });
});
