import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AS_UNPRIVILEGED, cliForAnyUser, readOnlyCopyForAnyUser } from '../helpers/other-user';
import { CLI, REPO, SHARED_FIXTURES, tempDir } from '../helpers/paths';

interface Truth {
  runs: Record<string, { name: string; status: string; experiment_id: string; params: Record<string, string>; latest: Record<string, { value: number | string | null }>; lifecycle_stage: string }>;
  registry: Record<string, { versions: Record<string, { stage: string; run_id: string | null; aliases: string[] }> }>;
}

function truth(kind: 'file' | 'db', path: string): Truth {
  const r = spawnSync('python3', [join(REPO, 'test', 'helpers', 'mlflow_truth.py'), kind, path], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Truth;
}

function mlops(args: string[], cwd = REPO) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

type RunJson = { run_id: string; experiment_id: string; name: string; status: string; params: Record<string, string>; metrics: Record<string, number | string>; source: string; start_time: number | null; end_time: number | null };

/** Our JSON for non-finite values is the string; the truth script's may be a string or null. */
function sameValue(ours: number | string, theirs: number | string | null): boolean {
  if (typeof ours === 'number' && typeof theirs === 'number') return ours === theirs || Math.abs(ours - theirs) <= 1e-12 * Math.abs(theirs);
  return String(ours).toLowerCase().replace('infinity', 'inf') === String(theirs).toLowerCase().replace('infinity', 'inf');
}

function checkAgainstTruth(runs: RunJson[], expected: Truth): void {
  assert.equal(runs.length, Object.keys(expected.runs).length, 'run count');
  for (const run of runs) {
    const want = expected.runs[run.run_id];
    assert.ok(want, `unexpected run ${run.run_id}`);
    assert.equal(run.status, want.status, `${run.run_id} status`);
    assert.equal(run.experiment_id, want.experiment_id);
    assert.deepEqual(run.params, want.params, `${run.run_id} params`);
    assert.deepEqual(Object.keys(run.metrics).sort(), Object.keys(want.latest).sort(), `${run.run_id} metric keys`);
    for (const [key, { value }] of Object.entries(want.latest)) assert.ok(sameValue(run.metrics[key], value), `${run.run_id} ${key}: ${run.metrics[key]} vs ${value}`);
  }
}

for (const store of ['mlflow-1.x-demo', 'mlflow-2.4-registry']) {
  test(`mlops runs --json on the ${store} file store matches an independent reading`, () => {
    const workspace = tempDir(store);
    cpSync(join(SHARED_FIXTURES, 'mlruns', store, 'mlruns'), join(workspace, 'mlruns'), { recursive: true });
    const r = mlops(['runs', workspace, '--json', '--all']);
    assert.equal(r.code, 0, r.stderr);
    checkAgainstTruth(JSON.parse(r.stdout) as RunJson[], truth('file', join(workspace, 'mlruns')));
    assert.ok(existsSync(join(workspace, '.mlops', 'index.db')), 'the index is kept in .mlops/');
  });
}

for (const db of ['mlflow-1.x-2022.db', 'mlflow-3.x-2026.db']) {
  test(`mlops runs --json on the ${db} database matches an independent reading`, () => {
    const workspace = tempDir('db');
    copyFileSync(join(SHARED_FIXTURES, 'mlflow-db', db), join(workspace, 'mlflow.db'));
    const r = mlops(['runs', workspace, '--json', '--all']);
    assert.equal(r.code, 0, r.stderr);
    checkAgainstTruth(JSON.parse(r.stdout) as RunJson[], truth('db', join(workspace, 'mlflow.db')));
  });
}

test('mlops models --json lists versions with stages, aliases and source runs', () => {
  const workspace = tempDir('models');
  cpSync(join(SHARED_FIXTURES, 'mlruns', 'mlflow-2.4-registry', 'mlruns'), join(workspace, 'mlruns'), { recursive: true });
  mkdirSync(join(workspace, 'mlruns', 'models', 'my-sklearn-model', 'aliases'), { recursive: true });
  writeFileSync(join(workspace, 'mlruns', 'models', 'my-sklearn-model', 'aliases', 'champion'), '1');
  const r = mlops(['models', workspace, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const models = JSON.parse(r.stdout) as { name: string; versions: { version: string; stage: string; aliases: string[]; run_id: string | null; source: string | null }[] }[];
  const expected = truth('file', join(workspace, 'mlruns')).registry;
  assert.deepEqual(models.map((m) => m.name), Object.keys(expected));
  for (const m of models) {
    for (const v of m.versions) {
      const want = expected[m.name].versions[v.version];
      assert.equal(v.stage, want.stage);
      assert.equal(v.run_id, want.run_id);
      assert.deepEqual(v.aliases, want.aliases);
    }
  }
  assert.deepEqual(models[0].versions.find((v) => v.version === '1')?.aliases, ['champion']);
});

test('mlops runs --filter and --order-by; a bad filter is exit 2 with its column', () => {
  const workspace = tempDir('filter');
  copyFileSync(join(SHARED_FIXTURES, 'mlflow-db', 'mlflow-1.x-2022.db'), join(workspace, 'mlflow.db'));
  const all = JSON.parse(mlops(['runs', workspace, '--json']).stdout) as RunJson[];
  const key = Object.keys(all.find((r) => Object.keys(r.metrics).length > 0)!.metrics)[0];
  const values = all.map((r) => r.metrics[key]).filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
  const threshold = values[Math.floor(values.length / 2)];
  const r = mlops(['runs', workspace, '--json', '--filter', `metrics.${key} > ${threshold}`, '--order-by', `metrics.${key} DESC`]);
  assert.equal(r.code, 0, r.stderr);
  const filtered = JSON.parse(r.stdout) as RunJson[];
  assert.equal(filtered.length, values.filter((v) => v > threshold).length);
  const got = filtered.map((x) => x.metrics[key] as number);
  assert.deepEqual(got, [...got].sort((a, b) => b - a));

  const bad = mlops(['runs', workspace, '--filter', `metrics.${key} >> 1`]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /column \d+/);
});

test('a read-only folder is indexed in memory, with a note, and still answers', () => {
  // Without write bits the folder is still writable for root, so the CLI runs as nobody.
  const folder = readOnlyCopyForAnyUser(join(SHARED_FIXTURES, 'mlruns', 'mlflow-2.4-registry'));
  const { node, cli } = cliForAnyUser();
  const r = spawnSync(node, [cli, 'runs', folder, '--json'], { encoding: 'utf8', cwd: '/', ...AS_UNPRIVILEGED });
  assert.equal(r.error, undefined);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /indexing in memory/);
  assert.equal((JSON.parse(r.stdout) as RunJson[]).length, 2);
});

test('mlops runs prints a table and says what to do when there are no runs', () => {
  const empty = mlops(['runs', tempDir('none')]);
  assert.equal(empty.code, 0);
  assert.match(empty.stdout, /No runs\./);
  const workspace = tempDir('table');
  cpSync(join(SHARED_FIXTURES, 'mlruns', 'mlflow-2.4-registry', 'mlruns'), join(workspace, 'mlruns'), { recursive: true });
  const table = mlops(['runs', workspace]);
  assert.match(table.stdout, /^RUN\s+EXPERIMENT\s+NAME\s+STATUS/);
  assert.match(table.stdout, /funny-wren-299/);
});
