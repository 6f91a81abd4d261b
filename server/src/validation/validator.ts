/**
 * Runs a data set's compiled expectations over its files, streaming: every cell of every listed
 * column is checked once, memory follows the batch size (plus the values a `unique` column has seen),
 * and each failed expectation keeps its count, its first rows and a few of its values.
 */
import type { DatasetValidation, DriftReport, ExpectationResult, Range } from '../contract';
import { isMissingCell } from '../data/cells';
import { DataFileError, openTable, type Cell, type TableReader } from '../data/table';
import { JsonText } from '../data/types';
import { columnFromCells, driftReport, DriftInputError, formatP } from '../drift';
import { NumberSet } from './number-set';
import { ColumnProfiler, numericValue } from './profile';
import { canonicalValue, parseBoolean, type ColumnRule, type ColumnSpec, type DatasetSpec, type RuleSeverity } from './spec';

const FIRST_ROWS = 10;
const SAMPLE_VALUES = 5;

export interface ValidateProgress {
  rows: number;
  /** 0–1 over every file, by bytes. */
  fraction: number;
}

export interface ValidateOptions {
  signal?: AbortSignal;
  onProgress?: (p: ValidateProgress) => void;
  batchRows?: number;
  /** Also count what `--infer` needs (date formats, booleans, text lengths) in the profiles. */
  inferProfiles?: boolean;
  /** The data set's `reference`, resolved: each listed column's distribution is compared with it. */
  referencePath?: string;
}

export class ValidationCancelled extends Error {}

/** Failures of one expectation, gathered while reading. */
class Tally {
  failing = 0;
  checked = 0;
  readonly rows: number[] = [];
  file: string | undefined;
  readonly sample: string[] = [];

  fail(row: number, file: string, value: string | undefined): void {
    this.failing++;
    if (this.file === undefined) this.file = file;
    if (this.rows.length < FIRST_ROWS && this.file === file) this.rows.push(row);
    if (value !== undefined && this.sample.length < SAMPLE_VALUES && !this.sample.includes(value)) this.sample.push(value);
  }
}

/** A listed column's checks and tallies. */
class ColumnCheck {
  readonly type = new Tally();
  readonly min = new Tally();
  readonly max = new Tally();
  readonly values = new Tally();
  readonly unique = new Tally();
  readonly pattern = new Tally();
  readonly nulls = new Tally();
  /** Files that lack the column. */
  readonly missingIn: string[] = [];
  private readonly seen = new Set<string>();
  /** Numbers seen by a numeric column's `unique`: by value, with no text made per cell. */
  private readonly seenNumbers = new NumberSet();
  /** Whether a cell's number is wanted: numeric types, bounds, or no type (profiled as numbers when they are). */
  private readonly wantsNumber: boolean;
  readonly profile: ColumnProfiler;
  /** Every cell as text ('' for nulls), kept only when the data set has a reference to compare with. */
  cells: string[] | undefined;

  constructor(
    readonly spec: ColumnSpec,
    inferProfiles: boolean,
  ) {
    this.profile = new ColumnProfiler(spec.name, inferProfiles);
    this.wantsNumber = inferProfiles || spec.type === undefined || spec.type === 'integer' || spec.type === 'number' || spec.type === 'boolean' || ((spec.min !== undefined || spec.max !== undefined) && spec.type !== 'date' && spec.type !== 'datetime');
  }

  check(cell: Cell, row: number, file: string): void {
    const spec = this.spec;
    const text = cellText(cell);
    this.cells?.push(text ?? '');
    this.nulls.checked++;
    if (text === null) {
      this.nulls.fail(row, file, undefined);
      this.profile.addNull();
      return;
    }
    // NaN for "not a number" (not undefined): the hot path stays in plain doubles.
    const number = typeof cell === 'number' ? cell : typeof cell === 'bigint' ? Number(cell) : typeof cell === 'string' && this.wantsNumber ? numericValue(text) : NaN;
    this.profile.add(text, number);
    // The value the bounds compare: a number, or a date's time.
    let bounded = number;
    if (spec.type) {
      this.type.checked++;
      const typed = typedValue(cell, text, number, spec);
      if (typed === false) {
        this.type.fail(row, file, text);
        return; // a value of the wrong type is not also out of range or out of the set
      }
      if (typeof typed === 'number') bounded = typed;
    }
    if (spec.min) {
      this.min.checked++;
      if (!(bounded >= spec.min.value)) this.min.fail(row, file, text);
    }
    if (spec.max) {
      this.max.checked++;
      if (!(bounded <= spec.max.value)) this.max.fail(row, file, text);
    }
    if (spec.values) {
      this.values.checked++;
      if (!spec.values.set.has(canonicalCell(cell, text, spec))) this.values.fail(row, file, text);
    }
    if (spec.unique) {
      this.unique.checked++;
      if (number === number && (spec.type === 'integer' || spec.type === 'number')) {
        if (!this.seenNumbers.add(number)) this.unique.fail(row, file, text);
      } else {
        const key = canonicalCell(cell, text, spec);
        if (this.seen.has(key)) this.unique.fail(row, file, text);
        else this.seen.add(key);
      }
    }
    if (spec.pattern) {
      this.pattern.checked++;
      if (!spec.pattern.regex.test(text)) this.pattern.fail(row, file, text);
    }
  }
}

/**
 * True when the cell is of the column's type, false when not; a number when the type gives the value
 * its bounds compare (a date's time).
 */
function typedValue(cell: Cell, text: string, number: number, spec: ColumnSpec): boolean | number {
  switch (spec.type) {
    case 'integer':
      return Number.isInteger(number);
    case 'number':
      return number === number;
    case 'boolean':
      return typeof cell === 'boolean' || (typeof cell === 'string' && parseBoolean(text) !== undefined) || cell === 0 || cell === 1;
    case 'date':
    case 'datetime': {
      if (cell instanceof Date) return Number.isNaN(cell.getTime()) ? false : cell.getTime();
      if (typeof cell !== 'string') return false;
      const ms = spec.dateFormat?.parse(text);
      return ms === undefined ? false : ms;
    }
    case 'string':
    case 'category':
      // A CSV cell is always text; a typed file's number or boolean in a text column is not.
      return typeof cell === 'string';
    default:
      return true;
  }
}

function canonicalCell(cell: Cell, text: string, spec: ColumnSpec): string {
  if (typeof cell === 'number' || typeof cell === 'boolean' || typeof cell === 'bigint' || typeof cell === 'string') return canonicalValue(cell, spec.type);
  return text;
}

/** A cell as text, or null for a missing value (an empty cell, NA, NaN, null, None). */
export function cellText(cell: Cell | undefined): string | null {
  if (cell === null || cell === undefined) return null;
  if (typeof cell === 'string') return isMissingCell(cell) ? null : cell;
  if (typeof cell === 'number') return Number.isNaN(cell) ? null : String(cell);
  if (typeof cell === 'bigint' || typeof cell === 'boolean') return String(cell);
  if (cell instanceof JsonText) return cell.text;
  if ((cell as unknown) instanceof Date) return (cell as unknown as Date).toISOString();
  return JSON.stringify(cell, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
}

/** Check a data set's files against its spec. Unreadable files are failed expectations, not exceptions. */
export async function validateFiles(spec: DatasetSpec, files: string[], options: ValidateOptions = {}): Promise<DatasetValidation> {
  return (await checkFiles(spec, files, options)).validation;
}

/** Every column's profile of one file, with what `--infer` needs; a file that cannot be read throws DataFileError. */
export async function profileColumns(spec: DatasetSpec, reader: TableReader, signal?: AbortSignal, forInference = true): Promise<{ profilers: ColumnProfiler[]; rows: number }> {
  const { checks, validation } = await checkFiles(spec, [reader.path], { signal, inferProfiles: forInference }, [reader]);
  return { profilers: checks.map((c) => c.profile), rows: validation.rows };
}

async function checkFiles(spec: DatasetSpec, files: string[], options: ValidateOptions, opened?: TableReader[]): Promise<{ validation: DatasetValidation; checks: ColumnCheck[] }> {
  const started = process.hrtime.bigint();
  const checks = spec.columns.map((c) => new ColumnCheck(c, options.inferProfiles ?? false));
  if (options.referencePath) for (const c of checks) c.cells = [];
  const unreadable = new Tally();
  const unreadableMessages: string[] = [];
  const extra = new Map<string, string>();
  const seenColumns: string[] = [];
  let rows = 0;
  const sizes: number[] = [];
  const readers: (TableReader | DataFileError)[] = opened ? [...opened] : [];
  for (const file of opened ? [] : files) {
    try {
      readers.push(await openTable(file, { batchRows: options.batchRows }));
    } catch (error) {
      if (!(error instanceof DataFileError)) throw error;
      readers.push(error);
    }
  }
  for (const r of readers) sizes.push(r instanceof DataFileError ? 0 : r.totalBytes);
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  let bytesBefore = 0;
  for (let f = 0; f < readers.length; f++) {
    const reader = readers[f];
    const file = files[f];
    if (reader instanceof DataFileError) {
      unreadable.checked++;
      unreadable.fail(reader.line ?? 0, file, undefined);
      unreadableMessages.push(reader.message);
      continue;
    }
    for (const name of reader.columns) if (!seenColumns.includes(name)) seenColumns.push(name);
    const listed = new Set(spec.columns.map((c) => c.name));
    for (const name of reader.columns) if (!listed.has(name) && !extra.has(name)) extra.set(name, file);
    // Which cell of a row each listed column is; -1 where the file lacks it.
    const at = checks.map((c) => reader.columns.indexOf(c.spec.name));
    checks.forEach((c, i) => {
      if (at[i] < 0) c.missingIn.push(file);
    });
    for await (const batch of reader.batches()) {
      if (options.signal?.aborted) throw new ValidationCancelled('validation cancelled');
      for (const p of batch.problems) {
        unreadable.checked++;
        unreadable.fail(p.row, file, undefined);
        if (unreadableMessages.length < FIRST_ROWS) unreadableMessages.push(`${file}: row ${p.row}${p.line !== undefined ? ` (line ${p.line}${p.column !== undefined ? `, column ${p.column}` : ''})` : ''}: ${p.message}`);
      }
      const batchRows = batch.rows;
      for (let i = 0; i < batchRows.length; i++) {
        const cells = batchRows[i];
        if (cells === null) continue;
        const row = batch.firstRow + i;
        for (let c = 0; c < checks.length; c++) if (at[c] >= 0) checks[c].check(cells[at[c]], row, file);
      }
      rows += batchRows.length;
      options.onProgress?.({ rows, fraction: totalBytes > 0 ? Math.min(1, (bytesBefore + reader.bytesRead()) / totalBytes) : 0 });
    }
    bytesBefore += reader.totalBytes;
  }
  const results = [
    ...tableResults(spec, rows, unreadable, unreadableMessages, extra, files),
    ...checks.flatMap((c) => columnResults(spec, c, files)),
    ...(options.referencePath ? await distributionResults(spec, checks, options.referencePath, rows) : []),
  ];
  const errors = results.filter((r) => !r.passed && r.severity === 'error').length;
  const warnings = results.filter((r) => !r.passed && r.severity === 'warning').length;
  const validation: DatasetValidation = {
    dataset: spec.name,
    files,
    rows,
    columns: seenColumns,
    passed: errors === 0,
    errors,
    warnings,
    results,
    profiles: checks.map((c) => c.profile.result()),
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
  return { validation, checks };
}

const count = (n: number) => n.toLocaleString('en-US');
const percent = (share: number) => `${share === 0 ? '0' : share < 0.0001 ? '<0.01' : (share * 100).toFixed(2).replace(/\.?0+$/, '')}%`;

function rowsText(t: Tally, files: string[]): string {
  if (t.rows.length === 0) return '';
  const where = files.length > 1 || t.file !== files[0] ? ` of ${t.file}` : '';
  return `; row${t.rows.length === 1 ? '' : 's'} ${t.rows.join(', ')}${t.failing > t.rows.length ? ', …' : ''}${where}`;
}

function sampleText(t: Tally): string {
  return t.sample.length === 0 ? '' : ` (values: ${t.sample.map((v) => JSON.stringify(v.length > 40 ? `${v.slice(0, 39)}…` : v)).join(', ')})`;
}

function result(spec: DatasetSpec, fields: { column?: string; expectation: string; label: string; severity: RuleSeverity; range: Range; tally?: Tally; failing?: number; checked?: number; passed: boolean; message: string; sample?: string[]; rows?: number[]; file?: string; bound?: number }): ExpectationResult {
  const failing = fields.failing ?? fields.tally?.failing ?? 0;
  const checked = fields.checked ?? fields.tally?.checked ?? 0;
  return {
    dataset: spec.name,
    ...(fields.column !== undefined ? { column: fields.column } : {}),
    expectation: fields.expectation,
    label: fields.label,
    severity: fields.severity,
    passed: fields.passed,
    failing,
    checked,
    share: checked > 0 ? failing / checked : 0,
    rows: fields.rows ?? fields.tally?.rows ?? [],
    ...((fields.file ?? fields.tally?.file) !== undefined ? { file: fields.file ?? fields.tally?.file } : {}),
    sample: fields.sample ?? fields.tally?.sample ?? [],
    message: fields.message,
    range: fields.range,
    ...(fields.bound !== undefined ? { bound: fields.bound } : {}),
  };
}

function tableResults(spec: DatasetSpec, rows: number, unreadable: Tally, messages: string[], extra: Map<string, string>, files: string[]): ExpectationResult[] {
  const out: ExpectationResult[] = [];
  const anchor = spec.pathRange ?? spec.keyRange;
  if (files.length === 0) {
    out.push(result(spec, { expectation: 'readable', label: 'the data set has files', severity: 'error', range: anchor, passed: false, failing: 1, checked: 1, message: `No file matches ${spec.path ?? 'the data set\'s path'}.` }));
    return out;
  }
  if (unreadable.failing > 0) {
    const shown = messages.slice(0, 3).join('; ');
    out.push(result(spec, { expectation: 'readable', label: 'every row can be read', severity: 'error', range: anchor, tally: unreadable, checked: Math.max(unreadable.checked, rows + unreadable.failing), passed: false, message: `${count(unreadable.failing)} ${unreadable.failing === 1 ? 'row or file' : 'rows or files'} cannot be read: ${shown}${messages.length > 3 ? '; …' : ''}` }));
  }
  const r = spec.rows;
  if (r) {
    const low = r.min !== undefined && rows < r.min;
    const high = r.max !== undefined && rows > r.max;
    const bounds = [r.min !== undefined ? `min ${count(r.min)}` : '', r.max !== undefined ? `max ${count(r.max)}` : ''].filter(Boolean).join(', ');
    out.push(result(spec, { expectation: 'rows', label: `rows: ${bounds}`, severity: r.severity, range: (low ? r.minRange : high ? r.maxRange : undefined) ?? r.range, passed: !low && !high, failing: low || high ? 1 : 0, checked: 1, message: low || high ? `${filesText(files)} ${files.length === 1 ? 'has' : 'have'} ${rows === 1 ? '1 data row' : `${count(rows)} data rows`}, ${low ? `fewer than the ${count(r.min!)} expected` : `more than the ${count(r.max!)} allowed`}.` : `${count(rows)} data rows (${bounds}).` }));
  }
  if (spec.extraColumns !== 'ignore') {
    const names = [...extra.keys()];
    out.push(result(spec, { expectation: 'extra_columns', label: `extra_columns: ${spec.extraColumns}`, severity: spec.extraColumns === 'warn' ? 'warning' : 'error', range: spec.extraColumnsRange ?? anchor, passed: names.length === 0, failing: names.length, checked: names.length + spec.columns.length, sample: names.slice(0, SAMPLE_VALUES), message: names.length === 0 ? 'Every column of the file is listed.' : `${filesText(files)} ${files.length === 1 ? 'has' : 'have'} ${names.length === 1 ? 'a column' : `${names.length} columns`} not listed under columns: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''}.` }));
  }
  return out;
}

function filesText(files: string[]): string {
  return files.length === 1 ? 'The file' : `The ${files.length} files`;
}

function columnResults(spec: DatasetSpec, c: ColumnCheck, files: string[]): ExpectationResult[] {
  const s = c.spec;
  const out: ExpectationResult[] = [];
  const name = `\`${s.name}\``;
  const readFiles = files.filter((f) => !c.missingIn.includes(f));
  if (s.required) {
    const missing = c.missingIn;
    out.push(result(spec, { column: s.name, expectation: 'required', label: s.requiredRule.label, severity: s.requiredRule.severity, range: s.keyRange, passed: missing.length === 0, failing: missing.length, checked: files.length, message: missing.length === 0 ? `${name} is in the file.` : `${missing.length === files.length ? filesText(files) : missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} no column ${name}.` }));
  }
  if (readFiles.length === 0) return out;
  const rule = (r: ColumnRule, tally: Tally, passed: boolean, failedText: string, passedText: string, bound?: number) =>
    out.push(result(spec, { column: s.name, expectation: r.key, label: r.label, severity: r.severity, range: r.range, tally, passed, message: passed ? passedText : failedText, bound }));
  const numeric = s.type !== 'date' && s.type !== 'datetime';
  const of = (t: Tally) => `${count(t.failing)} of ${count(t.checked)} values (${percent(t.checked ? t.failing / t.checked : 0)})`;
  if (s.maxNullShare) {
    const t = c.nulls;
    const share = t.checked > 0 ? t.failing / t.checked : 0;
    rule(s.maxNullShare.rule, t, share <= s.maxNullShare.value, `${name} has ${count(t.failing)} null${t.failing === 1 ? '' : 's'} in ${count(t.checked)} rows (${percent(share)}), more than max_null_share ${s.maxNullShare.value} allows${rowsText(t, files)}.`, `${name}: ${count(t.failing)} nulls (${percent(share)}).`);
  }
  if (s.typeRule) {
    const t = c.type;
    const what = s.type === 'date' || s.type === 'datetime' ? `${s.type} in ${s.dateFormat?.text}` : s.type!;
    rule(s.typeRule, t, t.failing === 0, `${name} is declared ${what}, but ${of(t)} are not${rowsText(t, files)}${sampleText(t)}.`, `${name}: every value is ${what}.`);
  }
  if (s.min) rule(s.min.rule, c.min, c.min.failing === 0, `${of(c.min)} of ${name} are below min ${describeBound(s.min.rule)}${rowsText(c.min, files)}${sampleText(c.min)}.`, `${name} ≥ ${describeBound(s.min.rule)}.`, numeric ? s.min.value : undefined);
  if (s.max) rule(s.max.rule, c.max, c.max.failing === 0, `${of(c.max)} of ${name} are above max ${describeBound(s.max.rule)}${rowsText(c.max, files)}${sampleText(c.max)}.`, `${name} ≤ ${describeBound(s.max.rule)}.`, numeric ? s.max.value : undefined);
  if (s.values) rule(s.values.rule, c.values, c.values.failing === 0, `${of(c.values)} of ${name} are not among the listed values${rowsText(c.values, files)}${sampleText(c.values)}.`, `${name}: every value is listed.`);
  if (s.unique) rule(s.unique, c.unique, c.unique.failing === 0, `${of(c.unique)} of ${name} repeat a value seen before${rowsText(c.unique, files)}${sampleText(c.unique)}.`, `${name}: every value is unique.`);
  if (s.pattern) rule(s.pattern.rule, c.pattern, c.pattern.failing === 0, `${of(c.pattern)} of ${name} do not match ${s.pattern.rule.label.replace(/^pattern: /, '')}${rowsText(c.pattern, files)}${sampleText(c.pattern)}.`, `${name}: every value matches.`);
  return out;
}

/**
 * Each listed column's distribution against the reference's, by the drift tests (the method chosen
 * per column as \`mlops drift\` chooses it, alpha 0.05): a drifted column is a warning, not an error —
 * a distribution may move for good reasons.
 */
async function distributionResults(spec: DatasetSpec, checks: ColumnCheck[], referencePath: string, rows: number): Promise<ExpectationResult[]> {
  const range = spec.referenceRange ?? spec.keyRange;
  const fail = (message: string) => [result(spec, { expectation: 'distribution', label: `reference: ${spec.reference ?? referencePath}`, severity: 'warning', range, passed: false, failing: 1, checked: 1, message })];
  let reader: TableReader;
  try {
    reader = await openTable(referencePath);
  } catch (error) {
    if (error instanceof DataFileError) return fail(`The reference cannot be read: ${error.message}`);
    throw error;
  }
  const present = checks.filter((c) => c.cells && c.cells.length === rows && reader.columns.includes(c.spec.name));
  if (present.length === 0) return fail(`The reference ${spec.reference ?? referencePath} has none of the listed columns.`);
  const at = present.map((c) => reader.columns.indexOf(c.spec.name));
  const refCells: string[][] = present.map(() => []);
  for await (const batch of reader.batches()) {
    for (const cells of batch.rows) if (cells) for (let k = 0; k < at.length; k++) refCells[k].push(cellText(cells[at[k]]) ?? '');
  }
  let drift: DriftReport;
  try {
    drift = driftReport(
      { source: spec.reference ?? referencePath, rows: refCells[0].length, columns: present.map((c, k) => columnFromCells(c.spec.name, refCells[k])) },
      { source: spec.path ?? spec.name, rows, columns: present.map((c) => columnFromCells(c.spec.name, c.cells!)) },
    );
  } catch (error) {
    if (error instanceof DriftInputError) return fail(error.message);
    throw error;
  }
  return drift.features.map((f) => {
    const figure = f.pvalue !== null ? `p = ${formatP(f.pvalue)}` : `distance ${Number((f.distance ?? 0).toPrecision(3))}${f.unit ? ` ${f.unit}` : ''}`;
    const news = f.new_categories.length > 0 ? `; new values: ${f.new_categories.slice(0, 5).map((v) => JSON.stringify(v)).join(', ')}` : '';
    return result(spec, {
      column: f.name,
      expectation: 'distribution',
      label: `distribution like ${spec.reference ?? 'the reference'}`,
      severity: 'warning',
      range,
      passed: !f.drifted,
      failing: f.drifted ? 1 : 0,
      checked: 1,
      sample: f.new_categories.slice(0, SAMPLE_VALUES),
      message: `\`${f.name}\` ${f.drifted ? 'has drifted from' : 'matches'} the reference (${f.test ?? 'no test'}, ${figure}, threshold ${f.threshold})${news}.`,
    });
  });
}

function describeBound(r: ColumnRule): string {
  return r.label.replace(/^(min|max): /, '');
}
