/**
 * Every use of SQLite goes through here. Two drivers stand behind one interface: better-sqlite3
 * wherever its binary loads (it is built for one Node ABI), else `node:sqlite`, built into Node
 * ≥ 22.13. The choice is made once per process (and thread), at the first use;
 * MLOPS_SQLITE_DRIVER=better-sqlite3|node:sqlite insists on one.
 */
import type { SqliteDriverStatus } from '../contract';
import { loadBetterSqlite3, openBetterSqlite3 } from './better-sqlite3';
import { loadNodeSqlite, openNodeSqlite } from './node-sqlite';
import { SqliteError, type OpenOptions, type SqliteDatabase, type SqliteDriverName } from './types';

export { SqliteError } from './types';
export type { OpenOptions, RunResult, SqliteDatabase, SqliteDriverName, SqliteStatement, Transaction } from './types';

export const SQLITE_DRIVERS: readonly SqliteDriverName[] = ['better-sqlite3', 'node:sqlite'];
/** The environment variable that insists on one driver. */
export const SQLITE_DRIVER_ENV = 'MLOPS_SQLITE_DRIVER';

const OPENERS: Record<SqliteDriverName, (file: string, options: OpenOptions) => SqliteDatabase> = {
  'better-sqlite3': openBetterSqlite3,
  'node:sqlite': openNodeSqlite,
};

/** Thrown by openSqlite where no driver loads; its message says what to install. */
export class SqliteUnavailableError extends Error {
  readonly code = 'MLOPS_NO_SQLITE';
}

let status: SqliteDriverStatus | undefined;

/** Which driver this process uses, after trying them in order (once; later calls answer from memory). */
export function sqliteDriverStatus(): SqliteDriverStatus {
  if (status) return status;
  const asked = process.env[SQLITE_DRIVER_ENV]?.trim() || undefined;
  const order = asked === undefined ? SQLITE_DRIVERS : SQLITE_DRIVERS.filter((d) => d === asked);
  const tried: SqliteDriverStatus['tried'] = [];
  if (asked !== undefined && order.length === 0) {
    tried.push({ driver: asked as SqliteDriverName, ok: false, error: `${SQLITE_DRIVER_ENV}=${asked} names no driver; use ${SQLITE_DRIVERS.join(' or ')}` });
  }
  let chosen: { driver: SqliteDriverName; version: string } | undefined;
  for (const driver of order) {
    const probe = probeDriver(driver);
    tried.push(probe);
    if (probe.ok) {
      chosen = { driver, version: probe.version! };
      break;
    }
  }
  status = chosen ? { driver: chosen.driver, sqliteVersion: chosen.version, forced: asked !== undefined, tried } : { forced: asked !== undefined, tried };
  return status;
}

/** Open (or create) an SQLite database with the driver in use. */
export function openSqlite(file: string, options: OpenOptions = {}): SqliteDatabase {
  const driver = sqliteDriverStatus().driver;
  if (!driver) throw new SqliteUnavailableError(describeMissingSqlite(sqliteDriverStatus()));
  return OPENERS[driver](file, options);
}

/** Open with one named driver, whatever the choice (for tests and benchmarks that compare them). */
export function openSqliteWith(driver: SqliteDriverName, file: string, options: OpenOptions = {}): SqliteDatabase {
  return OPENERS[driver](file, options);
}

/** The drivers that load in this process. */
export function loadableSqliteDrivers(): SqliteDriverName[] {
  return SQLITE_DRIVERS.filter((d) => probeDriver(d).ok);
}

/** One line: what is missing, and what makes it work. */
export function describeMissingSqlite(s: SqliteDriverStatus): string {
  const reasons = s.tried.map((t) => `${t.driver}: ${t.error}`).join('; ');
  return (
    `no SQLite driver loads on Node ${process.version} (${reasons}). ` +
    `Use Node.js 22.13 or newer (22, 24 and 26 carry node:sqlite), or rebuild better-sqlite3 for this Node with "npm rebuild better-sqlite3".`
  );
}

export function isSqliteError(error: unknown): error is SqliteError {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_');
}

function probeDriver(driver: SqliteDriverName): SqliteDriverStatus['tried'][number] {
  try {
    if (driver === 'better-sqlite3') loadBetterSqlite3();
    else loadNodeSqlite();
    const db = OPENERS[driver](':memory:', {});
    try {
      return { driver, ok: true, version: db.prepare('SELECT sqlite_version()').pluck().get() as string };
    } finally {
      db.close();
    }
  } catch (error) {
    return { driver, ok: false, error: oneLine(error) };
  }
}

/** The whole reason on one line: a module built for another Node says which ABI on its second line. */
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
