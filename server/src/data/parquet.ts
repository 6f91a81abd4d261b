/**
 * Parquet through hyparquet and hyparquet-writer (the only module that uses them). Reading goes row
 * group by row group, a large group in slices (through its offset index where the file has one), so
 * memory follows the slice, not the file. Writing appends one row group per batch.
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { ParquetWriter, fileWriter, type ColumnSource } from 'hyparquet-writer';
import { DataFileError, type Cell } from './types';

export interface ParquetFile {
  path: string;
  file: AsyncBuffer;
  metadata: FileMetaData;
  columns: string[];
  rows: number;
}

export async function parquetColumns(path: string): Promise<ParquetFile> {
  const file = await asyncBufferFromFile(path);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw new DataFileError(path, `not a Parquet file (${(error as Error).message})`);
  }
  const columns = parquetSchema(metadata).children.map((c) => c.element.name);
  return { path, file, metadata, columns, rows: Number(metadata.num_rows) };
}

/**
 * Uncompressed bytes of a row group decoded at once. A slice is kept as columns (a double column is
 * a packed array of 8-byte numbers) and turned into rows one batch at a time, so memory follows the
 * slice's columns plus one batch of rows.
 */
const SLICE_BYTES = 16 * 1024 * 1024;

/** Rows in slices of at least `rows` (whole row groups when they are small), and how far into the file the slice reaches (for progress). */
export async function* parquetBatches(pq: ParquetFile, rows: number, sliceBytes = SLICE_BYTES): AsyncGenerator<{ rows: Cell[][]; bytes: number }> {
  let start = 0;
  for (const group of pq.metadata.row_groups) {
    const groupRows = Number(group.num_rows);
    const end = start + groupRows;
    // Where the group's bytes lie, for progress: from its first page to the end of its last column chunk.
    const chunkStart = (c: (typeof group.columns)[number]) => Number(c.meta_data?.dictionary_page_offset ?? c.meta_data?.data_page_offset ?? 0n);
    const groupStart = Math.min(...group.columns.map(chunkStart));
    const groupEnd = Math.max(...group.columns.map((c) => chunkStart(c) + Number(c.meta_data?.total_compressed_size ?? 0n)));
    // A slice of a group decodes the group's pages from its start (unless an offset index says where
    // the slice's pages are), so a group is read in as few slices as the budget allows.
    const slices = Math.max(1, Math.ceil(Number(group.total_byte_size) / sliceBytes));
    const slice = Math.max(rows, Math.ceil(groupRows / slices));
    for (let from = start; from < end; from += slice) {
      const to = Math.min(end, from + slice);
      const columns = await readColumns(pq, from, to);
      // Handed on in batches of `rows`, as every other reader does: rows are made a batch at a time.
      for (let at = 0; at < to - from; at += rows) {
        const upTo = Math.min(to - from, at + rows);
        const batch: Cell[][] = new Array(upTo - at);
        for (let r = at; r < upTo; r++) {
          const row: Cell[] = new Array(columns.length);
          for (let c = 0; c < columns.length; c++) row[c] = columns[c][r];
          batch[r - at] = row;
        }
        yield { rows: batch, bytes: Math.min(pq.file.byteLength, Math.round(groupStart + (groupEnd - groupStart) * ((from + upTo - start) / Math.max(1, groupRows)))) };
      }
    }
    start = end;
  }
}

/** Rows [from, to) as one array per column (in the order of pq.columns), from hyparquet's decoded column chunks. */
async function readColumns(pq: ParquetFile, from: number, to: number): Promise<Cell[][]> {
  const index = new Map(pq.columns.map((name, i) => [name, i]));
  const columns: Cell[][] = pq.columns.map(() => new Array<Cell>(to - from).fill(null));
  try {
    await parquetRead({
      file: pq.file,
      metadata: pq.metadata,
      rowStart: from,
      rowEnd: to,
      useOffsetIndex: true,
      // A chunk may start before `from` (pages are decoded whole) and is clipped to the slice.
      onChunk: ({ columnName, columnData, rowStart }: { columnName: string; columnData: ArrayLike<unknown>; rowStart: number }) => {
        const column = columns[index.get(columnName) as number];
        if (column === undefined) return;
        const first = Math.max(from, rowStart);
        const last = Math.min(to, rowStart + columnData.length);
        for (let r = first; r < last; r++) column[r - from] = columnData[r - rowStart] as Cell;
      },
    });
  } catch (error) {
    throw new DataFileError(pq.path, `rows ${from + 1}–${to} cannot be read (${(error as Error).message})`);
  }
  return columns;
}

export type ParquetColumnType = 'STRING' | 'DOUBLE' | 'FLOAT' | 'INT32' | 'INT64' | 'BOOLEAN' | 'JSON';

/** A Parquet file written one row group per `write`. */
export class ParquetTableWriter {
  private readonly writer: ParquetWriter;

  constructor(
    path: string,
    private readonly columns: { name: string; type: ParquetColumnType }[],
  ) {
    this.writer = new ParquetWriter({
      writer: fileWriter(path),
      schema: [{ name: 'root', num_children: columns.length }, ...columns.map((c) => ({ name: c.name, repetition_type: 'OPTIONAL' as const, ...physical(c.type) }))],
    });
  }

  write(columnData: Cell[][]): void {
    const sources: ColumnSource[] = this.columns.map((c, i) => ({ name: c.name, data: columnData[i] as never }));
    void this.writer.write({ columnData: sources, rowGroupSize: Math.max(1, columnData[0]?.length ?? 1) });
  }

  finish(): void {
    this.writer.finish();
  }
}

function physical(type: ParquetColumnType): { type: 'BYTE_ARRAY' | 'DOUBLE' | 'FLOAT' | 'INT32' | 'INT64' | 'BOOLEAN'; converted_type?: 'UTF8' | 'JSON' } {
  switch (type) {
    case 'STRING':
      return { type: 'BYTE_ARRAY', converted_type: 'UTF8' };
    case 'JSON':
      return { type: 'BYTE_ARRAY', converted_type: 'JSON' };
    default:
      return { type };
  }
}
