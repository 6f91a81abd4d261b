/**
 * Drift benchmark: the two-sample KS test on 1,000,000 vs 1,000,000 doubles, ours against
 * scipy.stats.ks_2samp on the same data in the same run, in two cases: no drift (where scipy's
 * p-value is the cheap Pelz–Good series) and a small drift (where both compute the exact Smirnov
 * sum). The data go to a binary file (little-endian float64) that both sides read; each side times
 * only the test itself (loading excluded). Rounds alternate between us and a scipy process that
 * waits for each "run", so both see the same load on a busy machine; medians of wall-clock and CPU
 * time. Needs python3-scipy.
 *
 * Then a whole drift report over 100 features × 100,000 rows (reference and current alike):
 * continuous features (normed Wasserstein), few-valued and binary ones (Jensen–Shannon), some of
 * them shifted; against the same per-feature tests in scipy/NumPy (scipy_truth.py drift_report) on
 * the same data, in alternating rounds. Target: ≤ 5 s for ours.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { driftReport, tableFromNumbers } from '../server/src/drift/index';
import { ks2samp } from '../server/src/stats/index';
import { median, report, type Row } from './report';

const N = Number(process.env.BENCH_KS_N ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const FEATURES = Number(process.env.BENCH_DRIFT_FEATURES ?? 100);
const ROWS = Number(process.env.BENCH_DRIFT_ROWS ?? 100_000);
const REPORT_ROUNDS = Number(process.env.BENCH_DRIFT_ROUNDS ?? 3);

/** The Python that imports scipy: /usr/bin/python3 (Debian's python3-scipy) first, then python3 on PATH. */
function scipyPython(): string {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(candidate, ['-c', 'import scipy'], { encoding: 'utf8' }).status === 0) return candidate;
  }
  throw new Error('no Python with scipy found (tried /usr/bin/python3 and python3): apt-get install python3-scipy');
}

function truthScript(): string {
  // npm run bench runs from the repository root; the bundle itself lives in out/bench/.
  const script = [process.cwd(), join(__dirname, '..', '..')].map((root) => join(root, 'test', 'helpers', 'scipy_truth.py')).find((f) => existsSync(f));
  if (!script) throw new Error('test/helpers/scipy_truth.py not found; run from the repository root');
  return script;
}

/** Deterministic normal deviates (mulberry32 + Box–Muller). */
function fillNormal(out: Float64Array, seed: number, mean: number): void {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const th = 2 * Math.PI * uniform();
    out[i] = mean + r * Math.cos(th);
    if (i + 1 < out.length) out[i + 1] = mean + r * Math.sin(th);
  }
}

interface Round {
  statistic: number;
  pvalue: number;
  wall_ms: number;
  cpu_ms: number;
}

/** A scipy process serving one timed ks_2samp per request. */
async function scipyServer(python: string, file: string): Promise<{ run: () => Promise<Round>; close: () => void }> {
  const child = spawn(python, [truthScript(), 'bench-ks', file, String(N)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const line = await lines.next();
    if (line.done) throw new Error('the scipy benchmark process ended early');
    return JSON.parse(line.value) as Record<string, unknown>;
  };
  await next(); // {"ready": true}: the data are loaded.
  return {
    run: async () => {
      child.stdin.write('run\n');
      return (await next()) as unknown as Round;
    },
    close: () => child.stdin.end(),
  };
}

async function scenario(python: string, dir: string, label: string, shift: number): Promise<Row[]> {
  const data = new Float64Array(2 * N);
  fillNormal(data.subarray(0, N), 1, 0);
  fillNormal(data.subarray(N), 2, shift);
  const file = join(dir, `ks-${shift}.bin`);
  writeFileSync(file, new Uint8Array(data.buffer));
  // Ours reads the same file.
  const bytes = readFileSync(file);
  const loaded = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const a = loaded.subarray(0, N);
  const b = loaded.subarray(N);

  const scipy = await scipyServer(python, file);
  const ours = { wall: [] as number[], cpu: [] as number[] };
  const theirs = { wall: [] as number[], cpu: [] as number[] };
  let result = ks2samp(a, b); // warm-up
  let reference: Round | undefined;
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const cpu = process.cpuUsage();
      const t = process.hrtime.bigint();
      result = ks2samp(a, b);
      ours.wall.push(Number(process.hrtime.bigint() - t) / 1e6);
      const used = process.cpuUsage(cpu);
      ours.cpu.push((used.user + used.system) / 1000);
      reference = await scipy.run();
      theirs.wall.push(reference.wall_ms);
      theirs.cpu.push(reference.cpu_ms);
    }
  } finally {
    scipy.close();
  }
  if (!reference) throw new Error('no rounds');
  const wallRatio = median(ours.wall) / median(theirs.wall);
  const cpuRatio = median(ours.cpu) / median(theirs.cpu);
  const pError = Math.abs(result.pvalue - reference.pvalue) / reference.pvalue;
  return [
    { name: `${label}: D, p`, value: `${result.statistic}, ${result.pvalue.toPrecision(6)}` },
    { name: `${label}: ours, median wall ms`, value: median(ours.wall) },
    { name: `${label}: scipy, median wall ms`, value: median(theirs.wall) },
    { name: `${label}: ours / scipy, wall`, value: wallRatio, target: '≤ 1', pass: wallRatio <= 1 },
    { name: `${label}: ours, median CPU ms`, value: median(ours.cpu) },
    { name: `${label}: scipy, median CPU ms`, value: median(theirs.cpu) },
    { name: `${label}: ours / scipy, CPU`, value: cpuRatio, target: '≤ 1', pass: cpuRatio <= 1 },
    { name: `${label}: statistic equals scipy's`, value: String(result.statistic === reference.statistic), target: 'true', pass: result.statistic === reference.statistic },
    { name: `${label}: p-value relative difference`, value: pError.toExponential(1), target: '≤ 1e-6', pass: pError <= 1e-6 },
  ];
}

/** Feature i of a sample: continuous (3 in 5), few-valued 0..3 (1 in 5) or binary (1 in 5); every 4th one shifted in the current sample. */
function fillFeature(out: Float64Array, i: number, current: boolean): void {
  const shifted = current && i % 4 === 0;
  const kind = i % 5;
  if (kind < 3) {
    fillNormal(out, 1000 * i + (current ? 1 : 0) + 7, shifted ? 0.2 : 0);
    return;
  }
  fillNormal(out, 1000 * i + (current ? 1 : 0) + 11, 0);
  for (let r = 0; r < out.length; r++) {
    // A normal deviate cut into levels; the shift moves the cut points.
    const z = out[r] + (shifted ? 0.3 : 0);
    out[r] = kind === 3 ? (z < -0.5 ? 0 : z < 0.2 ? 1 : z < 1 ? 2 : 3) : z < 0.4 ? 0 : 1;
  }
}

async function reportScenario(python: string, dir: string): Promise<Row[]> {
  const data = new Float64Array(2 * FEATURES * ROWS);
  for (let s = 0; s < 2; s++) for (let i = 0; i < FEATURES; i++) fillFeature(data.subarray((s * FEATURES + i) * ROWS, (s * FEATURES + i + 1) * ROWS), i, s === 1);
  const file = join(dir, 'drift-report.bin');
  writeFileSync(file, new Uint8Array(data.buffer));
  const column = (s: number, i: number) => ({ name: `f${i}`, values: data.subarray((s * FEATURES + i) * ROWS, (s * FEATURES + i + 1) * ROWS) });
  const reference = tableFromNumbers('reference', Array.from({ length: FEATURES }, (_, i) => column(0, i)));
  const current = tableFromNumbers('current', Array.from({ length: FEATURES }, (_, i) => column(1, i)));

  const child = spawn(python, [truthScript(), 'bench-drift', file, String(FEATURES), String(ROWS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error('the scipy benchmark process ended early');
    return JSON.parse(line.value) as { drifted: boolean[]; statistics: (number | string | null)[]; dataset_drift: boolean; share: number; wall_ms: number; cpu_ms: number };
  };
  await next();
  const ours = { wall: [] as number[], cpu: [] as number[] };
  const theirs = { wall: [] as number[], cpu: [] as number[] };
  let result = driftReport(reference, current); // warm-up
  let truth: Awaited<ReturnType<typeof next>> | undefined;
  try {
    for (let r = 0; r < REPORT_ROUNDS; r++) {
      const cpu = process.cpuUsage();
      const t = process.hrtime.bigint();
      result = driftReport(reference, current);
      ours.wall.push(Number(process.hrtime.bigint() - t) / 1e6);
      const used = process.cpuUsage(cpu);
      ours.cpu.push((used.user + used.system) / 1000);
      child.stdin.write('run\n');
      truth = await next();
      theirs.wall.push(truth.wall_ms);
      theirs.cpu.push(truth.cpu_ms);
    }
  } finally {
    child.stdin.end();
  }
  if (!truth) throw new Error('no rounds');
  const sameVerdicts = result.features.every((f, i) => f.drifted === truth!.drifted[i]) && result.dataset_drift === truth.dataset_drift;
  let maxRel = 0;
  result.features.forEach((f, i) => {
    const t = Number(truth!.statistics[i]);
    const o = f.statistic ?? NaN;
    const scale = Math.max(Math.abs(o), Math.abs(t));
    if (scale > 0) maxRel = Math.max(maxRel, Math.abs(o - t) / scale);
  });
  const label = `report ${FEATURES} features × ${ROWS.toLocaleString('en')} rows`;
  const wall = median(ours.wall);
  return [
    { name: `${label}: drifted features, data set drift`, value: `${result.drifted_features}, ${result.dataset_drift}` },
    { name: `${label}: tests`, value: [...new Set(result.features.map((f) => f.test))].join(', ') },
    { name: `${label}: ours, median wall ms`, value: wall, target: '≤ 5000', pass: wall <= 5000 },
    { name: `${label}: scipy, median wall ms`, value: median(theirs.wall) },
    { name: `${label}: ours / scipy, wall`, value: wall / median(theirs.wall) },
    { name: `${label}: ours, median CPU ms`, value: median(ours.cpu) },
    { name: `${label}: scipy, median CPU ms`, value: median(theirs.cpu) },
    { name: `${label}: ours / scipy, CPU`, value: median(ours.cpu) / median(theirs.cpu) },
    { name: `${label}: same verdicts as scipy`, value: String(sameVerdicts), target: 'true', pass: sameVerdicts },
    { name: `${label}: statistics, max relative difference`, value: maxRel.toExponential(1), target: '≤ 1e-9', pass: maxRel <= 1e-9 },
  ];
}

async function main(): Promise<void> {
  const python = scipyPython();
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-drift-'));
  try {
    const rows: Row[] = [{ name: 'data', value: `KS, ${N.toLocaleString('en')} vs ${N.toLocaleString('en')} normal doubles, ${ROUNDS} alternating rounds` }];
    rows.push(...(await scenario(python, dir, 'no drift (shift 0.002 sd)', 0.002)));
    rows.push(...(await scenario(python, dir, 'drift (shift 0.01 sd)', 0.01)));
    rows.push(...(await reportScenario(python, dir)));
    report('drift', rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
