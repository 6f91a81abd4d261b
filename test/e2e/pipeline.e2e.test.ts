// Exporting the pipeline from the editor: the lens over the churn endpoint's `deploy:` says how it is
// sized; "MLOps: Export Pipeline…" asks what to write, shows every file in the Refactor Preview, and
// writes the GitHub Actions workflow and the KServe files only when the user applies them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, copyWorkspace, withWorkbench } from './harness';

const VSIX = process.env.MLOPS_VSIX ?? path.join(ROOT, 'dist', 'mlops-workbench.vsix');
const EXAMPLE = process.env.MLOPS_EXAMPLE ?? path.join(ROOT, 'examples', 'churn');
const SERVER_MS = 30_000;

test('pipeline: the deploy lens, the export reviewed in the Refactor Preview, then written', (t) => {
  const workspace = copyWorkspace(EXAMPLE, 'pipeline-export');
  // A project of its own: GitHub reads workflows at the repository's root, which is this folder.
  const init = spawnSync('git', ['init', '-q', workspace], { encoding: 'utf8' });
  assert.equal(init.status, 0, init.stderr);
  const workflow = path.join(workspace, '.github', 'workflows', 'mlops.yml');
  const kserve = path.join(workspace, 'k8s', 'kserve', 'churn.inferenceservice.yaml');
  return withWorkbench(t, { name: 'pipeline-export', workspace, vsix: VSIX }, async (wb) => {
    await wb.statusBarItem('MLOps server: running').waitFor({ timeout: SERVER_MS });
    await wb.openFile('mlops.yaml');
    // The lens over deploy: the endpoint's sizing, and the export behind it.
    const lens = wb.page.locator('.codelens-decoration a', { hasText: /Export for Kubernetes… · 2–6 replicas · scale at 8 concurrent/ });
    // Reveal the serving block, where deploy: is.
    await wb.goToLine(fs.readFileSync(path.join(workspace, 'mlops.yaml'), 'utf8').split('\n').findIndex((l) => /^\s+deploy:/.test(l)) + 1);
    await lens.waitFor({ timeout: SERVER_MS });
    await wb.shot('deploy-lens');
    await lens.click();

    // What to write: the workflow and KServe are picked for a lens over deploy:? KServe only.
    const quickInput = wb.page.locator('.quick-input-widget');
    await wb.waitForText(quickInput, /Export the pipeline of mlops\.yaml/, SERVER_MS);
    await wb.waitForText(quickInput, /GitHub Actions workflow/, SERVER_MS);
    const checked = async (label: string) => (await quickInput.locator('.monaco-list-row', { hasText: label }).getAttribute('aria-checked')) === 'true';
    assert.equal(await checked('KServe InferenceServices'), true);
    assert.equal(await checked('GitHub Actions workflow'), false);
    // Add the workflow too.
    await quickInput.locator('.monaco-list-row', { hasText: 'GitHub Actions workflow' }).locator('.monaco-checkbox, input[type=checkbox]').first().click();
    await wb.shot('export-targets');
    await wb.page.keyboard.press('Enter');

    // The files, listed before anything is written; each reviewed in the Refactor Preview.
    const dialog = wb.page.locator('.monaco-dialog-box');
    await wb.waitForText(dialog, /Write 3 exported files\?/, SERVER_MS);
    await wb.waitForText(dialog, /\.github\/workflows\/mlops\.yml \(new\)/, SERVER_MS);
    await wb.waitForText(dialog, /k8s\/kserve\/churn\.inferenceservice\.yaml \(new\)/, SERVER_MS);
    await wb.shot('export-files-listed');
    await dialog.getByRole('button', { name: 'Review Each File…' }).click();
    // Nothing is written before the review is applied.
    const preview = wb.page.locator('.refactor-preview, [id="workbench.view.bulkEdit"], .bulk-edit-panel').first();
    await preview.waitFor({ timeout: SERVER_MS });
    await wb.waitForText(wb.page.locator('.monaco-list-row', { hasText: 'mlops.yml' }).first(), /mlops\.yml\s*\.github\/workflows/, SERVER_MS);
    await wb.waitForText(wb.page.locator('.monaco-list-row', { hasText: 'churn.inferenceservice.yaml' }).first(), /churn\.inferenceservice\.yaml/, SERVER_MS);
    assert.equal(fs.existsSync(workflow), false, 'not written before Apply');
    // Each file is the user's to tick.
    for (const name of ['mlops.yml', 'churn.canary.inferenceservice.yaml', 'churn.inferenceservice.yaml']) {
      const entry = wb.page.locator('.monaco-list-row', { hasText: name }).first();
      const box = entry.locator('input[type=checkbox], .monaco-checkbox').first();
      await box.click();
      await wb.page.waitForFunction(
        `(() => { const row = [...document.querySelectorAll('.monaco-list-row')].find((r) => r.textContent.includes(${JSON.stringify(name)})); const input = row && row.querySelector('input[type=checkbox]'); return input ? input.checked : !!(row && row.querySelector('.monaco-checkbox.checked')); })()`,
      );
    }
    await wb.shot('refactor-preview');
    await wb.page.getByRole('button', { name: 'Apply', exact: true }).first().click();

    // Written as the CLI writes them; the workflow opens on request.
    const toast = wb.page.locator('.notification-toast', { hasText: /exported 3 files/ });
    await wb.waitForText(toast, /Upload the model files/, SERVER_MS);
    assert.match(fs.readFileSync(workflow, 'utf8'), /# >>> mlops-workbench generated: /);
    assert.match(fs.readFileSync(kserve, 'utf8'), /scaleTarget: 8/);
    assert.ok(fs.existsSync(path.join(workspace, 'k8s', 'kserve', 'churn.canary.inferenceservice.yaml')));
    await toast.getByRole('button', { name: 'Open Workflow' }).click();
    await wb.page.locator('.tabs-container .tab', { hasText: 'mlops.yml' }).first().waitFor({ timeout: SERVER_MS });
    await wb.shot('workflow-written');
    // A workflow named mlops.yml is not read as a manifest: no problems of its own.
    const problems = await wb.problemTexts();
    assert.equal(problems.filter((p) => /workflows|mlops\.yml/.test(p)).length, 0, problems.join('\n'));
  });
});
