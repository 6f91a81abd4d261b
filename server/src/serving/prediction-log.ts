import { encodeAll, type HostTensor } from './dtypes';
import { Worker } from 'node:worker_threads';
import { openDatabase, openStore, type Database } from '../store/store';

export interface PredictionRecord {
  requestId: string;
  /** ms since the epoch */
  time: number;
  endpoint: string;
  model: string | null;
  version: string | null;
  protocol: 'v2' | 'v1' | 'mlflow';
  inputs: string | null;
  inputsBytes: number | null;
  outputs: string | null;
  latencyMs: number;
  status: number;
  error: string | null;
  mirrored: boolean;
}

export interface FeedbackRecord {
  requestId: string;
  endpoint: string;
  label?: string | number | boolean;
  value?: number;
}

interface Queued {
  row: PredictionRecord;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Rows per transaction at most; a burst larger than this commits in several. */
const MAX_ROWS_PER_COMMIT = 1000;

const INSERT_PREDICTION = `INSERT INTO predictions (request_id, time, endpoint, model, version, protocol, inputs, inputs_bytes, outputs, latency_ms, status, error, mirrored)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** A row as the INSERT's parameters: plain arrays cross to the writer thread cheaply. */
type RowValues = (string | number | null)[];

function rowValues(r: PredictionRecord): RowValues {
  return [r.requestId, r.time, r.endpoint, r.model, r.version, r.protocol, r.inputs, r.inputsBytes, r.outputs, r.latencyMs, r.status, r.error, r.mirrored ? 1 : 0];
}

/** Where queued rows are committed: on a writer thread for the workspace store, in process for a memory log. */
interface RowWriter {
  /** Resolves once the rows are committed. */
  commit(rows: RowValues[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * The prediction and feedback log in the workspace store. Rows queue up and commit together in one
 * transaction per flush (group commit); `record` resolves only once its row is committed, and the
 * server answers a request only after that. In WAL mode a committed transaction is in the WAL file
 * before COMMIT returns, so killing the process (even SIGKILL) cannot lose an answered request.
 * With synchronous=NORMAL the WAL is not fsynced per commit: an OS crash or power cut can still
 * lose the last commits. The commits, and the WAL checkpoints, run on a writer thread with its own
 * connection, so the thread that answers requests never waits on SQLite's I/O.
 */
export class PredictionLog {
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private inFlight = new Set<Promise<void>>();
  private readonly insertFeedback;
  private readonly findRequest;

  private constructor(
    private readonly db: Database,
    private readonly writer: RowWriter,
    /** 0: commit on the next turn of the event loop, which batches whatever arrived meanwhile. */
    private readonly flushDelayMs: number,
    readonly inMemory: boolean,
  ) {
    this.insertFeedback = db.prepare('INSERT INTO feedback (request_id, time, endpoint, label, value) VALUES (?, ?, ?, ?, ?)');
    this.findRequest = db.prepare('SELECT 1 FROM predictions WHERE request_id = ? AND mirrored = 0 LIMIT 1').pluck();
  }

  /**
   * Open the log in `.mlops/index.db`. Where that cannot be written (a read-only checkout) the log
   * lives in memory for this process and `note` says so.
   */
  static open(workspaceRoot: string, options: { flushDelayMs?: number; note?: (message: string) => void } = {}): PredictionLog {
    const delay = options.flushDelayMs ?? 0;
    const note = options.note ?? (() => {});
    let db: Database;
    try {
      db = openStore(workspaceRoot);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM' && code !== 'SQLITE_CANTOPEN' && code !== 'SQLITE_READONLY') throw error;
      note(`cannot write ${workspaceRoot}/.mlops (${code}); the prediction log is kept in memory and lost when the server stops`);
      const memory = openDatabase(':memory:');
      return new PredictionLog(memory, new InProcessWriter(memory), delay, true);
    }
    // Checkpoints belong to the writer thread, never to a commit on this one (feedback, for instance).
    db.pragma('wal_autocheckpoint = 0');
    return new PredictionLog(db, new ThreadWriter(db.name, note), delay, false);
  }

  /** Resolves when the row is committed; rejects when the commit failed. */
  record(row: PredictionRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (this.queue.length >= MAX_ROWS_PER_COMMIT) this.flush();
      else if (this.timer === undefined) {
        const flush = () => this.flush();
        this.timer = this.flushDelayMs > 0 ? setTimeout(flush, this.flushDelayMs) : setImmediate(flush);
      }
    });
  }

  /** Store ground truth for an earlier request; `matched` says whether that request is in the log. */
  feedback(record: FeedbackRecord): { matched: boolean } {
    const label = typeof record.label === 'boolean' ? Number(record.label) : (record.label ?? null);
    this.insertFeedback.run(record.requestId, Date.now(), record.endpoint, label, record.value ?? null);
    return { matched: this.findRequest.get(record.requestId) !== undefined };
  }

  /** Rows not yet committed. */
  get pending(): number {
    return this.queue.length + this.committing;
  }

  private committing = 0;

  /** Commit what is queued, wait for every commit, then close the database. */
  async close(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.inFlight]);
    await this.writer.close();
    this.db.close();
  }

  private flush(): void {
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    this.committing += batch.length;
    const done = this.writer.commit(batch.map((q) => rowValues(q.row))).then(
      () => batch.forEach((q) => q.resolve()),
      (error: unknown) => batch.forEach((q) => q.reject(error)),
    );
    const settled = done.finally(() => {
      this.committing -= batch.length;
      this.inFlight.delete(settled);
    });
    this.inFlight.add(settled);
  }
}

/** Commits on this thread: for the in-memory log, which no other connection can see. */
class InProcessWriter implements RowWriter {
  private readonly insert;

  constructor(private readonly db: Database) {
    this.insert = db.prepare(INSERT_PREDICTION);
  }

  async commit(rows: RowValues[]): Promise<void> {
    this.db.transaction(() => {
      for (const values of rows) this.insert.run(...values);
    })();
  }

  async close(): Promise<void> {}
}

/**
 * Commits on a worker thread with its own connection to the store, and checkpoints the WAL there
 * every half second: SQLite's automatic checkpoint runs inside the COMMIT that crosses its threshold
 * and would stall the committing thread for the copy and its fsync.
 */
class ThreadWriter implements RowWriter {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private failure: Error | undefined;

  constructor(file: string, note: (message: string) => void) {
    this.worker = new Worker(WRITER_SOURCE, {
      eval: true,
      workerData: { sqlite: require.resolve('better-sqlite3'), file, insert: INSERT_PREDICTION, checkpointMs: 500 },
    });
    this.worker.on('message', (m: { id: number; error?: string } | { note: string }) => {
      if ('note' in m) return note(m.note);
      const waiter = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error === undefined) waiter?.resolve();
      else waiter?.reject(new Error(`prediction log: ${m.error}`));
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`prediction log writer stopped (exit ${code})`)));
  }

  commit(rows: RowValues[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, rows });
    });
  }

  async close(): Promise<void> {
    this.worker.postMessage({ close: true });
    await new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(this.failure);
    this.waiting.clear();
  }
}

// Plain JavaScript so the thread needs no bundle of its own; better-sqlite3 is passed by path.
const WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
db.pragma('wal_autocheckpoint = 0');
const insert = db.prepare(workerData.insert);
const commit = db.transaction((rows) => { for (const values of rows) insert.run(...values); });
const checkpoint = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (error) { parentPort.postMessage({ note: 'WAL checkpoint: ' + (error && error.message || error) }); }
}, workerData.checkpointMs);
parentPort.on('message', (message) => {
  if (message.close) {
    clearInterval(checkpoint);
    db.close();
    parentPort.close();
    return;
  }
  try {
    commit(message.rows);
    parentPort.postMessage({ id: message.id });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: String(error && error.message || error) });
  }
});
`;

/**
 * Tensors as log JSON {name: {datatype, shape, data}}, or null when larger than maxBytes. Tensors
 * that are obviously too large are not serialized at all (every element takes at least 2 bytes).
 */
export function tensorsJson(tensors: ReadonlyMap<string, HostTensor>, maxBytes: number): { json: string | null; bytes: number } {
  let elements = 0;
  for (const t of tensors.values()) elements += t.data.length;
  if (elements * 2 > maxBytes) return { json: null, bytes: elements * 2 };
  const parts: string[] = [];
  for (const [name, t] of tensors) {
    parts.push(`${JSON.stringify(name)}:{"datatype":"${t.datatype}","shape":${JSON.stringify(t.shape)},"data":${encodeAll(t.datatype, t.data)}}`);
  }
  const json = `{${parts.join(',')}}`;
  return { json: json.length > maxBytes ? null : json, bytes: json.length };
}
