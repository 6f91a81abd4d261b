// Data validation (`data:` in mlops.yaml, `mlops validate`, `mlops check`) on the real Telco churn file
// and copies of it in other shapes: the expected numbers (blank TotalCharges rows, charges above 100,
// row counts) are read independently with Python's csv module, never from our own output.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parquetWriteFile } from 'hyparquet-writer';
import { validateCommand } from '../../server/src/cli/commands/validate';
import { checkPathWithContext } from '../../server/src/check/context';
import type { DataValidationReport, ExpectationResult } from '../../server/src/contract';
import { compileDateFormat } from '../../server/src/validation/dates';
import { compileDataset, inferExpectations, validateData } from '../../server/src/validation';
import { validateFiles } from '../../server/src/validation/validator';
import { readManifestModel } from '../../server/src/manifest/model';
import { parseManifest } from '../../server/src/manifest/parse';
import { seededRandom } from '../../server/src/util/random';
import { SHARED_FIXTURES, tempDir } from '../helpers/paths';

const TELCO = join(SHARED_FIXTURES, 'data', 'telco-churn.csv');

/** What Python's csv module reads in the fixture: the truth the reports are held to. */
const truth = JSON.parse(
  execFileSync('/usr/bin/python3', [
    '-c',
    `
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
blank = [i + 1 for i, r in enumerate(rows) if r['TotalCharges'].strip() == '']
above = [i + 1 for i, r in enumerate(rows) if float(r['MonthlyCharges']) > 100]
print(json.dumps({'rows': len(rows), 'blank': blank, 'above100': above, 'contracts': sorted({r['Contract'] for r in rows}), 'ids': len({r['customerID'] for r in rows}), 'maxTenure': max(int(r['tenure']) for r in rows)}))
`,
    TELCO,
  ]).toString(),
) as { rows: number; blank: number[]; above100: number[]; contracts: string[]; ids: number; maxTenure: number };

const MANIFEST = `version: 1
data:
  customers:
    path: data/customers.csv
    columns:
      tenure:         { type: integer, min: 0, max: 100, max_null_share: 0 }
      TotalCharges:   { type: number, min: 0, max_null_share: 0 }
      Contract:       { type: category, values: [Month-to-month, One year, Two year] }
      customerID:     { type: string, unique: true, pattern: "^[0-9]{4}-[A-Z]{5}$" }
      MonthlyCharges: { type: number, max: { value: 100, severity: warn } }
    rows: { min: 1000 }
`;

function workspace(manifest: string, files: Record<string, string | Buffer> = {}): string {
  const dir = tempDir('data-validation');
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'mlops.yaml'), manifest);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await validateCommand(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

function failed(report: DataValidationReport): ExpectationResult[] {
  return report.datasets.flatMap((d) => d.results.filter((r) => !r.passed));
}

function find(report: DataValidationReport, column: string | undefined, expectation: string): ExpectationResult {
  const r = report.datasets.flatMap((d) => d.results).find((x) => x.column === column && x.expectation === expectation);
  assert.ok(r, `no result for ${column ?? '(table)'} ${expectation}`);
  return r;
}

test('the Telco file: its 11 blank TotalCharges fail max_null_share 0 with their row numbers, and nothing else fails as an error', async () => {
  assert.equal(truth.blank.length, 11);
  const dir = workspace(MANIFEST);
  copyFileSync(TELCO, join(dir, 'data', 'customers.csv'));
  const report = await validateData({ manifestPath: join(dir, 'mlops.yaml'), workspaceRoot: dir });
  const d = report.datasets[0];
  assert.equal(d.rows, truth.rows);
  const nulls = find(report, 'TotalCharges', 'max_null_share');
  assert.equal(nulls.passed, false);
  assert.equal(nulls.severity, 'error');
  assert.equal(nulls.failing, 11);
  assert.equal(nulls.checked, truth.rows);
  assert.deepEqual(nulls.rows, truth.blank.slice(0, 10));
  assert.ok(Math.abs(nulls.share - 11 / truth.rows) < 1e-12);
  // The blanks are nulls, not numbers that fail their type or bounds.
  assert.equal(find(report, 'TotalCharges', 'type').passed, true);
  assert.equal(find(report, 'TotalCharges', 'min').passed, true);
  const above = find(report, 'MonthlyCharges', 'max');
  assert.equal(above.severity, 'warning');
  assert.equal(above.failing, truth.above100.length);
  assert.deepEqual(above.rows, truth.above100.slice(0, 10));
  assert.equal(above.sample.length, 5);
  assert.equal(truth.ids, truth.rows);
  assert.equal(find(report, 'customerID', 'unique').passed, true);
  assert.equal(find(report, 'customerID', 'pattern').passed, true);
  assert.deepEqual(truth.contracts, ['Month-to-month', 'One year', 'Two year']);
  assert.equal(find(report, 'Contract', 'values').passed, true);
  assert.equal(find(report, 'tenure', 'max').passed, truth.maxTenure <= 100);
  assert.deepEqual(failed(report).map((r) => `${r.column}:${r.expectation}`).sort(), ['MonthlyCharges:max', 'TotalCharges:max_null_share']);
  assert.equal(report.errors, 1);
  assert.equal(report.warnings, 1);
  assert.equal(report.passed, false);
  // The manifest place of the expectation: line 7 (0-based 6), on the value 0 of max_null_share.
  assert.equal(nulls.range.start.line, 6);
  const line = MANIFEST.split('\n')[6];
  assert.equal(line.slice(nulls.range.start.character, nulls.range.end.character), '0');

  const text = await cli([dir]);
  assert.equal(text.code, 1);
  assert.match(text.stdout, /TotalCharges \[max_null_share: 0\] `TotalCharges` has 11 nulls in 7,043 rows \(0\.16%\)/);
  assert.match(text.stdout, new RegExp(`rows ${truth.blank.slice(0, 10).join(', ')}, …`));
  const github = await cli(['--format', 'github', dir]);
  const annotation = github.stdout.split('\n').find((l) => l.includes('data-max-null-share'));
  assert.ok(annotation, github.stdout);
  assert.match(annotation, /^::error file=[^,]*mlops\.yaml,line=7,col=\d+,/);
  assert.match(annotation, /customers\.csv\): `TotalCharges` has 11 nulls/);
  const json = await cli(['--format', 'json', 'customers', dir]);
  assert.equal((JSON.parse(json.stdout) as DataValidationReport).errors, 1);
});

test('the same data as a semicolon + BOM + CRLF CSV, JSON Lines and Parquet: the same nulls found, at the same rows', async () => {
  const [header, ...lines] = readFileSync(TELCO, 'utf8').trim().split(/\r?\n/);
  const names = header.split(',');
  const records = lines.map((l) => l.split(','));
  const manifest = (file: string) => MANIFEST.replace('data/customers.csv', file);
  const files: Record<string, string> = {
    'data/semicolon.csv': '\uFEFF' + [names.join(';'), ...records.map((r) => r.join(';'))].join('\r\n') + '\r\n',
    'data/customers.jsonl': records.map((r) => JSON.stringify(Object.fromEntries(names.map((n, i) => [n, n === 'TotalCharges' ? (r[i].trim() === '' ? null : Number(r[i])) : n === 'tenure' || n === 'MonthlyCharges' ? Number(r[i]) : r[i]])))).join('\n') + '\n',
  };
  for (const file of ['data/semicolon.csv', 'data/customers.jsonl', 'data/customers.parquet']) {
    const dir = workspace(manifest(file), files);
    if (file.endsWith('.parquet')) {
      parquetWriteFile({
        filename: join(dir, file),
        columnData: names.map((n, i) =>
          n === 'TotalCharges' || n === 'MonthlyCharges' ? { name: n, data: records.map((r) => (r[i].trim() === '' ? null : Number(r[i]))), type: 'DOUBLE' as const } : n === 'tenure' ? { name: n, data: records.map((r) => Number(r[i])), type: 'INT32' as const } : { name: n, data: records.map((r) => r[i]), type: 'STRING' as const },
        ),
      });
    }
    const report = await validateData({ manifestPath: join(dir, 'mlops.yaml'), workspaceRoot: dir });
    const nulls = find(report, 'TotalCharges', 'max_null_share');
    assert.equal(nulls.failing, 11, file);
    assert.deepEqual(nulls.rows, truth.blank.slice(0, 10), file);
    assert.deepEqual(failed(report).map((r) => `${r.column}:${r.expectation}`).sort(), ['MonthlyCharges:max', 'TotalCharges:max_null_share'], file);
    assert.equal(find(report, 'MonthlyCharges', 'max').failing, truth.above100.length, file);
  }
});

test('a column that turns into text mid-way, a date format that changes and a new category are found, located', async () => {
  const rows = ['id,tenure,signup,plan'];
  for (let i = 1; i <= 6000; i++) {
    const tenure = i >= 5000 && i % 2 === 0 ? `${i % 70} months` : String(i % 70);
    const day = new Date(Date.UTC(2021, 0, 1) + i * 86_400_000);
    const iso = day.toISOString().slice(0, 10);
    const us = `${day.getUTCMonth() + 1}/${day.getUTCDate()}/${String(day.getUTCFullYear()).slice(2)}`;
    rows.push(`${i},${tenure},${i > 4000 ? us : iso},${i === 4321 ? 'Three year' : i % 2 ? 'One year' : 'Two year'}`);
  }
  const dir = workspace(
    `version: 1
data:
  accounts:
    path: data/accounts.csv
    columns:
      id: { type: integer, unique: true }
      tenure: { type: integer, min: 0 }
      signup: { type: date, format: YYYY-MM-DD, min: "2021-01-01" }
      plan: { type: category, values: [One year, Two year] }
`,
    { 'data/accounts.csv': rows.join('\n') + '\n' },
  );
  const report = await validateData({ manifestPath: join(dir, 'mlops.yaml'), workspaceRoot: dir });
  const tenure = find(report, 'tenure', 'type');
  assert.equal(tenure.failing, 501); // the even rows from 5000 to 6000
  assert.deepEqual(tenure.rows.slice(0, 3), [5000, 5002, 5004]);
  assert.equal(tenure.sample[0], '30 months');
  assert.equal(find(report, 'tenure', 'min').passed, true);
  const signup = find(report, 'signup', 'type');
  assert.equal(signup.failing, 2000);
  assert.equal(signup.rows[0], 4001);
  assert.match(signup.message, /declared date in YYYY-MM-DD/);
  const plan = find(report, 'plan', 'values');
  assert.equal(plan.failing, 1);
  assert.deepEqual(plan.rows, [4321]);
  assert.deepEqual(plan.sample, ['Three year']);
  assert.equal(find(report, 'id', 'unique').passed, true);
});

test('unreadable input: a truncated file, a binary file, a header-only file and a 1-row file', async () => {
  const manifest = (file: string) => `version: 1
data:
  d:
    path: ${file}
    columns:
      a: { type: integer }
      b: { type: string }
    rows: { min: 1 }
`;
  const truncated = workspace(manifest('data/t.csv'), { 'data/t.csv': 'a,b\n1,x\n2,y\n3,"unclosed\n' });
  let report = await validateData({ manifestPath: join(truncated, 'mlops.yaml'), workspaceRoot: truncated });
  const readable = find(report, undefined, 'readable');
  assert.equal(readable.passed, false);
  assert.deepEqual(readable.rows, [3]);
  assert.match(readable.message, /row 3/);

  const binary = workspace(manifest('data/b.csv'), { 'data/b.csv': Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0x00, 0x01, 0x02]) });
  report = await validateData({ manifestPath: join(binary, 'mlops.yaml'), workspaceRoot: binary });
  assert.match(find(report, undefined, 'readable').message, /NUL: this is a binary file/);
  assert.equal(report.passed, false);

  const headerOnly = workspace(manifest('data/h.csv'), { 'data/h.csv': 'a,b\n' });
  report = await validateData({ manifestPath: join(headerOnly, 'mlops.yaml'), workspaceRoot: headerOnly });
  assert.equal(report.datasets[0].rows, 0);
  const rows = find(report, undefined, 'rows');
  assert.equal(rows.passed, false);
  assert.match(rows.message, /has 0 data rows, fewer than the 1 expected/);

  const one = workspace(manifest('data/o.csv'), { 'data/o.csv': 'a,b\n7,x\n' });
  report = await validateData({ manifestPath: join(one, 'mlops.yaml'), workspaceRoot: one });
  assert.equal(report.passed, true);
  assert.equal(report.datasets[0].rows, 1);

  const missing = workspace(manifest('data/m.csv'), { 'data/m.csv': 'a,c\n7,x\n' });
  report = await validateData({ manifestPath: join(missing, 'mlops.yaml'), workspaceRoot: missing });
  const required = find(report, 'b', 'required');
  assert.equal(required.passed, false);
  assert.match(required.message, /has no column `b`/);
});

test('mlops validate --infer proposes a block that the same file then passes, with the columns Python sees', async () => {
  const { yaml, dataset } = await inferExpectations(TELCO, { name: 'customers' });
  const byName = Object.fromEntries(dataset.columns.map((c) => [c.name, c.expectations]));
  assert.deepEqual(byName.Contract, { type: 'category', values: truth.contracts, max_null_share: 0 });
  assert.equal(byName.customerID.unique, true);
  assert.equal(byName.customerID.pattern, '^[0-9]{4}-[A-Z]{5}$');
  assert.equal(byName.tenure.type, 'integer');
  assert.equal(byName.tenure.min, 0);
  assert.ok((byName.tenure.max as number) >= truth.maxTenure);
  assert.equal(byName.TotalCharges.type, 'number');
  assert.ok((byName.TotalCharges.max_null_share as number) >= 11 / truth.rows);
  const dir = workspace(`version: 1\n${yaml.replace(/path: .*/, 'path: data/customers.csv')}`);
  copyFileSync(TELCO, join(dir, 'data', 'customers.csv'));
  const report = await validateData({ manifestPath: join(dir, 'mlops.yaml'), workspaceRoot: dir });
  assert.deepEqual(failed(report), []);
  assert.ok(report.datasets[0].results.length > 3 * 21);
  const printed = await cli(['--infer', TELCO, '--name', 'customers']);
  assert.equal(printed.code, 0);
  assert.equal(printed.stdout, yaml);
});

test('reference: each listed column is compared with the reference by the drift tests, drifted ones are warnings', async () => {
  const [header, ...lines] = readFileSync(TELCO, 'utf8').trim().split(/\r?\n/);
  const names = header.split(',');
  const tenure = names.indexOf('tenure');
  const shifted = lines.map((l) => {
    const cells = l.split(',');
    cells[tenure] = String(Number(cells[tenure]) + 30);
    return cells.join(',');
  });
  const dir = workspace(
    `version: 1
data:
  customers:
    path: data/current.csv
    reference: data/reference.csv
    columns:
      tenure: { type: integer }
      MonthlyCharges: { type: number }
`,
    { 'data/current.csv': [header, ...shifted].join('\n') + '\n' },
  );
  copyFileSync(TELCO, join(dir, 'data', 'reference.csv'));
  const report = await validateData({ manifestPath: join(dir, 'mlops.yaml'), workspaceRoot: dir });
  const distribution = report.datasets[0].results.filter((r) => r.expectation === 'distribution');
  assert.deepEqual(distribution.map((r) => `${r.column}:${r.passed}:${r.severity}`), ['tenure:false:warning', 'MonthlyCharges:true:warning']);
  assert.equal(report.passed, true); // a drifted distribution warns; it is not an error
  // With more than 1,000 reference rows numbers are compared by the normed Wasserstein distance (as
  // Evidently does): scipy's distance over numpy's std (ddof 0) gives the same figure.
  const d = JSON.parse(
    execFileSync('/usr/bin/python3', ['-c', `
import csv, json, sys
import numpy as np
from scipy.stats import wasserstein_distance
ref = list(csv.DictReader(open(sys.argv[1], newline='')))
cur = list(csv.DictReader(open(sys.argv[2], newline='')))
out = {}
for c in ['tenure', 'MonthlyCharges']:
    a = np.array([float(r[c]) for r in ref]); b = np.array([float(r[c]) for r in cur])
    out[c] = wasserstein_distance(a, b) / max(np.std(a), 0.001)
print(json.dumps(out))
`, join(dir, 'data', 'reference.csv'), join(dir, 'data', 'current.csv')]).toString(),
  ) as Record<string, number>;
  assert.ok(d.tenure >= 0.1 && d.MonthlyCharges < 0.1, JSON.stringify(d));
  assert.equal(distribution[0].message, `\`tenure\` has drifted from the reference (wasserstein, distance ${Number(d.tenure.toPrecision(3))} × the reference’s std, threshold 0.1).`);
});

test('mlops validate: a manifest without data sets passes; an unknown data set, a bad format and stray arguments are usage errors', async () => {
  const dir = workspace('version: 1\n');
  const none = await cli([dir]);
  assert.equal(none.code, 0);
  assert.match(none.stdout, /declares no data sets/);
  const withData = workspace(MANIFEST);
  const unknown = await cli(['clients', withData]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /"clients" is neither a data set .* \(customers\) nor a file one of them names/);
  await assert.rejects(cli(['--format', 'xml', withData]), /--format must be one of text, json, github/);
  await assert.rejects(cli(['a', 'b', 'c']), /unexpected argument "c"/);
  await assert.rejects(cli(['--name', 'x']), /--name goes with --infer FILE/);
  const bad = await cli(['--infer', join(withData, 'nothing.csv')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /nothing\.csv: no such file/);
});

test('mlops check reports failed expectations on their lines (and --no-data leaves the files unread)', async () => {
  const dir = workspace(MANIFEST);
  copyFileSync(TELCO, join(dir, 'data', 'customers.csv'));
  const report = await checkPathWithContext(dir, () => {});
  const codes = report.files.flatMap((f) => f.findings.map((x) => `${x.code}@${x.range.start.line + 1}:${x.severity}`));
  assert.deepEqual(codes.sort(), ['data-max-null-share@7:error', 'data-max@10:warning']);
  const without = await checkPathWithContext(dir, () => {}, { data: false });
  assert.deepEqual(without.files.flatMap((f) => f.findings), []);
});

test('declarations that cannot hold are found by compiling them, before any row is read', () => {
  const parsed = parseManifest(`version: 1
data:
  d:
    path: x.csv
    columns:
      a: { type: integer, min: 10, max: 5 }
      b: { type: string, pattern: "([0-9" }
      c: { type: date, format: "YYYY-QQ" }
      e: { type: number, format: "YYYY" }
      f: { type: category, min: 1 }
    rows: { min: 10, max: 2 }
`);
  const { problems } = compileDataset(readManifestModel(parsed).data!.entries.get('d')!);
  assert.deepEqual(problems.map((p) => p.code).sort(), ['expectation-invalid', 'expectation-invalid', 'expectation-order', 'expectation-order', 'expectation-type', 'expectation-type']);
});

test('date formats: tokens and strftime, real calendar dates only', () => {
  const iso = compileDateFormat('YYYY-MM-DD');
  assert.ok(!('error' in iso));
  assert.equal(iso.parse('2024-02-29'), Date.UTC(2024, 1, 29));
  assert.equal(iso.parse('2023-02-29'), undefined);
  assert.equal(iso.parse('2024-2-9'), undefined);
  const us = compileDateFormat('M/D/YY');
  assert.ok(!('error' in us));
  assert.equal(us.parse('7/31/11'), Date.UTC(2011, 6, 31));
  assert.equal(us.parse('4/31/11'), undefined);
  const strftime = compileDateFormat('%Y-%m-%d %H:%M:%S');
  assert.ok(!('error' in strftime));
  assert.equal(strftime.parse('2021-09-01 12:23:35'), Date.UTC(2021, 8, 1, 12, 23, 35));
  const fixed = compileDateFormat('DD.MM.YYYY HH:mm:ss.SSS');
  assert.ok(!('error' in fixed));
  assert.equal(fixed.parse('29.02.2024 23:59:58.125'), Date.UTC(2024, 1, 29, 23, 59, 58, 125));
  assert.equal(fixed.parse(' 01.03.2024 00:00:00.000 '), Date.UTC(2024, 2, 1));
  for (const bad of ['29.02.2023 00:00:00.000', '01.13.2024 00:00:00.000', '01.01.2024 24:00:00.000', '01.01.2024 00:00:00.00', '01-01.2024 00:00:00.000', '0a.01.2024 00:00:00.000']) assert.equal(fixed.parse(bad), undefined, bad);
  assert.ok('error' in compileDateFormat('%Q'));
  assert.ok('error' in compileDateFormat('MM-DD'));
});

test('unique on numbers: repeats found by value (1 and 1.0 alike), every one counted, on a million values', async () => {
  const random = seededRandom(3);
  const values: string[] = [];
  for (let i = 0; i < 1_000_000; i++) values.push(String(Math.floor(random() * 2_000_000) / (i % 7 === 0 ? 1 : 4)));
  values.push('1', '1.0', '-0', '0');
  const expected = JSON.parse(execFileSync('/usr/bin/python3', ['-c', 'import sys, json\nseen=set(); n=0\nfor line in sys.stdin:\n    v=float(line)\n    n += v in seen\n    seen.add(v)\nprint(json.dumps(n))'], { input: values.join('\n') + '\n', maxBuffer: 1 << 26 }).toString()) as number;
  const dir = workspace('version: 1\ndata:\n  d:\n    path: data/n.csv\n    columns:\n      n: { type: number, unique: true }\n', { 'data/n.csv': `n\n${values.join('\n')}\n` });
  const report = await validateData({ manifestPath: join(dir, 'mlops.yaml'), workspaceRoot: dir });
  assert.equal(find(report, 'n', 'unique').failing, expected);
});

test('fuzz: 10,000 random CSVs each give a report or a located read problem, nothing else', async () => {
  const dir = tempDir('data-fuzz');
  const { spec } = compileDataset(
    readManifestModel(
      parseManifest(`version: 1
data:
  d:
    path: f.csv
    columns:
      a: { type: integer, min: 0, max: 9, unique: true }
      b: { type: date }
      c: { type: category, values: [x, y], max_null_share: 0.5 }
      d: { type: string, pattern: "[a-z]+" }
    rows: { min: 1, max: 5 }
    extra_columns: warn
`),
    ).data!.entries.get('d')!,
  );
  const random = seededRandom(20);
  const alphabet = ['a', 'b', 'c', 'd', ',', ';', '\t', '"', '\n', '\r\n', '0', '9', '-', 'x', 'y', ' ', '', 'NA', '2021-01-01', '\u0000', '\uFEFF', 'é'];
  const file = join(dir, 'f.csv');
  for (let i = 0; i < 10_000; i++) {
    const length = Math.floor(random() * 60);
    let text = i % 3 === 0 ? 'a,b,c,d\n' : '';
    for (let k = 0; k < length; k++) text += alphabet[Math.floor(random() * alphabet.length)];
    writeFileSync(file, text);
    const v = await validateFiles(spec, [file]);
    assert.equal(v.dataset, 'd');
    for (const r of v.results) {
      assert.ok(r.failing >= 0 && r.failing <= Math.max(r.checked, 1), JSON.stringify(r));
      if (r.expectation === 'readable' && !r.passed) assert.match(r.message, /f\.csv/);
    }
  }
});
