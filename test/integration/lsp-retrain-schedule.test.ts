import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CodeLensRequest } from 'vscode-languageserver-protocol/node';
import { formatScheduled } from '../../server/src/monitoring/index';
import { Notifications, Requests, type ModelHealth, type MonitoredModel, type TreeNode } from '../../server/src/contract';
import { openStore } from '../../server/src/store/store';
import { LspSession } from '../helpers/lsp';
import { tempDir } from '../helpers/paths';

const MANIFEST = `version: 1
models:
  m: {}
monitoring:
  m:
    retrain: { command: make model, schedule: daily, timezone: Asia/Seoul }
`;

async function session(workspace: string): Promise<LspSession> {
  const lsp = new LspSession();
  await lsp.initialize(workspace);
  return lsp;
}

/** Polls the Models view's source until the model's health was judged (its check ran). */
async function judged(lsp: LspSession, accept: (m: MonitoredModel) => boolean): Promise<MonitoredModel> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const found = (await lsp.connection.sendRequest<MonitoredModel[]>(Requests.monitoredModels.method, {})).find((m) => m.model === 'm');
    if (found && accept(found)) return found;
    if (Date.now() > deadline) throw new Error(`not judged: ${JSON.stringify(found)}\n${lsp.log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a scheduled retrain: the next time in the Models view, a missed one announced once across sessions, a run recorded', async () => {
  const workspace = tempDir('lsp-schedule');
  const manifest = join(workspace, 'mlops.yaml');
  writeFileSync(manifest, MANIFEST);

  // First session: the schedule is seen for the first time; the next run is shown, nothing is due.
  let lsp = await session(workspace);
  try {
    const m = await judged(lsp, (x) => x.nextRetrain != null);
    assert.equal(m.retrain, undefined);
    assert.equal(m.nextRetrain?.timezone, 'Asia/Seoul');
    // Daily in Seoul is 15:00 UTC.
    assert.equal(new Date(m.nextRetrain!.at).getUTCHours(), 15);
    // Over `retrain:` in the manifest: Retrain now, and the next scheduled time in the schedule's zone.
    const uri = pathToFileURL(manifest).href;
    await lsp.open(uri, MANIFEST);
    const lenses = (await lsp.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) ?? [];
    const overRetrain = lenses.filter((l) => l.range.start.line === 5).map((l) => [l.command?.title, l.command?.command, JSON.stringify(l.command?.arguments)]);
    assert.deepEqual(overRetrain, [
      ['$(sync) Retrain now…', 'mlops.retrain', JSON.stringify([{ manifest, model: 'm' }])],
      [`$(clock) Next scheduled: ${formatScheduled(m.nextRetrain!.at, 'Asia/Seoul')}`, 'mlops.retrain', JSON.stringify([{ manifest, model: 'm' }])],
      ['$(github-action) Export Pipeline…', 'mlops.exportPipeline', JSON.stringify([{ manifest, target: 'github-actions' }])],
    ]);
    const roots = await lsp.connection.sendRequest<TreeNode[]>(Requests.treeChildren.method, { view: 'models', parentId: null });
    assert.match(roots.find((n) => n.label === 'm')?.tooltip ?? '', /Next scheduled retrain: \w{3}, \d+ \w{3} \d{4}, 00:00 Asia\/Seoul/);
  } finally {
    await lsp.shutdown();
  }

  // The editor was closed for two days.
  const db = openStore(workspace);
  db.prepare('UPDATE retrain_schedules SET since = since - ?').run(2 * 86_400_000);
  db.close();

  lsp = await session(workspace);
  let scheduledFor: number;
  try {
    const health = await lsp.notification<ModelHealth>(Notifications.retrainSuggested.method, 30_000);
    assert.deepEqual(health.retrain.reasons, ['schedule']);
    assert.equal(health.retrain.trigger, true);
    scheduledFor = health.retrain.schedule!.due!;
    assert.ok(scheduledFor > Date.now() - 86_400_000 && scheduledFor <= Date.now());
    assert.match(health.retrain.message, /^The scheduled retrain of .* 00:00 Asia\/Seoul is due: retrain with `make model`\.$/);
    assert.equal((await judged(lsp, (x) => x.retrain !== undefined)).retrain?.reasons[0], 'schedule');
  } finally {
    await lsp.shutdown();
  }

  // Next start: still due (the row keeps its Retrain action), but not announced again.
  lsp = await session(workspace);
  try {
    const m = await judged(lsp, (x) => x.retrain !== undefined);
    assert.deepEqual(m.retrain?.reasons, ['schedule']);
    // The check that judged it would have announced it before answering: nothing came.
    const announced = await lsp.notification(Notifications.retrainSuggested.method, 1).then(
      () => true,
      () => false,
    );
    assert.equal(announced, false, 'announced again');
    // The editor runs it: the event's start and end are recorded, and it is no longer due.
    const { id } = await lsp.connection.sendRequest<{ id: number }>(Requests.retrainStarted.method, { manifest, model: 'm', cause: 'schedule', scheduledFor });
    await lsp.connection.sendRequest(Requests.retrainFinished.method, { manifest, id, exitCode: 0, durationMs: 4200 });
    assert.equal((await judged(lsp, (x) => x.retrain === undefined)).retrain, undefined);
    const store = openStore(workspace);
    const row = store.prepare('SELECT cause, scheduled_for, exit_code, duration_ms FROM retrain_events WHERE id = ?').get(id);
    store.close();
    assert.deepEqual(row, { cause: 'schedule', scheduled_for: scheduledFor, exit_code: 0, duration_ms: 4200 });
  } finally {
    await lsp.shutdown();
  }
});
