// The Optuna reader against every real storage in ../shared/fixtures/optuna (schemas 0.9 to 3.2),
// checked against test/helpers/optuna_truth.py, which reads the same tables with Python's standard
// library alone; then broken copies (truncated, zeroed, random bytes) that must give a read problem
// and never a crash; then a workspace whose storage has no telling name, found by its tables.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { comparisonData } from '../../server/src/charts/comparison';
import { renderSvg } from '../../server/src/charts/render';
import type { RunInfo } from '../../server/src/contract';
import { decodeParam, readOptunaDatabase, trialRunId } from '../../server/src/tracking/optuna-sqlite';
import { latestMetrics } from '../../server/src/tracking/model';
import { databaseKind } from '../../server/src/tracking/sqlite-read';
import { resolveTrackingSources } from '../../server/src/tracking/sources';
import { TrackingService } from '../../server/src/tracking/service';
import { parseManifest } from '../../server/src/manifest/parse';
import { validateManifest } from '../../server/src/manifest/validate';
import { seededRandom } from '../../server/src/util/random';
import { CLI, REPO, SHARED_FIXTURES, tempDir } from '../helpers/paths';

interface TruthTrial {
  state: string;
  params: Record<string, string>;
  values: (number | null)[];
  intermediate: number;
  last_intermediate: number | null;
}
interface TruthStudy {
  directions: string[];
  trials: Record<string, TruthTrial>;
  best: number | null;
  pareto: number[];
}

const ROOT = join(SHARED_FIXTURES, 'optuna');
const STORAGES = readdirSync(ROOT).flatMap((dir) => readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.db')).map((f) => join(ROOT, dir, f)));
const STATUS: Record<string, string> = { COMPLETE: 'FINISHED', PRUNED: 'KILLED', FAIL: 'FAILED', RUNNING: 'RUNNING', WAITING: 'SCHEDULED' };

function truth(path: string): Record<string, TruthStudy> {
  const out = execFileSync('python3', [join(REPO, 'test', 'helpers', 'optuna_truth.py'), path], { encoding: 'utf8' });
  return (JSON.parse(out) as { studies: Record<string, TruthStudy> }).studies;
}

test('the fixtures are the storages their README lists: six files, schemas 0.9 to 3.2', () => {
  assert.equal(STORAGES.length, 6, STORAGES.join('\n'));
});

for (const path of STORAGES) {
  test(`Optuna storage ${path.slice(ROOT.length + 1)}: studies, trials, states, params, values and intermediate values as Python reads them`, () => {
    const expected = truth(path);
    const snapshot = readOptunaDatabase(path);
    assert.deepEqual(snapshot.issues, []);
    assert.deepEqual(snapshot.experiments.map((e) => e.name).sort(), Object.keys(expected).sort());
    let trials = 0;
    for (const [name, study] of Object.entries(expected)) {
      const runs = snapshot.runs.filter((r) => r.tags['optuna.study'] === name);
      assert.equal(runs.length, Object.keys(study.trials).length, `${name}: trials`);
      const metricNames = study.directions.length === 1 ? ['value'] : study.directions.map((_, k) => `value_${k}`);
      for (const [number, t] of Object.entries(study.trials)) {
        const run = runs.find((r) => r.name === number);
        assert.ok(run, `${name} trial ${number}`);
        const where = `${name} trial ${number}`;
        assert.equal(run.runId, trialRunId(name, Number(number)));
        assert.equal(run.status, STATUS[t.state], `${where}: state ${t.state}`);
        assert.deepEqual(run.params, t.params, `${where}: params`);
        const latest = latestMetrics(run.metrics);
        t.values.forEach((v, k) => assert.equal(latest.get(metricNames[k])?.value, v, `${where}: ${metricNames[k]}`));
        const history = run.metrics.filter((m) => m.key === metricNames[0]).length;
        assert.equal(history, t.intermediate + (t.values.length > 0 ? 1 : 0), `${where}: intermediate values plus the final one`);
        if (t.values.length === 0 && t.last_intermediate !== null) assert.equal(latest.get('value')?.value, t.last_intermediate, `${where}: no final value, the last intermediate one is the latest`);
        trials++;
      }
      const best = runs.filter((r) => r.tags['optuna.best'] === 'true').map((r) => Number(r.name));
      assert.deepEqual(best, study.best === null ? [] : [study.best], `${name}: best trial`);
      const pareto = runs.filter((r) => r.tags['optuna.pareto'] === 'true').map((r) => Number(r.name)).sort((a, b) => a - b);
      assert.deepEqual(pareto, study.pareto, `${name}: Pareto front`);
    }
    assert.equal(snapshot.runs.length, trials);
  });
}

test('the counts the fixtures README gives: 100 trials and 300 params; 25 trials with 10 pruned and 97 intermediate values; two objectives', () => {
  const book = readOptunaDatabase(join(ROOT, 'pfnet-research_optuna-book', 'optuna-prepared.db'));
  assert.equal(book.runs.length, 100);
  assert.equal(book.runs.reduce((n, r) => n + Object.keys(r.params).length, 0), 300);
  const cnn = readOptunaDatabase(join(ROOT, 'YuzhouLin_3dCNN', 'sb1.db'));
  assert.equal(cnn.runs.length, 25);
  assert.equal(cnn.runs.filter((r) => r.status === 'KILLED').length, 10);
  // The README's 97 intermediate values, as Python counts them, and as many points here plus one final value per trial that has one.
  const cnnTruth = Object.values(truth(join(ROOT, 'YuzhouLin_3dCNN', 'sb1.db')))[0];
  const trialsTruth = Object.values(cnnTruth.trials);
  assert.equal(trialsTruth.reduce((n, t) => n + t.intermediate, 0), 97);
  assert.equal(cnn.runs.reduce((n, r) => n + r.metrics.length, 0), 97 + trialsTruth.filter((t) => t.values.length > 0).length);
  const multi = readOptunaDatabase(join(ROOT, '93chanle_srl_other_models', 'example-study.db'));
  assert.equal(multi.experiments[0].tags['optuna.directions'], 'MINIMIZE,MAXIMIZE');
  assert.ok(multi.runs.every((r) => latestMetrics(r.metrics).has('value_0') && latestMetrics(r.metrics).has('value_1')));
});

test('params decode through their distribution: a categorical index is its choice, an integer stays an integer', () => {
  const categorical = '{"name": "CategoricalDistribution", "attributes": {"choices": ["Adam", "RMSprop", "SGD"]}}';
  assert.equal(decodeParam(2, categorical), 'SGD');
  assert.equal(decodeParam(1, '{"name": "CategoricalDistribution", "attributes": {"choices": [null, 32, true]}}'), '32');
  assert.equal(decodeParam(7, categorical), '7', 'an index out of range stays the number');
  assert.equal(decodeParam(51.0, '{"name": "IntDistribution", "attributes": {"log": false, "step": 1, "low": 1, "high": 100}}'), '51');
  assert.equal(decodeParam(0.181, '{"name": "FloatDistribution", "attributes": {"step": 0.01, "low": 0.001, "high": 0.991, "log": false}}'), '0.181');
  assert.equal(decodeParam(0.5, 'not json'), '0.5');
});

test('broken copies of a storage (truncated, zeroed pages, random bytes) give a read problem, never a crash', () => {
  const original = readFileSync(join(ROOT, 'YuzhouLin_3dCNN', 'sb1.db'));
  const dir = tempDir('optuna-fuzz');
  const random = seededRandom(17);
  const variants: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['header only', original.subarray(0, 100)],
    ['half', original.subarray(0, Math.floor(original.length / 2))],
    ['random bytes', Buffer.from(Array.from({ length: 8192 }, () => Math.floor(random() * 256)))],
  ];
  for (let k = 0; k < 12; k++) {
    const copy = Buffer.from(original);
    const page = 4096 * (1 + Math.floor(random() * (copy.length / 4096 - 1)));
    copy.fill(k % 2 === 0 ? 0 : 0xff, page, Math.min(copy.length, page + 4096));
    variants.push([`page at ${page} ${k % 2 === 0 ? 'zeroed' : 'filled'}`, copy]);
  }
  for (const [what, bytes] of variants) {
    const path = join(dir, `${what.replace(/\W+/g, '-')}.db`);
    writeFileSync(path, bytes);
    const snapshot = readOptunaDatabase(path);
    assert.ok(snapshot.issues.length > 0 || snapshot.runs.length > 0, `${what}: either read or a problem said`);
    for (const issue of snapshot.issues) assert.equal(issue.path, path, what);
    databaseKind(path); // must not throw either
  }
});

test('a storage is found by its tables, whatever its name; an MLflow database beside it stays MLflow', () => {
  const dir = tempDir('optuna-scan');
  copyFileSync(join(ROOT, 'pfnet-research_optuna-book', 'optuna-prepared.db'), join(dir, 'tuning.sqlite3'));
  copyFileSync(join(SHARED_FIXTURES, 'mlflow-db', 'mlflow-1.x-2022.db'), join(dir, 'tracking.db'));
  writeFileSync(join(dir, 'notes.db'), 'not a database');
  const found = resolveTrackingSources(dir).sources.map((s) => [s.kind, s.path.slice(dir.length + 1)]).sort();
  assert.deepEqual(found, [
    ['mlflow-sqlite', 'tracking.db'],
    ['optuna-sqlite', 'tuning.sqlite3'],
  ]);
});

test('mlops runs reads a study through the index: every trial, a filter on its params and objective, the best one first', () => {
  const workspace = tempDir('optuna-cli');
  copyFileSync(join(ROOT, 'YuzhouLin_3dCNN', 'sb1.db'), join(workspace, 'study.db'));
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, 'runs', workspace, '--json', ...args], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { run_id: string; name: string; status: string; params: Record<string, string>; metrics: Record<string, number> }[];
  };
  const expected = Object.values(truth(join(ROOT, 'YuzhouLin_3dCNN', 'sb1.db')))[0];
  const all = run(['--all']);
  assert.equal(all.length, Object.keys(expected.trials).length);
  const adam = run(['--all', '--filter', "params.optimizer = 'Adam'"]);
  assert.deepEqual(adam.map((r) => r.name).sort(), Object.entries(expected.trials).filter(([, t]) => t.params.optimizer === 'Adam').map(([n]) => n).sort());
  const ordered = run(['--all', '--filter', "attributes.status = 'FINISHED'", '--order-by', 'metrics.value ASC']);
  assert.equal(ordered[0].name, String(expected.best), 'the best trial (minimized) sorts first');
});

test('a RUNNING trial whose heartbeat stopped is marked stale; one that still beats is not', () => {
  const path = join(tempDir('optuna-heartbeat'), 'live.db');
  copyFileSync(join(ROOT, 'YuzhouLin_3dCNN', 'sb1.db'), path);
  // Two trials turned into running ones, as a worker leaves them: one beat an hour ago, one just now.
  execFileSync('python3', ['-c', `
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE trials SET state='RUNNING', datetime_complete=NULL WHERE number IN (23, 24)")
c.execute("DELETE FROM trial_values WHERE trial_id IN (SELECT trial_id FROM trials WHERE number IN (23, 24))")
c.execute("INSERT INTO trial_heartbeats (trial_id, heartbeat) SELECT trial_id, '2026-12-02 10:00:00.000000' FROM trials WHERE number = 23")
c.execute("INSERT INTO trial_heartbeats (trial_id, heartbeat) SELECT trial_id, '2026-12-02 10:59:30.000000' FROM trials WHERE number = 24")
c.commit()`, path]);
  const snapshot = readOptunaDatabase(path, { now: Date.UTC(2026, 11, 2, 11, 0, 0) });
  const trial = (n: number) => snapshot.runs.find((r) => r.name === String(n))!;
  assert.equal(trial(23).status, 'RUNNING');
  assert.equal(trial(23).tags['optuna.heartbeat'], 'stale: last beat 2026-12-02T10:00:00.000Z');
  assert.equal(trial(24).tags['optuna.heartbeat'], undefined);
});

test("Compare Runs on a study: the best run by the study's own direction, parallel coordinates of its params → the objective", async () => {
  const snapshot = readOptunaDatabase(join(ROOT, 'YuzhouLin_3dCNN', 'sb1.db'));
  const expected = Object.values(truth(join(ROOT, 'YuzhouLin_3dCNN', 'sb1.db')))[0];
  const runs: RunInfo[] = snapshot.runs.map((r) => ({
    runId: r.runId,
    experimentId: r.experimentId,
    experiment: 'ecnn0_sb1',
    name: r.name,
    status: r.status,
    startTime: r.startTime,
    endTime: r.endTime,
    params: r.params,
    tags: r.tags,
    metrics: Object.fromEntries([...latestMetrics(r.metrics)].map(([k, p]) => [k, p.value])),
    source: 'sb1.db',
  }));
  const finished = runs.filter((r) => r.status === 'FINISHED');
  const data = comparisonData(finished, { runIds: finished.map((r) => r.runId) });
  assert.equal(data.best?.source, 'study');
  assert.equal(data.best?.direction, 'min', 'the study minimizes');
  assert.equal(data.runs[data.best!.runIndex].label, String(expected.best));
  assert.deepEqual(data.parallel?.dimensions, ['param:batch_size', 'param:dropout_rate', 'param:lr', 'param:optimizer', 'metric:value']);
  // lr was sampled from a LogUniformDistribution (1e-6 … 1e-2): a log axis, labelled as such, ticks in its own units.
  const scales = Object.fromEntries(data.columns.filter((c) => c.kind === 'param').map((c) => [c.name, c.scale ?? 'linear']));
  assert.deepEqual(scales, { batch_size: 'linear', dropout_rate: 'linear', lr: 'log', optimizer: 'linear' });
  const spec = data.parallel!.spec as { datasets: { ticks: { label: string; text: string }[]; dims: { label: string }[] } };
  assert.ok(spec.datasets.dims.some((d) => d.label === 'lr (log)'));
  const lrTicks = spec.datasets.ticks.filter((t) => t.label === 'lr (log)').map((t) => Number(t.text));
  const lrs = finished.map((r) => Number(r.params.lr));
  assert.equal(lrTicks[0], Number(Math.min(...lrs).toPrecision(4)));
  assert.equal(lrTicks[2], Number(Math.max(...lrs).toPrecision(4)));
  // The middle tick is the geometric mean of the ends, as on any log axis.
  assert.ok(Math.abs(lrTicks[1] - Math.sqrt(Math.min(...lrs) * Math.max(...lrs))) / lrTicks[1] < 1e-3);
  const scatter = comparisonData(finished, { runIds: finished.map((r) => r.runId), scatterX: 'param:lr', scatterY: 'metric:value' }).scatter!.spec as { layer?: unknown[]; encoding?: unknown };
  assert.match(JSON.stringify(scatter), /"title":"lr \(log\)","scale":\{"type":"log"/);
  // Both render without a warning from Vega.
  for (const chart of [data.parallel!.spec, scatter]) {
    const warnings: string[] = [];
    assert.match(await renderSvg(chart as never, undefined, warnings), /<svg/);
    assert.deepEqual(warnings, []);
  }
});

test('tracking: names the tool where the shape does not say it; a malformed entry is flagged in the editor', () => {
  const dir = tempDir('optuna-named');
  copyFileSync(join(ROOT, 'YuzhouLin_3dCNN', 'sb1.db'), join(dir, 'search.bin'));
  writeFileSync(join(dir, 'mlops.yaml'), 'version: 1\ntracking:\n  - optuna: search.bin\n  - tensorboard: logs/\n  - wandb: wandb/\n');
  const sources = resolveTrackingSources(dir).sources.map((s) => [s.kind, s.path.slice(dir.length + 1)]);
  assert.deepEqual(sources, [
    ['optuna-sqlite', 'search.bin'],
    ['tensorboard', 'logs'],
    ['wandb', 'wandb'],
  ]);
  const text = 'version: 1\ntracking:\n  - neptune: x/\n  - { optuna: a.db, wandb: b/ }\n';
  const findings = validateManifest(parseManifest(text), { manifestPath: join(dir, 'mlops.yaml'), workspaceRoot: dir }).filter((f) => f.code === 'tracking-entry');
  assert.equal(findings.length, 2);
  assert.match(findings[0].message, /a path or URL, or one of \{optuna: path\}, \{tensorboard: path\}, \{wandb: path\}/);
  assert.equal(findings[0].range.start.line, 2);
});

test('a study being run: a writer in WAL mode (its connection open, as a worker keeps it) adds a trial and completes it, and the index follows while watching', async () => {
  const workspace = tempDir('optuna-live');
  const path = join(workspace, 'study.db');
  copyFileSync(join(ROOT, 'YuzhouLin_3dCNN', 'sb1.db'), path);
  // One Python process holds the connection and runs each line of SQL it is given, then says "ok".
  const writer = spawn(existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3', ['-u', '-c', `
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA journal_mode=WAL")
print("ok", flush=True)
for line in sys.stdin:
    c.executescript(line)
    c.commit()
    print("ok", flush=True)`, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: writer.stdout! });
  const acks: (() => void)[] = [];
  lines.on('line', () => acks.shift()?.());
  const write = (sql: string) => new Promise<void>((resolve) => {
    acks.push(resolve);
    writer.stdin!.write(`${sql.replace(/\n/g, ' ')}\n`);
  });
  const service = TrackingService.open(workspace);
  try {
    await new Promise<void>((resolve) => acks.push(resolve)); // WAL on
    await service.refresh();
    const trial = () => service.runs().find((r) => r.name === '25');
    let check: (() => void) | undefined;
    await service.watch(() => check?.(), () => undefined);
    const until = (ok: () => boolean, what: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${what} never reached the index`)), 10_000);
        check = () => {
          if (ok()) {
            clearTimeout(timer);
            resolve();
          }
        };
        check();
      });
    assert.equal(trial(), undefined);
    await write("INSERT INTO trials (trial_id, number, study_id, state, datetime_start) VALUES (26, 25, 1, 'RUNNING', '2026-12-02 10:00:00.000000');");
    await until(() => trial()?.status === 'RUNNING', 'the new RUNNING trial');
    await write("UPDATE trials SET state = 'COMPLETE', datetime_complete = '2026-12-02 10:05:00.000000' WHERE trial_id = 26; INSERT INTO trial_values (trial_id, objective, value) VALUES (26, 0, 0.0625);");
    await until(() => trial()?.status === 'FINISHED' && trial()?.metrics.value === 0.0625, 'the completed trial and its value');
    assert.ok(existsSync(`${path}-wal`), 'read while the writer still holds the WAL');
    assert.equal(service.runs().filter((r) => r.runId.startsWith('optuna:')).length, 26);
  } finally {
    await service.close();
    writer.stdin!.end();
    await new Promise((resolve) => writer.once('exit', resolve));
  }
});
