// Remote tracking in a real VS Code: a workspace whose mlops.yaml lists an MLflow tracking server that
// wants a bearer token (the REST stand-in over a real MLflow store). Without the token the Experiments
// view says so; "MLOps: Set MLflow Tracking Token" stores it and the server's runs appear. The token
// is in none of VS Code's logs (the LSP trace setting on as well).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { readStore, startMlflowStandin } from '../helpers/mlflow-standin';
import { ROOT, copyWorkspace, withWorkbench } from './harness';
import { expand, row } from './views';

const VSIX = process.env.MLOPS_VSIX ?? path.join(ROOT, 'dist', 'mlops-workbench.vsix');
const EXAMPLE = process.env.MLOPS_EXAMPLE ?? path.join(ROOT, 'examples', 'churn');
const MLFLOW_STORE = path.resolve(ROOT, '..', 'shared', 'fixtures', 'mlruns', 'mlflow-2.4-registry', 'mlruns');
const TOKEN = 'e2e-secret-token-93c1f7';
const INDEX_MS = 30_000;

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

test('remote tracking: the token is asked for, kept in the secret storage, and the server’s runs appear', async (t) => {
  const standin = await startMlflowStandin({ snapshot: readStore(MLFLOW_STORE), token: TOKEN });
  const workspace = copyWorkspace(EXAMPLE, 'remote-tracking');
  const manifest = path.join(workspace, 'mlops.yaml');
  fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace(/^tracking: .*$/m, `tracking: [${standin.url}]`));
  let runDir = '';
  try {
    await withWorkbench(t, { name: 'remote-tracking', workspace, vsix: VSIX, settings: { 'mlops.trace.server': 'verbose' } }, async (wb) => {
      runDir = wb.runDir;
      await wb.activityBarEntry('MLOps').click();
      // Refused: the read problem names the fix.
      const problems = row(wb, 'Experiments', /read problem/);
      await problems.waitFor({ timeout: INDEX_MS });
      await expand(problems);
      await row(wb, 'Experiments', /asks for a token: run "MLOps: Set MLflow Tracking Token"/).waitFor();
      await wb.shot('token-refused');

      await wb.runCommand('MLOps: Set MLflow Tracking Token');
      // A password box: what is typed is not shown.
      const input = wb.page.locator('.quick-input-widget input.input[type="password"]');
      await input.waitFor();
      await input.fill(TOKEN);
      await input.press('Enter');

      const experiment = row(wb, 'Experiments', 'Gabriel_Neil_Project');
      await experiment.waitFor({ timeout: INDEX_MS });
      await expand(experiment);
      await wb.waitForText(row(wb, 'Experiments', 'funny-wren-299'), /r2=/);
      await row(wb, 'Models', /Version 1.*Production/).waitFor({ timeout: INDEX_MS });
      await wb.shot('remote-runs');
    });
  } finally {
    await standin.close();
  }
  // After close the harness has copied VS Code's logs (the MLOps output and the LSP trace among them).
  const logs = [...filesUnder(path.join(runDir, 'logs')), path.join(runDir, 'code-server.log')].filter((f) => fs.existsSync(f));
  assert.ok(
    logs.some((f) => /MLOps/.test(path.basename(f)) || fs.readFileSync(f, 'utf8').includes('mlops/')),
    'the MLOps output was logged',
  );
  for (const file of logs) assert.ok(!fs.readFileSync(file, 'utf8').includes(TOKEN), `the token is not in ${path.relative(runDir, file)}`);
  assert.ok((standin.requests.get('runs/search') ?? 0) > 0);
});
