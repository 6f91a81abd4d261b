import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDatabase, openStore, StoreError } from '../../server/src/store/store';
import { MIGRATIONS } from '../../server/src/store/migrations';
import { listFileStore, readRunDir } from '../../server/src/tracking/mlflow-files';
import { packRun, readRunFolder } from '../../server/src/tracking/packed-run';
import { READ_WORKER_FILE, readRunFolders } from '../../server/src/tracking/read-pool';
import { TrackingService } from '../../server/src/tracking/service';
import { SHARED_FIXTURES, tempDir } from '../helpers/paths';
import { writeSyntheticMlruns } from '../helpers/synthetic-mlruns';

function syntheticWorkspace(runsPerExperiment = 5): { workspace: string; runIds: string[] } {
  const workspace = tempDir('index');
  const runIds = writeSyntheticMlruns(join(workspace, 'mlruns'), { experiments: 2, runsPerExperiment, metrics: 3, steps: 20 });
  return { workspace, runIds };
}

/** Resolves when `probe` returns true after a change batch, or rejects after `ms`. */
function changeUntil(service: TrackingService, probe: () => boolean, ms = 5000): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching change within ${ms} ms`)), ms);
    service.watch(
      () => {
        if (probe()) {
          clearTimeout(timer);
          resolve(Date.now() - started);
        }
      },
      (message) => reject(new Error(message)),
    );
  });
}

test('the store is created on first use with the newest schema, and refuses a newer one', () => {
  const dir = tempDir('store');
  const db = openStore(dir);
  assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
  db.close();
  assert.throws(() => openDatabase(join(dir, '.mlops', 'index.db')), StoreError);
});

test('a cold index reads every run; a second pass reads none; the index survives a restart', async () => {
  const { workspace, runIds } = syntheticWorkspace();
  let service = TrackingService.open(workspace);
  const first = await service.refresh();
  assert.equal(first.runsRead, runIds.length);
  assert.equal(service.runs().length, runIds.length);
  const second = await service.refresh();
  assert.deepEqual([second.runsRead, second.runsUnchanged], [0, runIds.length]);
  await service.close();

  service = TrackingService.open(workspace);
  const afterRestart = await service.refresh();
  assert.deepEqual([afterRestart.runsRead, afterRestart.runsUnchanged], [0, runIds.length]);
  assert.equal(service.runs().length, runIds.length);
  await service.close();
});

test('only the changed run is re-read; a deleted run disappears', async () => {
  const { workspace, runIds } = syntheticWorkspace();
  const service = TrackingService.open(workspace);
  await service.refresh();
  const [changed, removed] = [runIds[1], runIds[7]];
  appendFileSync(join(workspace, 'mlruns', '0', changed, 'metrics', 'm0'), `1800000000000 42.5 999\n`);
  rmSync(join(workspace, 'mlruns', '1', removed), { recursive: true });
  const result = await service.refresh();
  assert.equal(result.runsRead, 1);
  assert.equal(result.runsDeleted, 1);
  const runs = service.runs();
  assert.equal(runs.find((r) => r.runId === changed)?.metrics.m0, 42.5);
  assert.equal(runs.find((r) => r.runId === removed), undefined);
  await service.close();
});

test('a metric line appended while watching reaches the index within a second', async () => {
  const { workspace, runIds } = syntheticWorkspace();
  const service = TrackingService.open(workspace);
  await service.refresh();
  const runId = runIds[3];
  const seen = changeUntil(service, () => service.runs().find((r) => r.runId === runId)?.metrics.m2 === 7.25);
  // The watcher attaches asynchronously; keep appending (a growing run) until the index sees it.
  let step = 100;
  const writer = setInterval(() => appendFileSync(join(workspace, 'mlruns', '0', runId, 'metrics', 'm2'), `${1800000000000 + step} 7.25 ${step++}\n`), 100);
  try {
    const ms = await seen;
    assert.ok(ms < 5000);
  } finally {
    clearInterval(writer);
    await service.close();
  }
});

test('a deleted run disappears from the index while watching', async () => {
  const { workspace, runIds } = syntheticWorkspace();
  const service = TrackingService.open(workspace);
  await service.refresh();
  const victim = runIds[2];
  const gone = changeUntil(service, () => !service.runs().some((r) => r.runId === victim));
  await new Promise((r) => setTimeout(r, 300)); // let chokidar attach before the single event
  rmSync(join(workspace, 'mlruns', '0', victim), { recursive: true });
  await gone;
  await service.close();
});

test('JSONL runs are indexed and a line appended while watching shows up', async () => {
  const workspace = tempDir('jsonl');
  mkdirSync(join(workspace, 'runs'));
  const file = join(workspace, 'runs', 'lr.jsonl');
  writeFileSync(
    file,
    [
      JSON.stringify({ type: 'run_start', run_id: 'r1', experiment: 'churn', name: 'lr', time: 1_700_000_000_000, params: { C: '1.0' } }),
      JSON.stringify({ type: 'metric', key: 'loss', value: 0.9, step: 0, time: 1_700_000_000_100 }),
      '',
    ].join('\n'),
  );
  const service = TrackingService.open(workspace);
  await service.refresh();
  const [run] = service.runs();
  assert.equal(run.runId, 'r1');
  assert.equal(run.status, 'RUNNING');
  assert.equal(run.metrics.loss, 0.9);
  const seen = changeUntil(service, () => service.runs()[0]?.metrics.loss === 0.5);
  let step = 1;
  const writer = setInterval(() => appendFileSync(file, JSON.stringify({ type: 'metric', key: 'loss', value: 0.5, step: step++, time: 1_700_000_001_000 + step }) + '\n'), 100);
  try {
    await seen;
  } finally {
    clearInterval(writer);
  }
  appendFileSync(file, JSON.stringify({ type: 'run_end', status: 'FINISHED', time: 1_700_000_009_000 }) + '\n');
  await service.refresh();
  assert.equal(service.runs()[0].status, 'FINISHED');
  await service.close();
});

test('filters and order use the query language; a bad filter throws with a column', async () => {
  const { workspace } = syntheticWorkspace(10);
  const service = TrackingService.open(workspace);
  await service.refresh();
  const all = service.runs();
  const threshold = 0.5;
  const expected = all.filter((r) => r.metrics.m0 > threshold).map((r) => r.runId).sort();
  const got = service.runs({ filter: `metrics.m0 > ${threshold}` }).map((r) => r.runId).sort();
  assert.deepEqual(got, expected);
  const ordered = service.runs({ orderBy: 'metrics.m1 DESC' }).map((r) => r.metrics.m1);
  assert.deepEqual(ordered, [...ordered].sort((a, b) => b - a));
  assert.throws(() => service.runs({ filter: 'metrics.m0 >' }), (e: Error & { column?: number }) => typeof e.column === 'number');
  await service.close();
});

test('run folders read on worker threads equal those read on this thread', async () => {
  assert.ok(existsSync(join(__dirname, READ_WORKER_FILE)), 'the worker script is built next to this test');
  const { workspace, runIds } = syntheticWorkspace(60);
  const jobs = runIds.map((runId, i) => ({ runId, experimentId: String(Math.floor(i / 60)), dir: join(workspace, 'mlruns', String(Math.floor(i / 60)), runId) }));
  const viaWorkers: Record<string, unknown> = {};
  for await (const chunk of readRunFolders(jobs)) for (const r of chunk) viaWorkers[r.runId] = r;
  assert.equal(Object.keys(viaWorkers).length, jobs.length);
  for (const j of jobs) assert.deepEqual(viaWorkers[j.runId], readRunFolder(j.dir, j.runId, j.experimentId), j.runId);
});

test('a run folder packed while it is read equals the run read whole and packed after', () => {
  // Real stores, plus a run whose metric lines are out of order, repeated, non-finite and odd.
  const odd = tempDir('pack');
  const runDir = join(odd, '0', 'r1');
  mkdirSync(join(runDir, 'metrics', 'nested'), { recursive: true });
  writeFileSync(join(odd, '0', 'meta.yaml'), "experiment_id: '0'\nname: x\nlifecycle_stage: active\nartifact_location: a\n");
  writeFileSync(join(runDir, 'meta.yaml'), "run_uuid: r1\nrun_id: r1\nexperiment_id: '0'\nstatus: 3\nstart_time: 1\nlifecycle_stage: active\n");
  writeFileSync(join(runDir, 'metrics', 'z'), '5 0.5 3\n4 0.25 1\n4 0.125 1\n9 -0 2\r\n7 1e-05 2\n3 nan 3\n3 NaN 3\n2 0.1234567890123456789 0\n');
  writeFileSync(join(runDir, 'metrics', 'a'), '1 1\n2 .5 1\n3 -.5 2 extra\n4 12345678901234567 3\n1234567890123456 2 4\n5 1. 5\nbad line\n\n6 +3 6');
  writeFileSync(join(runDir, 'metrics', 'nested', 'b'), '1 inf 0\n2 -Infinity 0\n');
  writeFileSync(join(runDir, 'metrics', 'empty'), '');
  const folders = [
    ...listFileStore(join(odd)).runDirs,
    ...readdirSync(join(SHARED_FIXTURES, 'mlruns')).flatMap((store) => listFileStore(join(SHARED_FIXTURES, 'mlruns', store)).runDirs),
  ];
  assert.ok(folders.length > 3);
  for (const { dir, runId, experimentId } of folders) {
    const whole = readRunDir(dir, experimentId);
    const packed = readRunFolder(dir, runId, experimentId);
    assert.deepEqual(packed.packed, whole.run ? packRun(whole.run) : null, dir);
    assert.deepEqual(packed.issues, whole.issues, dir);
  }
});
