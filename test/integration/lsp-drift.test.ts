import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Notifications, Requests, type DriftPanelData, type ModelHealth, type MonitoredModel, type TreeNode } from '../../server/src/contract';
import { LspSession } from '../helpers/lsp';
import { CLI, tempDir } from '../helpers/paths';

let lsp: LspSession;
let workspace: string;

before(async () => {
  workspace = tempDir('lsp-drift', 'examples/churn');
  // A drifted period in the workspace's prediction log, sent through the real model server.
  const replay = spawnSync(process.execPath, [CLI, 'replay', workspace, '--rows', '300', '--slice', 'long-tenure'], { encoding: 'utf8' });
  assert.equal(replay.status, 0, replay.stderr);
  lsp = new LspSession();
  await lsp.initialize(workspace);
});

after(async () => {
  await lsp.shutdown();
});

test('the server announces the retrain the manifest asks for, once monitoring finds drift', async () => {
  const health = await lsp.notification<ModelHealth>(Notifications.retrainSuggested.method, 30_000);
  assert.equal(health.model, 'churn');
  assert.equal(health.manifest, join(workspace, 'mlops.yaml'));
  assert.equal(health.retrain.trigger, true);
  assert.ok(health.retrain.reasons.includes('drift'));
  assert.equal(health.retrain.command, 'npx mlops train .');
  assert.equal(health.cwd, workspace);
});

test('drift report request: the same report as mlops drift <model> --json', async () => {
  const data = await lsp.connection.sendRequest<DriftPanelData>(Requests.driftReport.method, { model: 'churn' });
  assert.ok(data.report, data.message);
  const cli = spawnSync(process.execPath, [CLI, 'drift', 'churn', workspace, '--json'], { encoding: 'utf8' });
  assert.equal(cli.status, 1, cli.stderr);
  assert.deepEqual(data.report, JSON.parse(cli.stdout));
  assert.equal(data.report.dataset_drift, true);
  assert.equal(data.report.current.rows, 300);
  // A window with no traffic is a message, not an error.
  const empty = await lsp.connection.sendRequest<DriftPanelData>(Requests.driftReport.method, { model: 'nope' });
  assert.equal(empty.report, null);
  assert.match(empty.message ?? '', /monitors a model "nope"/);
});

test('the Models view shows the monitored model\'s health; recording a retrain starts the cooldown', async () => {
  const deadline = Date.now() + 30_000;
  let churn: TreeNode | undefined;
  while (Date.now() < deadline) {
    const roots = await lsp.connection.sendRequest<TreeNode[]>(Requests.treeChildren.method, { view: 'models', parentId: null });
    churn = roots.find((n) => n.label === 'churn');
    if (churn?.description?.includes('drift')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(churn?.description?.includes('drift'), churn?.description);
  // The row shows the health alone (it fits the default sidebar width); versions and aliases are in the tooltip.
  assert.match(churn?.description ?? '', /^(drift|degraded, drift)$/);
  assert.match(churn?.tooltip ?? '', /2 versions · @production→1/);
  // Said once: the row's former description is not added to the tooltip again.
  assert.equal(churn?.tooltip?.match(/@production→1/g)?.length, 1, churn?.tooltip);
  assert.deepEqual(churn?.model, { manifest: join(workspace, 'mlops.yaml'), name: 'churn' });
  assert.match(churn?.icon ?? '', /warning|error/);
  // A due retrain: the row carries the inline Retrain action, and monitoredModels says why for the view's badge.
  assert.equal(churn?.contextValue, 'model.retrainDue');
  const due = await lsp.connection.sendRequest<MonitoredModel[]>(Requests.monitoredModels.method, {});
  assert.deepEqual(due.find((m) => m.model === 'churn')?.retrain?.reasons.includes('drift'), true);
  const { id } = await lsp.connection.sendRequest<{ id: number }>(Requests.retrainStarted.method, { manifest: join(workspace, 'mlops.yaml'), model: 'churn', cause: 'monitoring' });
  assert.ok(id > 0);
  const later = await lsp.connection.sendRequest<MonitoredModel[]>(Requests.monitoredModels.method, {});
  assert.equal(later.find((m) => m.model === 'churn')?.retrain, undefined, 'no longer due once the retrain ran');
  const health = await lsp.connection.sendRequest<ModelHealth>(Requests.modelHealth.method, { model: 'churn' });
  assert.equal(health.retrain.trigger, false);
  assert.ok((health.retrain.cooldown_until ?? 0) > Date.now() + 11 * 3_600_000);
});
