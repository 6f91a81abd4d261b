/**
 * Worker thread entry (bundled as log-writer.js): moves journaled prediction and feedback rows into
 * the store with a connection of its own, so the thread that answers requests never waits on SQLite.
 * Marks are applied in order, everything queued at once in one transaction. A store that another
 * connection holds locked (or that fails to write) is retried later with the same rows: they stay in
 * the journal meanwhile, so nothing answered is skipped. Only a row the table refuses for what it is
 * (a constraint, a datatype) is passed over. A journal is deleted once everything in it is applied.
 */
import { closeSync, openSync, readSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { openSqliteWith, type SqliteDriverName } from '../sqlite';
import { isRefusedRow, parseJournalLine } from '../store/prediction-journal';

export interface LogWriterData {
  cacheKib: number;
  driver: SqliteDriverName;
  file: string;
  folder: string;
  insert: string;
  insertFeedback: string;
  mark: string;
  checkpointMs: number;
  port: MessagePort;
}

type Mark = { file: string; end: number };
type ToWriter = Mark | { retire: string } | { close: true };
/** A mark with its journal text, read once when it arrives (a retry inserts the same rows). */
type Pending = { kind: 'mark'; file: string; end: number; text: string } | { kind: 'retire'; file: string } | { kind: 'close' };

/** The WAL is checkpointed hard (and truncated) once it grows past this. */
const WAL_LIMIT_BYTES = 64 * 1024 * 1024;
const RETRY_MIN_MS = 20;
const RETRY_MAX_MS = 1000;
/** How long a clean stop keeps retrying a locked store before it leaves the rest to the journal. */
const CLOSE_GIVE_UP_MS = 10_000;

const data = workerData as LogWriterData;
const parent = parentPort!;
const db = openSqliteWith(data.driver, data.file, { fileMustExist: true, timeoutMs: 1000 });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 0');
// After a checkpoint, a WAL larger than this is cut back to it.
db.pragma(`journal_size_limit = ${WAL_LIMIT_BYTES}`);
db.pragma(`cache_size = -${data.cacheKib}`);
const insert = db.prepare(data.insert);
const insertFeedback = db.prepare(data.insertFeedback);
const mark = db.prepare(data.mark);
const port = data.port;
/** Per journal file: its descriptor and how far it has been read. */
const journals = new Map<string, { fd: number; read: number }>();
const queue: Pending[] = [];
let skipped = 0;
let retryMs = 0;
let retryTimer: NodeJS.Timeout | undefined;
let closingSince: number | undefined;
let failed = false;

function readTo(file: string, end: number): string {
  let journal = journals.get(file);
  if (!journal) journals.set(file, (journal = { fd: openSync(join(data.folder, file), 'r'), read: 0 }));
  const bytes = Buffer.allocUnsafe(end - journal.read);
  for (let at = 0; at < bytes.length; ) at += readSync(journal.fd, bytes, at, bytes.length - at, journal.read + at);
  journal.read = end;
  return bytes.toString('utf8');
}

const apply = db.transaction((marks: Extract<Pending, { kind: 'mark' }>[]) => {
  for (const { file, end, text } of marks) {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        const entry = parseJournalLine(line);
        (entry.feedback ? insertFeedback : insert).run(...entry.values);
      } catch (error) {
        // Busy or failing storage aborts the transaction, to be retried whole; a refused row is skipped.
        if (!isRefusedRow(error)) throw error;
        if (skipped++ === 0) parent.postMessage({ note: `prediction log: a row was not stored: ${messageOf(error)}` });
      }
    }
    mark.run(file, end);
  }
});

/** Apply what is queued, in order, until done or until the store refuses (then retry later). */
function drain(): void {
  clearTimeout(retryTimer);
  retryTimer = undefined;
  while (queue.length > 0) {
    const head = queue[0];
    if (head.kind === 'mark') {
      let count = 0;
      while (count < queue.length && queue[count].kind === 'mark') count++;
      const marks = queue.slice(0, count) as Extract<Pending, { kind: 'mark' }>[];
      try {
        apply(marks);
      } catch (error) {
        if (closingSince !== undefined && Date.now() - closingSince > CLOSE_GIVE_UP_MS) {
          parent.postMessage({ note: `prediction log: stopping with rows not yet in the store (${messageOf(error)}); the next start replays them from the journal` });
          failed = true;
          queue.splice(0, count);
          continue;
        }
        if (retryMs === 0) parent.postMessage({ note: `prediction log: the store refused a write (${messageOf(error)}); the rows stay in the journal and are written once it accepts` });
        retryMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, retryMs * 2));
        retryTimer = setTimeout(drain, retryMs);
        return;
      }
      if (retryMs !== 0) parent.postMessage({ note: 'prediction log: the store accepts writes again' });
      retryMs = 0;
      queue.splice(0, count);
      parent.postMessage({ applied: { file: marks[count - 1].file, end: marks[count - 1].end } });
    } else if (head.kind === 'retire') {
      queue.shift();
      retire(head.file);
    } else {
      queue.shift();
      stop();
      return;
    }
  }
}

function retire(file: string): void {
  const journal = journals.get(file);
  if (journal) closeSync(journal.fd);
  journals.delete(file);
  // A journal with rows that never reached the store stays for the next start to replay.
  if (failed) return;
  try {
    unlinkSync(join(data.folder, file));
  } catch (error) {
    parent.postMessage({ note: `prediction log: ${file} was not deleted: ${messageOf(error)}` });
  }
}

let walHard = false;
const checkpoint = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    // Another connection that keeps writing (or reading) can hold a PASSIVE checkpoint off; past
    // the limit, a TRUNCATE checkpoint waits a little for it and cuts the WAL back.
    const size = statSync(`${data.file}-wal`, { throwIfNoEntry: false })?.size ?? 0;
    if (size > WAL_LIMIT_BYTES) {
      db.pragma('busy_timeout = 200');
      try {
        db.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        db.pragma('busy_timeout = 1000');
      }
      if (!walHard) parent.postMessage({ note: `prediction log: the WAL reached ${(size / 1024 / 1024).toFixed(0)} MB; checkpointed and truncated` });
      walHard = true;
    }
  } catch (error) {
    parent.postMessage({ note: `WAL checkpoint: ${messageOf(error)}` });
  }
}, data.checkpointMs);

function stop(): void {
  clearInterval(checkpoint);
  clearTimeout(retryTimer);
  for (const journal of journals.values()) closeSync(journal.fd);
  db.close();
  port.close();
  parent.close();
}

port.on('message', (first: ToWriter) => {
  const messages: ToWriter[] = [first];
  for (let next; (next = receiveMessageOnPort(port)); ) messages.push(next.message as ToWriter);
  try {
    for (const message of messages) {
      if ('end' in message) queue.push({ kind: 'mark', file: message.file, end: message.end, text: readTo(message.file, message.end) });
      else if ('retire' in message) queue.push({ kind: 'retire', file: message.retire });
      else {
        closingSince = Date.now();
        queue.push({ kind: 'close' });
      }
    }
  } catch (error) {
    // The journal itself cannot be read: nothing more can be applied, and the next start replays it.
    failed = true;
    parent.postMessage({ error: `the journal cannot be read: ${messageOf(error)}` });
    if (messages.some((m) => 'close' in m)) stop();
    return;
  }
  if (retryTimer === undefined) drain();
});

function messageOf(error: unknown): string {
  return String((error as Error | undefined)?.message ?? error);
}
