/**
 * Batch scoring benchmark: `mlops predict` (scoreFile, the code the CLI and the editor run) of a
 * million churn customers through examples/churn's churn-v2.onnx, CSV → CSV and Parquet → CSV, each
 * in a child process of its own so that its peak RSS is its own. Floors, measured in the same run,
 * each in a child process too:
 *  (a) parse alone: the same table reader over the same file, rows counted and dropped;
 *  (b) raw batched session.run: the model over the same number of rows in batches of the default
 *      batch size, from tensors built before the clock starts.
 * The target compares predict with (a) + (b), which it cannot beat without overlapping them; the
 * figures are medians over rounds.
 */
import { spawn } from 'node:child_process';
import { closeSync, cpSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type * as Ort from 'onnxruntime-node';
import { DEFAULT_BATCH_ROWS, scoreFile } from '../server/src/batch/score';
import { openTable } from '../server/src/data/table';
import { createTableWriter } from '../server/src/data/writer';
import { ROOT } from './lib/repo';
import { median, report } from './report';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROWS = Number(process.env.BENCH_PREDICT_ROWS ?? 1_000_000);
const EXAMPLE = join(ROOT, 'examples', 'churn');
const RSS_LIMIT_MB = 300;

interface Timed {
  seconds: number;
  rows: number;
  maxRssMb: number;
}

const maxRssMb = () => process.resourceUsage().maxRSS / 1024;

/** The example's reference customers with an id column, repeated to `rows` rows. */
function writeCsv(path: string, rows: number): void {
  const [header, ...lines] = readFileSync(join(EXAMPLE, 'data', 'reference.csv'), 'utf8').trim().split('\n');
  const fd = openSync(path, 'w');
  writeSync(fd, `customer_id,${header}\n`);
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    chunk += `C${i},${lines[i % lines.length]}\n`;
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = '';
    }
  }
  writeSync(fd, chunk);
  closeSync(fd);
}

/** The same table as Parquet, written by the product's own writer (hyparquet-writer). */
async function writeParquet(csv: string, path: string): Promise<void> {
  const reader = await openTable(csv, { batchRows: 65_536 });
  const writer = createTableWriter(path, 'parquet', reader.columns.map((name, i) => ({ name, type: i === 0 ? 'STRING' : 'DOUBLE' })));
  for await (const batch of reader.batches()) {
    const columns = reader.columns.map((_, c) => batch.rows.map((row) => (c === 0 ? row![c] : Number(row![c]))));
    await writer.write(columns);
  }
  await writer.commit();
}

// ---- child processes -----------------------------------------------------------------------------

async function childPredict(workspace: string, input: string, output: string): Promise<void> {
  const started = performance.now();
  const summary = await scoreFile({ manifestPath: join(workspace, 'mlops.yaml'), workspaceRoot: workspace, model: 'churn@2', input, output });
  if (!summary.written || summary.scored !== ROWS) throw new Error(`predict scored ${summary.scored} of ${ROWS} rows (written: ${summary.written})`);
  emit({ seconds: (performance.now() - started) / 1000, rows: summary.scored, maxRssMb: maxRssMb() });
}

async function childParse(input: string): Promise<void> {
  const started = performance.now();
  const reader = await openTable(input, { batchRows: DEFAULT_BATCH_ROWS });
  let rows = 0;
  for await (const batch of reader.batches()) rows += batch.rows.length;
  if (rows !== ROWS) throw new Error(`read ${rows} of ${ROWS} rows`);
  emit({ seconds: (performance.now() - started) / 1000, rows, maxRssMb: maxRssMb() });
}

async function childRaw(workspace: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as typeof Ort;
  // The options the model server and scoreFile create their sessions with.
  const session = await ort.InferenceSession.create(readFileSync(join(workspace, 'models', 'churn-v2.onnx')), { logSeverityLevel: 3, intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const lines = readFileSync(join(EXAMPLE, 'data', 'reference.csv'), 'utf8').trim().split('\n').slice(1);
  const batch = new Float32Array(DEFAULT_BATCH_ROWS * 26);
  for (let r = 0; r < DEFAULT_BATCH_ROWS; r++) batch.set(lines[r % lines.length].split(',').map(Number), r * 26);
  const input = session.inputNames[0];
  await session.run({ [input]: new ort.Tensor('float32', batch, [DEFAULT_BATCH_ROWS, 26]) });
  const started = performance.now();
  let rows = 0;
  while (rows < ROWS) {
    const n = Math.min(DEFAULT_BATCH_ROWS, ROWS - rows);
    await session.run({ [input]: new ort.Tensor('float32', n === DEFAULT_BATCH_ROWS ? batch : batch.subarray(0, n * 26), [n, 26]) });
    rows += n;
  }
  emit({ seconds: (performance.now() - started) / 1000, rows, maxRssMb: maxRssMb() });
  await session.release();
}

function emit(result: Timed): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runChild(args: string[]): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [__filename, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let line: string | undefined;
    createInterface({ input: child.stdout }).once('line', (l) => (line = l));
    child.once('exit', (code) => (code === 0 && line ? resolve(JSON.parse(line) as Timed) : reject(new Error(`${args[0]} exited ${code}`))));
  });
}

async function main(): Promise<void> {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === '--predict') return childPredict(rest[0], rest[1], rest[2]);
  if (mode === '--parse') return childParse(rest[0]);
  if (mode === '--raw') return childRaw(rest[0]);

  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-predict-'));
  try {
    const workspace = join(dir, 'churn');
    cpSync(EXAMPLE, workspace, { recursive: true, filter: (src) => !/[\\/]\.mlops$/.test(src) });
    const csv = join(dir, 'customers.csv');
    const parquet = join(dir, 'customers.parquet');
    writeCsv(csv, ROWS);
    await writeParquet(csv, parquet);
    const mb = (path: string) => (statSync(path).size / 1024 / 1024).toFixed(0);
    const rounds: { csv: Timed; parquet: Timed; parseCsv: Timed; parseParquet: Timed; raw: Timed }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const parseCsv = await runChild(['--parse', csv]);
      const parseParquet = await runChild(['--parse', parquet]);
      const raw = await runChild(['--raw', workspace]);
      const csvRun = await runChild(['--predict', workspace, csv, join(dir, 'scored-from-csv.csv')]);
      const parquetRun = await runChild(['--predict', workspace, parquet, join(dir, 'scored-from-parquet.csv')]);
      rounds.push({ csv: csvRun, parquet: parquetRun, parseCsv, parseParquet, raw });
      console.error(
        `round ${r + 1}/${ROUNDS}: CSV predict ${csvRun.seconds.toFixed(2)} s (parse ${parseCsv.seconds.toFixed(2)} s), Parquet predict ${parquetRun.seconds.toFixed(2)} s (parse ${parseParquet.seconds.toFixed(2)} s), session.run ${raw.seconds.toFixed(2)} s; RSS ${csvRun.maxRssMb.toFixed(0)} / ${parquetRun.maxRssMb.toFixed(0)} MB`,
      );
    }
    const med = (pick: (r: (typeof rounds)[number]) => number) => median(rounds.map(pick));
    const csvRatio = med((r) => r.csv.seconds / (r.parseCsv.seconds + r.raw.seconds));
    const parquetRatio = med((r) => r.parquet.seconds / (r.parseParquet.seconds + r.raw.seconds));
    const csvRss = med((r) => r.csv.maxRssMb);
    const parquetRss = med((r) => r.parquet.maxRssMb);
    const rate = (t: Timed) => `${(t.rows / t.seconds / 1000).toFixed(0)}k rows/s`;
    report('predict', [
      { name: 'setup', value: `${ROWS.toLocaleString('en-US')} churn rows (id + 26 features): CSV ${mb(csv)} MB, Parquet ${mb(parquet)} MB; churn-v2.onnx; batch ${DEFAULT_BATCH_ROWS}; ${ROUNDS} rounds` },
      { name: '(a) parse alone, CSV (s)', value: med((r) => r.parseCsv.seconds) },
      { name: '(a) parse alone, Parquet (s)', value: med((r) => r.parseParquet.seconds) },
      { name: '(b) raw batched session.run (s)', value: med((r) => r.raw.seconds) },
      { name: 'mlops predict CSV → CSV (s)', value: `${med((r) => r.csv.seconds).toFixed(2)} (${rate(rounds[0].csv)})` },
      { name: 'mlops predict CSV → CSV / (a + b)', value: csvRatio, target: '≤ 1.5', pass: csvRatio <= 1.5 },
      { name: 'mlops predict Parquet → CSV (s)', value: `${med((r) => r.parquet.seconds).toFixed(2)} (${rate(rounds[0].parquet)})` },
      { name: 'mlops predict Parquet → CSV / (a + b)', value: parquetRatio, target: '≤ 1.5', pass: parquetRatio <= 1.5 },
      { name: 'peak RSS, predict CSV (MB)', value: csvRss, target: `≤ ${RSS_LIMIT_MB}`, pass: csvRss <= RSS_LIMIT_MB },
      { name: 'peak RSS, predict Parquet (MB)', value: parquetRss, target: `≤ ${RSS_LIMIT_MB}`, pass: parquetRss <= RSS_LIMIT_MB },
      { name: '    peak RSS of the floors: parse CSV | parse Parquet | session.run (MB)', value: `${med((r) => r.parseCsv.maxRssMb).toFixed(0)} | ${med((r) => r.parseParquet.maxRssMb).toFixed(0)} | ${med((r) => r.raw.maxRssMb).toFixed(0)}` },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
