import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlite, type SqliteDatabase } from '../sqlite';
import { MIGRATIONS } from './migrations';
import { replayJournals } from './prediction-journal';

export type Database = SqliteDatabase;

/** The workspace's own state lives here; it is safe to delete (everything in it is re-derivable or an audit log). */
export const STORE_FOLDER = '.mlops';
export const STORE_FILE = 'index.db';

export class StoreError extends Error {}

/**
 * Open (creating on first use) the workspace store `.mlops/index.db`: WAL so readers never block the
 * writer, schema migrated to the newest version in one transaction per step.
 */
export function openStore(workspaceRoot: string): Database {
  const folder = join(workspaceRoot, STORE_FOLDER);
  mkdirSync(folder, { recursive: true });
  // Keep the store out of the user's version control without touching their .gitignore.
  const ignore = join(folder, '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, '*\n');
  const db = openDatabase(join(folder, STORE_FILE));
  // Answered requests of a model server that was killed are in its journal: the log is whole again.
  replayJournals(db, folder);
  return db;
}

/** Opens the workspace store for one use, and closes it whatever happens. */
export function withStore<T>(workspaceRoot: string, use: (db: Database) => T): T {
  const db = openStore(workspaceRoot);
  try {
    return use(db);
  } finally {
    db.close();
  }
}

export function openDatabase(file: string): Database {
  const db = openSqlite(file, { timeoutMs: 5000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Apply every migration newer than the database's `user_version`, each in its own transaction. */
export function migrate(db: Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new StoreError(`the store was written by a newer MLOps Workbench (schema ${current}, this one knows ${MIGRATIONS.length}); update the extension or delete .mlops/`);
  }
  for (let version = current + 1; version <= MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version - 1]);
      db.pragma(`user_version = ${version}`);
    })();
  }
  return MIGRATIONS.length;
}
