/**
 * A table written to a temporary file beside its destination and renamed over it at the end, so
 * the destination never holds half a result: a failed or cancelled job leaves whatever was there.
 */
import { createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { csvField } from './csv';
import { ParquetTableWriter, type ParquetColumnType } from './parquet';
import type { TableFormat } from './table';
import { JsonText, type Cell } from './types';

export interface OutputColumn {
  name: string;
  /** What the column holds, for Parquet's schema; CSV and JSON Lines write values as they are. */
  type: ParquetColumnType;
}

export interface TableWriter {
  /** Rows as columns: `columns[c][r]`. Resolves when the data may be given again (backpressure). */
  write(columns: Cell[][]): Promise<void>;
  /** Finish and rename into place. */
  commit(): Promise<void>;
  /** Remove the temporary file; the destination is untouched. */
  abort(): Promise<void>;
}

export function createTableWriter(path: string, format: TableFormat, columns: OutputColumn[], options: { delimiter?: string } = {}): TableWriter {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.partial`);
  if (format === 'parquet') return parquetWriter(path, temp, columns);
  const stream = createWriteStream(temp);
  const delimiter = options.delimiter ?? ',';
  const encodeRow =
    format === 'csv'
      ? (cols: Cell[][], r: number) => {
          let line = '';
          for (let c = 0; c < cols.length; c++) {
            if (c > 0) line += delimiter;
            line += csvCell(cols[c][r], delimiter);
          }
          return line;
        }
      : (cols: Cell[][], r: number) => {
          let line = '{';
          for (let c = 0; c < cols.length; c++) line += `${c > 0 ? ',' : ''}${keys[c]}:${jsonCell(cols[c][r])}`;
          return `${line}}`;
        };
  const keys = columns.map((c) => JSON.stringify(c.name));
  let failure: Error | undefined;
  stream.on('error', (error) => (failure = error));
  if (format === 'csv') stream.write(`${columns.map((c) => csvField(c.name, delimiter)).join(delimiter)}\n`);
  return {
    async write(cols) {
      if (failure) throw failure;
      const rows = cols[0]?.length ?? 0;
      const lines: string[] = new Array(rows);
      for (let r = 0; r < rows; r++) lines[r] = encodeRow(cols, r);
      if (rows > 0 && !stream.write(`${lines.join('\n')}\n`)) await drained(stream);
      if (failure) throw failure;
    },
    async commit() {
      await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
      if (failure) throw failure;
      renameSync(temp, path);
    },
    async abort() {
      await new Promise<void>((resolve) => {
        stream.destroy();
        stream.once('close', () => resolve());
        if (stream.closed) resolve();
      });
      rmSync(temp, { force: true });
    },
  };
}

function drained(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      stream.off('error', fail);
      resolve();
    };
    const fail = (error: Error) => {
      stream.off('drain', done);
      reject(error);
    };
    stream.once('drain', done);
    stream.once('error', fail);
  });
}

function csvCell(v: Cell, delimiter: string): string {
  if (v === null || v === undefined) return '';
  if (v instanceof JsonText) return v.text.startsWith('"') ? (JSON.parse(v.text) as string) : v.text;
  if (typeof v === 'string') return csvField(v, delimiter);
  if (typeof v === 'number') return Number.isNaN(v) ? '' : String(v);
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return csvField(JSON.stringify(v, jsonReplacer), delimiter);
}

/** JSON text of a cell; int64 beyond 2^53 as a decimal string, as the serving protocol writes it. */
function jsonCell(v: Cell): string {
  if (v instanceof JsonText) return v.text;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? v.toString() : `"${v}"`;
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'null' : `"${v > 0 ? 'Infinity' : '-Infinity'}"`;
  return JSON.stringify(v === undefined ? null : v, jsonReplacer);
}

const jsonReplacer = (_: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

function parquetWriter(path: string, temp: string, columns: OutputColumn[]): TableWriter {
  const writer = new ParquetTableWriter(temp, columns);
  return {
    async write(cols) {
      if ((cols[0]?.length ?? 0) > 0) writer.write(cols.map((col, c) => col.map((v) => parquetCell(v, columns[c].type))));
    },
    async commit() {
      writer.finish();
      renameSync(temp, path);
    },
    async abort() {
      rmSync(temp, { force: true });
    },
  };
}

function parquetCell(v: Cell, type: ParquetColumnType): Cell {
  if (v === null || v === undefined) return null;
  if (v instanceof JsonText) v = JSON.parse(v.text) as Cell;
  switch (type) {
    case 'STRING':
      return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v, jsonReplacer) : String(v);
    case 'JSON':
      return v;
    case 'INT64':
      return typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(Math.trunc(v)) : v;
    case 'BOOLEAN':
      return typeof v === 'boolean' ? v : null;
    default:
      return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null;
  }
}
