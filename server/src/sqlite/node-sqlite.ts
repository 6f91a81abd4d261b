import { existsSync } from 'node:fs';
import { sqliteCodeName } from './codes';
import { SqliteError, type OpenOptions, type RunResult, type SqliteDatabase, type SqliteStatement, type Transaction } from './types';

/**
 * The seam over `node:sqlite` (Node ≥ 22.13 without a flag). It keeps better-sqlite3's shapes:
 * plain-object rows, `pluck()`/`raw()`, error codes by name, foreign keys on (better-sqlite3 is built so),
 * transactions as wrapped functions. What older Nodes lack (`iterate`, `setReturnArrays`,
 * `isTransaction`, `backup`) is done another way where it is missing.
 */

type Row = Record<string, unknown>;

interface NodeStatement {
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): Row | unknown[] | undefined;
  all(...params: unknown[]): (Row | unknown[])[];
  iterate?(...params: unknown[]): IterableIterator<Row | unknown[]>;
  setReturnArrays?(enabled: boolean): void;
  setReadBigInts(enabled: boolean): void;
}

interface NodeDatabase {
  prepare(sql: string): NodeStatement;
  exec(sql: string): void;
  close(): void;
  readonly isTransaction?: boolean;
}

interface NodeSqliteModule {
  DatabaseSync: new (path: string, options?: { readOnly?: boolean; enableForeignKeyConstraints?: boolean }) => NodeDatabase;
  backup?: (source: NodeDatabase, destination: string) => Promise<number>;
}

let loaded: NodeSqliteModule | undefined;

/** node:sqlite, loaded once; throws where this Node has none (before 22.13, or Electron builds without it). */
export function loadNodeSqlite(): NodeSqliteModule {
  if (loaded) return loaded;
  silenceSqliteExperimentalWarning();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded = require('node:sqlite') as NodeSqliteModule;
  return loaded;
}

/**
 * Node 22 prints "ExperimentalWarning: SQLite is an experimental feature" once per process (and
 * thread) that loads node:sqlite. That one warning says nothing to our users; every other warning
 * still goes through.
 */
function silenceSqliteExperimentalWarning(): void {
  const marker = Symbol.for('mlops.sqliteWarningFilter');
  const holder = process as unknown as Record<symbol, boolean>;
  if (holder[marker]) return;
  holder[marker] = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const name = warning instanceof Error ? warning.name : type;
    const message = warning instanceof Error ? warning.message : String(warning);
    if (name === 'ExperimentalWarning' && /^SQLite is an experimental feature/.test(message)) return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}

export function openNodeSqlite(file: string, options: OpenOptions): SqliteDatabase {
  const sqlite = loadNodeSqlite();
  const readonly = options.readonly ?? false;
  if (!readonly && options.fileMustExist && file !== ':memory:' && !existsSync(file)) {
    throw new SqliteError('unable to open database file', 'SQLITE_CANTOPEN');
  }
  const db = translated(() => new sqlite.DatabaseSync(file, { readOnly: readonly, enableForeignKeyConstraints: true }));
  const wrapped = new NodeSqliteDatabase(db, sqlite, file, readonly);
  try {
    // Where this Node ignores `readOnly`, a write still fails.
    if (readonly) wrapped.exec('PRAGMA query_only = ON');
    wrapped.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.round(options.timeoutMs ?? 5000))}`);
  } catch (error) {
    db.close();
    throw error;
  }
  return wrapped;
}

class NodeSqliteDatabase implements SqliteDatabase {
  readonly driver = 'node:sqlite';
  private closed = false;
  /** For Nodes without `isTransaction`: our own transactions, and a BEGIN given to exec(). */
  private depth = 0;
  private manualTransaction = false;

  constructor(
    private readonly db: NodeDatabase,
    private readonly sqlite: NodeSqliteModule,
    readonly name: string,
    readonly readonly: boolean,
  ) {}

  get open(): boolean {
    return !this.closed;
  }

  get inTransaction(): boolean {
    if (typeof this.db.isTransaction === 'boolean') return this.db.isTransaction;
    return this.depth > 0 || this.manualTransaction;
  }

  prepare(sql: string): SqliteStatement {
    return new NodeSqliteStatement(translated(() => this.db.prepare(sql)), /^\s*(SELECT|PRAGMA|WITH|VALUES)\b/i.test(sql));
  }

  exec(sql: string): void {
    translated(() => this.db.exec(sql));
    if (/^\s*BEGIN\b/i.test(sql)) this.manualTransaction = true;
    else if (/^\s*(COMMIT|END)\b/i.test(sql) || /^\s*ROLLBACK\s*(TRANSACTION\s*)?;?\s*$/i.test(sql)) this.manualTransaction = false;
  }

  pragma(source: string, options: { simple?: boolean } = {}): unknown {
    const statement = this.prepare(`PRAGMA ${source}`);
    return options.simple ? statement.pluck().get() : statement.all();
  }

  transaction<F extends (...args: never[]) => unknown>(fn: F): Transaction<F> {
    const run = (begin: string) =>
      ((...args: Parameters<F>) => {
        if (this.inTransaction) return this.savepoint(fn, args);
        this.exec(begin);
        this.depth++;
        try {
          const result = fn(...args);
          this.exec('COMMIT');
          return result;
        } catch (error) {
          if (this.inTransaction) this.exec('ROLLBACK');
          throw error;
        } finally {
          this.depth--;
          this.manualTransaction = false;
        }
      }) as F;
    const deferred = run('BEGIN');
    return Object.assign(deferred, { deferred, immediate: run('BEGIN IMMEDIATE'), exclusive: run('BEGIN EXCLUSIVE') });
  }

  async backup(destination: string): Promise<void> {
    if (typeof this.sqlite.backup === 'function') {
      try {
        await this.sqlite.backup(this.db, destination);
      } catch (error) {
        throw translate(error);
      }
      return;
    }
    // Nodes before 22.16 have no online backup; VACUUM INTO writes the same consistent copy.
    this.prepare('VACUUM INTO ?').run(destination);
  }

  close(): void {
    if (this.closed) return;
    translated(() => this.db.close());
    this.closed = true;
  }

  private savepoint<F extends (...args: never[]) => unknown>(fn: F, args: Parameters<F>): ReturnType<F> {
    this.exec('SAVEPOINT mlops_nested');
    this.depth++;
    try {
      const result = fn(...args) as ReturnType<F>;
      this.exec('RELEASE mlops_nested');
      return result;
    } catch (error) {
      this.exec('ROLLBACK TO mlops_nested');
      this.exec('RELEASE mlops_nested');
      throw error;
    } finally {
      this.depth--;
    }
  }
}

type Shape = 'object' | 'raw' | 'pluck';

class NodeSqliteStatement implements SqliteStatement {
  private shape: Shape = 'object';
  private readonly arrays: boolean;

  constructor(
    private readonly statement: NodeStatement,
    /** Whether running it twice is harmless (a query), so a read that overflows can be read again as BigInt. */
    private readonly rereadable: boolean,
  ) {
    this.arrays = typeof statement.setReturnArrays === 'function';
  }

  pluck(toggle = true): this {
    return this.setShape(toggle ? 'pluck' : 'object');
  }

  raw(toggle = true): this {
    return this.setShape(toggle ? 'raw' : 'object');
  }

  run(...params: unknown[]): RunResult {
    return translated(() => this.statement.run(...params));
  }

  get(...params: unknown[]): unknown {
    const row = this.read(() => this.statement.get(...params));
    return row === undefined ? undefined : this.shaped(row);
  }

  all(...params: unknown[]): unknown[] {
    return this.read(() => this.statement.all(...params)).map((row) => this.shaped(row));
  }

  *iterate(...params: unknown[]): IterableIterator<unknown> {
    if (typeof this.statement.iterate !== 'function') {
      yield* this.all(...params);
      return;
    }
    let yielded = 0;
    try {
      for (const row of this.statement.iterate(...params)) {
        yield this.shaped(row);
        yielded++;
      }
      return;
    } catch (error) {
      if (!this.rereadable || !outOfRange(error)) throw translate(error);
    }
    // An integer beyond 2^53: read again as BigInt from the start, past the rows already given.
    this.statement.setReadBigInts(true);
    try {
      let index = 0;
      for (const row of this.statement.iterate(...params)) {
        if (index++ < yielded) continue;
        yield this.shaped(toNumbers(row));
      }
    } catch (error) {
      throw translate(error);
    } finally {
      this.statement.setReadBigInts(false);
    }
  }

  private setShape(shape: Shape): this {
    this.shape = shape;
    if (this.arrays) this.statement.setReturnArrays!(shape !== 'object');
    return this;
  }

  /** better-sqlite3 gives such integers as (imprecise) numbers; node:sqlite throws unless read as BigInt. */
  private read<T>(query: () => T): T {
    try {
      return query();
    } catch (error) {
      if (!this.rereadable || !outOfRange(error)) throw translate(error);
    }
    this.statement.setReadBigInts(true);
    try {
      const result = translated(query);
      return (Array.isArray(result) ? result.map(toNumbers) : result === undefined ? undefined : toNumbers(result as Row)) as T;
    } finally {
      this.statement.setReadBigInts(false);
    }
  }

  private shaped(row: Row | unknown[]): unknown {
    if (this.shape === 'object') return { ...(row as Row) };
    const values = Array.isArray(row) ? row : Object.values(row);
    return this.shape === 'pluck' ? values[0] : values;
  }
}

function toNumbers(row: Row | unknown[]): Row | unknown[] {
  if (Array.isArray(row)) return row.map((v) => (typeof v === 'bigint' ? Number(v) : v));
  const out: Row = {};
  for (const key of Object.keys(row)) out[key] = typeof row[key] === 'bigint' ? Number(row[key]) : row[key];
  return out;
}

function outOfRange(error: unknown): boolean {
  return (error as { code?: string } | undefined)?.code === 'ERR_OUT_OF_RANGE';
}

function translated<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw translate(error);
  }
}

/** node:sqlite's ERR_SQLITE_ERROR (with the number in `errcode`) as an SqliteError named as better-sqlite3 names it. */
function translate(error: unknown): unknown {
  const e = error as { code?: string; errcode?: unknown; message?: string } | undefined;
  if (e?.code !== 'ERR_SQLITE_ERROR' || typeof e.errcode !== 'number') return error;
  const translatedError = new SqliteError(e.message ?? 'SQLite error', sqliteCodeName(e.errcode));
  if (error instanceof Error && error.stack) translatedError.stack = error.stack.replace(/^[^\n]*/, `SqliteError: ${translatedError.message}`);
  return translatedError;
}
