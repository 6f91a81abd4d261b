import { readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from './store';

/**
 * The prediction log's write-ahead journal. The model server appends each answered request's row to
 * a journal file before it answers (one write per batch: once write() returns the bytes are in the
 * OS's page cache, so killing the process cannot lose them), and a writer thread moves the rows into
 * the predictions table, noting in prediction_journals how far each file is applied. The journal of
 * a server that is no longer running is replayed into the table by whoever opens the store next.
 */

/** A prediction row as the INSERT's parameters, in INSERT_PREDICTION's column order. */
export type RowValues = (string | number | null)[];

export const INSERT_PREDICTION = `INSERT INTO predictions (request_id, time, endpoint, model, version, protocol, inputs, inputs_bytes, outputs, latency_ms, status, error, mirrored)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export const MARK_APPLIED = `INSERT INTO prediction_journals (file, applied) VALUES (?, ?)
  ON CONFLICT (file) DO UPDATE SET applied = max(applied, excluded.applied)`;

/** predictions-<pid of the server>-<sequence>.journal */
const JOURNAL_NAME = /^predictions-(\d+)-(\d+)\.journal$/;

export function journalName(pid: number, sequence: number): string {
  return `predictions-${pid}-${sequence}.journal`;
}

/** One JSON array per line. */
export function journalLines(rows: readonly RowValues[]): string {
  let text = '';
  for (const row of rows) text += `${JSON.stringify(row)}\n`;
  return text;
}

/**
 * Replay into `db` the journals in `folder` whose server process is gone, then delete them. Safe
 * against another process replaying at the same time: each file is applied in one IMMEDIATE
 * transaction that reads how far it was applied first; that mark stays after the file is deleted
 * (a server starting a journal of the same name clears it). Returns the rows added.
 */
export function replayJournals(db: Database, folder: string): number {
  let names: string[];
  try {
    names = readdirSync(folder).filter((name) => JOURNAL_NAME.test(name));
  } catch {
    return 0;
  }
  if (names.length === 0) return 0;
  const insert = db.prepare(INSERT_PREDICTION);
  const appliedOf = db.prepare('SELECT applied FROM prediction_journals WHERE file = ?').pluck();
  const mark = db.prepare(MARK_APPLIED);
  let added = 0;
  for (const name of names.sort(bySequence)) {
    if (isRunning(Number(JOURNAL_NAME.exec(name)![1]))) continue;
    const path = join(folder, name);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      continue; // replayed and deleted by another process meanwhile
    }
    // Whole lines only: a line cut short was being written when the server died, so it was never answered.
    const end = bytes.lastIndexOf(0x0a) + 1;
    db.transaction(() => {
      const from = (appliedOf.get(name) as number | undefined) ?? 0;
      if (end <= from) return;
      for (const line of bytes.subarray(from, end).toString('utf8').split('\n')) {
        if (line === '') continue;
        try {
          insert.run(...(JSON.parse(line) as RowValues));
          added++;
        } catch {
          // Not a row the table takes (the writer thread skipped it too): nothing to keep.
        }
      }
      mark.run(name, end);
    }).immediate();
    try {
      unlinkSync(path);
    } catch {
      // already deleted by another process replaying it
    }
  }
  return added;
}

function bySequence(a: string, b: string): number {
  const [, pa, sa] = JOURNAL_NAME.exec(a)!;
  const [, pb, sb] = JOURNAL_NAME.exec(b)!;
  return Number(pa) - Number(pb) || Number(sa) - Number(sb);
}

/** Whether a process with this id exists (this one counts: its journal is live). */
function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
