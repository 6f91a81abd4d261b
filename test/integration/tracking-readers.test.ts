import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { readJsonlRun } from '../../server/src/tracking/jsonl';
import { listFileStore, readFileStore, readFileStoreRegistry, readLoggedModels, readMetricFile, readRunDir } from '../../server/src/tracking/mlflow-files';
import { databaseFingerprint, readMlflowDatabase } from '../../server/src/tracking/mlflow-sqlite';
import { latestMetrics, type RunRecord, type TrackingSnapshot } from '../../server/src/tracking/model';
import { bundleProgram } from '../helpers/bundle';
import { REPO, SHARED_FIXTURES, tempDir } from '../helpers/paths';

// ---------------------------------------------------------------------------------------------
// Ground truth, computed independently by test/helpers/mlflow_truth.py from the same files

interface TruthPoint {
  step: number;
  timestamp: number;
  value: number | string;
}
interface TruthRun {
  experiment_id: string;
  name: string;
  status: string;
  lifecycle_stage: string;
  start_time: number | null;
  end_time: number | null;
  params: Record<string, string>;
  latest: Record<string, TruthPoint>;
  points: Record<string, number>;
}
interface TruthVersion {
  stage: string;
  run_id: string | null;
  source: string | null;
  aliases: string[];
}
interface Truth {
  experiments: Record<string, { name: string; lifecycle_stage: string }>;
  runs: Record<string, TruthRun>;
  registry: Record<string, { aliases: Record<string, string>; versions: Record<string, TruthVersion> }>;
}

function truth(kind: 'file' | 'db', target: string): Truth {
  const script = join(REPO, 'test', 'helpers', 'mlflow_truth.py');
  return JSON.parse(execFileSync('python3', [script, kind, target], { encoding: 'utf8', maxBuffer: 256 << 20 })) as Truth;
}

function jsonNumber(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  return value;
}

function assertMatchesTruth(snapshot: TrackingSnapshot, expected: Truth, label: string): void {
  assert.deepEqual(
    Object.fromEntries(snapshot.experiments.map((e) => [e.experimentId, { name: e.name, lifecycle_stage: e.lifecycleStage }])),
    expected.experiments,
    `${label}: experiments`,
  );
  assert.equal(snapshot.runs.length, Object.keys(expected.runs).length, `${label}: run count`);
  for (const run of snapshot.runs) {
    const want = expected.runs[run.runId];
    assert.ok(want, `${label}: unexpected run ${run.runId}`);
    const where = `${label} run ${run.runId}`;
    assert.equal(run.experimentId, want.experiment_id, where);
    assert.equal(run.name, want.name, where);
    assert.equal(run.status, want.status, where);
    assert.equal(run.lifecycleStage, want.lifecycle_stage, where);
    assert.equal(run.startTime, want.start_time, where);
    assert.equal(run.endTime, want.end_time, where);
    assert.deepEqual(run.params, want.params, where);
    const latest = Object.fromEntries([...latestMetrics(run.metrics)].map(([k, p]) => [k, { step: p.step, timestamp: p.timestamp, value: jsonNumber(p.value) }]));
    assert.deepEqual(latest, want.latest, `${where}: latest metrics`);
    const counts: Record<string, number> = {};
    for (const p of run.metrics) counts[p.key] = (counts[p.key] ?? 0) + 1;
    assert.deepEqual(counts, want.points, `${where}: points per metric`);
  }
  const registry = Object.fromEntries(
    snapshot.registeredModels.map((m) => [
      m.name,
      { aliases: m.aliases, versions: Object.fromEntries(m.versions.map((v) => [v.version, { stage: v.stage, run_id: v.runId, source: v.source, aliases: v.aliases }])) },
    ]),
  );
  assert.deepEqual(registry, expected.registry, `${label}: registry`);
}

/** Each fixture store is `mlruns/<name>/mlruns`. */
function fileStoreFixtures(): string[] {
  const base = join(SHARED_FIXTURES, 'mlruns');
  return readdirSync(base).map((name) => (existsSync(join(base, name, 'mlruns')) ? join(base, name, 'mlruns') : join(base, name)));
}

function databaseFixtures(): string[] {
  const base = join(SHARED_FIXTURES, 'mlflow-db');
  return readdirSync(base)
    .filter((name) => name.endsWith('.db'))
    .map((name) => join(base, name));
}

const byId = (snapshot: TrackingSnapshot): Map<string, RunRecord> => new Map(snapshot.runs.map((r) => [r.runId, r]));

/** A writable copy of a fixture database (the fixtures are read-only). */
function copyDatabase(fixture: string, prefix: string): string {
  const path = join(tempDir(prefix), 'mlflow.db');
  copyFileSync(join(SHARED_FIXTURES, 'mlflow-db', fixture), path);
  chmodSync(path, 0o644);
  return path;
}

/** Another process with its own connection to a database, running the SQL it is sent: MLflow, as far as locks go. */
async function otherConnection(path: string): Promise<{ exec(sql: string): Promise<string>; close(): Promise<void> }> {
  const program = await bundleProgram('test/helpers/sql-connection.ts', 'sql-connection');
  const child = spawn(process.execPath, [program, path], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, NODE_PATH: join(REPO, 'node_modules') } });
  const replies = createInterface({ input: child.stdout });
  const pending: ((line: string) => void)[] = [];
  replies.on('line', (line) => pending.shift()?.(line));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    exec: (sql) =>
      new Promise((resolve) => {
        pending.push(resolve);
        child.stdin.write(`${sql.replace(/\n/g, ' ')}\n`);
      }),
    close: () => {
      child.stdin.end();
      return exited;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Real stores

describe('MLflow file stores match an independent reading', () => {
  for (const root of fileStoreFixtures()) {
    test(root.slice(SHARED_FIXTURES.length + 1), () => {
      const snapshot = readFileStore(root);
      assert.deepEqual(snapshot.issues, []);
      assertMatchesTruth(snapshot, truth('file', root), root);
    });
  }
});

describe('MLflow SQLite databases match an independent reading', () => {
  for (const path of databaseFixtures()) {
    test(path.slice(SHARED_FIXTURES.length + 1), () => {
      const snapshot = readMlflowDatabase(path);
      assert.deepEqual(snapshot.issues, []);
      assertMatchesTruth(snapshot, truth('db', path), path);
    });
  }
});

test('MLflow 1.x file store: 44 runs, RUNNING runs without end time, deleted runs, experiment tags', () => {
  const snapshot = readFileStore(join(SHARED_FIXTURES, 'mlruns/mlflow-1.x-demo/mlruns'));
  assert.equal(snapshot.runs.length, 44);
  const running = snapshot.runs.filter((r) => r.status === 'RUNNING');
  assert.equal(running.length, 6);
  assert.ok(running.every((r) => r.endTime === null));
  assert.equal(snapshot.runs.filter((r) => r.lifecycleStage === 'deleted').length, 20);
  assert.ok(snapshot.runs.some((r) => r.name === ''), '1.x runs may have no name');
  const modelBuild = snapshot.experiments.find((e) => e.experimentId === '2');
  assert.equal(modelBuild?.name, 'model_build');
  assert.match(modelBuild?.tags['mlflow.note.content'] ?? '', /model comparison/);
});

test('MLflow 2.4 file store: registry stages and absolute paths from another machine', () => {
  const root = join(SHARED_FIXTURES, 'mlruns/mlflow-2.4-registry/mlruns');
  const { models, issues } = readFileStoreRegistry(root);
  assert.deepEqual(issues, []);
  assert.equal(models.length, 1);
  const [model] = models;
  assert.equal(model.name, 'my-sklearn-model');
  assert.equal(model.description, 'First sklearn model');
  assert.deepEqual(model.versions.map((v) => [v.version, v.stage, v.status]), [
    ['1', 'Production', 'READY'],
    ['2', 'Staging', 'READY'],
  ]);
  const run = byId(readFileStore(root)).get(model.versions[0].runId!);
  assert.equal(run?.name, 'funny-wren-299');
  assert.match(run?.artifactUri ?? '', /^file:\/\/\/Users\/gabrielneil\//);
});

test('MLflow 1.x database: a 1001-step metric, registry stages, deleted and RUNNING runs', () => {
  const snapshot = readMlflowDatabase(join(SHARED_FIXTURES, 'mlflow-db/mlflow-1.x-2022.db'));
  assert.equal(snapshot.runs.length, 125);
  const long = snapshot.runs.find((r) => r.metrics.filter((p) => p.key === 'validation-rmse').length === 1001);
  assert.ok(long, 'a run with 1001 validation-rmse points');
  assert.equal(latestMetrics(long.metrics).get('validation-rmse')?.step, 1000);
  const running = snapshot.runs.filter((r) => r.status === 'RUNNING');
  assert.equal(running.length, 2);
  assert.ok(running.every((r) => r.endTime === null && r.lifecycleStage === 'deleted'));
  assert.equal(snapshot.runs.filter((r) => r.lifecycleStage === 'deleted').length, 13);
  assert.equal(snapshot.experiments.find((e) => e.experimentId === '3')?.lifecycleStage, 'deleted');
  const regressor = snapshot.registeredModels.find((m) => m.name === 'nyc-taxi-regressor');
  assert.deepEqual(regressor?.versions.map((v) => `${v.version}:${v.stage}`), ['1:Staging', '2:Production', '3:Staging', '4:None']);
});

test('MLflow 3.x database: logged models and versions whose source is models:/m-…', () => {
  const snapshot = readMlflowDatabase(join(SHARED_FIXTURES, 'mlflow-db/mlflow-3.x-2026.db'));
  assert.equal(snapshot.loggedModels.length, 3);
  for (const model of snapshot.loggedModels) {
    assert.match(model.modelId, /^m-[0-9a-f]{32}$/);
    assert.equal(model.status, 'READY');
    assert.equal(model.lifecycleStage, 'active');
    assert.ok(snapshot.runs.some((r) => r.runId === model.sourceRunId));
    assert.equal(model.params.n_estimators, '100');
  }
  const [churn] = snapshot.registeredModels;
  assert.deepEqual(churn.versions.map((v) => [v.version, v.stage]), [
    ['1', 'Production'],
    ['2', 'None'],
    ['3', 'None'],
  ]);
  assert.ok(churn.versions.every((v) => v.source?.startsWith('models:/m-')));
  assert.equal(snapshot.runs[0].name, 'random_forest_v1');
});

// ---------------------------------------------------------------------------------------------
// Registry variants built from the fixtures

test('database registry: Deleted_Internal versions are hidden, aliases are read', () => {
  const v1 = copyDatabase('mlflow-1.x-2022.db', 'registry-v1');
  execFileSync('sqlite3', [v1, "UPDATE model_versions SET current_stage = 'Deleted_Internal' WHERE name = 'nyc-taxi-regressor' AND version = 4"]);
  const old = readMlflowDatabase(v1);
  assert.deepEqual(old.registeredModels.find((m) => m.name === 'nyc-taxi-regressor')?.versions.map((v) => v.version), ['1', '2', '3']);
  assertMatchesTruth(old, truth('db', v1), 'edited 1.x database');

  const v3 = copyDatabase('mlflow-3.x-2026.db', 'registry-v3');
  execFileSync('sqlite3', [
    v3,
    "INSERT INTO registered_model_aliases (alias, version, name, workspace) VALUES ('champion', 1, 'ChurnPredictionModel', 'default'), ('challenger', 3, 'ChurnPredictionModel', 'default');" +
      "INSERT INTO model_version_tags (key, value, name, version, workspace) VALUES ('validated', 'yes', 'ChurnPredictionModel', 3, 'default');",
  ]);
  const snapshot = readMlflowDatabase(v3);
  const [model] = snapshot.registeredModels;
  assert.deepEqual(model.aliases, { champion: '1', challenger: '3' });
  assert.deepEqual(model.versions.map((v) => v.aliases), [['champion'], [], ['challenger']]);
  assert.deepEqual(model.versions[2].tags, { validated: 'yes' });
  assertMatchesTruth(snapshot, truth('db', v3), 'edited 3.x database');
});

test('file registry: aliases from aliases/ files or from meta.yaml maps and lists; Deleted_Internal hidden', () => {
  const root = tempDir('registry-files');
  cpSync(join(SHARED_FIXTURES, 'mlruns/mlflow-2.4-registry/mlruns'), root, { recursive: true });
  const model = join(root, 'models', 'my-sklearn-model');
  mkdirSync(join(model, 'aliases'));
  writeFileSync(join(model, 'aliases', 'champion'), '1');
  writeFileSync(join(model, 'aliases', 'challenger'), '2');
  mkdirSync(join(model, 'tags'));
  writeFileSync(join(model, 'tags', 'owner'), 'gabriel');
  mkdirSync(join(model, 'version-3'));
  writeFileSync(join(model, 'version-3', 'meta.yaml'), 'current_stage: Deleted_Internal\nname: my-sklearn-model\nversion: 3\n');
  const [read] = readFileStoreRegistry(root).models;
  assert.deepEqual(read.aliases, { challenger: '2', champion: '1' });
  assert.deepEqual(read.versions.map((v) => [v.version, v.aliases]), [
    ['1', ['champion']],
    ['2', ['challenger']],
  ]);
  assert.deepEqual(read.tags, { owner: 'gabriel' });
  assertMatchesTruth(readFileStore(root), truth('file', root), 'edited 2.4 store');

  // Without an aliases/ folder, the meta.yaml forms: a map on the model, lists on versions.
  const other = tempDir('registry-meta');
  cpSync(join(SHARED_FIXTURES, 'mlruns/mlflow-2.4-registry/mlruns'), other, { recursive: true });
  const otherModel = join(other, 'models', 'my-sklearn-model');
  writeFileSync(join(otherModel, 'meta.yaml'), "aliases: {}\nname: my-sklearn-model\ndescription: null\n");
  writeFileSync(join(otherModel, 'version-2', 'meta.yaml'), "aliases: [prod]\ncurrent_stage: None\nname: my-sklearn-model\nversion: 2\nrun_id: '6ad6'\n");
  assert.deepEqual(readFileStoreRegistry(other).models[0].versions.map((v) => v.aliases), [[], ['prod']]);
  writeFileSync(join(otherModel, 'meta.yaml'), "aliases:\n  prod: '1'\nname: my-sklearn-model\n");
  const viaMap = readFileStoreRegistry(other).models[0];
  assert.deepEqual(viaMap.aliases, { prod: '1' });
  assert.deepEqual(viaMap.versions.map((v) => v.aliases), [['prod'], []]);
});

test('MLflow 3 file store: logged models under <experiment>/models/ are not runs', () => {
  const root = tempDir('logged-models');
  const exp = join(root, '1');
  const runId = '0123456789abcdef0123456789abcdef';
  const modelId = 'm-89b09a342636439890c90361789fca3c';
  mkdirSync(join(exp, runId, 'outputs', modelId), { recursive: true });
  mkdirSync(join(exp, 'models', modelId, 'params'), { recursive: true });
  mkdirSync(join(exp, 'models', modelId, 'tags'), { recursive: true });
  mkdirSync(join(exp, 'models', modelId, 'metrics'), { recursive: true });
  writeFileSync(join(exp, 'meta.yaml'), "artifact_location: file:///tmp/mlruns/1\nexperiment_id: '1'\nlifecycle_stage: active\nname: churn\n");
  writeFileSync(
    join(exp, runId, 'meta.yaml'),
    `artifact_uri: file:///tmp/mlruns/1/${runId}/artifacts\nend_time: null\nexperiment_id: '1'\nlifecycle_stage: active\nrun_id: ${runId}\nrun_name: rf\nrun_uuid: ${runId}\nstart_time: 1776233590000\nstatus: 1\nuser_id: asus\n`,
  );
  // The fields MLflow 3's file store writes for a logged model (LoggedModel.to_dictionary without tags, params, metrics).
  writeFileSync(
    join(exp, 'models', modelId, 'meta.yaml'),
    [
      `artifact_location: file:///tmp/mlruns/1/models/${modelId}/artifacts`,
      'creation_timestamp: 1776233591254',
      "experiment_id: '1'",
      'last_updated_timestamp: 1776233594951',
      'lifecycle_stage: active',
      `model_id: ${modelId}`,
      'model_type: null',
      'name: model',
      `source_run_id: ${runId}`,
      'status: READY',
      'status_message: null',
      '',
    ].join('\n'),
  );
  writeFileSync(join(exp, 'models', modelId, 'params', 'n_estimators'), '100');
  writeFileSync(join(exp, 'models', modelId, 'tags', 'mlflow.user'), 'asus');
  writeFileSync(join(exp, 'models', modelId, 'metrics', 'f1_score'), `1776233590632 0.96 0 ${runId}\n`);

  const listing = listFileStore(root);
  assert.deepEqual(listing.issues, []);
  assert.deepEqual(listing.runDirs.map((r) => r.runId), [runId]);
  const { models, issues } = readLoggedModels(root);
  assert.deepEqual(issues, []);
  assert.deepEqual(models, [
    {
      modelId,
      experimentId: '1',
      name: 'model',
      sourceRunId: runId,
      status: 'READY',
      creationTime: 1776233591254,
      artifactLocation: `file:///tmp/mlruns/1/models/${modelId}/artifacts`,
      lifecycleStage: 'active',
      params: { n_estimators: '100' },
      tags: { 'mlflow.user': 'asus' },
    },
  ]);
  const run = readRunDir(listing.runDirs[0].dir, '1').run;
  assert.equal(run?.status, 'RUNNING');
  assert.equal(run?.endTime, null);
  assert.equal(run?.name, 'rf');
});

// ---------------------------------------------------------------------------------------------
// Bad input: each case builds a small store; reading it must not throw, must report, and must keep the rest

const GOOD_RUN = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const BAD_RUN = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

function runMeta(runId: string, status = 3): string {
  return `artifact_uri: ./mlruns/0/${runId}/artifacts\nend_time: 1613881603715\nexperiment_id: '0'\nlifecycle_stage: active\nrun_uuid: ${runId}\nstart_time: 1613881603707\nstatus: ${status}\nuser_id: me\n`;
}

function smallStore(): string {
  const root = tempDir('bad-input');
  for (const runId of [GOOD_RUN, BAD_RUN]) {
    mkdirSync(join(root, '0', runId, 'metrics'), { recursive: true });
    mkdirSync(join(root, '0', runId, 'params'), { recursive: true });
    writeFileSync(join(root, '0', runId, 'meta.yaml'), runMeta(runId));
    writeFileSync(join(root, '0', runId, 'metrics', 'loss'), '1613881603707 0.5 0\n1613881603708 0.25 1\n');
    writeFileSync(join(root, '0', runId, 'params', 'alpha'), '0.1');
  }
  writeFileSync(join(root, '0', 'meta.yaml'), "artifact_location: ./mlruns/0\nexperiment_id: '0'\nlifecycle_stage: active\nname: Default\n");
  return root;
}

interface BadCase {
  name: string;
  build(run: string, root: string): void;
  check(snapshot: TrackingSnapshot, bad: RunRecord | undefined): void;
}

const badCases: BadCase[] = [
  {
    name: 'truncated and non-numeric metric lines',
    build: (run) => writeFileSync(join(run, 'metrics', 'loss'), '1613881603707 0.5 0\n16138816\n1613881603709 abc 2\n1613881603710 0.125 3\n1613881603711 0.1'),
    check: (snapshot, bad) => {
      assert.deepEqual(bad?.metrics.map((p) => p.value), [0.5, 0.125, 0.1]);
      const [issue] = snapshot.issues;
      assert.equal(snapshot.issues.length, 1, 'one issue per file');
      assert.equal(issue.line, 2);
      assert.equal(issue.column, 9);
      assert.equal(issue.runId, BAD_RUN);
      assert.match(issue.message, /skipped 2 lines/);
    },
  },
  {
    name: 'nan and inf values as Python writes them',
    build: (run) => writeFileSync(join(run, 'metrics', 'loss'), '1 nan 0\n2 inf 1\n3 -inf 2\n4 NaN 3\n5 Infinity 4\n6 -Infinity\n7 1e-05 5\n'),
    check: (snapshot, bad) => {
      assert.deepEqual(snapshot.issues, []);
      assert.deepEqual(bad?.metrics.map((p) => p.value), [NaN, Infinity, -Infinity, NaN, Infinity, -Infinity, 0.00001]);
      assert.equal(bad?.metrics[5].step, 0, 'step defaults to 0');
      assert.equal(latestMetrics(bad!.metrics).get('loss')?.value, 0.00001);
    },
  },
  {
    name: 'binary meta.yaml',
    build: (run) => writeFileSync(join(run, 'meta.yaml'), Buffer.from([0x00, 0xff, 0x10, 0x80, 0x00, 0x01])),
    check: (snapshot, bad) => {
      assert.equal(bad, undefined);
      assert.match(snapshot.issues[0].message, /binary/);
      assert.equal(snapshot.issues[0].runId, BAD_RUN);
    },
  },
  {
    name: 'invalid YAML in meta.yaml',
    build: (run) => writeFileSync(join(run, 'meta.yaml'), 'run_uuid: x\nstatus: [3\nuser_id: me\n'),
    check: (snapshot, bad) => {
      assert.equal(bad, undefined);
      assert.match(snapshot.issues[0].message, /not valid YAML/);
      assert.ok((snapshot.issues[0].line ?? 0) >= 2);
      assert.ok(snapshot.issues[0].column);
    },
  },
  {
    name: 'meta.yaml that is not a mapping',
    build: (run) => writeFileSync(join(run, 'meta.yaml'), '- just\n- a list\n'),
    check: (snapshot, bad) => {
      assert.equal(bad, undefined);
      assert.match(snapshot.issues[0].message, /not a mapping/);
    },
  },
  {
    name: 'empty files',
    build: (run) => {
      writeFileSync(join(run, 'metrics', 'loss'), '');
      writeFileSync(join(run, 'params', 'alpha'), '');
    },
    check: (snapshot, bad) => {
      assert.deepEqual(snapshot.issues, []);
      assert.deepEqual(bad?.metrics, []);
      assert.deepEqual(bad?.params, { alpha: '' });
    },
  },
  {
    name: 'empty meta.yaml',
    build: (run) => writeFileSync(join(run, 'meta.yaml'), ''),
    check: (snapshot, bad) => {
      assert.equal(bad, undefined);
      assert.match(snapshot.issues[0].message, /empty/);
    },
  },
  {
    name: 'missing metrics and params folders',
    build: (run) => execFileSync('rm', ['-r', join(run, 'metrics'), join(run, 'params')]),
    check: (snapshot, bad) => {
      assert.deepEqual(snapshot.issues, []);
      assert.deepEqual(bad?.metrics, []);
      assert.deepEqual(bad?.params, {});
    },
  },
  {
    name: 'nested metric keys and a symbolic link loop',
    build: (run) => {
      mkdirSync(join(run, 'metrics', 'train'));
      writeFileSync(join(run, 'metrics', 'train', 'acc'), '1613881603707 0.9 0\n');
      symlinkSync('..', join(run, 'metrics', 'train', 'up')); // back to metrics/: a loop
      symlinkSync('self', join(run, 'metrics', 'self')); // a link to itself
    },
    check: (snapshot, bad) => {
      assert.deepEqual([...new Set(bad?.metrics.map((p) => p.key))].sort(), ['loss', 'train/acc']);
      assert.equal(snapshot.issues.length, 2);
      assert.ok(snapshot.issues.some((i) => /loop/.test(i.message) && i.path.endsWith('train/up')));
      assert.ok(snapshot.issues.some((i) => /symbolic links/.test(i.message) && i.path.endsWith('self')));
    },
  },
  {
    name: 'unreadable files: a FIFO, a dangling link, a folder where meta.yaml should be',
    build: (run, root) => {
      execFileSync('mkfifo', [join(run, 'metrics', 'pipe')]);
      symlinkSync('/nonexistent/target', join(run, 'params', 'gone'));
      const third = join(root, '0', 'cccccccccccccccccccccccccccccccc');
      mkdirSync(join(third, 'meta.yaml'), { recursive: true });
    },
    check: (snapshot, bad) => {
      assert.equal(bad?.metrics.length, 2, 'the readable metric is still read');
      assert.deepEqual(bad?.params, { alpha: '0.1' });
      assert.ok(snapshot.issues.some((i) => /not a regular file/.test(i.message) && i.path.endsWith('pipe')));
      assert.ok(snapshot.issues.some((i) => /no such file/.test(i.message) && i.path.endsWith('gone')));
      assert.equal(snapshot.runs.length, 2, 'a folder without a meta.yaml file is not a run');
    },
  },
  {
    name: 'a linked folder that loops back to its experiment is not a run',
    build: (_run, root) => symlinkSync('.', join(root, '0', 'dddddddddddddddddddddddddddddddd')),
    check: (snapshot) => {
      assert.equal(snapshot.runs.length, 2);
      assert.equal(snapshot.issues.length, 1);
      assert.match(snapshot.issues[0].message, /not an MLflow run/);
    },
  },
  {
    name: 'an experiment whose meta.yaml is broken keeps its runs',
    build: (_run, root) => writeFileSync(join(root, '0', 'meta.yaml'), 'name: [unclosed\n'),
    check: (snapshot, bad) => {
      assert.ok(bad);
      assert.deepEqual(snapshot.experiments.map((e) => [e.experimentId, e.name]), [['0', '0']]);
      assert.equal(snapshot.issues[0].experimentId, '0');
    },
  },
  {
    name: 'a status MLflow never wrote, and a run folder whose meta names another run',
    build: (run) => writeFileSync(join(run, 'meta.yaml'), runMeta(GOOD_RUN, 9)),
    check: (snapshot, bad) => {
      assert.equal(bad?.status, 'RUNNING');
      assert.equal(bad?.runId, BAD_RUN);
      assert.equal(snapshot.issues.length, 2);
    },
  },
];

describe('file store bad input', () => {
  for (const badCase of badCases) {
    test(badCase.name, () => {
      const root = smallStore();
      badCase.build(join(root, '0', BAD_RUN), root);
      const snapshot = readFileStore(root);
      const runs = byId(snapshot);
      assert.equal(runs.get(GOOD_RUN)?.metrics.length, 2, 'the good run is read in full');
      assert.deepEqual(runs.get(GOOD_RUN)?.params, { alpha: '0.1' });
      for (const issue of snapshot.issues) assert.ok(issue.path.startsWith(root), `issue located in the store: ${issue.path}`);
      badCase.check(snapshot, runs.get(BAD_RUN));
    });
  }

  test('a store path that is missing or a file', () => {
    const dir = tempDir('bad-root');
    writeFileSync(join(dir, 'file'), 'x');
    for (const root of [join(dir, 'missing'), join(dir, 'file')]) {
      const snapshot = readFileStore(root);
      assert.equal(snapshot.runs.length, 0);
      assert.equal(snapshot.issues.length, 1);
    }
  });

  test('readMetricFile reads one file on its own', () => {
    const dir = tempDir('metric');
    writeFileSync(join(dir, 'm'), '10 1.5 2\r\n11 x 3\r\n');
    const { points, issues } = readMetricFile(join(dir, 'm'), 'm');
    assert.deepEqual(points, [{ key: 'm', timestamp: 10, value: 1.5, step: 2 }]);
    assert.deepEqual([issues[0].line, issues[0].column], [2, 4]);
  });
});

// ---------------------------------------------------------------------------------------------
// Databases: bad input, old schemas, scale

describe('database bad input', () => {
  test('a database locked by another process is an issue, then reads once released', async () => {
    const path = copyDatabase('mlflow-1.x-2022.db', 'locked');
    const writer = await otherConnection(path);
    try {
      assert.equal(await writer.exec('BEGIN EXCLUSIVE'), 'ok');
      const started = Date.now();
      const snapshot = readMlflowDatabase(path, { busyTimeoutMs: 200 });
      assert.equal(snapshot.runs.length, 0);
      assert.equal(snapshot.issues.length, 1);
      assert.match(snapshot.issues[0].message, /locked/);
      assert.ok(Date.now() - started < 5000);
      assert.equal(await writer.exec('COMMIT'), 'ok');
      assert.equal(readMlflowDatabase(path).runs.length, 125);
    } finally {
      await writer.close();
    }
  });

  test('corrupt, truncated, empty and foreign files are issues', () => {
    const dir = tempDir('corrupt');
    const random = join(dir, 'random.db');
    writeFileSync(random, Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919 + 13) % 256)));
    const truncated = join(dir, 'truncated.db');
    const whole = execFileSync('cat', [join(SHARED_FIXTURES, 'mlflow-db/mlflow-1.x-2022.db')], { maxBuffer: 16 << 20 });
    writeFileSync(truncated, whole.subarray(0, 300_000));
    const empty = join(dir, 'empty.db');
    writeFileSync(empty, '');
    const foreign = join(dir, 'foreign.db');
    execFileSync('sqlite3', [foreign, 'CREATE TABLE notes (body TEXT)']);
    for (const [path, pattern] of [
      [random, /not an SQLite database/],
      [truncated, /corrupt|malformed|not an SQLite/],
      [empty, /not an MLflow tracking database/],
      [foreign, /not an MLflow tracking database/],
      [join(dir, 'missing.db'), /cannot open/],
    ] as const) {
      const snapshot = readMlflowDatabase(path);
      assert.ok(snapshot.issues.length >= 1, path);
      assert.ok(snapshot.issues.some((i) => pattern.test(i.message) && i.path === path), `${path}: ${JSON.stringify(snapshot.issues)}`);
    }
  });

  test('an early MLflow schema without run names, metric steps or is_nan', () => {
    const path = join(tempDir('old-schema'), 'mlflow.db');
    execFileSync('sqlite3', [
      path,
      `CREATE TABLE experiments (experiment_id INTEGER PRIMARY KEY, name VARCHAR(256), artifact_location VARCHAR(256), lifecycle_stage VARCHAR(32));
       CREATE TABLE runs (run_uuid VARCHAR(32) PRIMARY KEY, source_type VARCHAR(20), user_id VARCHAR(256), status VARCHAR(20), start_time BIGINT, end_time BIGINT, lifecycle_stage VARCHAR(20), artifact_uri VARCHAR(200), experiment_id INTEGER);
       CREATE TABLE metrics (key VARCHAR(250), value FLOAT, timestamp BIGINT, run_uuid VARCHAR(32));
       CREATE TABLE params (key VARCHAR(250), value VARCHAR(250), run_uuid VARCHAR(32));
       CREATE TABLE tags (key VARCHAR(250), value VARCHAR(250), run_uuid VARCHAR(32));
       INSERT INTO experiments VALUES (0, 'Default', './mlruns/0', 'active');
       INSERT INTO runs VALUES ('r1', 'LOCAL', 'me', 'FINISHED', 1, 2, 'active', './mlruns/0/r1/artifacts', 0);
       INSERT INTO metrics VALUES ('loss', 0.5, 10, 'r1'), ('loss', 0.25, 11, 'r1');
       INSERT INTO params VALUES ('alpha', '0.1', 'r1');
       INSERT INTO tags VALUES ('mlflow.runName', 'first', 'r1');`,
    ]);
    const snapshot = readMlflowDatabase(path);
    assert.deepEqual(snapshot.issues, []);
    const [run] = snapshot.runs;
    assert.equal(run.name, 'first');
    assert.deepEqual(run.params, { alpha: '0.1' });
    assert.deepEqual(run.metrics.map((p) => [p.step, p.timestamp, p.value]), [
      [0, 10, 0.5],
      [0, 11, 0.25],
    ]);
    assert.equal(latestMetrics(run.metrics).get('loss')?.value, 0.25);
    assert.deepEqual(snapshot.registeredModels, []);
  });

  test('the fingerprint changes when MLflow writes, including writes still in the WAL', async () => {
    const path = copyDatabase('mlflow-3.x-2026.db', 'fingerprint');
    const before = databaseFingerprint(path);
    assert.equal(databaseFingerprint(path), before, 'stable while nothing changes');
    execFileSync('sqlite3', [path, "UPDATE runs SET status = 'FAILED' WHERE rowid = 1"]);
    assert.notEqual(databaseFingerprint(path), before);

    // In WAL mode a commit lands in mlflow.db-wal; mlflow.db itself is untouched until a checkpoint.
    const writer = await otherConnection(path);
    try {
      assert.equal(await writer.exec('PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0'), 'ok');
      const walOpen = databaseFingerprint(path);
      assert.equal(await writer.exec("UPDATE runs SET status = 'KILLED' WHERE rowid = 2"), 'ok');
      const written = databaseFingerprint(path);
      assert.notEqual(written, walOpen);
      assert.equal(written?.split('|wal:')[0], walOpen?.split('|wal:')[0], 'only the WAL changed');
      const statuses = readMlflowDatabase(path).runs.map((r) => r.status).sort();
      assert.deepEqual(statuses, ['FAILED', 'FINISHED', 'KILLED'], 'committed WAL content is read');
    } finally {
      await writer.close();
    }
    assert.equal(databaseFingerprint(join(path, '..', 'missing.db')), null);
  });

  test('a synthetic database with 200k metric rows is read in one pass', () => {
    const path = copyDatabase('mlflow-1.x-2022.db', 'large');
    // 50 new runs × 4 metrics × 1000 steps, with a NaN at the last step of one metric.
    const sql = `
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999),
        r(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM r WHERE j < 49),
        k(name) AS (VALUES ('loss'), ('acc'), ('f1'), ('auc'))
      INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id)
        SELECT printf('synthetic%023d', j), '', 'LOCAL', '', '', 'me', 'FINISHED', 1, 2, '', 'active', '', 0 FROM r;
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999),
        r(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM r WHERE j < 49),
        k(name) AS (VALUES ('loss'), ('acc'), ('f1'), ('auc'))
      INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan)
        SELECT name, CASE WHEN name = 'auc' AND i = 999 THEN 0 ELSE 1.0 / (i + j + 1) END, 1000000 + i, printf('synthetic%023d', j), i,
               CASE WHEN name = 'auc' AND i = 999 THEN 1 ELSE 0 END
        FROM n, r, k;`;
    execFileSync('sqlite3', [path, sql]);
    const started = performance.now();
    const snapshot = readMlflowDatabase(path);
    const elapsed = performance.now() - started;
    const synthetic = snapshot.runs.filter((r) => r.runId.startsWith('synthetic'));
    assert.equal(synthetic.length, 50);
    assert.equal(synthetic.reduce((n, r) => n + r.metrics.length, 0), 200_000);
    const latest = latestMetrics(synthetic[3].metrics);
    assert.equal(latest.get('loss')?.value, 1 / (999 + 3 + 1));
    assert.ok(Number.isNaN(latest.get('auc')?.value));
    assert.ok(elapsed < 10_000, `read in ${elapsed.toFixed(0)} ms`);
    assertMatchesTruth(snapshot, truth('db', path), 'synthetic database');
  });
});

// ---------------------------------------------------------------------------------------------
// JSONL: the shipped loggers write what the reader reads

const LOGGERS = join(REPO, 'examples', 'loggers');

describe('JSONL loggers', () => {
  test('the Python logger (run as python3)', () => {
    const dir = tempDir('py-logger');
    const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(LOGGERS)})
from mlops_log import RunLog
with RunLog(sys.argv[1] + "/runs/lr-v1.jsonl", experiment="churn", name="lr-v1", params={"C": 1.0, "penalty": "l2"}) as run:
    for step in range(3):
        run.log_metric("loss", 1.0 / (step + 1), step=step)
    run.log_metrics({"accuracy": 0.9, "f1_score": float("nan")}, step=2)
    run.log_metric("overflow", float("inf"))
    run.log_param("layers", 3)
    run.set_tag("team", "ml")
try:
    with RunLog(sys.argv[1] + "/runs/boom.jsonl", experiment="churn") as run:
        run.log_metric("loss", 5)
        raise ValueError("diverged")
except ValueError:
    pass
with open(sys.argv[1] + "/runs/raw.jsonl", "w") as f:
    f.write(json.dumps({"type": "metric", "key": "x", "value": float("nan")}) + "\\n")
`;
    writeFileSync(join(dir, 'log.py'), script);
    execFileSync('python3', [join(dir, 'log.py'), dir]);

    const { run, issues } = readJsonlRun(join(dir, 'runs', 'lr-v1.jsonl'));
    assert.deepEqual(issues, []);
    assert.ok(run);
    assert.equal(run.runId, 'lr-v1');
    assert.equal(run.experimentId, 'churn');
    assert.equal(run.status, 'FINISHED');
    assert.ok(run.startTime && run.endTime && run.endTime >= run.startTime);
    assert.deepEqual(run.params, { C: '1.0', penalty: 'l2', layers: '3' });
    assert.deepEqual(run.tags, { team: 'ml' });
    const latest = latestMetrics(run.metrics);
    assert.deepEqual([latest.get('loss')?.step, latest.get('loss')?.value], [2, 1 / 3]);
    assert.equal(latest.get('accuracy')?.value, 0.9);
    assert.ok(Number.isNaN(latest.get('f1_score')?.value));
    assert.equal(latest.get('overflow')?.value, Infinity);

    const boom = readJsonlRun(join(dir, 'runs', 'boom.jsonl'));
    assert.equal(boom.run?.status, 'FAILED');
    assert.equal(boom.run?.name, 'boom');
    const raw = readJsonlRun(join(dir, 'runs', 'raw.jsonl'));
    assert.deepEqual(raw.issues, [], "Python's bare NaN token is accepted");
    assert.ok(Number.isNaN(raw.run?.metrics[0].value));
  });

  test('the Node logger (run as node)', () => {
    const dir = tempDir('node-logger');
    const logger = pathToFileURL(join(LOGGERS, 'mlops-log.mjs')).href;
    const script = `
import { RunLog, withRunLog } from ${JSON.stringify(logger)};
const dir = process.argv[2];
await withRunLog(dir + '/runs/lr-v2.jsonl', { experiment: 'churn', params: { C: 0.5 }, tags: { team: 'ml' } }, async (run) => {
  for (let step = 0; step < 3; step++) run.logMetric('loss', 1 / (step + 1), step);
  run.logMetrics({ accuracy: 0.91, f1_score: NaN }, 2);
  run.logMetric('overflow', -Infinity);
  run.logParam('layers', 4);
  run.setTag('stage', 'dev');
});
await withRunLog(dir + '/runs/boom.jsonl', {}, async (run) => {
  run.logMetric('loss', 5);
  throw new Error('diverged');
}).catch(() => {});
const open = new RunLog(dir + '/runs/live.jsonl', { name: 'still going' });
open.logMetric('loss', 1);
`;
    writeFileSync(join(dir, 'log.mjs'), script);
    execFileSync(process.execPath, [join(dir, 'log.mjs'), dir]);

    const { run, issues } = readJsonlRun(join(dir, 'runs', 'lr-v2.jsonl'));
    assert.deepEqual(issues, []);
    assert.ok(run);
    assert.equal(run.status, 'FINISHED');
    assert.equal(run.experimentId, 'churn');
    assert.deepEqual(run.params, { C: '0.5', layers: '4' });
    assert.deepEqual(run.tags, { team: 'ml', stage: 'dev' });
    const latest = latestMetrics(run.metrics);
    assert.equal(latest.get('loss')?.value, 1 / 3);
    assert.ok(Number.isNaN(latest.get('f1_score')?.value));
    assert.equal(latest.get('overflow')?.value, -Infinity);
    assert.equal(readJsonlRun(join(dir, 'runs', 'boom.jsonl')).run?.status, 'FAILED');
    const live = readJsonlRun(join(dir, 'runs', 'live.jsonl')).run;
    assert.equal(live?.status, 'RUNNING');
    assert.equal(live?.name, 'still going');
  });

  test('a half-written last line is picked up once the writer finishes it', () => {
    const path = join(tempDir('half-line'), 'run.jsonl');
    writeFileSync(path, '{"type":"run_start","experiment":"churn"}\n{"type":"metric","key":"loss","value":0.5,"step":0}\n{"type":"metric","key":"lo');
    const first = readJsonlRun(path);
    assert.deepEqual(first.issues, []);
    assert.equal(first.run?.metrics.length, 1);
    appendFileSync(path, 'ss","value":0.25,"step":1}\n{"type":"metric","key":"loss","value":}\n');
    const second = readJsonlRun(path, first.state);
    assert.deepEqual(second.added.map((p) => p.value), [0.25]);
    assert.deepEqual(second.issues.map((i) => i.line), [4], 'line numbers continue across reads');
    assert.equal(second.run?.metrics.length, 2);
  });
});
