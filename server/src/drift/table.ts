/**
 * Feature tables for drift reports: named columns of numbers (NaN = missing) or of text (null =
 * missing), read from a CSV with a header row or built from the prediction log.
 */
import { parseCsvText } from '../data/csv';
import { isMissingCell } from '../data/cells';

export type Column = { name: string; kind: 'numbers'; values: Float64Array } | { name: string; kind: 'text'; values: (string | null)[] };

export interface FeatureTable {
  /** Where the data came from, for messages ("data/reference.csv", "prediction log, last 1h"). */
  source: string;
  rows: number;
  columns: Column[];
}

/** Bad input data, with where it is (file:line when known). */
export class DriftInputError extends Error {
  override name = 'DriftInputError';
}

export { isMissingCell };

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A column from its cells: numbers when every present cell is a finite number (missing cells are
 * NaN), text otherwise (missing cells are null).
 */
export function columnFromCells(name: string, cells: readonly string[]): Column {
  const numbers = new Float64Array(cells.length);
  let numeric = true;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i].trim();
    if (isMissingCell(cell)) {
      numbers[i] = NaN;
      continue;
    }
    if (!NUMBER.test(cell)) {
      numeric = false;
      break;
    }
    numbers[i] = Number(cell);
  }
  if (numeric) return { name, kind: 'numbers', values: numbers };
  return { name, kind: 'text', values: cells.map((c) => (isMissingCell(c) ? null : c)) };
}

/**
 * A feature table from CSV text with a header row (the delimiter found by itself, a BOM allowed:
 * the same reader as batch scoring's); every problem names the file and record.
 */
export function tableFromCsv(text: string, source: string): FeatureTable {
  const parsed = parseCsvText(text);
  if (parsed.problems.length > 0) throw new DriftInputError(`${source}:${parsed.problems[0].record}: ${parsed.problems[0].message}`);
  // Record numbers; a quoted field with a line break makes them differ from line numbers.
  const lines = parsed.records.map((r, i) => ({ r, line: i + 1 })).filter(({ r }) => !(r.length === 1 && r[0].trim() === ''));
  if (lines.length === 0) throw new DriftInputError(`${source}: the file is empty; a header row naming the features is needed`);
  const header = lines[0].r.map((h) => h.trim());
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (name === '') throw new DriftInputError(`${source}:${lines[0].line}: column ${i + 1} of the header has no name`);
    const before = seen.get(name);
    if (before !== undefined) throw new DriftInputError(`${source}:${lines[0].line}: columns ${before + 1} and ${i + 1} are both named "${name}"`);
    seen.set(name, i);
  });
  const body = lines.slice(1);
  const cells: string[][] = header.map(() => new Array<string>(body.length));
  body.forEach(({ r, line }, row) => {
    // Line numbers are record numbers; a quoted field with a line break makes them differ.
    if (r.length !== header.length) throw new DriftInputError(`${source}:${line}: ${r.length} field${r.length === 1 ? '' : 's'} where the header has ${header.length}`);
    for (let c = 0; c < header.length; c++) cells[c][row] = r[c];
  });
  return { source, rows: body.length, columns: header.map((name, c) => columnFromCells(name, cells[c])) };
}

/** A table of numeric columns (NaN = missing), e.g. from the prediction log or a benchmark. */
export function tableFromNumbers(source: string, columns: { name: string; values: Float64Array }[]): FeatureTable {
  const rows = columns[0]?.values.length ?? 0;
  for (const c of columns) if (c.values.length !== rows) throw new DriftInputError(`${source}: column "${c.name}" has ${c.values.length} values, the others ${rows}`);
  return { source, rows, columns: columns.map((c) => ({ name: c.name, kind: 'numbers', values: c.values })) };
}
