// Serving from the editor: start the model server from the palette, see the Serving view fill with the
// example's endpoint and versions and the status bar show the URL, send traffic, stop it.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, copyWorkspace, withWorkbench } from './harness';
import { pane } from './views';

const VSIX = process.env.MLOPS_VSIX ?? path.join(ROOT, 'dist', 'mlops-workbench.vsix');
const EXAMPLE = process.env.MLOPS_EXAMPLE ?? path.join(ROOT, 'examples', 'churn');


test('serving: start from the palette, the Serving view fills with live numbers, stop', (t) => {
  const workspace = copyWorkspace(EXAMPLE, 'serving');
  const manifest = path.join(workspace, 'mlops.yaml');
  // Any free port, so the test never depends on 8080 being free.
  fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace(/^  port: \d+$/m, '  port: 0'));
  return withWorkbench(t, { name: 'serving', workspace, vsix: VSIX }, async (wb) => {
    await wb.statusBarItem('MLOps server: running').waitFor({ timeout: 30_000 });
    await wb.activityBarEntry('MLOps').click();
    await wb.waitForText(pane(wb, 'Serving'), /Nothing is being served/);
    await wb.shot('serving-empty');

    // The palette lists the MLOps commands (a screenshot for the README's tour), then closes untouched.
    await wb.page.keyboard.press('F1');
    const quickInput = wb.page.locator('.quick-input-widget');
    await quickInput.locator('input').fill('>MLOps: ');
    await quickInput.getByRole('option', { name: /^MLOps: Promote Version/ }).waitFor();
    await wb.shot('palette');
    await wb.page.keyboard.press('Escape');
    await quickInput.waitFor({ state: 'hidden' });

    await wb.runCommand('MLOps: Start Serving');
    const item = wb.statusBarItem(/^MLOps model server: running at http:\/\/127\.0\.0\.1:\d+$/);
    await item.waitFor({ timeout: 30_000 });
    const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec((await item.getAttribute('aria-label')) ?? '')![1];
    const version1 = pane(wb, 'Serving').locator('.monaco-list-row', { hasText: 'Version 1' });
    await wb.waitForText(version1, /70%/);

    // Traffic from outside the editor, as a client application would send it.
    for (let i = 0; i < 40; i++) {
      const data = Array.from({ length: 26 }, (_, j) => ((i + j) % 7) / 7);
      const r = await fetch(`${url}/v2/models/churn/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user-id': `user-${i}` },
        body: JSON.stringify({ inputs: [{ name: 'features', shape: [1, 26], datatype: 'FP32', data }] }),
      });
      assert.equal(r.status, 200);
    }
    // The rate is over whole past seconds, so it shows once the second of the burst is over. Sticky
    // routing by x-user-id sends 28 of the 40 users to version 1 (70%) and 12 to version 2.
    await wb.waitForText(version1, /70% · 2\.8 req\/s/);
    await wb.waitForText(pane(wb, 'Serving').locator('.monaco-list-row', { hasText: 'Version 2' }), /30% · 1\.2 req\/s/);
    await wb.waitForText(pane(wb, 'Serving').locator('.monaco-list-row', { hasText: 'churn' }).first(), /[1-9][\d.]* req\/s|0\.[1-9] req\/s/);
    await wb.shot('serving-live');

    await wb.runCommand('MLOps: Stop Serving');
    await item.waitFor({ state: 'detached' });
    await wb.waitForText(pane(wb, 'Serving'), /Nothing is being served/);
    await wb.shot('serving-stopped');
  });
});
