/** What every table reader and writer shares: a cell's value and the error of an unreadable file. */

export type Cell = string | number | bigint | boolean | null | JsonText | Cell[] | { [key: string]: Cell };

/** A value already written as JSON text (a float32 in its shortest form): written as it is. */
export class JsonText {
  constructor(readonly text: string) {}
}

/** A file that cannot be read as a table at all; `line`/`column` count from 1. */
export class DataFileError extends Error {
  override name = 'DataFileError';
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(`${path}${line !== undefined ? `:${line}${column !== undefined ? `:${column}` : ''}` : ''}: ${reason}`);
  }
}

