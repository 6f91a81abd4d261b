// Batch scoring (`mlops predict`) of the real Telco churn file, encoded as the churn models take it,
// in CSV, a semicolon + BOM + CRLF CSV, JSON Lines and Parquet: the same answers as the model server
// for the same rows, located errors for the 11 customers without TotalCharges, and nothing
// half-written when a file is bad.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { parquetWriteFile } from 'hyparquet-writer';
import { predictCommand } from '../../server/src/cli/commands/predict';
import { ScoreCancelled, scoreFile } from '../../server/src/batch/score';
import { CHURN_FEATURES } from '../../server/src/example/churn-data';
import { startModelServer } from '../../server/src/serving/server';
import { SHARED_FIXTURES, tempDir } from '../helpers/paths';

async function cli(args: string[], tty = false) {
  let stdout = '';
  let stderr = '';
  const code = await predictCommand(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), stderrIsTTY: tty });
  return { code, stdout, stderr };
}

/** The fixture's records, split by hand (its only quoted fields hold no commas or line breaks). */
function telcoRecords(): Record<string, string>[] {
  const [header, ...lines] = readFileSync(join(SHARED_FIXTURES, 'data', 'telco-churn.csv'), 'utf8').trim().split(/\r?\n/);
  const names = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i], v])));
}

/** The encoding the churn models were trained on (examples/churn/README.md), with blanks kept blank. */
function encode(r: Record<string, string>): Record<string, string> {
  const yes = (v: string) => (v === 'Yes' ? '1' : '0');
  const hot = (column: string, level: string) => (r[column] === level ? '1' : '0');
  const out: Record<string, string> = { customerID: r.customerID, tenure: r.tenure, MonthlyCharges: r.MonthlyCharges, TotalCharges: r.TotalCharges.trim(), SeniorCitizen: r.SeniorCitizen, gender_Male: r.gender === 'Male' ? '1' : '0' };
  for (const c of ['Partner', 'Dependents', 'PhoneService', 'MultipleLines', 'PaperlessBilling', 'OnlineSecurity', 'OnlineBackup', 'DeviceProtection', 'TechSupport', 'StreamingTV', 'StreamingMovies']) out[c] = yes(r[c]);
  for (const [c, levels] of [
    ['Contract', ['Month-to-month', 'One year', 'Two year']],
    ['InternetService', ['DSL', 'Fiber optic', 'No']],
    ['PaymentMethod', ['Bank transfer (automatic)', 'Credit card (automatic)', 'Electronic check', 'Mailed check']],
  ] as const) {
    for (const level of levels) out[`${c}_${level.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`] = hot(c, level);
  }
  out.Churn = r.Churn;
  return out;
}

const records = telcoRecords();
const encoded = records.map(encode);
const columns = Object.keys(encoded[0]);
const blankRows = encoded.flatMap((r, i) => (r.TotalCharges === '' ? [i + 1] : []));

function writeCopies(dir: string) {
  const csv = [columns.join(','), ...encoded.map((r) => columns.map((c) => r[c]).join(','))].join('\n') + '\n';
  writeFileSync(join(dir, 'telco.csv'), csv);
  writeFileSync(join(dir, 'telco-semicolon.csv'), '\uFEFF' + [columns.join(';'), ...encoded.map((r) => columns.map((c) => (c === 'customerID' ? `"${r[c]}"` : r[c])).join(';'))].join('\r\n') + '\r\n');
  writeFileSync(join(dir, 'telco.jsonl'), encoded.map((r) => JSON.stringify(Object.fromEntries(columns.map((c) => [c, c === 'customerID' || c === 'Churn' ? r[c] : r[c] === '' ? null : Number(r[c])])))).join('\n') + '\n');
  parquetWriteFile({
    filename: join(dir, 'telco.parquet'),
    columnData: columns.map((c) => (c === 'customerID' || c === 'Churn' ? { name: c, data: encoded.map((r) => r[c]), type: 'STRING' as const } : { name: c, data: encoded.map((r) => (r[c] === '' ? null : Number(r[c]))), type: 'DOUBLE' as const })),
    rowGroupSize: 2000,
  });
}

/** Output rows as {customerID, probability, label} from any of the three formats. */
async function readScores(path: string): Promise<{ id: string; probability: number; label: number }[]> {
  if (path.endsWith('.parquet')) {
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(path) });
    return rows.map((r) => ({ id: String(r.customerID), probability: Number(r.probability), label: Number(r.label) }));
  }
  const text = readFileSync(path, 'utf8');
  if (path.endsWith('.jsonl')) return text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).map((r) => ({ id: String(r.customerID), probability: Number(r.probability), label: Number(r.label) }));
  const [head, ...lines] = text.trim().split('\n');
  const names = head.split(head.includes(';') ? ';' : ',');
  return lines.map((l) => {
    const cells = l.split(names.length > 1 && head.includes(';') ? ';' : ',');
    const at = (n: string) => cells[names.indexOf(n)];
    return { id: at('customerID'), probability: Number(at('probability')), label: Number(at('label')) };
  });
}

function noLeftovers(dir: string) {
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.partial')), [], 'no temporary file is left behind');
}

test('the 11 customers without TotalCharges are located errors; nothing is written; skip scores the rest', async () => {
  assert.equal(records.length, 7043, 'the fixture has 7043 customers');
  assert.equal(blankRows.length, 11, 'and 11 blank TotalCharges');
  const dir = tempDir('predict-errors', 'examples/churn');
  writeCopies(dir);
  const out = join(dir, 'scores.csv');
  const failed = await cli(['churn@2', '--input', join(dir, 'telco.csv'), '--output', out, dir, '--json']);
  assert.equal(failed.code, 1, failed.stderr);
  const summary = JSON.parse(failed.stdout);
  assert.equal(summary.written, false);
  assert.equal(summary.rejected, 11);
  assert.deepEqual(summary.errors.map((e: { row: number }) => e.row), blankRows.slice(0, 10), 'the first ten, by data row');
  for (const e of summary.errors) {
    assert.equal(e.column, 'TotalCharges');
    assert.match(e.message, /missing value/);
  }
  assert.equal(existsSync(out), false, 'no output on failure');
  noLeftovers(dir);

  // The text form says the same, with each row located.
  const text = await cli(['churn@2', '--input', join(dir, 'telco.csv'), '--output', out, dir]);
  assert.equal(text.code, 1);
  assert.match(text.stderr, new RegExp(`row ${blankRows[0]}, column TotalCharges: a missing value`));

  const skipped = await cli(['churn@2', '--input', join(dir, 'telco.csv'), '--output', out, dir, '--on-error', 'skip', '--json']);
  assert.equal(skipped.code, 0, skipped.stderr);
  const s = JSON.parse(skipped.stdout);
  assert.deepEqual([s.rows, s.scored, s.rejected, s.written, s.version], [7043, 7032, 11, true, '2']);
  assert.deepEqual(s.outputs, ['probability', 'label']);
  const scores = await readScores(out);
  assert.equal(scores.length, 7032);
  const blankIds = new Set(blankRows.map((r) => encoded[r - 1].customerID));
  assert.ok(scores.every((x) => !blankIds.has(x.id)), 'the rejected rows are left out');
  // The pass-through columns: customerID and the Churn label, not the features.
  assert.equal(readFileSync(out, 'utf8').split('\n')[0], 'customerID,Churn,probability,label');
});

test('every format gives the model server’s answers for the same rows', async () => {
  const dir = tempDir('predict-formats', 'examples/churn');
  writeCopies(dir);
  const results = new Map<string, { id: string; probability: number; label: number }[]>();
  for (const [input, output] of [
    ['telco.csv', 'out-a.csv'],
    ['telco-semicolon.csv', 'out-b.csv'],
    ['telco.jsonl', 'out-c.jsonl'],
    ['telco.parquet', 'out-d.parquet'],
    ['telco.csv', 'out-e.parquet'],
    ['telco.parquet', 'out-f.csv'],
  ]) {
    const r = await cli(['churn@2', '--input', join(dir, input), '--output', join(dir, output), dir, '--on-error', 'skip', '--json', '--batch-size', '1000']);
    assert.equal(r.code, 0, `${input}: ${r.stderr}`);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.scored, 7032, input);
    results.set(output, await readScores(join(dir, output)));
  }
  // The semicolon copy's output keeps its delimiter.
  assert.equal(readFileSync(join(dir, 'out-b.csv'), 'utf8').split('\r\n')[0].split('\n')[0], 'customerID;Churn;probability;label');

  const server = await startModelServer({ workspaceRoot: dir, manifestPath: join(dir, 'mlops.yaml'), port: 0 });
  const expected = new Map<string, { probability: number; label: number }>();
  try {
    const scored = encoded.filter((r) => r.TotalCharges !== '');
    for (let i = 0; i < scored.length; i += 500) {
      const part = scored.slice(i, i + 500);
      const res = await fetch(`${server.url}/v2/models/churn/versions/2/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [part.length, 26], data: part.flatMap((r) => CHURN_FEATURES.map((f) => Number(r[f]))) }] }),
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { outputs: { name: string; data: number[] }[] };
      const p = body.outputs.find((o) => o.name === 'probability')!.data;
      const l = body.outputs.find((o) => o.name === 'label')!.data;
      part.forEach((r, j) => expected.set(r.customerID, { probability: p[j], label: l[j] }));
    }
  } finally {
    await server.close();
  }
  assert.equal(expected.size, 7032);
  for (const [output, rows] of results) {
    assert.equal(rows.length, 7032, output);
    let differ = 0;
    for (const row of rows) {
      const want = expected.get(row.id)!;
      // Both are float32: the same float32 value, whatever text carried it.
      if (Math.fround(row.probability) !== Math.fround(want.probability) || row.label !== want.label) differ++;
    }
    assert.equal(differ, 0, `${output}: every row as the server answers it`);
  }
  // CSV and JSON Lines write a float32 as the server writes it: the same text.
  const csvText = readFileSync(join(dir, 'out-a.csv'), 'utf8').split('\n')[1].split(',');
  assert.equal(csvText[2], String(expected.get(csvText[0])!.probability));
});

test('bad files: truncated, binary, header-only, one row, a missing column, fuzz — located, nothing half-written', async () => {
  const dir = tempDir('predict-bad', 'examples/churn');
  writeCopies(dir);
  const full = readFileSync(join(dir, 'telco.csv'), 'utf8');
  const lines = full.split('\n');
  const run = (input: string, ...extra: string[]) => cli(['churn@2', '--input', join(dir, input), '--output', join(dir, 'out.csv'), dir, ...extra]);

  // Truncated in the middle of a row: that row has too few fields.
  const cut = lines.slice(0, 101).join('\n') + '\n' + lines[101].slice(0, 20);
  writeFileSync(join(dir, 'truncated.csv'), cut);
  const truncated = await run('truncated.csv', '--json', '--on-error', 'skip');
  assert.equal(truncated.code, 0, truncated.stderr);
  const t = JSON.parse(truncated.stdout);
  assert.equal(t.rows, 101);
  assert.deepEqual(t.errors.at(-1), { row: 101, message: `${lines[101].slice(0, 20).split(',').length} fields where the header has ${columns.length}` });

  copyFileSync(join(dir, 'models', 'churn-v2.onnx'), join(dir, 'model.csv'));
  const binary = await run('model.csv');
  assert.equal(binary.code, 2);
  assert.match(binary.stderr, /model\.csv: byte \d+ is a NUL: this is a binary file, not text/);

  writeFileSync(join(dir, 'header.csv'), lines[0] + '\n');
  const header = await run('header.csv');
  assert.equal(header.code, 2);
  assert.match(header.stderr, /header but no data rows/);

  writeFileSync(join(dir, 'one.csv'), lines.slice(0, 2).join('\n') + '\n');
  const one = await run('one.csv', '--json');
  assert.equal(one.code, 0, one.stderr);
  assert.equal(JSON.parse(one.stdout).scored, 1);
  assert.equal(readFileSync(join(dir, 'out.csv'), 'utf8').trim().split('\n').length, 2);

  // A feature column missing: named, with the file's columns; the earlier output stays as it was.
  const before = readFileSync(join(dir, 'out.csv'), 'utf8');
  const drop = columns.indexOf('Contract_One_year');
  writeFileSync(join(dir, 'missing.csv'), lines.map((l) => l.split(',').filter((_, i) => i !== drop).join(',')).join('\n'));
  const missing = await run('missing.csv');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no column Contract_One_year, which the model's feature_names names/);
  assert.equal(readFileSync(join(dir, 'out.csv'), 'utf8'), before, 'a failed job leaves the output as it was');

  // An unclosed quote (a file cut inside a quoted field).
  writeFileSync(join(dir, 'quote.csv'), lines.slice(0, 5).join('\n') + '\n"7590-VHVEG,1,2\n');
  const quote = await run('quote.csv', '--json');
  assert.equal(quote.code, 1);
  assert.ok(JSON.parse(quote.stdout).errors.some((e: { row: number; message: string }) => e.row === 5 && /quoted field is not closed|fields where/.test(e.message)), quote.stdout);

  // JSON Lines: a broken line is located by line and column.
  const jsonl = readFileSync(join(dir, 'telco.jsonl'), 'utf8').split('\n');
  jsonl[3] = jsonl[3].slice(0, 40);
  writeFileSync(join(dir, 'broken.jsonl'), jsonl.join('\n'));
  const broken = await cli(['churn@2', '--input', join(dir, 'broken.jsonl'), '--output', join(dir, 'out.jsonl'), dir, '--json']);
  assert.equal(broken.code, 1);
  const b = JSON.parse(broken.stdout).errors[0];
  assert.equal(b.row, 4);
  assert.equal(b.line, 4);
  assert.ok(b.column >= 1);

  // Random bytes, zeroed and shuffled lines: a located answer, never a crash or a partial file.
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 12; i++) {
    const bytes = Buffer.from(full.slice(0, 4000));
    for (let k = 0; k < 30; k++) bytes[Math.floor(random() * bytes.length)] = i % 3 === 0 ? 0 : Math.floor(random() * 256);
    writeFileSync(join(dir, `fuzz${i}.csv`), bytes);
    const r = await cli(['churn@2', '--input', join(dir, `fuzz${i}.csv`), '--output', join(dir, `fuzz-out${i}.csv`), dir, '--json']);
    assert.ok([0, 1, 2].includes(r.code), `fuzz ${i}: exit ${r.code}`);
    if (r.code !== 0) assert.equal(existsSync(join(dir, `fuzz-out${i}.csv`)), false, `fuzz ${i}: nothing written`);
  }
  noLeftovers(dir);
});

test('progress is drawn on a terminal; a cancelled job leaves nothing', async () => {
  const dir = tempDir('predict-progress', 'examples/churn');
  writeCopies(dir);
  // Enough rows that progress is reported at least once.
  const body = readFileSync(join(dir, 'telco.csv'), 'utf8').split('\n').filter((l, i) => i > 0 && l && !l.includes(',,'));
  writeFileSync(join(dir, 'many.csv'), [columns.join(','), ...Array.from({ length: 40 }, () => body).flat()].join('\n'));
  const r = await cli(['churn@1', '--input', join(dir, 'many.csv'), '--output', join(dir, 'many-out.csv'), dir, '--batch-size', '512'], true);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\r\x1b\[K[\d,]+ rows \(\d+%\) · [\d,]+ rows\/s/);
  assert.match(r.stdout, /Scored 281,280 of 281,280 rows with churn version 1/);

  const abort = new AbortController();
  await assert.rejects(
    scoreFile({
      manifestPath: join(dir, 'mlops.yaml'),
      workspaceRoot: dir,
      model: 'churn',
      input: join(dir, 'many.csv'),
      output: join(dir, 'cancelled.csv'),
      batchRows: 512,
      progressEveryMs: 0,
      onProgress: () => abort.abort(),
      signal: abort.signal,
    }),
    ScoreCancelled,
  );
  assert.equal(existsSync(join(dir, 'cancelled.csv')), false);
  noLeftovers(dir);
});

test('usage: unknown model or version, missing options, the output over the input', async () => {
  const dir = tempDir('predict-usage', 'examples/churn');
  writeCopies(dir);
  const input = join(dir, 'telco.csv');
  const unknown = await cli(['nope', '--input', input, '--output', join(dir, 'o.csv'), dir]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no model "nope" .* \(models: churn\)/);
  const version = await cli(['churn@9', '--input', input, '--output', join(dir, 'o.csv'), dir]);
  assert.match(version.stderr, /model churn has no version or alias "9" \(versions: 1, 2; aliases: production, staging\)/);
  await assert.rejects(cli(['churn', '--output', join(dir, 'o.csv'), dir]), /needs --input/);
  const same = await cli(['churn', '--input', input, '--output', input, dir]);
  assert.equal(same.code, 2);
  assert.match(same.stderr, /would overwrite the input/);
  // Without a version: the production alias.
  const prod = await cli(['churn', '--input', input, '--output', join(dir, 'o.jsonl'), dir, '--on-error', 'skip', '--json']);
  assert.equal(JSON.parse(prod.stdout).version, '1');
});
