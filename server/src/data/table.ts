/**
 * Tables in files, read as a stream of row batches: CSV (data/csv.ts), JSON Lines, Parquet
 * (data/parquet.ts). The format comes from the file's extension. Every problem names the file and,
 * where it is about a row, the row (numbered from 1 after the header, as a spreadsheet user counts
 * data rows) and for JSON Lines the line and column.
 */
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { csvBatches } from './csv';
import { parquetBatches, parquetColumns } from './parquet';
import { DataFileError, type Cell } from './types';

export { DataFileError, type Cell } from './types';

export type TableFormat = 'csv' | 'jsonl' | 'parquet';

export const TABLE_EXTENSIONS: Record<string, TableFormat> = { '.csv': 'csv', '.tsv': 'csv', '.txt': 'csv', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.parquet': 'parquet', '.pq': 'parquet' };

/** A row that could not be read as one (wrong field count, bad JSON): the rest of the file still is. */
export interface RowProblem {
  /** Data row number, from 1. */
  row: number;
  line?: number;
  column?: number;
  message: string;
}

export interface RowBatch {
  /** Data row number of rows[0], from 1. */
  firstRow: number;
  /** One array of cells per row, in the order of `columns`; null where the row itself was unreadable. */
  rows: (Cell[] | null)[];
  problems: RowProblem[];
}

export interface TableReader {
  path: string;
  format: TableFormat;
  columns: string[];
  /** CSV only: the delimiter found. */
  delimiter?: string;
  /** Known up front for Parquet only. */
  totalRows?: number;
  /** The file's size and how much of it has been read, for progress. */
  totalBytes: number;
  bytesRead(): number;
  batches(): AsyncGenerator<RowBatch>;
}

export function tableFormatOf(path: string): TableFormat | undefined {
  return TABLE_EXTENSIONS[extname(path).toLowerCase()];
}

/** Opens a table file and reads its header (or schema); throws DataFileError on what makes it unreadable. */
export async function openTable(path: string, options: { batchRows?: number; format?: TableFormat } = {}): Promise<TableReader> {
  const format = options.format ?? tableFormatOf(path);
  if (!format) throw new DataFileError(path, `cannot tell the format from the extension "${extname(path)}"; use .csv, .tsv, .jsonl, .ndjson or .parquet`);
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new DataFileError(path, 'is a folder, not a file');
    size = st.size;
  } catch (error) {
    if (error instanceof DataFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataFileError(path, code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? (error as Error).message})`);
  }
  const batchRows = options.batchRows ?? 8192;
  if (format === 'parquet') return openParquet(path, size, batchRows);
  if (size === 0) throw new DataFileError(path, 'the file is empty; a header row (CSV) or a first record (JSON Lines) is needed');
  refuseBinary(path);
  return format === 'csv' ? openCsv(path, size, batchRows) : openJsonl(path, size, batchRows);
}

/** A NUL byte in the first 8 KiB: a binary file given as text (a model, an archive). */
function refuseBinary(path: string): void {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(8192);
    const n = readSync(fd, head, 0, head.length, 0);
    const nul = head.subarray(0, n).indexOf(0);
    if (nul >= 0) throw new DataFileError(path, `byte ${nul + 1} is a NUL: this is a binary file, not text`);
  } finally {
    closeSync(fd);
  }
}

/** Header names: present and distinct. */
export function checkHeader(path: string, header: string[], line = 1): string[] {
  const names = header.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim());
  const seen = new Map<string, number>();
  names.forEach((name, i) => {
    if (name === '') throw new DataFileError(path, `column ${i + 1} of the header has no name`, line);
    const before = seen.get(name);
    if (before !== undefined) throw new DataFileError(path, `columns ${before + 1} and ${i + 1} are both named "${name}"`, line);
    seen.set(name, i);
  });
  return names;
}

async function openCsv(path: string, size: number, batchRows: number): Promise<TableReader> {
  let bytes = 0;
  const source = csvBatches(path, batchRows, (b) => (bytes = b));
  const first = await source.next();
  if (first.done || first.value.records.length === 0) {
    await source.return(undefined);
    throw new DataFileError(path, 'no header row: the file has only blank lines');
  }
  const head = first.value;
  if (head.problems.some((p) => p.record === 1)) {
    await source.return(undefined);
    throw new DataFileError(path, head.problems.find((p) => p.record === 1)!.message, 1);
  }
  const columns = checkHeader(path, head.records[0]);
  let rest: { records: string[][]; problems: { record: number; message: string }[] } | undefined = { records: head.records.slice(1), problems: head.problems };
  let row = 1;
  return {
    path,
    format: 'csv',
    columns,
    delimiter: head.delimiter,
    totalBytes: size,
    bytesRead: () => bytes,
    async *batches() {
      try {
        for (;;) {
          let part = rest;
          rest = undefined;
          if (!part) {
            const next = await source.next();
            if (next.done) return;
            part = next.value;
          }
          const firstRow = row;
          const problems: RowProblem[] = [];
          const rows: (Cell[] | null)[] = new Array(part.records.length);
          for (let i = 0; i < part.records.length; i++) {
            const r = part.records[i];
            if (r.length !== columns.length) {
              rows[i] = null;
              problems.push({ row: firstRow + i, message: `${r.length} field${r.length === 1 ? '' : 's'} where the header has ${columns.length}` });
            } else rows[i] = r;
          }
          for (const p of part.problems) {
            // An unclosed quote swallows the rest of the file into one field: nothing after it is a row.
            const at = p.record - 1 - firstRow;
            if (at >= 0 && at < rows.length) rows[at] = null;
            problems.push({ row: p.record - 1, message: p.message });
          }
          row += part.records.length;
          yield { firstRow, rows, problems };
        }
      } finally {
        await source.return(undefined);
      }
    },
  };
}

async function openJsonl(path: string, size: number, batchRows: number): Promise<TableReader> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  let bytes = 0;
  stream.on('data', (chunk) => (bytes += Buffer.byteLength(chunk as string)));
  const lines = createInterface({ input: stream, crlfDelay: Infinity })[Symbol.asyncIterator]();
  let lineNo = 0;
  // The first object's keys are the columns.
  let first: { record: Record<string, Cell>; line: number } | undefined;
  while (!first) {
    const next = await lines.next();
    if (next.done) {
      stream.destroy();
      throw new DataFileError(path, 'no records: the file has only blank lines');
    }
    lineNo++;
    const text = lineNo === 1 ? next.value.replace(/^\uFEFF/, '') : next.value;
    if (text.trim() === '') continue;
    const parsed = parseJsonLine(text);
    if ('error' in parsed) {
      stream.destroy();
      throw new DataFileError(path, `the first record is not JSON: ${parsed.error}`, lineNo, parsed.column);
    }
    if (!isRecord(parsed.value)) {
      stream.destroy();
      throw new DataFileError(path, 'the first record is not a JSON object {column: value}', lineNo, 1);
    }
    first = { record: parsed.value, line: lineNo };
  }
  const columns = checkHeader(path, Object.keys(first.record), first.line);
  const toRow = (record: Record<string, Cell>): Cell[] | string => {
    const cells: Cell[] = new Array(columns.length);
    for (let c = 0; c < columns.length; c++) {
      const v = record[columns[c]];
      if (v === undefined) return `no "${columns[c]}" (the first record has ${columns.length > 6 ? `${columns.slice(0, 6).join(', ')}, …` : columns.join(', ')})`;
      cells[c] = v;
    }
    return cells;
  };
  return {
    path,
    format: 'jsonl',
    columns,
    totalBytes: size,
    bytesRead: () => bytes,
    async *batches() {
      let row = 1;
      let batch: RowBatch = { firstRow: 1, rows: [toRow(first!.record) as Cell[]], problems: [] };
      row++;
      try {
        for (;;) {
          const next = await lines.next();
          if (next.done) break;
          lineNo++;
          const text = next.value;
          if (text.trim() === '') continue;
          const parsed = parseJsonLine(text);
          if ('error' in parsed) {
            batch.rows.push(null);
            batch.problems.push({ row, line: lineNo, column: parsed.column, message: `not JSON: ${parsed.error}` });
          } else if (!isRecord(parsed.value)) {
            batch.rows.push(null);
            batch.problems.push({ row, line: lineNo, column: 1, message: 'not a JSON object {column: value}' });
          } else {
            const cells = toRow(parsed.value);
            if (typeof cells === 'string') {
              batch.rows.push(null);
              batch.problems.push({ row, line: lineNo, message: cells });
            } else batch.rows.push(cells);
          }
          row++;
          if (batch.rows.length >= batchRows) {
            yield batch;
            batch = { firstRow: row, rows: [], problems: [] };
          }
        }
        if (batch.rows.length > 0) yield batch;
      } finally {
        stream.destroy();
      }
    },
  };
}

function isRecord(v: unknown): v is Record<string, Cell> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON.parse with the column of the problem, where V8 says the position. */
function parseJsonLine(text: string): { value: unknown } | { error: string; column?: number } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    const message = (error as Error).message;
    const at = /position (\d+)/.exec(message);
    return { error: message.replace(/ in JSON at position \d+.*$/, '').replace(/^Unexpected end of JSON input$/, 'the record is cut off'), column: at ? Number(at[1]) + 1 : text.length + 1 };
  }
}

async function openParquet(path: string, size: number, batchRows: number): Promise<TableReader> {
  const file = await parquetColumns(path);
  let bytes = 0;
  return {
    path,
    format: 'parquet',
    columns: file.columns,
    totalRows: file.rows,
    totalBytes: size,
    bytesRead: () => bytes,
    async *batches() {
      let row = 1;
      for await (const part of parquetBatches(file, batchRows)) {
        bytes = part.bytes;
        yield { firstRow: row, rows: part.rows, problems: [] };
        row += part.rows.length;
      }
    },
  };
}
