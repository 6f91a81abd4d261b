import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { HoverRequest } from 'vscode-languageserver-protocol/node';
import { Notifications, Requests, type TreeNode } from '../../server/src/contract';
import { LspSession } from '../helpers/lsp';
import { readStore, startMlflowStandin, type Standin } from '../helpers/mlflow-standin';
import { SHARED_FIXTURES, tempDir } from '../helpers/paths';

/** The language server with `tracking: [http://…]`: remote runs in the trees, the checks and the hovers. */

const TOKEN = 'lsp-remote-token-4711';
const snapshot = readStore(join(SHARED_FIXTURES, 'mlflow-db', 'mlflow-1.x-2022.db'));
const run = snapshot.runs.find((r) => r.lifecycleStage === 'active' && r.metrics.some((m) => m.key === 'rmse'))!;
let standin: Standin;
let lsp: LspSession;
let workspace: string;
let manifest: string;

before(async () => {
  standin = await startMlflowStandin({ snapshot, token: TOKEN, maxPageSize: 20 });
  workspace = tempDir('lsp-remote');
  manifest = `version: 1\ntracking: [${standin.url}]\nmodels:\n  taxi:\n    task: regression\n    versions:\n      "1": { path: models/taxi.onnx, run: ${run.runId} }\n      "2": { path: models/taxi2.onnx, run: 0123456789abcdef0123456789abcdef }\n`;
  writeFileSync(join(workspace, 'mlops.yaml'), manifest);
  lsp = new LspSession({ ...process.env, MLFLOW_TRACKING_TOKEN: TOKEN });
  await lsp.initialize(workspace);
});

after(async () => {
  await lsp.shutdown();
  await standin.close();
});

const children = (view: 'experiments' | 'models', parentId: string | null) =>
  lsp.connection.sendRequest<TreeNode[]>(Requests.treeChildren.method, { view, parentId });

async function eventually<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; server log: ${lsp.log()}`);
    await lsp.notification(Notifications.treeChanged.method, 2000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('the Experiments tree shows the tracking server’s experiments and runs', async () => {
  const roots = await eventually(async () => {
    const r = await children('experiments', null);
    return r.some((n) => n.label === 'nyc-taxi-experiment') ? r : undefined;
  }, 'remote experiments');
  const experiment = roots.find((n) => n.label === 'nyc-taxi-experiment')!;
  const runs = await children('experiments', experiment.id);
  assert.ok(runs.length > 0);
  assert.ok(
    runs.every((r) => r.resourcePath === undefined),
    'remote runs have no folder to reveal',
  );
  const models = await children('models', null);
  assert.ok(
    models.some((m) => m.label === 'nyc-taxi-regressor'),
    models.map((m) => m.label).join(', '),
  );
  assert.doesNotMatch(lsp.log() + lsp.stderr, new RegExp(TOKEN), 'the token is never logged');
});

test('the manifest: a remote run id resolves (hover shows its metrics); an unknown one is flagged', async () => {
  const uri = pathToFileURL(join(workspace, 'mlops.yaml')).toString();
  await lsp.open(uri, manifest);
  const diagnostics = await lsp.diagnosticsFor(uri, 0, (d) => d.some((x) => x.code === 'unknown-run'), 20_000);
  const unknown = diagnostics.filter((d) => d.code === 'unknown-run');
  assert.equal(unknown.length, 1, JSON.stringify(unknown));
  assert.match(String(unknown[0].message), /0123456789abcdef0123456789abcdef/);
  const line = manifest.split('\n').findIndex((l) => l.includes('"1": { path'));
  const hover = await lsp.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character: 8 } });
  const text = hover && typeof hover.contents === 'object' && 'value' in hover.contents ? String(hover.contents.value) : '';
  assert.match(text, /rmse/);
});
