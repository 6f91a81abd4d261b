// The canary guard in a real VS Code: serve the churn model with a guarded endpoint, give a broken
// version 10 % from the palette, type into mlops.yaml without saving, send traffic from outside; the
// guard rolls the canary back by itself, in the file and in the unsaved buffer, and says so.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { GUARDED_MANIFEST, brokenCanary } from '../helpers/canary';
import { ROOT, copyWorkspace, withWorkbench, type Workbench } from './harness';
import { row } from './views';

const VSIX = process.env.MLOPS_VSIX ?? path.join(ROOT, 'dist', 'mlops-workbench.vsix');
const EXAMPLE = process.env.MLOPS_EXAMPLE ?? path.join(ROOT, 'examples', 'churn');

const MANIFEST = GUARDED_MANIFEST;
const NOTE = '# v2 is the retrained model: watch it';

async function pick(wb: Workbench, label: RegExp): Promise<void> {
  const option = wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
  await option.waitFor();
  await option.click();
}

test('canary guard: a failing canary is rolled back by itself, in mlops.yaml and in its unsaved edits', (t) => {
  const workspace = copyWorkspace(EXAMPLE, 'guard');
  const manifest = path.join(workspace, 'mlops.yaml');
  fs.writeFileSync(manifest, MANIFEST);
  fs.writeFileSync(path.join(workspace, 'models', 'canary.onnx'), brokenCanary());
  // Edits stay unsaved until the user saves (code-server's default would save them after a delay).
  return withWorkbench(t, { name: 'guard', workspace, vsix: VSIX, settings: { 'files.autoSave': 'off' } }, async (wb) => {
    await wb.statusBarItem('MLOps server: running').waitFor({ timeout: 30_000 });
    await wb.activityBarEntry('MLOps').click();
    await wb.openFile('mlops.yaml');
    await wb.runCommand('MLOps: Start Serving');
    const item = wb.statusBarItem(/^MLOps model server: running at http:\/\/127\.0\.0\.1:\d+$/);
    await item.waitFor({ timeout: 30_000 });
    const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec((await item.getAttribute('aria-label')) ?? '')![1];
    await wb.waitForText(row(wb, 'Serving', 'Version 1'), /100%/, 30_000);

    // A canary step from the palette: the broken version gets 10 %, and the file is saved.
    await wb.runCommand('MLOps: Promote Version…');
    await pick(wb, /^2/);
    await pick(wb, /^Canary step/);
    const dialog = wb.page.locator('.monaco-dialog-box');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: /^Promote/ }).click();
    await wb.waitForText(row(wb, 'Serving', 'Version 2'), /10%/, 30_000);
    assert.match(fs.readFileSync(manifest, 'utf8'), /traffic: \{ "1": 90, "2": 10 \}/);

    // The user types a note at the top and does not save it.
    const editor = wb.page.locator('.editor-group-container .monaco-editor').first();
    await editor.locator('.view-lines').click();
    await wb.page.keyboard.press('Control+Home');
    await wb.page.keyboard.type(NOTE);
    await wb.page.keyboard.press('Enter');
    await wb.page.locator('.tabs-container .tab.active.dirty').waitFor();
    await wb.shot('canary-with-unsaved-note');

    // Traffic from outside, as client applications send it, until the guard's warning shows.
    const warning = wb.page.locator('.notification-toast', { hasText: /Auto-rollback: canary "2"/ });
    const deadline = Date.now() + 60_000;
    for (let i = 0; !(await warning.isVisible()); i++) {
      assert.ok(Date.now() < deadline, 'the guard did not roll the canary back within 60 s');
      const data = Array.from({ length: 26 }, (_, j) => ((i + j) % 7) / 7);
      await fetch(`${url}/v2/models/churn/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: 'features', shape: [1, 26], datatype: 'FP32', data }] }),
      });
    }
    await wb.waitForText(warning, /also made in your unsaved edits/);
    await wb.waitForText(row(wb, 'Serving', 'Version 1'), /100%/, 30_000);
    // The file is as before the canary step; the buffer keeps the note, loses the canary's share, stays unsaved.
    assert.equal(fs.readFileSync(manifest, 'utf8'), MANIFEST);
    await editor.locator('.view-line', { hasText: 'traffic: { "1": 100 }' }).waitFor();
    await editor.locator('.view-line', { hasText: NOTE }).waitFor();
    await wb.page.locator('.tabs-container .tab.active.dirty').waitFor();
    await wb.shot('auto-rolled-back');

    // Saving: the editor says the file changed under the buffer; overwriting it keeps both.
    await editor.locator('.view-lines').click();
    await wb.page.keyboard.press('Control+S');
    const conflict = wb.page.locator('.notification-toast', { hasText: /content of the file is newer/ });
    await conflict.waitFor();
    await wb.shot('save-asks-to-overwrite');
    await conflict.getByRole('button', { name: 'Overwrite' }).click();
    await wb.page.locator('.tabs-container .tab.active:not(.dirty)').waitFor();
    assert.equal(fs.readFileSync(manifest, 'utf8'), `${NOTE}\n${MANIFEST}`);
    await wb.waitForText(row(wb, 'Serving', 'Version 1'), /100%/);
    await wb.shot('saved-over');
  });
});
