/**
 * Worker thread entry (bundled as log-writer.js): moves journaled prediction rows into the table
 * with a connection of its own, so the thread that answers requests never waits on SQLite.
 * Everything queued on the port when a message arrives is applied in one transaction. Once a
 * transaction has failed, journals are no longer deleted: the next start replays them.
 */
import { closeSync, openSync, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { openSqliteWith, type SqliteDriverName } from '../sqlite';
import type { RowValues } from '../store/prediction-journal';

export interface LogWriterData {
  driver: SqliteDriverName;
  file: string;
  folder: string;
  insert: string;
  mark: string;
  checkpointMs: number;
  port: MessagePort;
}

type Mark = { file: string; end: number };
type ToWriter = Mark | { retire: string } | { close: true };

const data = workerData as LogWriterData;
const parent = parentPort!;
const db = openSqliteWith(data.driver, data.file, { fileMustExist: true, timeoutMs: 5000 });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 0');
const insert = db.prepare(data.insert);
const mark = db.prepare(data.mark);
const port = data.port;
/** Per journal file: its descriptor and how far it has been read. */
const journals = new Map<string, { fd: number; read: number }>();
let failed = false;
let skipped = 0;

function readTo(file: string, end: number): string {
  let journal = journals.get(file);
  if (!journal) journals.set(file, (journal = { fd: openSync(join(data.folder, file), 'r'), read: 0 }));
  const bytes = Buffer.allocUnsafe(end - journal.read);
  for (let at = 0; at < bytes.length; ) at += readSync(journal.fd, bytes, at, bytes.length - at, journal.read + at);
  journal.read = end;
  return bytes.toString('utf8');
}

const apply = db.transaction((marks: Mark[]) => {
  for (const { file, end } of marks) {
    for (const line of readTo(file, end).split('\n')) {
      if (line === '') continue;
      try {
        insert.run(...(JSON.parse(line) as RowValues));
      } catch (error) {
        if (skipped++ === 0) parent.postMessage({ note: `prediction log: a row was not stored: ${messageOf(error)}` });
      }
    }
    mark.run(file, end);
  }
});

function flush(marks: Mark[]): void {
  if (marks.length === 0) return;
  try {
    apply(marks);
    parent.postMessage({ applied: marks[marks.length - 1] });
  } catch (error) {
    failed = true;
    parent.postMessage({ error: messageOf(error) });
  }
}

function retire(file: string): void {
  const journal = journals.get(file);
  if (journal) closeSync(journal.fd);
  journals.delete(file);
  if (failed) return;
  try {
    unlinkSync(join(data.folder, file));
  } catch (error) {
    parent.postMessage({ note: `prediction log: ${file} was not deleted: ${messageOf(error)}` });
  }
}

const checkpoint = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    parent.postMessage({ note: `WAL checkpoint: ${messageOf(error)}` });
  }
}, data.checkpointMs);

port.on('message', (first: ToWriter) => {
  const messages: ToWriter[] = [first];
  for (let next; (next = receiveMessageOnPort(port)); ) messages.push(next.message as ToWriter);
  let marks: Mark[] = [];
  for (const message of messages) {
    if ('end' in message) {
      marks.push(message);
      continue;
    }
    flush(marks);
    marks = [];
    if ('retire' in message) retire(message.retire);
    if ('close' in message) {
      clearInterval(checkpoint);
      db.close();
      port.close();
      parent.close();
      return;
    }
  }
  flush(marks);
});

function messageOf(error: unknown): string {
  return String((error as Error | undefined)?.message ?? error);
}
