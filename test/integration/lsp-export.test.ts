import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CodeLensRequest } from 'vscode-languageserver-protocol/node';
import { Requests, type PipelineExportPlan } from '../../server/src/contract';
import { LspSession } from '../helpers/lsp';
import { CLI, tempDir } from '../helpers/paths';

let lsp: LspSession;
let workspace: string;
let manifest: string;

before(async () => {
  workspace = tempDir('lsp-export', 'examples/churn');
  manifest = join(workspace, 'mlops.yaml');
  lsp = new LspSession();
  await lsp.initialize(workspace);
});

after(async () => {
  await lsp.shutdown();
});

test('exportPipeline: the same workflow and KServe files as mlops export writes, nothing written by the request', async () => {
  const plan = await lsp.connection.sendRequest<PipelineExportPlan>(Requests.exportPipeline.method, { manifest, targets: ['github-actions', 'kserve'] });
  assert.deepEqual(plan.problems, []);
  assert.deepEqual(
    plan.files.map((f) => f.path),
    [join(workspace, '.github', 'workflows', 'mlops.yml'), join(workspace, 'k8s', 'kserve', 'churn.inferenceservice.yaml'), join(workspace, 'k8s', 'kserve', 'churn.canary.inferenceservice.yaml')],
  );
  assert.ok(plan.files.every((f) => f.existing === undefined && !f.unchanged));
  assert.deepEqual(readdirSync(workspace).filter((n) => n === '.github' || n === 'k8s'), [], 'nothing written');
  // The CLI, run on the same folder, writes the same bytes.
  const cli = spawnSync(process.execPath, [CLI, 'export', 'kserve', workspace, '--out', join(workspace, 'cli-k8s')], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  for (const f of plan.files.slice(1)) assert.equal(f.text, readFileSync(join(workspace, 'cli-k8s', f.path.split(/[\\/]/).pop()!), 'utf8'));
  const wf = spawnSync(process.execPath, [CLI, 'export', 'github-actions', workspace, '--out', '-'], { encoding: 'utf8' });
  assert.equal(wf.status, 0, wf.stderr);
  assert.equal(plan.files[0].text, wf.stdout);
  // The sizing of the deploy: block is in the exported InferenceService.
  assert.match(plan.files[1].text, /minReplicas: 2\n\s+maxReplicas: 6\n\s+scaleMetric: concurrency\n\s+scaleTarget: 8/);
  assert.ok(plan.uploads.some((u) => u.uri.endsWith('/churn/1/model.onnx')));
});

test('exportPipeline: a workflow edited inside a generated block is a conflict; an unchanged one is unchanged', async () => {
  const path = join(workspace, '.github', 'workflows', 'mlops.yml');
  mkdirSync(join(workspace, '.github', 'workflows'), { recursive: true });
  const first = (await lsp.connection.sendRequest<PipelineExportPlan>(Requests.exportPipeline.method, { manifest, targets: ['github-actions'] })).files[0];
  writeFileSync(path, first.text);
  const same = await lsp.connection.sendRequest<PipelineExportPlan>(Requests.exportPipeline.method, { manifest, targets: ['github-actions'] });
  assert.equal(same.files[0].unchanged, true);
  writeFileSync(path, first.text.replace('runs-on: ubuntu-latest', 'runs-on: self-hosted'));
  const edited = await lsp.connection.sendRequest<PipelineExportPlan>(Requests.exportPipeline.method, { manifest, targets: ['github-actions'] });
  assert.match(edited.files[0].conflict ?? '', /edit/i);
  assert.equal(edited.files[0].existing, first.text.replace('runs-on: ubuntu-latest', 'runs-on: self-hosted'));
});

test('exportPipeline: an impossible deploy size stops the Kubernetes export with its place; paths outside the workspace are refused', async () => {
  const text = readFileSync(manifest, 'utf8');
  writeFileSync(manifest, text.replace('replicas: { min: 2, max: 6 }', 'replicas: { min: 8, max: 6 }'));
  try {
    const plan = await lsp.connection.sendRequest<PipelineExportPlan>(Requests.exportPipeline.method, { manifest, targets: ['seldon'] });
    assert.deepEqual(plan.files, []);
    assert.match(plan.problems[0], /^seldon: mlops\.yaml:\d+:\d+: .*min 8.*max 6|^seldon: mlops\.yaml:\d+:\d+: .*8.*6/);
  } finally {
    writeFileSync(manifest, text);
  }
  await assert.rejects(lsp.connection.sendRequest(Requests.exportPipeline.method, { manifest: '/etc/mlops.yaml', targets: ['kserve'] }), /not in the workspace/);
});

test('lenses: Export Pipeline over retrain:, the sizing and Export for Kubernetes over deploy:', async () => {
  const uri = pathToFileURL(manifest).href;
  const text = readFileSync(manifest, 'utf8');
  await lsp.open(uri, text);
  const lenses = (await lsp.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) ?? [];
  const lines = text.split('\n');
  const at = (key: RegExp) => lines.findIndex((l) => key.test(l));
  const titles = (line: number) => lenses.filter((l) => l.range.start.line === line).map((l) => l.command?.title);
  assert.deepEqual(titles(at(/^\s+deploy:/)), ['$(cloud-upload) Export for Kubernetes… · 2–6 replicas · scale at 8 concurrent · requests 500m CPU, 512Mi · limits 1 CPU, 1Gi']);
  const retrain = titles(at(/^\s+retrain:/));
  assert.equal(retrain[0], '$(sync) Retrain now…');
  assert.match(retrain[1] ?? '', /^\$\(clock\) Next scheduled: Mon, \d+ \w{3} \d{4}, 03:00 UTC$/);
  assert.equal(retrain[2], '$(github-action) Export Pipeline…');
  const exportLens = lenses.find((l) => l.command?.title.startsWith('$(cloud-upload)'));
  assert.deepEqual(exportLens?.command?.arguments, [{ manifest, target: 'kubernetes' }]);
  assert.equal(exportLens?.command?.command, 'mlops.exportPipeline');
});
