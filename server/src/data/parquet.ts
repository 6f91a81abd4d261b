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

/** Rows in slices of about `rows`, and how far into the file the slice reaches (for progress). */
export async function* parquetBatches(pq: ParquetFile, rows: number): AsyncGenerator<{ rows: Cell[][]; bytes: number }> {
  let start = 0;
  for (const group of pq.metadata.row_groups) {
    const groupRows = Number(group.num_rows);
    const end = start + groupRows;
    const groupEnd = Math.max(...group.columns.map((c) => Number((c.meta_data?.data_page_offset ?? 0n) + (c.meta_data?.total_compressed_size ?? 0n))));
    for (let from = start; from < end; from += rows) {
      const to = Math.min(end, from + rows);
      let out: Cell[][] = [];
      try {
        await parquetRead({ file: pq.file, metadata: pq.metadata, rowStart: from, rowEnd: to, rowFormat: 'array', useOffsetIndex: true, onComplete: (r: Cell[][]) => (out = r) });
      } catch (error) {
        throw new DataFileError(pq.path, `rows ${from + 1}–${to} cannot be read (${(error as Error).message})`);
      }
      yield { rows: out, bytes: Math.min(pq.file.byteLength, Math.round(groupEnd * ((to - start) / Math.max(1, groupRows)))) };
    }
    start = end;
  }
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
