/**
 * Reading other tools' SQLite files (MLflow's and Optuna's databases): opened read-only with a busy
 * timeout, errors said in words, the schema looked up first, and a fingerprint to notice a change
 * without opening the file.
 */
import { closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { openSqlite, type SqliteDatabase } from '../sqlite';
import { describeFsError } from '../workspace/scan';
import type { TrackingSnapshot } from './model';

export type Database = SqliteDatabase;
/** Table name → its column names. */
export type Schema = Map<string, Set<string>>;

/**
 * What to compare to notice a change without opening the database: size, modification time and
 * SQLite's file change counter of the file, and size and time of its write-ahead log (MLflow's
 * writes may sit in `-wal` until a checkpoint). Null when the file does not exist.
 */
export function databaseFingerprint(path: string): string | null {
  const main = statFingerprint(path);
  if (main === null) return null;
  const wal = statFingerprint(`${path}-wal`);
  return `${main}:${changeCounter(path)}${wal === null ? '' : `|wal:${wal}`}`;
}

export function openReadOnly(path: string, busyTimeoutMs: number, what = 'MLflow databases'): { db: Database } | { problem: string } {
  try {
    return { db: openSqlite(path, { readonly: true, timeoutMs: busyTimeoutMs }) };
  } catch (error) {
    // No SQLite driver on this Node fails per call, not the server.
    if ((error as { code?: string }).code === 'MLOPS_NO_SQLITE') return { problem: `cannot read ${what}: ${(error as Error).message}` };
    return { problem: `cannot open the database: ${describeSqliteError(error)}` };
  }
}

export function describeSqliteError(error: unknown): string {
  const code = (error as { code?: string } | undefined)?.code ?? '';
  const detail = error instanceof Error ? error.message : String(error);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return 'the database is locked by another process that is writing to it; read it again once that write ends';
  }
  if (code === 'SQLITE_NOTADB') return 'the file is not an SQLite database (corrupt, or another kind of file)';
  if (code.startsWith('SQLITE_CORRUPT')) return `the database file is corrupt (${detail})`;
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR')) return `cannot read the file (${detail})`;
  if (!code.startsWith('SQLITE_') && (error as NodeJS.ErrnoException | undefined)?.syscall) return describeFsError(error);
  return detail;
}

export function readSchema(db: Database): Schema {
  const schema: Schema = new Map();
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
  const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck();
  for (const table of tables) schema.set(table, new Set(columns.all(table) as string[]));
  return schema;
}

/** `SELECT` list naming each wanted column, or `NULL AS column` where this schema lacks it. */
export function columns(schema: Schema, table: string, wanted: string[]): string {
  const present = schema.get(table) ?? new Set<string>();
  return wanted.map((c) => (present.has(c) ? quote(c) : `NULL AS ${quote(c)}`)).join(', ');
}

export function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

function statFingerprint(path: string): string | null {
  try {
    const st = statSync(path, { bigint: true });
    return `${st.size}:${st.mtimeNs}`;
  } catch {
    return null;
  }
}

/** Bytes 24–27 of an SQLite header count committed transactions (rollback-journal mode). */
function changeCounter(path: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const header = Buffer.alloc(4);
    return readSync(fd, header, 0, 4, 24) === 4 ? String(header.readUInt32BE(0)) : '-';
  } catch {
    return '-';
  } finally {
    if (fd !== undefined) tryTo(() => closeSync(fd!));
  }
}

export function tryTo(action: () => void): void {
  try {
    action();
  } catch {
    // closing after a failure: the failure is what gets reported
  }
}

/**
 * Which tool wrote an SQLite file, by its tables: Optuna (studies, trials, trial_params,
 * version_info) or MLflow (experiments and runs); undefined for anything else or a file that is not
 * SQLite. Reads only the schema.
 */
export function databaseKind(path: string): 'mlflow-sqlite' | 'optuna-sqlite' | undefined {
  let fd: number | undefined;
  try {
    // Not SQLite at all: no need to open it.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const magic = Buffer.alloc(16);
    if (readSync(fd, magic, 0, 16, 0) !== 16 || magic.toString('latin1') !== 'SQLite format 3\u0000') return undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) tryTo(() => closeSync(fd!));
  }
  const opened = openReadOnly(path, 500);
  if ('problem' in opened) return undefined;
  try {
    const tables = new Set(opened.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]);
    if (['studies', 'trials', 'trial_params', 'version_info'].every((t) => tables.has(t))) return 'optuna-sqlite';
    if (tables.has('experiments') && tables.has('runs')) return 'mlflow-sqlite';
    return undefined;
  } catch {
    return undefined;
  } finally {
    tryTo(() => opened.db.close());
  }
}

/**
 * A snapshot of another tool's database: opened read-only, read in one transaction (every table seen
 * at the same instant, even while the tool writes), closed whatever happens. `read` fills the
 * snapshot; a failure it does not catch itself becomes the snapshot's one issue.
 */
export function readDatabaseSnapshot(path: string, busyTimeoutMs: number, what: string, read: (db: Database, schema: Schema, snapshot: TrackingSnapshot) => void): TrackingSnapshot {
  const snapshot: TrackingSnapshot = { experiments: [], runs: [], registeredModels: [], loggedModels: [], issues: [] };
  const opened = openReadOnly(path, busyTimeoutMs, what);
  if ('problem' in opened) {
    snapshot.issues.push({ path, message: opened.problem });
    return snapshot;
  }
  const db = opened.db;
  try {
    db.exec('BEGIN');
    read(db, readSchema(db), snapshot);
  } catch (error) {
    snapshot.issues.push({ path, message: describeSqliteError(error) });
  } finally {
    if (db.inTransaction) tryTo(() => db.exec('COMMIT'));
    tryTo(() => db.close());
  }
  return snapshot;
}
