// mlops/comparison through the built language server: runs read from JSONL logs, the best run by the
// manifest's gate, the user's choice over it, and fresh values once a run logs more.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Requests, type ComparisonData, type ComparisonParams } from '../../server/src/contract';
import { LspSession } from '../helpers/lsp';
import { tempDir } from '../helpers/paths';

let lsp: LspSession;
let workspace: string;
const line = (o: object) => JSON.stringify(o) + '\n';

before(async () => {
  workspace = tempDir('lsp-comparison');
  mkdirSync(join(workspace, 'runs'));
  const runs = [
    { id: 'r1', lr: '0.1', optimizer: 'sgd', loss: 0.42, accuracy: 0.81 },
    { id: 'r2', lr: '0.01', optimizer: 'adam', loss: 0.35, accuracy: 0.8 },
    { id: 'r3', lr: '0.001', optimizer: 'adam', loss: 0.6, accuracy: 0.9 },
  ];
  for (const r of runs) {
    writeFileSync(
      join(workspace, 'runs', `${r.id}.jsonl`),
      line({ type: 'run_start', run_id: r.id, experiment: 'sweep', name: `run ${r.id}`, params: { lr: r.lr, optimizer: r.optimizer } }) +
        line({ type: 'metric', metrics: { loss: r.loss, accuracy: r.accuracy }, step: 0 }),
    );
  }
  // The gate on loss is a maximum: lower is better, and it comes before accuracy's.
  writeFileSync(
    join(workspace, 'mlops.yaml'),
    'version: 1\ntracking: [runs/]\nmodels:\n  m:\n    task: classification\n    versions:\n      "1": { path: m.onnx, run: r1 }\n    gates:\n      p95_latency_ms: { max: 50 }\n      loss: { max: 0.5 }\n      accuracy: { min: 0.7 }\n',
  );
  lsp = new LspSession();
  await lsp.initialize(workspace);
});

after(async () => {
  await lsp.shutdown();
});

const compare = (params: ComparisonParams) => lsp.connection.sendRequest<ComparisonData>(Requests.comparison.method, params);

async function waitForComparison(params: ComparisonParams, predicate: (d: ComparisonData) => boolean, what: string): Promise<ComparisonData> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const data = await compare(params);
    if (predicate(data)) return data;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(data.best)}; server log: ${lsp.log()}`);
    await lsp.notification('mlops/treeChanged', 15_000).catch(() => undefined);
  }
}

test('the comparison answers with the runs asked for, the best by the manifest gate, and both specs', async () => {
  const data = await waitForComparison({ runIds: ['r3', 'r1', 'r2', 'gone'] }, (d) => d.runs.length === 3, 'three indexed runs');
  assert.deepEqual(data.runs.map((r) => r.runId), ['r3', 'r1', 'r2']);
  assert.deepEqual(data.best, { metric: 'loss', direction: 'min', source: 'manifest', runIndex: 2, value: 0.35 });
  assert.deepEqual(data.columns.find((c) => c.id === 'param:lr')?.values, [0.001, 0.1, 0.01]);
  assert.deepEqual(data.parallel?.dimensions, ['param:lr', 'param:optimizer', 'metric:loss']);
  assert.equal(data.scatter?.shown, 3);
  assert.ok(JSON.stringify(data.scatter?.spec).includes('"name":"best"'));
});

test('a chosen metric and direction win over the manifest; unknown axes fall back', async () => {
  const data = await compare({ runIds: ['r1', 'r2', 'r3'], best: { metric: 'accuracy', direction: 'max' }, scatterX: 'param:nope', scatterY: 'metric:accuracy' });
  assert.deepEqual(data.best, { metric: 'accuracy', direction: 'max', source: 'chosen', runIndex: 2, value: 0.9 });
  assert.equal(data.scatter?.x, 'param:lr');
  assert.equal(data.scatter?.y, 'metric:accuracy');
});

test('a run that logs a better value becomes the best', async () => {
  appendFileSync(join(workspace, 'runs', 'r1.jsonl'), line({ type: 'metric', metrics: { loss: 0.1 }, step: 1 }));
  const data = await waitForComparison({ runIds: ['r1', 'r2', 'r3'] }, (d) => d.best?.runIndex === 0, 'r1 to become the best');
  assert.equal(data.columns.find((c) => c.id === 'metric:loss')?.values[0], 0.1);
});
