/**
 * Drift benchmark: the two-sample KS test on 1,000,000 vs 1,000,000 doubles, ours against
 * scipy.stats.ks_2samp on the same data in the same run, in two cases: no drift (where scipy's
 * p-value is the cheap Pelz–Good series) and a small drift (where both compute the exact Smirnov
 * sum). The data go to a binary file (little-endian float64) that both sides read; each side times
 * only the test itself (loading excluded). Rounds alternate between us and a scipy process that
 * waits for each "run", so both see the same load on a busy machine; medians of wall-clock and CPU
 * time. Needs python3-scipy.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ks2samp } from '../server/src/stats/index';
import { median, report, type Row } from './report';

const N = Number(process.env.BENCH_KS_N ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

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

async function main(): Promise<void> {
  const python = scipyPython();
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-drift-'));
  try {
    const rows: Row[] = [{ name: 'data', value: `KS, ${N.toLocaleString('en')} vs ${N.toLocaleString('en')} normal doubles, ${ROUNDS} alternating rounds` }];
    rows.push(...(await scenario(python, dir, 'no drift (shift 0.002 sd)', 0.002)));
    rows.push(...(await scenario(python, dir, 'drift (shift 0.01 sd)', 0.01)));
    report('drift', rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
