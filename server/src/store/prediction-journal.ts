import { randomBytes } from 'node:crypto';
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

/** Ground truth for an earlier request, in INSERT_FEEDBACK's column order. */
export type FeedbackValues = [requestId: string, time: number, endpoint: string, label: string | number | null, value: number | null];

/** A journal line: a prediction row (a JSON array) or a feedback row ({"feedback": [...]}). */
export type JournalEntry = RowValues | { feedback: FeedbackValues };

export const INSERT_PREDICTION = `INSERT INTO predictions (request_id, time, endpoint, model, version, protocol, inputs, inputs_bytes, outputs, latency_ms, status, error, mirrored, cached, violations)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/**
 * Values of a prediction row; rows journaled before the `cached` column (store migration 6) have two
 * fewer, before the `violations` column (migration 7) one fewer.
 */
const PREDICTION_VALUES = 15;

export const INSERT_FEEDBACK = 'INSERT INTO feedback (request_id, time, endpoint, label, value) VALUES (?, ?, ?, ?, ?)';

export const MARK_APPLIED = `INSERT INTO prediction_journals (file, applied) VALUES (?, ?)
  ON CONFLICT (file) DO UPDATE SET applied = max(applied, excluded.applied)`;

/**
 * predictions-<pid>-<token>-<sequence>.journal. The token is new in every process: a journal is
 * known by who wrote it, not by a pid alone (in a container the restarted server has the same pid,
 * 1, as the one that was killed). Names without a token were written by earlier versions.
 */
const JOURNAL_NAME = /^predictions-(\d+)-(?:([0-9a-f]{16})-)?(\d+)\.journal$/;

/** This process's journal token. */
export const PROCESS_TOKEN = randomBytes(8).toString('hex');

export function journalName(pid: number, sequence: number, token = PROCESS_TOKEN): string {
  return `predictions-${pid}-${token}-${sequence}.journal`;
}

/** One JSON value per line. */
export function journalLines(entries: readonly JournalEntry[]): string {
  let text = '';
  for (const entry of entries) text += `${JSON.stringify(entry)}\n`;
  return text;
}

/** The statement and parameters of one journal line; throws on a line that is not JSON. */
export function parseJournalLine(line: string): { feedback: boolean; values: unknown[] } {
  const parsed = JSON.parse(line) as JournalEntry;
  if (Array.isArray(parsed)) {
    // A journal a server of an earlier version left behind: its rows were not answered from a cache,
    // nor checked against a data set.
    while (parsed.length >= PREDICTION_VALUES - 2 && parsed.length < PREDICTION_VALUES) parsed.push(0);
    return { feedback: false, values: parsed };
  }
  if (parsed !== null && typeof parsed === 'object' && Array.isArray(parsed.feedback)) return { feedback: true, values: parsed.feedback };
  throw new Error('not a journal row');
}

/**
 * Replay into `db` the journals in `folder` whose server process is gone, then delete them. Safe
 * against another process replaying at the same time: each file is applied in one IMMEDIATE
 * transaction that reads how far it was applied first; that mark stays after the file is deleted
 * (names are never reused). A file whose transaction finds the database locked is left for the next
 * open. Returns the rows added.
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
  const insertFeedback = db.prepare(INSERT_FEEDBACK);
  const appliedOf = db.prepare('SELECT applied FROM prediction_journals WHERE file = ?').pluck();
  const mark = db.prepare(MARK_APPLIED);
  let added = 0;
  for (const name of names.sort(bySequence)) {
    const [, pid, token] = JOURNAL_NAME.exec(name)!;
    if (isRunning(Number(pid), token)) continue;
    const path = join(folder, name);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      continue; // replayed and deleted by another process meanwhile
    }
    // Whole lines only: a line cut short was being written when the server died, so it was never answered.
    const end = bytes.lastIndexOf(0x0a) + 1;
    const replay = db.transaction(() => {
      const from = (appliedOf.get(name) as number | undefined) ?? 0;
      if (end <= from) return;
      for (const line of bytes.subarray(from, end).toString('utf8').split('\n')) {
        if (line === '') continue;
        let entry: ReturnType<typeof parseJournalLine>;
        try {
          entry = parseJournalLine(line);
        } catch {
          continue; // not a row (the writer thread skipped it too)
        }
        try {
          (entry.feedback ? insertFeedback : insert).run(...entry.values);
          if (!entry.feedback) added++;
        } catch (error) {
          // Busy or failing storage: stop, and the next open replays the rest.
          if (!isRefusedRow(error)) throw error;
        }
      }
      mark.run(name, end);
    });
    try {
      replay.immediate();
    } catch (error) {
      if (isBusy(error)) continue;
      throw error;
    }
    try {
      unlinkSync(path);
    } catch {
      // already deleted by another process replaying it
    }
  }
  return added;
}

export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** A row the table refuses (a constraint, a datatype): skipped for good. Anything else (busy, I/O) is retried. */
export function isRefusedRow(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return true; // a bad parameter (TypeError, RangeError): the row itself
  return code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG' || code === 'SQLITE_RANGE';
}

function bySequence(a: string, b: string): number {
  const [, pa, , sa] = JOURNAL_NAME.exec(a)!;
  const [, pb, , sb] = JOURNAL_NAME.exec(b)!;
  return Number(pa) - Number(pb) || Number(sa) - Number(sb);
}

/**
 * Whether the writer of a journal may still be running. Under this process's own pid only this
 * process's token is live: another writer with this pid is gone (a restarted container). Else the
 * pid decides.
 */
function isRunning(pid: number, token: string | undefined): boolean {
  if (pid === process.pid) return token === PROCESS_TOKEN;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
