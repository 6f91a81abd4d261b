import type BetterSqlite3 from 'better-sqlite3';
import type { OpenOptions, SqliteDatabase, SqliteStatement, Transaction } from './types';

/**
 * The seam over better-sqlite3, whose shapes the seam's interface follows: statements pass through
 * as they are. Its binary is built for one Node ABI, so loading it can fail on another Node.
 */

let loaded: typeof BetterSqlite3 | undefined;

/** A better-sqlite3 folder built for this Node elsewhere (`scripts/better-sqlite3-for.mjs`), used instead of the bundled one. */
export const BETTER_SQLITE3_ENV = 'MLOPS_BETTER_SQLITE3';

export function loadBetterSqlite3(): typeof BetterSqlite3 {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require(process.env[BETTER_SQLITE3_ENV] || 'better-sqlite3') as typeof BetterSqlite3;
  return loaded;
}

export function openBetterSqlite3(file: string, options: OpenOptions): SqliteDatabase {
  const Database = loadBetterSqlite3();
  const readonly = options.readonly ?? false;
  const db = new Database(file, { readonly, fileMustExist: readonly || (options.fileMustExist ?? false), timeout: options.timeoutMs ?? 5000 });
  return new BetterSqlite3Database(db);
}

class BetterSqlite3Database implements SqliteDatabase {
  readonly driver = 'better-sqlite3';

  constructor(private readonly db: BetterSqlite3.Database) {}

  get name(): string {
    return this.db.name;
  }
  get readonly(): boolean {
    return this.db.readonly;
  }
  get open(): boolean {
    return this.db.open;
  }
  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  prepare(sql: string): SqliteStatement {
    return this.db.prepare(sql) as unknown as SqliteStatement;
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  pragma(source: string, options: { simple?: boolean } = {}): unknown {
    return this.db.pragma(source, options);
  }

  transaction<F extends (...args: never[]) => unknown>(fn: F): Transaction<F> {
    return this.db.transaction(fn as unknown as (...args: unknown[]) => unknown) as unknown as Transaction<F>;
  }

  async backup(destination: string): Promise<void> {
    await this.db.backup(destination);
  }

  close(): void {
    this.db.close();
  }
}
