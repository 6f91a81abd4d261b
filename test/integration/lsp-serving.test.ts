import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Notifications, Requests, type ServingStatus, type TreeNode } from '../../server/src/contract';
import { LspSession } from '../helpers/lsp';
import { tempDir } from '../helpers/paths';

let lsp: LspSession;
let workspace: string;

before(async () => {
  workspace = tempDir('lsp-serving', 'examples/churn');
  // Any free port: tests must not depend on 8080 being free.
  const manifest = join(workspace, 'mlops.yaml');
  // A prediction cache on the endpoint too, to see its figures in the view.
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/^  port: \d+$/m, '  port: 0').replace(/^(      batching: .*)$/m, '$1\n      cache: { max_entries: 500 }'));
  lsp = new LspSession();
  await lsp.initialize(workspace);
});

after(async () => {
  await lsp.connection.sendRequest(Requests.stopServing.method, {});
  await lsp.shutdown();
});

const servingTree = (parentId: string | null) => lsp.connection.sendRequest<TreeNode[]>(Requests.treeChildren.method, { view: 'serving', parentId });

async function until<T>(probe: () => Promise<T | undefined>, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; server log: ${lsp.log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const row = (i: number) => Array.from({ length: 26 }, (_, j) => ((i * 7 + j * 3) % 11) / 10);

test('start serving: the example answers on loopback and the Serving view shows live numbers per version', async () => {
  const status = await lsp.connection.sendRequest<ServingStatus>(Requests.startServing.method, {});
  assert.equal(status.state, 'running', status.message);
  assert.match(status.url ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
  for (let i = 0; i < 20; i++) {
    const r = await fetch(`${status.url}/v2/models/churn/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'features', shape: [1, 26], datatype: 'FP32', data: row(i) }] }),
    });
    assert.equal(r.status, 200, await r.text());
  }
  const [endpoint] = await servingTree(null);
  assert.equal(endpoint.label, 'churn');
  const versions = await until(async () => {
    const v = await servingTree(endpoint.id);
    return v.some((x) => /p95 [\d.]+ ms/.test(x.tooltip ?? '')) ? v : undefined;
  }, 'latency figures in the Serving view');
  assert.deepEqual(versions.map((v) => v.label), ['Version 1', 'Version 2']);
  // The row keeps to the share and the rate, short enough for the default sidebar width; latency
  // percentiles and counts are in the tooltip.
  assert.match(versions[0].description ?? '', /^70% · [\d.]+ req\/s$/);
  for (const v of versions) assert.ok((v.description ?? '').length <= 24, `too long for the sidebar: ${v.description}`);
  assert.match(versions.find((v) => /p95/.test(v.tooltip ?? ''))!.tooltip!, /requests, 0 errors since start[\s\S]*p50 [\d.]+ ms · p95 [\d.]+ ms · p99 [\d.]+ ms/);
  // row(i) repeats every 11 requests: 20 lookups between the versions, one entry per (version, input)
  // pair that missed (the split may route a repeated row to either version). The view polls the
  // server's stats, so wait for a poll that saw all 20.
  const cacheRe = /Prediction cache: (\d+) hits, (\d+) misses \(\d+% hit rate\), 0 evictions/;
  const seen = await until(async () => {
    const [top] = await servingTree(null);
    const matches = (await servingTree(top.id)).map((v) => cacheRe.exec(v.tooltip ?? '')).filter((m) => m !== null);
    const lookups = matches.reduce((n, m) => n + Number(m[1]) + Number(m[2]), 0);
    return lookups === 20 ? { top, misses: matches.reduce((n, m) => n + Number(m[2]), 0) } : undefined;
  }, 'the cache figures of all 20 requests in the Serving view');
  assert.ok(seen.misses >= 11 && seen.misses <= 20, `misses ${seen.misses}`);
  assert.match(seen.top.tooltip ?? '', new RegExp(`Prediction cache: ${seen.misses} of 500 entries, [\\d.]+ KiB of 64\\.0 MiB`));
});

test('a crashed model server is restarted with backoff, and says why', async () => {
  const before = await lsp.connection.sendRequest<ServingStatus>(Requests.servingStatus.method, {});
  assert.ok(before.pid);
  process.kill(before.pid, 'SIGKILL');
  const restarted = await until(async () => {
    const s = await lsp.connection.sendRequest<ServingStatus>(Requests.servingStatus.method, {});
    return s.state === 'running' && s.pid !== before.pid ? s : undefined;
  }, 'the restarted server');
  assert.equal((await fetch(`${restarted.url}/v2/health/ready`)).status, 200);
  assert.match(lsp.log(), /Model server crashed .*restarting in 1 s/);
});

test('stop serving: the process ends and the view empties', async () => {
  const status = await lsp.connection.sendRequest<ServingStatus>(Requests.stopServing.method, {});
  assert.equal(status.state, 'stopped');
  assert.deepEqual(await servingTree(null), []);
  const seen = await lsp.notification<ServingStatus>(Notifications.servingStatus.method);
  assert.ok(seen);
});

test('a manifest that cannot be served fails to start with the reason, and is not restarted', async () => {
  const manifest = join(workspace, 'mlops.yaml');
  const good = readFileSync(manifest, 'utf8');
  writeFileSync(manifest, good.replace(/traffic: \{ "1": 70, "2": 30 \}/, 'traffic: { "1": 70, "2": 20 }'));
  try {
    const status = await lsp.connection.sendRequest<ServingStatus>(Requests.startServing.method, {});
    assert.equal(status.state, 'failed');
    assert.match(status.message ?? '', /sum to 90/);
  } finally {
    writeFileSync(manifest, good);
  }
});

test('the Models view lists the models the manifest declares, with alias badges and run links', async () => {
  const [model] = await lsp.connection.sendRequest<TreeNode[]>(Requests.treeChildren.method, { view: 'models', parentId: null });
  assert.equal(model.label, 'churn');
  const versions = await lsp.connection.sendRequest<TreeNode[]>(Requests.treeChildren.method, { view: 'models', parentId: model.id });
  assert.deepEqual(versions.map((v) => [v.label, v.description]), [['Version 2', '@staging'], ['Version 1', '@production']]);
  assert.equal(versions[1].runId, 'churn-v1');
});
