// Promotion, rollback and A/B analysis over the language server's own requests (stdio JSON-RPC),
// as the editor sends them: pickers' choices, plans against an unsaved document, the audit log, and
// the A/B dashboard's data following the prediction log.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { Notifications, Requests, type AbDashboardData, type AuditEvent, type PromotionChoices, type PromotionPlan } from '../../server/src/contract';
import { applyEdits } from '../../server/src/promotion/promotion';
import { openStore } from '../../server/src/store/store';
import { LspSession } from '../helpers/lsp';
import { tempDir } from '../helpers/paths';

let lsp: LspSession;
let workspace: string;
let manifest: string;
let original: string;

before(async () => {
  workspace = tempDir('lsp-promotion', 'examples/churn');
  manifest = join(workspace, 'mlops.yaml');
  original = readFileSync(manifest, 'utf8');
  lsp = new LspSession();
  await lsp.initialize(workspace);
  // The run gates need the example's runs indexed.
  const deadline = Date.now() + 20_000;
  while ((await lsp.connection.sendRequest<unknown[]>(Requests.runs.method, { runIds: ['churn-v2'] })).length === 0) {
    assert.ok(Date.now() < deadline, `runs never indexed: ${lsp.log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
});

after(async () => {
  await lsp.shutdown();
});

const send = <R>(spec: { method: string }, params: unknown) => lsp.connection.sendRequest<R>(spec.method, params);

test('promotionChoices: the manifest, its model with versions and aliases, and its experiments', async () => {
  const choices = await send<PromotionChoices>(Requests.promotionChoices, {});
  assert.deepEqual(choices.manifests, [
    { manifest, models: [{ name: 'churn', versions: ['1', '2'], aliases: { production: '1', staging: '2' } }], experiments: ['v2-vs-v1'] },
  ]);
});

test('planPromotion: a canary step against the open, unsaved text; gates with their evidence; unknown versions refused', async () => {
  const uri = pathToFileURL(manifest).toString();
  // The editor's text differs from the file: the plan must apply to the editor's.
  const unsaved = original.replace('# Minimum bars', '# Bars');
  await lsp.open(uri, unsaved);
  const plan = await send<PromotionPlan>(Requests.planPromotion, { manifest, model: 'churn', version: '2', canary: true });
  assert.equal(plan.action, 'promote');
  assert.deepEqual(plan.from.traffic, { churn: { '1': 70, '2': 30 } });
  assert.deepEqual(plan.to.traffic, { churn: { '1': 50, '2': 50 } });
  assert.deepEqual(plan.blocked, []);
  const edited = applyEdits(unsaved, plan.edits);
  assert.ok(edited.includes('traffic: { "1": 50, "2": 50 }') && edited.includes('# Bars'), edited);
  // The run gates come from the indexed runs (runs/*.jsonl): they pass for version 2.
  const accuracy = plan.evidence.gates.find((g) => g.metric === 'accuracy');
  assert.equal(accuracy?.pass, true, JSON.stringify(plan.evidence.gates));
  assert.equal(accuracy?.source, 'run');
  await assert.rejects(send(Requests.planPromotion, { manifest, model: 'churn', version: '9' }), /no version "9"/);
  await lsp.close(uri);
});

test('recordPromotion then planRollback: the audit event, and edits that restore the file', async () => {
  const plan = await send<PromotionPlan>(Requests.planPromotion, { manifest, model: 'churn', version: '2', alias: 'production' });
  assert.deepEqual(plan.to, { aliases: { production: '2', staging: '2' }, traffic: { churn: { '2': 100 } } });
  writeFileSync(manifest, applyEdits(original, plan.edits));
  const event = await send<AuditEvent>(Requests.recordPromotion, { plan });
  assert.equal(event.id, 1);
  assert.equal(event.action, 'promote');
  const rollback = await send<PromotionPlan>(Requests.planRollback, { manifest, model: 'churn' });
  assert.equal(rollback.evidence.rollsBack, 1);
  assert.deepEqual(rollback.blocked, []);
  assert.equal(applyEdits(readFileSync(manifest, 'utf8'), rollback.edits), original);
  writeFileSync(manifest, original);
  const undone = await send<AuditEvent>(Requests.recordPromotion, { plan: rollback });
  assert.equal(undone.id, 2);
  const nothing = await send<PromotionPlan>(Requests.planRollback, { manifest, model: 'churn' });
  assert.deepEqual(nothing.edits, []);
  assert.match(nothing.blocked.join(), /no promotion/);
});

test('abDashboard: the analysis with its timeline, refreshed when predictions and feedback arrive', async () => {
  const empty = await send<AbDashboardData>(Requests.abDashboard, { manifest, experiment: 'v2-vs-v1' });
  assert.deepEqual(empty.experiments, ['v2-vs-v1']);
  assert.equal(empty.report.control.n, 0);
  assert.equal(empty.report.verdict.kind, 'need-more-samples');
  assert.deepEqual(empty.report.timeline?.points, []);

  // The model server's log, written by another process: the server notices and says so.
  const db = openStore(workspace);
  const t0 = Date.now() - 60_000;
  const insertP = db.prepare(
    `INSERT INTO predictions (request_id, time, endpoint, model, version, protocol, outputs, latency_ms, status) VALUES (?, ?, 'churn', 'churn', ?, 'v2', ?, 2, 200)`,
  );
  const insertF = db.prepare(`INSERT INTO feedback (request_id, time, endpoint, label) VALUES (?, ?, 'churn', ?)`);
  db.transaction(() => {
    for (let i = 0; i < 300; i++) {
      const version = i % 10 < 7 ? '1' : '2';
      const label = i % 3 === 0 ? 1 : 0;
      const right = version === '2' ? i % 5 !== 0 : i % 4 !== 0;
      insertP.run(`r${i}`, t0 + i * 100, version, `{"label":{"datatype":"INT64","shape":[1],"data":[${right ? label : 1 - label}]}}`);
      insertF.run(`r${i}`, t0 + i * 100 + 50, label);
    }
  })();
  db.close();
  const changed = await lsp.notification<{ manifest: string }>(Notifications.predictionLogChanged.method, 10_000);
  assert.equal(changed.manifest, manifest);
  const data = await send<AbDashboardData>(Requests.abDashboard, { manifest, experiment: 'v2-vs-v1' });
  const r = data.report;
  assert.equal(r.control.n, 210);
  assert.equal(r.treatment.n, 90);
  assert.equal(r.control.metrics.accuracy, 150 / 210);
  assert.equal(r.srm?.flagged, false);
  assert.ok(r.difference && r.difference.lower < r.difference.estimate && r.difference.estimate < r.difference.upper);
  const points = r.timeline!.points;
  assert.ok(points.length >= 4, JSON.stringify(r.timeline));
  assert.equal(points.filter((p) => p.arm === 'control').reduce((n, p) => n + p.n, 0), 210);
  assert.equal(points.filter((p) => p.arm === 'treatment').at(-1)!.cumulative, r.treatment.metrics.accuracy);
  await lsp.connection.sendNotification('mlops/abDashboardClosed', { manifest });
  await assert.rejects(send(Requests.abDashboard, { manifest, experiment: 'nope' }), /no experiment "nope"/);
});
