import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Notifications, Requests, type IndexProgressEvent, type RunInfo, type RunQueryResult, type TreeNode } from '../../server/src/contract';
import { pathToFileURL } from 'node:url';
import { DidChangeWatchedFilesNotification, FileChangeType } from 'vscode-languageserver-protocol/node';
import { LspSession } from '../helpers/lsp';
import { SHARED_FIXTURES, tempDir } from '../helpers/paths';
import { writeSyntheticMlruns } from '../helpers/synthetic-mlruns';

let lsp: LspSession;
let workspace: string;

before(async () => {
  workspace = tempDir('lsp-tracking');
  // 300 runs: enough for the server to report progress while it indexes.
  writeSyntheticMlruns(join(workspace, 'mlruns'), { experiments: 3, runsPerExperiment: 100, metrics: 2, steps: 5 });
  cpSync(join(SHARED_FIXTURES, 'mlruns', 'mlflow-2.4-registry', 'mlruns', 'models'), join(workspace, 'mlruns', 'models'), { recursive: true });
  mkdirSync(join(workspace, 'runs'));
  lsp = new LspSession();
  await lsp.initialize(workspace);
});

after(async () => {
  await lsp.shutdown();
});

const children = (view: 'experiments' | 'models', parentId: string | null) =>
  lsp.connection.sendRequest<TreeNode[]>(Requests.treeChildren.method, { view, parentId });

async function waitForTree(predicate: (roots: TreeNode[]) => boolean, what: string): Promise<TreeNode[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const roots = await children('experiments', null);
    if (predicate(roots)) return roots;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; roots: ${roots.map((r) => r.label).join(', ')}; server log: ${lsp.log()}`);
    await lsp.notification(Notifications.treeChanged.method, 15_000).catch(() => undefined);
    await new Promise((r) => setImmediate(r));
  }
}

test('the first index of a large store reports progress from begin to end', async () => {
  const begin = await lsp.notification<IndexProgressEvent>(Notifications.indexProgress.method, 20_000);
  assert.equal(begin.state, 'begin');
  assert.match(begin.message, /Indexing 300 runs/);
  assert.equal(begin.total, 300);
});

test('the Experiments tree lists experiments with run counts and runs with a key metric', async () => {
  const indexed = (r: TreeNode[]) => r.filter((n) => n.contextValue === 'experiment' && n.description === '100 runs').length === 3;
  const roots = await waitForTree(indexed, 'three indexed experiments');
  const experiments = roots.filter((n) => n.contextValue === 'experiment');
  assert.deepEqual(experiments.map((e) => e.label), ['experiment-0', 'experiment-1', 'experiment-2']);
  assert.deepEqual(experiments.map((e) => e.description), ['100 runs', '100 runs', '100 runs']);
  const runs = await children('experiments', experiments[0].id);
  assert.equal(runs.length, 100);
  assert.match(runs[0].description ?? '', /^m0=\d/);
  assert.equal(runs[0].icon, 'pass');
  assert.match(runs[0].tooltip ?? '', /\| Param \|/);
  const parent = await lsp.connection.sendRequest<TreeNode | null>(Requests.treeParent.method, { view: 'experiments', id: runs[0].id });
  assert.equal(parent?.id, experiments[0].id);
});

test('a filter narrows the tree; a bad one is refused with its column and changes nothing', async () => {
  const bad = await lsp.connection.sendRequest<RunQueryResult>(Requests.setRunQuery.method, { filter: 'metrics.m0 >', orderBy: '' });
  assert.equal(bad.ok, false);
  assert.ok(!bad.ok && typeof bad.column === 'number');
  const ok = await lsp.connection.sendRequest<RunQueryResult>(Requests.setRunQuery.method, { filter: "attributes.run_name = 'run-7'", orderBy: '' });
  assert.deepEqual(ok, { ok: true, matched: 3, total: 300 });
  const roots = (await children('experiments', null)).filter((n) => n.contextValue === 'experiment');
  assert.ok(roots.every((e) => e.description === '1 of 100 runs'));
  const [run] = await children('experiments', roots[0].id);
  const [info] = await lsp.connection.sendRequest<RunInfo[]>(Requests.runs.method, { runIds: [run.runId] });
  assert.equal(info.name, 'run-7');
  await lsp.connection.sendRequest(Requests.setRunQuery.method, { filter: '', orderBy: '' });
});

test('the Models tree shows registered versions with stages, linked to their runs when indexed', async () => {
  const [model] = await children('models', null);
  assert.equal(model.label, 'my-sklearn-model');
  const versions = await children('models', model.id);
  assert.deepEqual(versions.map((v) => [v.label, v.description]), [['Version 2', 'Staging'], ['Version 1', 'Production']]);
});

test('a JSONL run written into a new runs/ file shows up without a restart', async () => {
  const file = join(workspace, 'runs', 'new.jsonl');
  writeFileSync(file, JSON.stringify({ type: 'run_start', experiment: 'live', name: 'fresh' }) + '\n');
  appendFileSync(file, JSON.stringify({ type: 'metric', key: 'accuracy', value: 0.5 }) + '\n');
  // An empty runs/ folder is no source yet; the editor's file watcher tells the server about the new
  // file (as VS Code does for the client's registered globs), and from then on the server watches it.
  await lsp.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: pathToFileURL(file).toString(), type: FileChangeType.Created }] });
  const roots = await waitForTree((r) => r.some((n) => n.label === 'live'), 'the live experiment');
  const live = roots.find((n) => n.label === 'live')!;
  const [run] = await children('experiments', live.id);
  assert.equal(run.label, 'fresh');
  assert.match(run.description ?? '', /accuracy=0\.5/);
});

test('a run with a bad metric line is marked, listed under read problems, and the rest still indexed', async () => {
  const experiment = join(workspace, 'mlruns', '0');
  const runDir = join(experiment, readdirSync(experiment).find((n) => n.length === 32)!);
  appendFileSync(join(runDir, 'metrics', 'm0'), '1700000009999 not-a-number 77\n');
  const roots = await waitForTree((r) => r.some((n) => n.contextValue === 'readIssues'), 'the read problems node');
  const problems = await children('experiments', roots.find((n) => n.contextValue === 'readIssues')!.id);
  const problem = problems.find((p) => p.resourcePath === join(runDir, 'metrics', 'm0'));
  assert.ok(problem, JSON.stringify(problems.map((p) => p.label)));
  assert.match(problem.label, /not a number/);
  const exp0 = roots.find((n) => n.label === 'experiment-0')!;
  const run = (await children('experiments', exp0.id)).find((n) => n.resourcePath === runDir)!;
  assert.equal(run.icon, 'warning');
  assert.match(run.description ?? '', /^m0=/); // the good lines are still there
});
