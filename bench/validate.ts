/**
 * Data validation benchmark: `mlops validate` (validateFiles, the code the CLI, the check and the
 * editor run) over a CSV of 1,000,000 rows × 20 columns with expectations on every column, against
 * its floor measured in the same run: the same table reader over the same file, every row read and
 * dropped. Rounds alternate floor and validation; the figures are medians.
 */
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openTable } from '../server/src/data/table';
import { readManifestModel } from '../server/src/manifest/model';
import { parseManifest } from '../server/src/manifest/parse';
import { seededRandom } from '../server/src/util/random';
import { compileDataset } from '../server/src/validation';
import { validateFiles } from '../server/src/validation/validator';
import { median, report } from './report';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROWS = Number(process.env.BENCH_VALIDATE_ROWS ?? 1_000_000);
const PLANS = ['Month-to-month', 'One year', 'Two year'];
const METHODS = ['Electronic check', 'Mailed check', 'Bank transfer (automatic)', 'Credit card (automatic)'];

const COLUMNS = [
  'id',
  ...Array.from({ length: 6 }, (_, i) => `count_${i}`),
  ...Array.from({ length: 6 }, (_, i) => `amount_${i}`),
  'plan',
  'method',
  'flag',
  'segment',
  'code',
  'label',
  'signup',
];

const MANIFEST = `version: 1
data:
  bench:
    path: bench.csv
    columns:
      id: { type: integer, min: 0, unique: true }
${Array.from({ length: 6 }, (_, i) => `      count_${i}: { type: integer, min: 0, max: 1000, max_null_share: 0.01 }`).join('\n')}
${Array.from({ length: 6 }, (_, i) => `      amount_${i}: { type: number, min: 0, max: 10000, max_null_share: 0.01 }`).join('\n')}
      plan: { type: category, values: [${PLANS.join(', ')}] }
      method: { type: category, values: [${METHODS.map((m) => `"${m}"`).join(', ')}] }
      flag: { type: boolean }
      segment: { type: category, values: [a, b, c, d, e] }
      code: { type: string, pattern: "^[0-9]{4}-[A-Z]{5}$" }
      label: { type: string, max_null_share: 0 }
      signup: { type: date, format: YYYY-MM-DD, min: "2015-01-01" }
    rows: { min: 1 }
    extra_columns: error
`;

function writeCsv(path: string): void {
  const random = seededRandom(7);
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const fd = openSync(path, 'w');
  let chunk = `${COLUMNS.join(',')}\n`;
  for (let r = 0; r < ROWS; r++) {
    const cells: string[] = [String(r)];
    for (let i = 0; i < 6; i++) cells.push(random() < 0.001 ? '' : String(Math.floor(random() * 1000)));
    for (let i = 0; i < 6; i++) cells.push(random() < 0.001 ? '' : (random() * 10000).toFixed(2));
    cells.push(PLANS[r % 3], `"${METHODS[r % 4]}"`, r % 2 ? 'true' : 'false', 'abcde'[r % 5]);
    let code = String(1000 + (r % 9000)) + '-';
    for (let k = 0; k < 5; k++) code += letters[Math.floor(random() * 26)];
    cells.push(code, `customer ${r % 977}`);
    const day = new Date(Date.UTC(2016, 0, 1) + (r % 3000) * 86_400_000).toISOString().slice(0, 10);
    cells.push(day);
    chunk += `${cells.join(',')}\n`;
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = '';
    }
  }
  writeSync(fd, chunk);
  closeSync(fd);
}

async function floor(path: string): Promise<number> {
  const started = performance.now();
  const reader = await openTable(path);
  let rows = 0;
  for await (const batch of reader.batches()) rows += batch.rows.length;
  if (rows !== ROWS) throw new Error(`floor read ${rows} rows`);
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-validate-'));
  try {
    const file = join(dir, 'bench.csv');
    writeCsv(file);
    const { spec, problems } = compileDataset(readManifestModel(parseManifest(MANIFEST)).data!.entries.get('bench')!);
    if (problems.length > 0) throw new Error(problems.map((p) => p.message).join('; '));
    const floors: number[] = [];
    const ours: number[] = [];
    let failedExpectations = 0;
    for (let round = 0; round < ROUNDS; round++) {
      floors.push(await floor(file));
      const started = performance.now();
      const v = await validateFiles(spec, [file]);
      ours.push((performance.now() - started) / 1000);
      if (v.rows !== ROWS) throw new Error(`validated ${v.rows} rows`);
      failedExpectations = v.results.filter((r) => !r.passed).length;
    }
    const ratios = ours.map((s, i) => s / floors[i]);
    report('validate', [
      { name: 'file', value: `${ROWS.toLocaleString('en-US')} rows × ${COLUMNS.length} columns, ${(statSync(file).size / 1024 / 1024).toFixed(0)} MB CSV` },
      { name: 'expectations failed (the data holds them)', value: failedExpectations },
      { name: 'floor: read and parse the file alone (median s)', value: median(floors) },
      { name: 'mlops validate, every column checked (median s)', value: median(ours) },
      { name: 'validate / floor, each round', value: ratios.map((r) => r.toFixed(2)).join(' ') },
      { name: 'validate / floor, median of the rounds', value: median(ratios), target: '≤ 2', pass: median(ratios) <= 2 },
      { name: 'peak RSS (MB)', value: process.resourceUsage().maxRSS / 1024 },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
