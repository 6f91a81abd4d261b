import type { SqliteDriverName } from '../contract';

/** The two SQLite drivers the seam can run on. */
export type { SqliteDriverName };

export interface RunResult {
  changes: number | bigint;
  lastInsertRowid: number | bigint;
}

/**
 * A prepared statement, as better-sqlite3 shapes it: rows as plain objects, or (after `raw()`)
 * arrays of the columns, or (after `pluck()`) the first column alone. Integers come back as numbers
 * (beyond 2^53 they lose precision, on both drivers alike); BLOBs as Uint8Array (a Buffer on
 * better-sqlite3).
 */
export interface SqliteStatement {
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  /** Rows as their first column from now on. */
  pluck(toggle?: boolean): this;
  /** Rows as arrays from now on. */
  raw(toggle?: boolean): this;
}

/** A function run in a transaction; nested calls become savepoints. */
export type Transaction<F extends (...args: never[]) => unknown> = F & {
  deferred: F;
  immediate: F;
  exclusive: F;
};

export interface SqliteDatabase {
  /** The file it was opened on (':memory:' for a memory database). */
  readonly name: string;
  readonly driver: SqliteDriverName;
  readonly readonly: boolean;
  readonly open: boolean;
  readonly inTransaction: boolean;
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  /** `PRAGMA <source>`: its rows, or with `simple` the first column of the first row. */
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<F extends (...args: never[]) => unknown>(fn: F): Transaction<F>;
  /** A consistent copy of the whole database in another file, taken while others may write. */
  backup(destination: string): Promise<void>;
  close(): void;
}

export interface OpenOptions {
  readonly?: boolean;
  /** Fail (SQLITE_CANTOPEN) instead of creating the file. Always so when read-only. */
  fileMustExist?: boolean;
  /** How long a statement waits for another connection's lock before SQLITE_BUSY; 5000 unless said. */
  timeoutMs?: number;
}

/** An SQLite error with SQLite's own name for it in `code` (SQLITE_BUSY, SQLITE_CONSTRAINT_UNIQUE, …), on both drivers. */
export class SqliteError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'SqliteError';
  }
}
