// Canary auto-rollback end to end: the language server serves the churn example's real ONNX model
// beside a deliberately broken canary, a promotion gives the canary 10 % of the traffic, and the
// guard — judging the model server's live numbers — rolls it back through the audit log's rollback,
// rewriting mlops.yaml (which the model server reloads) and telling the editor.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { ApplyWorkspaceEditRequest } from 'vscode-languageserver-protocol/node';
import { Notifications, Requests, type AuditEvent, type AutoRollbackEvent, type PromotionPlan, type ServingStatus } from '../../server/src/contract';
import { applyEdits, history } from '../../server/src/promotion/promotion';
import { openStore } from '../../server/src/store/store';
import { LspSession } from '../helpers/lsp';
import { GUARDED_MANIFEST, brokenCanary } from '../helpers/canary';
import { REPO, tempDir } from '../helpers/paths';

const MANIFEST = GUARDED_MANIFEST;

let lsp: LspSession;
let workspace: string;
let manifest: string;

before(async () => {
  workspace = tempDir('canary-guard');
  mkdirSync(join(workspace, 'models'));
  copyFileSync(join(REPO, 'examples', 'churn', 'models', 'churn-v1.onnx'), join(workspace, 'models', 'churn-v1.onnx'));
  writeFileSync(join(workspace, 'models', 'canary.onnx'), brokenCanary());
  manifest = join(workspace, 'mlops.yaml');
  writeFileSync(manifest, MANIFEST);
  lsp = new LspSession();
  // As VS Code does: the guard may edit an open mlops.yaml through workspace/applyEdit.
  await lsp.initialize(workspace, { workspace: { applyEdit: true, workspaceEdit: { documentChanges: true } } });
});

after(async () => {
  await lsp.connection.sendRequest(Requests.stopServing.method, {});
  await lsp.shutdown();
});

const features = (i: number) => Array.from({ length: 26 }, (_, j) => ((i * 7 + j * 3) % 11) / 10);

test('a failing canary is rolled back automatically: mlops.yaml restored, audited as auto-rollback, the editor told', async () => {
  const status = await lsp.connection.sendRequest<ServingStatus>(Requests.startServing.method, {});
  assert.equal(status.state, 'running', status.message);

  // Promote the canary the way the editor does: plan, write, record.
  const plan = await lsp.connection.sendRequest<PromotionPlan>(Requests.planPromotion.method, { manifest, model: 'churn', version: '2', canary: true });
  assert.deepEqual(plan.to.traffic, { churn: { '1': 90, '2': 10 } });
  writeFileSync(manifest, applyEdits(MANIFEST, plan.edits));
  const promotion = await lsp.connection.sendRequest<AuditEvent>(Requests.recordPromotion.method, { plan });

  const { event, answers } = await trafficUntilRollback(status.url!);
  assert.deepEqual([event.model, event.endpoint, event.canary, event.control, event.manifest], ['churn', 'churn', '2', '1', manifest]);
  assert.match(event.summary, /^Auto-rollback: canary "2" on endpoint churn is worse than control "1" \(canary error rate 100 %/);
  const failed = answers.filter((a) => a.status !== 200);
  assert.ok(failed.length >= 20, `the canary answered ${failed.length} requests, all failing`);
  // ONNX Runtime refuses the reshape: the model server answers with the runtime's error.
  assert.ok(failed.every((a) => a.status >= 400 && /reshape/i.test(a.error ?? '')), JSON.stringify(failed.slice(0, 3)));

  // The rollback went through the audit log's path: it undoes the promotion, and the file is as before it.
  assert.equal(readFileSync(manifest, 'utf8'), MANIFEST);
  const db = openStore(workspace);
  const [last] = history(db, 'churn');
  db.close();
  assert.equal(last.id, event.eventId);
  assert.equal(last.action, 'rollback');
  assert.equal(last.evidence.reason, 'auto-rollback');
  assert.equal(last.evidence.rollsBack, promotion.id);
  const check = last.evidence.gates.find((g) => g.metric === 'error_rate_increase');
  assert.equal(check?.pass, false);
  assert.ok(check!.value! > 0.9, `error rate increase ${check?.value}`);
  assert.match(lsp.log(), /Auto-rollback: canary "2"/);

  // The model server reloads the restored manifest: version 1 alone answers, and every answer succeeds.
  await servedByVersion1Alone(status.url!);
});

test('unsaved edits of the open mlops.yaml get the rollback too, keeping the rest; the same split is guarded again', async () => {
  const status = await lsp.connection.sendRequest<ServingStatus>(Requests.startServing.method, {});
  const uri = pathToFileURL(manifest).toString();
  await lsp.open(uri, MANIFEST, 1);
  // The editor's buffer: the promotion goes into it and is saved, then the user types on without saving.
  let buffer = MANIFEST;
  let version = 1;
  const type = async (text: string) => {
    buffer = text;
    await lsp.change(uri, ++version, text);
  };
  const plan = await lsp.connection.sendRequest<PromotionPlan>(Requests.planPromotion.method, { manifest, model: 'churn', version: '2', canary: true });
  await type(applyEdits(buffer, plan.edits));
  writeFileSync(manifest, buffer);
  await lsp.connection.sendRequest<AuditEvent>(Requests.recordPromotion.method, { plan });
  const note = '# v2 is the retrained model; see the runs of 2026-11\n';
  await type(note + buffer);

  // The editor's side of workspace/applyEdit: versioned edits of the open document.
  const applied: string[] = [];
  lsp.connection.onRequest(ApplyWorkspaceEditRequest.type, async ({ edit }) => {
    const change = edit.documentChanges?.[0];
    if (!change || !('edits' in change) || change.textDocument.uri !== uri || change.textDocument.version !== version) return { applied: false };
    const edits = change.edits.flatMap((e) => ('newText' in e ? [{ range: e.range, newText: e.newText }] : []));
    applied.push(applyEdits(buffer, edits));
    await type(applied[applied.length - 1]);
    return { applied: true };
  });

  // The split 90/10 was rolled back once already in this session: it is judged again all the same.
  const { event } = await trafficUntilRollback(status.url!);
  assert.equal(event.canary, '2');
  assert.match(event.summary, /The rollback was also made in your unsaved edits of mlops\.yaml: save them over the file \(overwrite it when asked\) to keep both\.$/);
  assert.equal(readFileSync(manifest, 'utf8'), MANIFEST, 'the file on disk is rolled back');
  assert.deepEqual(applied, [note + MANIFEST], 'the buffer keeps the typed note and loses the canary traffic');
  await servedByVersion1Alone(status.url!);
  await lsp.close(uri);
});

/** Requests from 4 clients until the guard's notification; every answer counted by version and status. */
async function trafficUntilRollback(url: string): Promise<{ event: AutoRollbackEvent; answers: { status: number; version?: string; error?: string }[] }> {
  const answers: { status: number; version?: string; error?: string }[] = [];
  let rolledBack: AutoRollbackEvent | undefined;
  const notified = lsp.notification<AutoRollbackEvent>(Notifications.autoRollback.method, 60_000, lsp.notificationMark()).then((e) => (rolledBack = e));
  const worker = async (w: number) => {
    for (let i = w; !rolledBack; i += 4) {
      const res = await fetch(`${url}/v2/models/churn/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: 'features', shape: [1, 26], datatype: 'FP32', data: features(i) }] }),
      });
      const body = (await res.json()) as { model_version?: string; error?: string };
      answers.push({ status: res.status, version: body.model_version, error: body.error });
    }
  };
  await Promise.all([notified, ...[0, 1, 2, 3].map(worker)]);
  return { event: rolledBack!, answers };
}

/** Waits until 50 answers in a row come from version 1, all successful. */
async function servedByVersion1Alone(url: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  let clean = 0;
  while (clean < 50) {
    assert.ok(Date.now() < deadline, 'the model server never went back to version 1 alone');
    const res = await fetch(`${url}/v2/models/churn/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'features', shape: [1, 26], datatype: 'FP32', data: features(clean) }] }),
    });
    const body = (await res.json()) as { model_version?: string };
    clean = res.status === 200 && body.model_version === '1' ? clean + 1 : 0;
  }
}
