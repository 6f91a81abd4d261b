/**
 * Tracking benchmark: a synthetic MLflow file store of 2,000 runs × 10 metrics × 100 steps.
 *  - cold index time, as a ratio to reading the same files without parsing (the floor, same run);
 *  - latency from an appended metric line to the store (watcher → re-read → write);
 *  - resident memory of a process that indexed the store.
 * Medians over several rounds; the machine is noisy.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrackingService } from '../server/src/tracking/service';
import { writeSyntheticMlruns } from '../test/helpers/synthetic-mlruns';
import { scalarEvent } from '../test/helpers/tfevents';
import { openSqlite } from '../server/src/sqlite';
import { maskedCrc32c } from '../server/src/util/crc32c';
import { openStore } from '../server/src/store/store';
import { TrackingRepository } from '../server/src/tracking/repository';
import { median, percentile, report, type Row } from './report';
import { loadableSqliteDrivers, sqliteDriverStatus, SQLITE_DRIVER_ENV, type SqliteDriverName } from '../server/src/sqlite';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const APPENDS = Number(process.env.BENCH_APPENDS ?? 30);

function readAllFiles(dir: string): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) bytes += readAllFiles(path);
    else bytes += readFileSync(path).length;
  }
  return bytes;
}

async function coldIndex(workspace: string): Promise<number> {
  rmSync(join(workspace, '.mlops'), { recursive: true, force: true });
  const started = process.hrtime.bigint();
  const service = TrackingService.open(workspace);
  const result = await service.refresh();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await service.close();
  if (result.runsRead !== 2000) throw new Error(`expected 2000 runs indexed, got ${result.runsRead}`);
  return ms;
}

async function appendLatencies(workspace: string, runIds: string[]): Promise<number[]> {
  const service = TrackingService.open(workspace);
  await service.refresh();
  const latencies: number[] = [];
  let resolveChange: (() => void) | undefined;
  await service.watch(
    () => resolveChange?.(),
    (message) => console.error(message),
  );
  for (let i = 0; i < APPENDS; i++) {
    const runId = runIds[(i * 37) % runIds.length];
    const expId = String(Math.floor(parseInt(runId, 16) / 1_000_000));
    const file = join(workspace, 'mlruns', expId, runId, 'metrics', 'm0');
    const value = 1000 + i;
    const started = process.hrtime.bigint();
    const seen = new Promise<void>((resolve) => {
      resolveChange = () => {
        if (service.repo.latestMetric(runId, 'm0') === value) resolve();
      };
    });
    appendFileSync(file, `${Date.now() + 1e6} ${value} ${100 + i}\n`);
    await Promise.race([seen, new Promise((_, reject) => setTimeout(() => reject(new Error('append not indexed within 5 s')), 5000))]);
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  await service.close();
  return latencies;
}

/** Cold index in a child process on one SQLite driver; the child reports the index's own time. */
function coldIndexWith(driver: SqliteDriverName, workspace: string): number {
  const child = spawnSync(process.execPath, [__filename, '--cold-index', workspace], { encoding: 'utf8', env: { ...process.env, [SQLITE_DRIVER_ENV]: driver } });
  if (child.status !== 0) throw new Error(`cold index on ${driver} failed: ${child.stderr}`);
  const { ms, used } = JSON.parse(child.stdout) as { ms: number; used: string };
  if (used !== driver) throw new Error(`asked for ${driver}, the child used ${used}`);
  return ms;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--cold-index') {
    const ms = await coldIndex(process.argv[3]);
    process.stdout.write(JSON.stringify({ ms, used: sqliteDriverStatus().driver }));
    return;
  }
  if (process.argv[2] === '--index-only') {
    // Child mode: index and watch as the language server does, and report this process's peak resident memory.
    const service = TrackingService.open(process.argv[3]);
    await service.refresh();
    await service.watch(() => {}, () => {});
    service.runs();
    await service.close();
    process.stdout.write(JSON.stringify({ maxRssMb: process.resourceUsage().maxRSS / 1024 }));
    return;
  }
  const workspace = mkdtempSync(join(tmpdir(), 'mlops-bench-tracking-'));
  const runIds = writeSyntheticMlruns(join(workspace, 'mlruns'), { experiments: 4, runsPerExperiment: 500, metrics: 10, steps: 100 });
  const sizeMb = dirSize(join(workspace, 'mlruns')) / 1024 / 1024;

  const floor: number[] = [];
  const ours: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = process.hrtime.bigint();
    readAllFiles(join(workspace, 'mlruns'));
    floor.push(Number(process.hrtime.bigint() - t) / 1e6);
    ours.push(await coldIndex(workspace));
  }
  const ratios = ours.map((ms, i) => ms / floor[i]);
  // Both SQLite drivers side by side, each in its own process, in alternating order per round.
  const drivers = loadableSqliteDrivers();
  const byDriver = new Map<SqliteDriverName, number[]>(drivers.map((d) => [d, []]));
  if (drivers.length === 2) {
    for (let i = 0; i < ROUNDS; i++) for (const d of i % 2 === 0 ? drivers : [...drivers].reverse()) byDriver.get(d)!.push(coldIndexWith(d, workspace));
  }
  const latencies = await appendLatencies(workspace, runIds);
  rmSync(join(workspace, '.mlops'), { recursive: true, force: true });
  const child = spawnSync(process.execPath, [__filename, '--index-only', workspace], { encoding: 'utf8' });
  const { maxRssMb } = JSON.parse(child.stdout) as { maxRssMb: number };
  rmSync(workspace, { recursive: true, force: true });

  const sources = await otherSources();

  report('tracking', [
    { name: 'store', value: `2000 runs × 10 metrics × 100 steps, ${sizeMb.toFixed(0)} MB on disk` },
    { name: 'floor: read every file, no parsing (median ms)', value: median(floor) },
    { name: 'cold index (median ms)', value: median(ours) },
    // Each round's index is set against the floor read just before it, so both see the same load.
    { name: 'cold index / floor, median of the rounds', value: median(ratios), target: '≤ 3', pass: median(ratios) <= 3 },
    { name: 'cold index / floor, each round', value: ratios.map((r) => r.toFixed(2)).join(' ') },
    ...driverRows(byDriver),
    { name: `appended line → store, median ms (n=${latencies.length})`, value: median(latencies) },
    { name: 'appended line → store, p95 ms', value: percentile(latencies, 95), target: '≤ 300', pass: percentile(latencies, 95) <= 300 },
    { name: 'index + watch process peak RSS (MB)', value: maxRssMb, target: '≤ 300', pass: maxRssMb <= 300 },
    ...sources,
  ]);
}

const TB_RUNS = 100;
const TB_TAGS = 10;
const TB_STEPS = 1_000;
const TRIALS = 10_000;

/** A TensorBoard tree of TB_RUNS event files, TB_TAGS scalars × TB_STEPS steps each (1,000 × 1,000 in all). */
function writeTensorboardTree(root: string): void {
  for (let r = 0; r < TB_RUNS; r++) {
    const dir = join(root, 'tb_logs', `run${r}`);
    mkdirSync(dir, { recursive: true });
    const frames: Buffer[] = [];
    for (let step = 0; step < TB_STEPS; step++) for (let t = 0; t < TB_TAGS; t++) frames.push(scalarEvent(`metric_${t}`, Math.sin(step / 100 + t + r), step, 1_700_000_000 + step));
    writeFileSync(join(dir, `events.out.tfevents.1700000000.bench.${r}`), Buffer.concat(frames));
  }
}

/** An Optuna 3.x storage with one study of TRIALS complete trials, two params each (the tables Optuna creates). */
function writeOptunaStudy(path: string): void {
  const db = openSqlite(path, { readonly: false });
  db.exec(`CREATE TABLE studies (study_id INTEGER PRIMARY KEY, study_name VARCHAR(512) NOT NULL UNIQUE);
    CREATE TABLE version_info (version_info_id INTEGER PRIMARY KEY, schema_version INTEGER, library_version VARCHAR(256));
    CREATE TABLE study_directions (study_direction_id INTEGER PRIMARY KEY, direction VARCHAR(8) NOT NULL, study_id INTEGER NOT NULL, objective INTEGER NOT NULL);
    CREATE TABLE study_user_attributes (study_user_attribute_id INTEGER PRIMARY KEY, study_id INTEGER, key VARCHAR(512), value_json TEXT);
    CREATE TABLE study_system_attributes (study_system_attribute_id INTEGER PRIMARY KEY, study_id INTEGER, key VARCHAR(512), value_json TEXT);
    CREATE TABLE trials (trial_id INTEGER PRIMARY KEY, number INTEGER, study_id INTEGER, state VARCHAR(8) NOT NULL, datetime_start DATETIME, datetime_complete DATETIME);
    CREATE TABLE trial_user_attributes (trial_user_attribute_id INTEGER PRIMARY KEY, trial_id INTEGER, key VARCHAR(512), value_json TEXT);
    CREATE TABLE trial_system_attributes (trial_system_attribute_id INTEGER PRIMARY KEY, trial_id INTEGER, key VARCHAR(512), value_json TEXT);
    CREATE TABLE trial_params (param_id INTEGER PRIMARY KEY, trial_id INTEGER, param_name VARCHAR(512), param_value FLOAT, distribution_json TEXT);
    CREATE TABLE trial_values (trial_value_id INTEGER PRIMARY KEY, trial_id INTEGER NOT NULL, objective INTEGER NOT NULL, value FLOAT, value_type VARCHAR(7) NOT NULL);
    CREATE TABLE trial_intermediate_values (trial_intermediate_value_id INTEGER PRIMARY KEY, trial_id INTEGER NOT NULL, step INTEGER NOT NULL, intermediate_value FLOAT, intermediate_value_type VARCHAR(7) NOT NULL);
    CREATE TABLE trial_heartbeats (trial_heartbeat_id INTEGER PRIMARY KEY, trial_id INTEGER NOT NULL, heartbeat DATETIME NOT NULL);
    INSERT INTO studies VALUES (1, 'bench');
    INSERT INTO version_info VALUES (1, 12, '3.6.0');
    INSERT INTO study_directions VALUES (1, 'MINIMIZE', 1, 0);`);
  const trial = db.prepare("INSERT INTO trials VALUES (?, ?, 1, 'COMPLETE', '2026-01-01 00:00:00.000000', '2026-01-01 00:00:01.000000')");
  const param = db.prepare('INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES (?, ?, ?, ?)');
  const value = db.prepare("INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (?, 0, ?, 'FINITE')");
  db.exec('BEGIN');
  for (let i = 1; i <= TRIALS; i++) {
    trial.run(i, i - 1);
    param.run(i, 'lr', 10 ** (-5 + (i % 97) / 24), '{"name": "FloatDistribution", "attributes": {"log": true, "step": null, "low": 1e-05, "high": 0.1}}');
    param.run(i, 'optimizer', i % 3, '{"name": "CategoricalDistribution", "attributes": {"choices": ["adam", "sgd", "rmsprop"]}}');
    value.run(i, Math.abs(Math.sin(i)));
  }
  db.exec('COMMIT');
  db.close();
}

/** The floor of files: every byte read, nothing parsed. */
function readWorkspaceFiles(workspace: string): void {
  for (const entry of readdirSync(workspace)) if (entry !== '.mlops') statSync(join(workspace, entry)).isDirectory() ? readAllFiles(join(workspace, entry)) : readFileSync(join(workspace, entry));
}

/**
 * The floor of a database: every row of the tables a study is made of, as the driver returns them
 * (reading the file's bytes alone says nothing of what a query costs).
 */
function readOptunaRows(path: string): number {
  const db = openSqlite(path, { readonly: true });
  let rows = 0;
  try {
    for (const table of ['studies', 'study_directions', 'study_user_attributes', 'study_system_attributes', 'trials', 'trial_params', 'trial_values', 'trial_intermediate_values', 'trial_user_attributes', 'trial_system_attributes', 'trial_heartbeats']) {
      rows += db.prepare(`SELECT * FROM ${table}`).all().length;
    }
  } finally {
    db.close();
  }
  return rows;
}

/** Cold index of a workspace holding only the given sources, against the floor of reading them. */
async function coldIndexOf(workspace: string, expectedRuns: number, readFloor: () => void): Promise<{ floor: number[]; ours: number[] }> {
  const floor: number[] = [];
  const ours: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = process.hrtime.bigint();
    readFloor();
    floor.push(Number(process.hrtime.bigint() - t) / 1e6);
    rmSync(join(workspace, '.mlops'), { recursive: true, force: true });
    const started = process.hrtime.bigint();
    const service = TrackingService.open(workspace);
    const result = await service.refresh();
    ours.push(Number(process.hrtime.bigint() - started) / 1e6);
    await service.close();
    if (result.runsRead !== expectedRuns) throw new Error(`expected ${expectedRuns} runs indexed, got ${result.runsRead}`);
  }
  return { floor, ours };
}

/** Latency from a scalar appended to a live event file to the index, while watching. */
async function tensorboardAppendLatencies(workspace: string): Promise<number[]> {
  const service = TrackingService.open(workspace);
  await service.refresh();
  let check: (() => void) | undefined;
  await service.watch(() => check?.(), (message) => console.error(message));
  const latencies: number[] = [];
  for (let i = 0; i < APPENDS; i++) {
    const r = (i * 37) % TB_RUNS;
    const file = join(workspace, 'tb_logs', `run${r}`, `events.out.tfevents.1700000000.bench.${r}`);
    const value = 1000 + i;
    const started = process.hrtime.bigint();
    const seen = new Promise<void>((resolve) => {
      check = () => {
        if (service.runs().find((x) => x.runId === `tensorboard:run${r}`)?.metrics.live === value) resolve();
      };
    });
    appendFileSync(file, scalarEvent('live', value, 10_000 + i, 1_800_000_000 + i));
    await Promise.race([seen, new Promise((_, reject) => setTimeout(() => reject(new Error('appended record not indexed within 5 s')), 5000))]);
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  await service.close();
  return latencies;
}

/**
 * What no reader of these files can skip, each measured alone: the CRC-32C of every byte (a reader
 * must check both checksums of every record), on one thread; and writing the histories it yields
 * (TB_RUNS runs of TB_TAGS × TB_STEPS points, packed as the index stores them) into a new store.
 */
function tensorboardLeastWork(workspace: string): { crcMs: number; storeMs: number } {
  const files: Buffer[] = [];
  const collect = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) e.isDirectory() ? collect(join(dir, e.name)) : files.push(readFileSync(join(dir, e.name)));
  };
  collect(join(workspace, 'tb_logs'));
  let t = process.hrtime.bigint();
  let sink = 0;
  for (const b of files) sink ^= maskedCrc32c(b, 0, b.length);
  const crcMs = Number(process.hrtime.bigint() - t) / 1e6;
  if (sink === 0.5) console.error(sink); // keep the loop
  const store = mkdtempSync(join(tmpdir(), 'mlops-bench-store-'));
  const db = openStore(store);
  const repo = new TrackingRepository(db);
  const source = repo.ensureSource('tensorboard', join(workspace, 'tb_logs'));
  const points = TB_TAGS * TB_STEPS;
  const keysJson = JSON.stringify(Array.from({ length: TB_TAGS }, (_, k) => [`metric_${k}`, TB_STEPS]));
  t = process.hrtime.bigint();
  repo.transaction(() => {
    for (let r = 0; r < TB_RUNS; r++) {
      const steps = new Float64Array(points);
      for (let i = 0; i < points; i++) steps[i] = i % TB_STEPS;
      const history = { keysJson, steps, timestamps: steps.map((x) => 1_700_000_000_000 + x * 1000), values: steps.map((x) => Math.sin(x)) };
      repo.replacePackedRun(source, { run: { runId: `tensorboard:run${r}`, experimentId: 'tensorboard:tb_logs', name: `run${r}`, status: 'FINISHED', startTime: null, endTime: null, lifecycleStage: 'active', artifactUri: null, parentRunId: null, userId: null, params: {}, tags: {} }, metricsJson: '{}', history }, null);
    }
  });
  const storeMs = Number(process.hrtime.bigint() - t) / 1e6;
  db.close();
  rmSync(store, { recursive: true, force: true });
  return { crcMs, storeMs };
}

async function otherSources(): Promise<Row[]> {
  const tb = mkdtempSync(join(tmpdir(), 'mlops-bench-tensorboard-'));
  writeTensorboardTree(tb);
  const tbSize = dirSize(join(tb, 'tb_logs')) / 1024 / 1024;
  const tbTimes = await coldIndexOf(tb, TB_RUNS, () => readWorkspaceFiles(tb));
  const tbRatios = tbTimes.ours.map((ms, i) => ms / tbTimes.floor[i]);
  const least = Array.from({ length: ROUNDS }, () => tensorboardLeastWork(tb));
  const tbLatencies = await tensorboardAppendLatencies(tb);
  rmSync(tb, { recursive: true, force: true });

  const optuna = mkdtempSync(join(tmpdir(), 'mlops-bench-optuna-'));
  writeOptunaStudy(join(optuna, 'study.db'));
  const optunaTimes = await coldIndexOf(optuna, TRIALS, () => readOptunaRows(join(optuna, 'study.db')));
  const optunaRatios = optunaTimes.ours.map((ms, i) => ms / optunaTimes.floor[i]);
  rmSync(optuna, { recursive: true, force: true });
  return [
    { name: 'TensorBoard tree', value: `${TB_RUNS} event files, ${TB_RUNS * TB_TAGS} scalars × ${TB_STEPS} steps, ${tbSize.toFixed(0)} MB` },
    { name: 'TensorBoard floor: read every file, no parsing (median ms)', value: median(tbTimes.floor) },
    { name: 'TensorBoard cold index (median ms)', value: median(tbTimes.ours) },
    { name: 'TensorBoard cold index / floor, median of the rounds', value: median(tbRatios), target: '≤ 3', pass: median(tbRatios) <= 3 },
    { name: 'TensorBoard least work: CRC-32C of every byte, one thread (median ms)', value: median(least.map((l) => l.crcMs)) },
    { name: 'TensorBoard least work: writing the histories to the store (median ms)', value: median(least.map((l) => l.storeMs)) },
    // The checksums spread over every core at best, the write is one transaction: no reader that
    // checks every record and stores every point, as this index does, can take less.
    { name: `TensorBoard least work / floor: checksums over ${availableParallelism()} cores, nothing decoded or stored`, value: median(least.map((l) => l.crcMs)) / availableParallelism() / median(tbTimes.floor) },
    { name: 'TensorBoard least work / floor: the same, and the histories written', value: (median(least.map((l) => l.crcMs)) / availableParallelism() + median(least.map((l) => l.storeMs))) / median(tbTimes.floor) },
    { name: 'TensorBoard appended record → index, p95 ms', value: percentile(tbLatencies, 95), target: '≤ 300', pass: percentile(tbLatencies, 95) <= 300 },
    { name: 'Optuna study', value: `${TRIALS} trials, 2 params and 1 value each` },
    { name: 'Optuna floor: every row of its tables read (median ms)', value: median(optunaTimes.floor) },
    { name: 'Optuna cold index (median ms)', value: median(optunaTimes.ours) },
    { name: 'Optuna cold index / floor, median of the rounds', value: median(optunaRatios), target: '≤ 3', pass: median(optunaRatios) <= 3 },
  ];
}

function driverRows(byDriver: Map<SqliteDriverName, number[]>): Row[] {
  if (byDriver.size < 2) {
    return [{ name: 'SQLite drivers side by side', value: `only ${[...byDriver.keys()].join('')} loads on Node ${process.version}; run "npm run bench -- --node 24 tracking"` }];
  }
  const better = median(byDriver.get('better-sqlite3')!);
  const node = median(byDriver.get('node:sqlite')!);
  return [
    { name: `cold index on better-sqlite3, own process (median ms, Node ${process.version})`, value: better },
    { name: 'cold index on node:sqlite, own process (median ms)', value: node },
    { name: 'node:sqlite / better-sqlite3, cold index', value: node / better, target: '≤ 1.2', pass: node / better <= 1.2 },
  ];
}

function dirSize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? dirSize(path) : statSync(path).size;
  }
  return total;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
