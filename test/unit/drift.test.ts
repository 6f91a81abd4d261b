import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { driftCommand } from '../../server/src/cli/commands/drift';
import { UsageError } from '../../server/src/cli/usage';
import type { DriftReport } from '../../server/src/contract';
import { driftOptionsOf, driftReport, driftReportHtml, DriftInputError, parseDuration, tableFromCsv, type DriftOptions } from '../../server/src/drift/index';
import { formatCsv, parseCsv } from '../../server/src/example/csv';
import { readManifestModel } from '../../server/src/manifest/model';
import { parseManifest } from '../../server/src/manifest/parse';
import { validateManifest } from '../../server/src/manifest/validate';
import { seededRandom } from '../../server/src/util/random';
import { REPO, SHARED_FIXTURES } from '../helpers/paths';

const TELCO = join(SHARED_FIXTURES, 'data', 'telco-churn.csv');
const dir = mkdtempSync(join(tmpdir(), 'mlops-drift-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function scipyPython(): string {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(candidate, ['-c', 'import scipy'], { encoding: 'utf8' }).status === 0) return candidate;
  }
  throw new Error('no Python with scipy found (tried /usr/bin/python3 and python3): apt-get install python3-scipy');
}

interface Truth {
  dataset_drift: boolean;
  share: number;
  features: { name: string; type: string; test: string; statistic: number | null; pvalue: number | null; adjusted_pvalue: number | null; distance: number | null; drifted: boolean; new_categories: string[] }[];
}

/** Runs every case through test/helpers/scipy_truth.py in one Python process. */
function scipy(cases: { id: string; fn: string; [k: string]: unknown }[]): Record<string, Record<string, unknown>> {
  const file = join(dir, `cases-${cases[0].id}.json`);
  writeFileSync(file, JSON.stringify(cases));
  const r = spawnSync(scipyPython(), [join(REPO, 'test', 'helpers', 'scipy_truth.py'), file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  const results = (JSON.parse(r.stdout) as { results: Record<string, Record<string, unknown>> }).results;
  for (const c of cases) assert.ok(!('error' in results[c.id]), `${c.id}: ${String(results[c.id].error)}`);
  return results;
}

function close(ours: number | null, theirs: number | null | string, rtol: number, where: string): void {
  if (theirs === null || ours === null) {
    assert.equal(ours, theirs, where);
    return;
  }
  const t = typeof theirs === 'string' ? Number(theirs) : theirs;
  const scale = Math.max(Math.abs(ours), Math.abs(t));
  assert.ok(scale < 1e-300 || Math.abs(ours - t) / scale <= rtol, `${where}: ours ${ours}, scipy ${t}`);
}

/** The CSV cells of each column, as the Python side reads them. */
function cellsOf(text: string): Record<string, string[]> {
  const [header, ...rows] = parseCsv(text);
  return Object.fromEntries(header.map((h, c) => [h.trim(), rows.map((r) => r[c])]));
}

function compare(id: string, ours: DriftReport, truth: Truth): void {
  assert.equal(ours.features.length, truth.features.length, `${id}: features`);
  ours.features.forEach((f, i) => {
    const t = truth.features[i];
    const where = `${id}/${f.name}`;
    assert.equal(f.name, t.name, where);
    assert.equal(f.type, t.type, `${where}: type`);
    assert.equal(f.test, t.test, `${where}: test`);
    close(f.statistic, t.statistic, 1e-9, `${where}: statistic`);
    close(f.pvalue, t.pvalue, 1e-6, `${where}: pvalue`);
    close(f.adjusted_pvalue, t.adjusted_pvalue, 1e-6, `${where}: adjusted p-value`);
    close(f.distance, t.distance, 1e-9, `${where}: distance`);
    assert.deepEqual(f.new_categories, t.new_categories, `${where}: new categories`);
    assert.equal(f.drifted, t.drifted, `${where}: drifted (${f.reasons.join('; ')})`);
  });
  assert.equal(ours.dataset_drift, truth.dataset_drift, `${id}: dataset_drift`);
  close(ours.share, truth.share, 1e-12, `${id}: share`);
}

function normal(u: () => number, mean = 0, sd = 1): number {
  return mean + sd * Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** A synthetic table: every column kind the report distinguishes, with a shift where `shift` says. */
function synthetic(seed: number, rows: number, shift: number, extraCategory: boolean, missing: number): string {
  const u = seededRandom(seed);
  const header = ['num_ties', 'num_same', 'température °C', 'cat', 'yes_no', 'few', 'with_missing', 'wide'];
  const body: string[][] = [];
  for (let i = 0; i < rows; i++) {
    const cats = extraCategory ? ['a', 'b', 'c', 'd'] : ['a', 'b', 'c'];
    body.push([
      normal(u, shift).toFixed(1), // rounded: many ties
      normal(u).toFixed(2),
      (20 + 5 * normal(u, shift)).toFixed(3),
      cats[Math.floor(u() * cats.length)],
      u() < 0.3 + 0.2 * shift ? 'Yes' : 'No',
      String(1 + Math.floor(u() * 4)),
      u() < missing ? '' : normal(u, 10).toFixed(3),
      String(Math.floor(u() * 60) + Math.round(10 * shift)),
    ]);
  }
  return formatCsv(header, body);
}

function caseOf(id: string, refText: string, curText: string, o: { alpha?: number; threshold?: number; correction?: string; drift_share?: number; methods?: Record<string, string> } = {}) {
  return { id, fn: 'drift_report', reference: cellsOf(refText), current: cellsOf(curText), ...o };
}

function optionsOf(o: { alpha?: number; threshold?: number; correction?: string; drift_share?: number; methods?: Record<string, string> }): DriftOptions {
  return {
    alpha: o.alpha,
    threshold: o.threshold,
    correction: o.correction as DriftOptions['correction'],
    driftShare: o.drift_share,
    features: Object.fromEntries(Object.entries(o.methods ?? {}).map(([k, m]) => [k, { method: m as never }])),
  };
}

/** The Telco fixture, its rows ordered by tenure (the customers' time with the company) or shuffled. */
function telcoSplits(): { header: string[]; byTenure: string[][]; shuffled: string[][] } {
  const [header, ...rows] = parseCsv(readFileSync(TELCO, 'utf8'));
  const tenure = header.indexOf('tenure');
  const byTenure = [...rows].sort((a, b) => Number(a[tenure]) - Number(b[tenure]));
  const u = seededRandom(7);
  const shuffled = [...rows];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  return { header, byTenure, shuffled };
}

test('drift reports match an independent scipy computation: KS (exact, ties), chi-square with a new category, z-test, Wasserstein, Jensen–Shannon, PSI, corrections', () => {
  const smallRef = synthetic(1, 300, 0, false, 0.02);
  const smallCur = synthetic(2, 200, 0.6, true, 0.3);
  const smallSame = synthetic(3, 250, 0, false, 0.02);
  const bigRef = synthetic(4, 3000, 0, false, 0.01);
  const bigCur = synthetic(5, 2500, 0.15, false, 0.01);
  const cases = [
    caseOf('small-drift', smallRef, smallCur),
    caseOf('small-drift-bonferroni', smallRef, smallCur, { correction: 'bonferroni' }),
    caseOf('small-drift-fdr', smallRef, smallCur, { correction: 'fdr', alpha: 0.01 }),
    caseOf('small-same', smallRef, smallSame, { correction: 'fdr' }),
    caseOf('large', bigRef, bigCur),
    caseOf('large-overrides', bigRef, bigCur, { threshold: 0.05, drift_share: 0.3, methods: { wide: 'jensen-shannon', num_same: 'psi', cat: 'psi', yes_no: 'chi-square', 'température °C': 'ks' } }),
  ];
  const { header, byTenure, shuffled } = telcoSplits();
  const telcoCsv = (rows: string[][]) => formatCsv(header, rows);
  // Real data with heavy ties and blanks, small enough for the exact KS distribution.
  cases.push(caseOf('telco-tenure-800', telcoCsv(byTenure.slice(0, 800)), telcoCsv(byTenure.slice(-800)), { correction: 'bonferroni' }));
  cases.push(caseOf('telco-random-800', telcoCsv(shuffled.slice(0, 800)), telcoCsv(shuffled.slice(800, 1600)), { correction: 'bonferroni' }));
  for (const c of cases) for (const side of [c.reference, c.current]) delete side.customerID;
  // The whole table against itself plus one appended customer, with customerID kept (an identifier:
  // skipped) and a 60-value "region" column whose appended value is new (one row of 7,044: a note, not drift).
  const region = (row: string[], i: number) => [...row, i < 0 ? 'region-new' : `region-${i % 60}`];
  const withRegion = [...byTenure.map(region)];
  const appended = [...withRegion, region([`9999-NEWID`, ...byTenure[17].slice(1)], -1)];
  cases.push(caseOf('telco-itself-plus-one', formatCsv([...header, 'region'], withRegion), formatCsv([...header, 'region'], appended)));
  const truth = scipy(cases);
  for (const c of cases) {
    const ref = tableFromCsv(formatCsv(Object.keys(c.reference), transpose(c.reference)), 'reference.csv');
    const cur = tableFromCsv(formatCsv(Object.keys(c.current), transpose(c.current)), 'current.csv');
    compare(c.id, driftReport(ref, cur, optionsOf(c)), truth[c.id] as unknown as Truth);
  }
  const plusOne = driftReport(tableFromCsv(formatCsv([...header, 'region'], withRegion), 'telco.csv'), tableFromCsv(formatCsv([...header, 'region'], appended), 'telco+1.csv'));
  assert.deepEqual(plusOne.skipped, [{ name: 'customerID', reason: 'an identifier, not a feature: 7,043 distinct values in 7,043 rows' }]);
  assert.equal(plusOne.drifted_features, 0, plusOne.features.filter((f) => f.drifted).map((f) => `${f.name}: ${f.reasons.join('; ')}`).join(' | '));
  assert.equal(plusOne.features.length, header.length, 'every column but customerID, and region');
  const regionDrift = plusOne.features.find((f) => f.name === 'region')!;
  assert.deepEqual(regionDrift.new_categories, ['region-new']);
  assert.ok(Math.abs(regionDrift.new_category_share - 1 / 7044) < 1e-12);
  assert.deepEqual(regionDrift.notes, ['a category not in the reference (0.014% of the current values): region-new; below 1%, not drift by itself']);
  // Given a type, an identifier is tested like any column.
  const forced = driftReport(tableFromCsv(formatCsv(header, byTenure), 'telco.csv'), tableFromCsv(formatCsv(header, byTenure.slice(0, 100)), 'head.csv'), { features: { customerID: { type: 'categorical' } } });
  assert.deepEqual(forced.skipped, []);
  assert.equal(forced.features[0].name, 'customerID');
  // What the cases exercise, so a change of the selection cannot go unnoticed.
  const small = driftReport(tableFromCsv(smallRef, 'r'), tableFromCsv(smallCur, 'c'));
  const by = (r: DriftReport, name: string) => r.features.find((f) => f.name === name)!;
  assert.equal(by(small, 'num_ties').test, 'ks');
  assert.equal(by(small, 'cat').test, 'chi-square');
  assert.deepEqual(by(small, 'cat').new_categories, ['d']);
  assert.ok(by(small, 'cat').drifted && by(small, 'cat').reasons.some((r) => /not in the reference \(\d+(\.\d+)?% of the current values\): d/.test(r)));
  assert.equal(by(small, 'num_ties').statistic !== null && by(small, 'num_ties').distance === null, true, 'a p-value test has a statistic, no distance');
  assert.equal(by(small, 'yes_no').test, 'z-test');
  assert.equal(by(small, 'yes_no').type, 'binary');
  assert.equal(by(small, 'few').test, 'chi-square');
  assert.ok(by(small, 'with_missing').reasons.some((r) => /missing values/.test(r)));
  const large = driftReport(tableFromCsv(bigRef, 'r'), tableFromCsv(bigCur, 'c'));
  assert.equal(by(large, 'num_ties').test, 'wasserstein');
  assert.deepEqual([by(large, 'num_ties').statistic, by(large, 'num_ties').unit], [null, '× the reference’s std'], 'a distance test has its distance once, with its unit');
  assert.equal(by(large, 'cat').test, 'jensen-shannon');
});

function transpose(columns: Record<string, string[]>): string[][] {
  const names = Object.keys(columns);
  return columns[names[0]].map((_, i) => names.map((n) => columns[n][i]));
}

test('Telco: customers ordered by tenure drift between the first and the second half; a random split does not', () => {
  const { header, byTenure, shuffled } = telcoSplits();
  const half = Math.floor(byTenure.length / 2);
  const options: DriftOptions = { exclude: ['customerID'], correction: 'bonferroni' };
  const table = (rows: string[][], name: string) => tableFromCsv(formatCsv(header, rows), name);
  const timeSplit = driftReport(table(byTenure.slice(0, half), 'early.csv'), table(byTenure.slice(half), 'late.csv'), options);
  const random = driftReport(table(shuffled.slice(0, half), 'a.csv'), table(shuffled.slice(half), 'b.csv'), options);
  assert.equal(timeSplit.dataset_drift, true);
  assert.ok(timeSplit.share >= 0.5, `share ${timeSplit.share}`);
  const tenure = timeSplit.features.find((f) => f.name === 'tenure')!;
  assert.equal(tenure.test, 'wasserstein');
  assert.ok(tenure.drifted);
  assert.equal(random.dataset_drift, false);
  assert.equal(random.drifted_features, 0, random.features.filter((f) => f.drifted).map((f) => `${f.name}: ${f.reasons.join('; ')}`).join('\n'));
  assert.equal(timeSplit.features.length, 20);
  // TotalCharges has 11 blanks, all in the first month (tenure 0): missing values as their own signal.
  const total = timeSplit.features.find((f) => f.name === 'TotalCharges')!;
  assert.ok(total.missing.reference > 0 && total.missing.current === 0);
  assert.ok(total.reasons.some((r) => /missing values/.test(r)));
});

test('the JSON has exactly the documented shape', () => {
  const r = driftReport(tableFromCsv('x,y\n1,a\n2,b\n3,a\n', 'r.csv'), tableFromCsv('x,y\n1,a\n5,c\n', 'c.csv'));
  assert.deepEqual(Object.keys(r).slice(0, 2), ['dataset_drift', 'share']);
  assert.ok(Array.isArray(r.features));
  for (const f of r.features) for (const key of ['name', 'type', 'test', 'statistic', 'pvalue', 'distance', 'drifted']) assert.ok(key in f, key);
  assert.equal(r.features[1].drifted, true); // "c" is new
});

test('bad input: empty files, one column, NaN, unicode headers, mismatched and ragged columns give clear, located errors', () => {
  assert.throws(() => tableFromCsv('', 'empty.csv'), (e: unknown) => e instanceof DriftInputError && /empty\.csv: the file is empty/.test(e.message));
  assert.throws(() => tableFromCsv('\n\n', 'blank.csv'), (e: unknown) => e instanceof DriftInputError && /blank\.csv: the file is empty/.test(e.message));
  const headerOnly = tableFromCsv('a,b\n', 'h.csv');
  assert.throws(() => driftReport(headerOnly, headerOnly), (e: unknown) => e instanceof DriftInputError && /h\.csv: no data rows/.test(e.message));
  assert.throws(() => tableFromCsv('a,b,c\n1,2,3\n4,5\n', 'ragged.csv'), (e: unknown) => e instanceof DriftInputError && e.message === 'ragged.csv:3: 2 fields where the header has 3');
  assert.throws(() => tableFromCsv('a,a\n1,2\n', 'dup.csv'), (e: unknown) => e instanceof DriftInputError && /dup\.csv:1: columns 1 and 2 are both named "a"/.test(e.message));
  assert.throws(() => tableFromCsv('a,\n1,2\n', 'noname.csv'), (e: unknown) => e instanceof DriftInputError && /column 2 of the header has no name/.test(e.message));
  assert.throws(() => tableFromCsv('a,b\n1,"2\n', 'quote.csv'), (e: unknown) => e instanceof DriftInputError && /quote\.csv:\d+: a quoted field is not closed/.test(e.message));
  const ref = tableFromCsv('a,b,c\n1,2,3\n', 'ref.csv');
  const cur = tableFromCsv('a,d\n1,2\n', 'cur.csv');
  assert.throws(() => driftReport(ref, cur), (e: unknown) => e instanceof DriftInputError && e.message === 'cur.csv: no columns "b", "c" of ref.csv; it has "d" that the reference does not');
  // One column; NaN and NA are missing (a blank line is skipped, as pandas does); a unicode header is a name like any other.
  const one = driftReport(tableFromCsv('größe 📏\n1\nNaN\n3\n4\n', 'r.csv'), tableFromCsv('größe 📏\nNA\n\n2\n3\nnan\n', 'c.csv'));
  assert.equal(one.features[0].name, 'größe 📏');
  assert.deepEqual(one.features[0].missing, { reference: 0.25, current: 0.5 });
  // Every current value missing: drift, and no test to run.
  const gone = driftReport(tableFromCsv('v\n1\n2\n', 'r.csv'), tableFromCsv('v\nNA\n\n', 'c.csv'));
  assert.equal(gone.features[0].drifted, true);
  assert.match(gone.features[0].error ?? '', /no values in the current data/);
  // A test that does not fit the feature is reported on the feature, not thrown.
  const wrong = driftReport(tableFromCsv('v\na\nb\nc\n', 'r.csv'), tableFromCsv('v\na\nb\nc\n', 'c.csv'), { features: { v: { method: 'ks' } } });
  assert.match(wrong.features[0].error ?? '', /ks needs numbers/);
  assert.throws(() => driftReport(ref, ref, { features: { nope: { method: 'ks' } } }), /a feature "nope" that ref\.csv has no column for/);
});

test('mlops.yaml: per-feature method and threshold are read, bad values get located diagnostics', () => {
  const text = [
    'version: 1',
    'models:',
    '  churn: { task: classification }',
    'monitoring:',
    '  churn:',
    '    window: 2h',
    '    drift:',
    '      method: auto',
    '      correction: fdr',
    '      threshold: 0.2',
    '      exclude: [customerID]',
    '      features:',
    '        tenure: { method: psi, threshold: 0.25 }',
    '        Contract: { method: ks, threshold: 1.5 }',
    '        gender: { method: z-test, type: categorical }',
    '        bogus: { method: magic }',
    '    retrain: { command: python train.py, on: [drift], cooldown: 3x }',
    '',
  ].join('\n');
  const parsed = parseManifest(text);
  const model = readManifestModel(parsed);
  const o = driftOptionsOf(model.monitoring!.entries.get('churn'));
  assert.equal(o.correction, 'fdr');
  assert.equal(o.threshold, 0.2);
  assert.deepEqual(o.exclude, ['customerID']);
  assert.deepEqual(o.features!.tenure, { method: 'psi', threshold: 0.25 });
  assert.equal(o.features!.bogus.method, undefined);
  assert.equal(parseDuration('2h'), 7_200_000);
  const findings = validateManifest(parsed, {});
  const at = (code: string, line: number) => findings.find((f) => f.code === code && f.range.start.line === line);
  assert.ok(at('drift-threshold', 13), JSON.stringify(findings.map((f) => [f.code, f.range.start.line, f.message])));
  assert.ok(at('drift-method', 14));
  assert.ok(findings.some((f) => f.range.start.line === 15 && /magic|must be one of|auto/.test(f.message)), 'unknown method is a schema error on its line');
  assert.ok(findings.some((f) => f.range.start.line === 16 && /30m, 12h, 1d/.test(f.message)), 'bad cooldown is located');
});

test('mlops drift: exit codes 0 / 1 / 2, JSON, and a self-contained HTML report', async () => {
  const { header, byTenure, shuffled } = telcoSplits();
  const write = (name: string, rows: string[][]) => {
    const file = join(dir, name);
    writeFileSync(file, formatCsv(header, rows));
    return file;
  };
  const early = write('early.csv', byTenure.slice(0, 3000));
  const late = write('late.csv', byTenure.slice(-3000));
  const a = write('a.csv', shuffled.slice(0, 3000));
  const b = write('b.csv', shuffled.slice(3000, 6000));
  const run = async (args: string[]) => {
    let stdout = '';
    const code = await driftCommand(args, { stdout: (s) => (stdout += s), stderr: () => undefined });
    return { code, stdout };
  };
  const html = join(dir, 'report.html');
  const drifted = await run(['--reference', early, '--current', late, '--exclude', 'customerID', '--json', '--html', html]);
  assert.equal(drifted.code, 1);
  const report = JSON.parse(drifted.stdout) as DriftReport;
  assert.equal(report.dataset_drift, true);
  const page = readFileSync(html, 'utf8');
  assert.match(page, /data-dataset-drift="true"/);
  assert.equal((page.match(/<svg/g) ?? []).length, 20, 'one chart per feature');
  assert.doesNotMatch(page, /<script|<link|src=|url\(|@import|href="(?!#)/i, 'nothing is loaded from anywhere');
  assert.match(page, /tenure[\s\S]*drifted/);
  const calm = await run(['--reference', a, '--current', b, '--exclude', 'customerID']);
  assert.equal(calm.code, 0);
  assert.match(calm.stdout, /^No data set drift: 0 of 20 features drifted/);
  for (const args of [['--reference', a], ['--reference', a, '--current', join(dir, 'nope.csv')], ['--reference', a, '--current', b, '--method', 'magic'], ['--reference', a, '--current', b, '--alpha', '2']]) {
    await assert.rejects(run(args), (e: unknown) => e instanceof UsageError, args.join(' '));
  }
  const ragged = join(dir, 'ragged.csv');
  writeFileSync(ragged, 'a,b\n1,2\n3\n');
  await assert.rejects(run(['--reference', ragged, '--current', ragged]), (e: unknown) => e instanceof UsageError && /ragged\.csv:3: 1 field where the header has 2/.test(e.message));
  // The HTML of a report without drift says so on top.
  const calmPage = await driftReportHtml(driftReport(tableFromCsv('x\n1\n2\n3\n', 'r'), tableFromCsv('x\n1\n2\n3\n', 'c')));
  assert.match(calmPage, /No data set drift: 0 of 1 features drifted/);
});

test('fuzz: random CSV texts only ever give a report or a DriftInputError', () => {
  const u = seededRandom(99);
  const pieces = ['a', 'b', ',', ',', '\n', '\r\n', '"', '""', '1', '2.5', '-3e2', 'NaN', '', ' ', 'NA', 'é', '📏', 'x,y', '\u0000', '1e400', 'Infinity'];
  const text = () => Array.from({ length: Math.floor(u() * 40) }, () => pieces[Math.floor(u() * pieces.length)]).join('');
  let reports = 0;
  for (let i = 0; i < 3000; i++) {
    try {
      const ref = tableFromCsv(text(), 'r.csv');
      const cur = tableFromCsv(i % 3 === 0 ? formatCsv(ref.columns.map((c) => c.name), [ref.columns.map(() => '1')]) : text(), 'c.csv');
      const r = driftReport(ref, cur, { correction: (['none', 'bonferroni', 'fdr'] as const)[i % 3] });
      assert.ok(r.share >= 0 && r.share <= 1);
      for (const f of r.features) assert.ok(f.pvalue === null || (f.pvalue >= 0 && f.pvalue <= 1), `${f.name}: p ${f.pvalue}`);
      JSON.stringify(r);
      reports++;
    } catch (error) {
      assert.ok(error instanceof DriftInputError, `unexpected ${error instanceof Error ? error.stack : String(error)}`);
    }
  }
  assert.ok(reports > 20, `${reports} reports`);
});

test('a semicolon-separated reference with a BOM and CRLF reads as the comma one does (the reader batch scoring uses)', () => {
  const rows = [
    ['tenure', 'Contract', 'TotalCharges'],
    ['1', 'Month-to-month', '29.85'],
    ['34', 'One year', '1889.5'],
    ['2', 'Month-to-month', ''],
    ['45', '"Two; year"', '1840.75'],
  ];
  const comma = tableFromCsv(rows.map((r) => r.map((c) => c.replace(/^"Two; year"$/, 'Two; year')).join(',')).join('\n'), 'comma.csv');
  const semicolon = tableFromCsv('\uFEFF' + rows.map((r) => r.join(';')).join('\r\n') + '\r\n', 'semicolon.csv');
  assert.deepEqual(semicolon.columns.map((c) => c.name), ['tenure', 'Contract', 'TotalCharges']);
  assert.deepEqual(
    semicolon.columns.map((c) => (c.kind === 'numbers' ? [...c.values] : c.values)),
    comma.columns.map((c) => (c.kind === 'numbers' ? [...c.values] : c.values)),
  );
  assert.equal(semicolon.columns[1].kind, 'text');
  assert.deepEqual(semicolon.columns[1].values, ['Month-to-month', 'One year', 'Month-to-month', 'Two; year']);
  assert.ok(Number.isNaN((semicolon.columns[2].values as Float64Array)[2]));
});
