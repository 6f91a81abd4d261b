// The server on another runtime than the editor's: mlops.server.runtime names Node 24, on which the
// VSIX's better-sqlite3 (built for this machine's Node 20) cannot load, so node:sqlite carries the
// index, the MLflow database reader and the prediction log. The Experiments tree fills and a served
// request is answered and counted.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, copyWorkspace, withWorkbench } from './harness';
import { expand, pane, row } from './views';

const VSIX = process.env.MLOPS_VSIX ?? path.join(ROOT, 'dist', 'mlops-workbench.vsix');
const EXAMPLE = process.env.MLOPS_EXAMPLE ?? path.join(ROOT, 'examples', 'churn');
const MLFLOW_DB = path.resolve(ROOT, '..', 'shared', 'fixtures', 'mlflow-db', 'mlflow-3.x-2026.db');

/** Node 24 from the npm registry, unpacked into .nodes/ by the same script CI uses. */
function node24(): string {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'node-versions.mjs'), '24'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('runtime: the server runs on Node 24 from mlops.server.runtime, with node:sqlite; the Experiments tree fills and a request is served', (t) => {
  const runtime = node24();
  const workspace = copyWorkspace(EXAMPLE, 'runtime');
  fs.copyFileSync(MLFLOW_DB, path.join(workspace, 'mlflow.db'));
  const manifest = path.join(workspace, 'mlops.yaml');
  fs.writeFileSync(
    manifest,
    fs.readFileSync(manifest, 'utf8').replace(/^  port: \d+$/m, '  port: 0').replace(/^tracking: .*$/m, 'tracking: [runs/, mlflow.db]'),
  );
  return withWorkbench(t, { name: 'runtime', workspace, vsix: VSIX, settings: { 'mlops.server.runtime': runtime } }, async (wb) => {
    await wb.statusBarItem('MLOps server: running').waitFor({ timeout: 60_000 });
    await wb.runCommand('MLOps: Show Dashboard');
    const frame = wb.webviewFrame();
    await wb.waitForText(frame.locator('body'), /Node v24\.[\d.]+ \(from mlops\.server\.runtime\) · SQLite via node:sqlite \d/, 30_000);
    await wb.waitForText(frame.locator('body'), /better-sqlite3 not used: .*NODE_MODULE_VERSION/);
    await wb.shot('dashboard-node24');

    await wb.activityBarEntry('MLOps').click();
    // The example's JSONL runs and the MLflow database's experiments, indexed through node:sqlite.
    await row(wb, 'Experiments', 'churn_prediction').waitFor({ timeout: 30_000 });
    const jsonl = row(wb, 'Experiments', /churn\s*2 runs/);
    await jsonl.waitFor();
    await expand(jsonl);
    await row(wb, 'Experiments', 'churn-v2').waitFor();
    await wb.shot('experiments-node24');

    await wb.runCommand('MLOps: Start Serving');
    const item = wb.statusBarItem(/^MLOps model server: running at http:\/\/127\.0\.0\.1:\d+$/);
    await item.waitFor({ timeout: 30_000 });
    const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec((await item.getAttribute('aria-label')) ?? '')![1];
    for (let i = 0; i < 20; i++) {
      const data = Array.from({ length: 26 }, (_, j) => ((i + j) % 5) / 5);
      const r = await fetch(`${url}/v2/models/churn/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user-id': `user-${i}` },
        body: JSON.stringify({ id: `node24-${i}`, inputs: [{ name: 'features', shape: [1, 26], datatype: 'FP32', data }] }),
      });
      assert.equal(r.status, 200);
      assert.equal(((await r.json()) as { id: string }).id, `node24-${i}`);
    }
    await wb.waitForText(pane(wb, 'Serving').locator('.monaco-list-row', { hasText: 'Version 1' }), /[1-9][\d.]* req\/s|0\.[1-9] req\/s/);
    await wb.shot('serving-node24');
    await wb.runCommand('MLOps: Stop Serving');
    await item.waitFor({ state: 'detached' });
  });
});
