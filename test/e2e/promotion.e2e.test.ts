// Promotion and rollback from the editor while the model server runs: promote version 2 from the
// palette, see mlops.yaml change and the Serving view follow, roll back, see both return.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, copyWorkspace, withWorkbench, type Workbench } from './harness';
import { row } from './views';

const VSIX = process.env.MLOPS_VSIX ?? path.join(ROOT, 'dist', 'mlops-workbench.vsix');
const EXAMPLE = process.env.MLOPS_EXAMPLE ?? path.join(ROOT, 'examples', 'churn');



async function pick(wb: Workbench, label: string | RegExp): Promise<void> {
  const row = wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
  await row.waitFor();
  await row.click();
}

async function confirm(wb: Workbench, button: RegExp, shot: string): Promise<void> {
  const dialog = wb.page.locator('.monaco-dialog-box');
  await dialog.waitFor();
  await wb.shot(shot);
  await dialog.getByRole('button', { name: button }).click();
}

test('promote from the palette, mlops.yaml and serving follow; roll back restores both', (t) => {
  const workspace = copyWorkspace(EXAMPLE, 'promotion');
  const manifest = path.join(workspace, 'mlops.yaml');
  fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace(/^  port: \d+$/m, '  port: 0'));
  const original = fs.readFileSync(manifest, 'utf8');
  return withWorkbench(t, { name: 'promotion', workspace, vsix: VSIX }, async (wb) => {
    await wb.statusBarItem('MLOps server: running').waitFor({ timeout: 30_000 });
    await wb.activityBarEntry('MLOps').click();
    await wb.runCommand('MLOps: Start Serving');
    await wb.waitForText(row(wb, 'Serving', 'Version 2'), /30%/, 30_000);
    await wb.openFile('mlops.yaml');

    await wb.runCommand('MLOps: Promote Version…');
    await pick(wb, /^2/);
    await pick(wb, /^Production/);
    await confirm(wb, /^Promote/, 'promotion-evidence');
    await wb.waitForText(row(wb, 'Serving', 'Version 2'), /100%/, 30_000);
    const promoted = fs.readFileSync(manifest, 'utf8');
    assert.match(promoted, /production: "2"/);
    const editor = wb.page.locator('.editor-group-container .monaco-editor').first();
    await editor.locator('.view-line', { hasText: 'production: "2"' }).waitFor();
    await wb.waitForText(row(wb, 'Models', 'Version 2'), /@production/);
    await wb.shot('promoted');

    await wb.runCommand('MLOps: Roll Back');
    await confirm(wb, /^Roll Back/, 'rollback-evidence');
    await wb.waitForText(row(wb, 'Serving', 'Version 2'), /30%/, 30_000);
    await editor.locator('.view-line', { hasText: 'production: "1"' }).waitFor();
    assert.equal(fs.readFileSync(manifest, 'utf8'), original);
    await wb.shot('rolled-back');
  });
});
