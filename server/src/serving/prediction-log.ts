import { closeSync, existsSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { INSERT_FEEDBACK, INSERT_PREDICTION, MARK_APPLIED, journalLines, journalName, type FeedbackValues, type JournalEntry, type RowValues } from '../store/prediction-journal';
import { STORE_FOLDER, openDatabase, openStore, type Database } from '../store/store';
import { encodeAll, type HostTensor } from './dtypes';
import type { LogWriterData } from './log-writer';

/** The writer thread's script, built next to the bundle that uses it (dist/server/, out/test/…, out/bench/). */
export const LOG_WRITER_FILE = 'log-writer.js';

export interface PredictionRecord {
  requestId: string;
  /** ms since the epoch */
  time: number;
  endpoint: string;
  model: string | null;
  version: string | null;
  protocol: 'v2' | 'v1' | 'mlflow' | 'grpc';
  inputs: string | null;
  inputsBytes: number | null;
  outputs: string | null;
  latencyMs: number;
  status: number;
  error: string | null;
  mirrored: boolean;
  /** Answered from the endpoint's prediction cache (no session.run of its own); absent: not. */
  cached?: boolean;
  /** Values that broke an expectation of the model's input data set (`validate:`); absent: none. */
  violations?: number;
}

export interface FeedbackRecord {
  requestId: string;
  endpoint: string;
  label?: string | number | boolean;
  value?: number;
}

interface Queued {
  entry: JournalEntry;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Rows per journal write at most; a burst larger than this is written in several. */
const MAX_ROWS_PER_WRITE = 1000;
/** A journal file larger than this is closed and a new one started (the writer deletes the old one once applied). */
const JOURNAL_ROTATE_BYTES = 16 * 1024 * 1024;
const CHECKPOINT_MS = 500;
/**
 * The page cache of the log's connections, KiB. better-sqlite3 is built with 16 MiB per connection
 * (node:sqlite with SQLite's 2 MiB); a log that only appends needs no more than the latter, and a
 * cache filling up as the table grows reads as a growing RSS for a minute or more.
 */
export const LOG_CACHE_KIB = 2000;

/** MLOPS_JOURNAL_ROTATE_BYTES overrides the rollover size (fault tests roll over often). */
function journalRotateBytes(): number {
  const asked = Number(process.env.MLOPS_JOURNAL_ROTATE_BYTES);
  return Number.isInteger(asked) && asked > 0 ? asked : JOURNAL_ROTATE_BYTES;
}
/** Journaled rows reach the table this much later at most, plus the writer's transaction. */
const MARK_DELAY_MS = 4;

function rowValues(r: PredictionRecord): RowValues {
  return [r.requestId, r.time, r.endpoint, r.model, r.version, r.protocol, r.inputs, r.inputsBytes, r.outputs, r.latencyMs, r.status, r.error, r.mirrored ? 1 : 0, r.cached ? 1 : 0, r.violations ?? 0];
}

/** What the table would refuse, refused before the request is answered. */
function invalidRow(r: PredictionRecord): string | undefined {
  if (typeof r.requestId !== 'string' || r.requestId === '') return 'a row needs a request id';
  if (typeof r.endpoint !== 'string') return 'a row needs an endpoint';
  if (!Number.isFinite(r.time) || !Number.isFinite(r.latencyMs) || !Number.isInteger(r.status)) return 'a row needs a time, a latency and a status';
  return undefined;
}

/** Where rows go once queued: a journal plus a writer thread for the workspace store, the table itself for a memory log. */
interface RowSink {
  /** Keeps the rows so that they survive the process being killed; throws when it cannot. */
  append(entries: JournalEntry[]): void;
  /** Why rows cannot be kept any more, once that is so. */
  readonly problem: string | undefined;
  /** Whether a request's row is kept but not in the table yet. */
  holds(requestId: string): boolean;
  /** Rows kept but not in the table yet. */
  readonly unapplied: number;
  /** Resolves once `unapplied` is 0. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The prediction and feedback log in the workspace store. Rows queue up and are written together
 * once per turn of the event loop; `record` resolves once its row is in the journal
 * (store/prediction-journal.ts), and the server answers a request only after that. A journal write
 * is in the OS's page cache when it returns, so killing the process (even SIGKILL) cannot lose an
 * answered request: the next process to open the store replays it. An OS crash or power cut can
 * still lose the last rows (neither the journal nor the WAL is fsynced per write). A writer thread
 * with its own connection moves journaled rows into the predictions table within milliseconds and
 * checkpoints the WAL, so the thread that answers requests never waits on SQLite.
 */
export class PredictionLog {
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private readonly findRequest;

  private constructor(
    private readonly db: Database,
    private readonly sink: RowSink,
    /** 0: write on the next turn of the event loop, which batches whatever arrived meanwhile. */
    private readonly flushDelayMs: number,
    readonly inMemory: boolean,
  ) {
    this.findRequest = db.prepare('SELECT 1 FROM predictions WHERE request_id = ? AND mirrored = 0 LIMIT 1').pluck();
  }

  /**
   * Open the log in `.mlops/index.db`. Where that cannot be written (a read-only checkout) the log
   * lives in memory for this process and `note` says so.
   */
  static open(workspaceRoot: string, options: { flushDelayMs?: number; note?: (message: string) => void; journalRotateBytes?: number } = {}): PredictionLog {
    const delay = options.flushDelayMs ?? 0;
    const note = options.note ?? (() => {});
    let db: Database;
    let journal: JournalSink;
    try {
      db = openStore(workspaceRoot);
      journal = new JournalSink(join(workspaceRoot, STORE_FOLDER), db, note, options.journalRotateBytes ?? journalRotateBytes());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM' && code !== 'SQLITE_CANTOPEN' && code !== 'SQLITE_READONLY') throw error;
      note(`cannot write ${workspaceRoot}/.mlops (${code}); the prediction log is kept in memory and lost when the server stops`);
      const memory = openDatabase(':memory:');
      return new PredictionLog(memory, new TableSink(memory), delay, true);
    }
    // Checkpoints belong to the writer thread, never to a commit on this one.
    db.pragma('wal_autocheckpoint = 0');
    // This connection only looks requests up for feedback: a small page cache keeps the server's RSS flat.
    db.pragma(`cache_size = -${LOG_CACHE_KIB}`);
    return new PredictionLog(db, journal, delay, false);
  }

  /** Resolves when the row is kept for good (journaled, or in the table); rejects when it cannot be. */
  record(row: PredictionRecord): Promise<void> {
    const invalid = invalidRow(row);
    if (invalid) return Promise.reject(new Error(`prediction log: ${invalid}`));
    return this.enqueue(rowValues(row));
  }

  /**
   * Store ground truth for an earlier request; `matched` says whether that request is in the log.
   * It goes through the journal and the writer thread like a prediction: this thread never writes
   * to SQLite, and the writer's checkpoints keep the WAL bounded.
   */
  async feedback(record: FeedbackRecord): Promise<{ matched: boolean }> {
    const label = typeof record.label === 'boolean' ? Number(record.label) : (record.label ?? null);
    const values: FeedbackValues = [record.requestId, Date.now(), record.endpoint, label, record.value ?? null];
    const matched = this.sink.holds(record.requestId) || this.findRequest.get(record.requestId) !== undefined;
    await this.enqueue({ feedback: values });
    return { matched };
  }

  /** Why rows cannot be kept any more, once that is so (readiness says it). */
  get problem(): string | undefined {
    return this.sink.problem;
  }

  private enqueue(entry: JournalEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      if (this.queue.length >= MAX_ROWS_PER_WRITE) this.flush();
      else if (this.timer === undefined) {
        const flush = () => this.flush();
        this.timer = this.flushDelayMs > 0 ? setTimeout(flush, this.flushDelayMs) : setImmediate(flush);
      }
    });
  }

  /** Resolves once every row recorded so far is in the predictions table (readers of the table see it). */
  settled(): Promise<void> {
    this.flush();
    return this.sink.settled();
  }

  /** Rows not yet in the predictions table. */
  get pending(): number {
    return this.queue.length + this.sink.unapplied;
  }

  /** Write what is queued, let the writer apply everything, then close the database. */
  async close(): Promise<void> {
    this.flush();
    await this.sink.close();
    this.db.close();
  }

  private flush(): void {
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    try {
      this.sink.append(batch.map((q) => q.entry));
    } catch (error) {
      for (const q of batch) q.reject(error);
      return;
    }
    for (const q of batch) q.resolve();
  }
}

/** Straight into the table: for the in-memory log, which no other connection can see. */
class TableSink implements RowSink {
  private readonly insert;
  private readonly insertFeedback;
  readonly unapplied = 0;
  readonly problem = undefined;

  constructor(private readonly db: Database) {
    this.insert = db.prepare(INSERT_PREDICTION);
    this.insertFeedback = db.prepare(INSERT_FEEDBACK);
  }

  append(entries: JournalEntry[]): void {
    this.db.transaction(() => {
      for (const entry of entries) {
        if (Array.isArray(entry)) this.insert.run(...entry);
        else this.insertFeedback.run(...entry.feedback);
      }
    })();
  }

  holds(): boolean {
    return false;
  }

  async settled(): Promise<void> {}

  async close(): Promise<void> {}
}

interface Unapplied {
  file: string;
  end: number;
  requestIds: string[];
  /** Predictions and feedback: what `settled()` waits for. */
  rows: number;
}

type FromWriter = { applied: { file: string; end: number } } | { note: string } | { error: string };

/**
 * Appends rows to this process's journal file and tells the writer thread how far the file goes; the
 * writer reads the new lines from the file itself (no copy of the rows crosses threads), inserts
 * everything that queued up meanwhile in one transaction, and says how far it got.
 */
class JournalSink implements RowSink {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private fd: number;
  private file: string;
  private sequence = 0;
  private written = 0;
  /** The mark the writer has not reported applied yet. */
  private lastMark: { file: string; end: number } | undefined;
  private markTimer: NodeJS.Timeout | undefined;
  private settledWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private readonly unappliedBatches: Unapplied[] = [];
  private readonly held = new Map<string, number>();
  private heldRows = 0;
  private failure: Error | undefined;
  private rotateFailed = false;

  constructor(
    private readonly folder: string,
    db: Database,
    private readonly note: (message: string) => void,
    private readonly rotateBytes: number,
  ) {
    this.file = this.nextFile();
    this.fd = openSync(join(folder, this.file), 'a');
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const script = join(__dirname, LOG_WRITER_FILE);
    if (!existsSync(script)) throw new Error(`prediction log: the writer ${script} is missing; build with "npm run build"`);
    const workerData: LogWriterData = { cacheKib: LOG_CACHE_KIB, driver: db.driver, file: db.name, folder, insert: INSERT_PREDICTION, insertFeedback: INSERT_FEEDBACK, mark: MARK_APPLIED, checkpointMs: CHECKPOINT_MS, port: port2 };
    this.worker = new Worker(script, { workerData, transferList: [port2] });
    this.worker.on('message', (m: FromWriter) => {
      if ('applied' in m) this.applied(m.applied.file, m.applied.end);
      else if ('note' in m) this.note(m.note);
      else this.fail(new Error(`prediction log: ${m.error}`));
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`prediction log writer stopped (exit ${code})`)));
  }

  get unapplied(): number {
    return this.heldRows;
  }

  get problem(): string | undefined {
    return this.failure?.message;
  }

  append(entries: JournalEntry[]): void {
    if (this.failure) throw this.failure;
    const bytes = Buffer.from(journalLines(entries), 'utf8');
    try {
      for (let at = 0; at < bytes.length; ) at += writeSync(this.fd, bytes, at);
    } catch (error) {
      // Cut a partly written batch off, so the next write starts on a line of its own.
      try {
        ftruncateSync(this.fd, this.written);
      } catch {
        this.failure = new Error(`prediction log: the journal ${this.file} cannot be written or repaired`);
      }
      throw new Error(`prediction log: the journal could not be written (${(error as Error).message})`);
    }
    this.written += bytes.length;
    this.markSoon();
    // Only predictions are held: feedback on a request still in the journal matches it.
    const requestIds = entries.flatMap((e) => (Array.isArray(e) ? [e[0] as string] : []));
    const rows = entries.length;
    for (const id of requestIds) this.held.set(id, (this.held.get(id) ?? 0) + 1);
    this.heldRows += rows;
    this.unappliedBatches.push({ file: this.file, end: this.written, requestIds, rows });
    if (this.written >= this.rotateBytes) this.rotate();
  }

  holds(requestId: string): boolean {
    return this.held.has(requestId);
  }

  settled(): Promise<void> {
    if (this.heldRows === 0) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    this.mark();
    return new Promise((resolve, reject) => this.settledWaiters.push({ resolve, reject }));
  }

  async close(): Promise<void> {
    closeSync(this.fd);
    this.mark();
    this.port.postMessage({ retire: this.file });
    this.port.postMessage({ close: true });
    if (this.worker.threadId !== -1) await new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
  }

  /**
   * A new file; the writer deletes the old one once everything in it is applied. The new file is
   * open before the old one is closed: where it cannot be opened the old one stays in use (and is
   * tried again at the next write), so no write ever meets a closed descriptor, or one that a new
   * socket has taken since.
   */
  private rotate(): void {
    const file = this.nextFile();
    let fd: number;
    try {
      fd = openSync(join(this.folder, file), 'a');
    } catch (error) {
      if (!this.rotateFailed) this.note(`prediction log: a new journal could not be started (${(error as Error).message}); the current one stays in use`);
      this.rotateFailed = true;
      return;
    }
    this.rotateFailed = false;
    this.mark();
    const old = { fd: this.fd, file: this.file };
    this.fd = fd;
    this.file = file;
    this.written = 0;
    closeSync(old.fd);
    this.port.postMessage({ retire: old.file });
  }

  /**
   * Waking the writer thread costs more than a journal write: marks go at most every MARK_DELAY_MS
   * and one at a time, and lines written meanwhile go with the next mark, sent once the writer
   * reports this one applied.
   */
  private markSoon(): void {
    if (this.lastMark !== undefined || this.markTimer !== undefined) return;
    this.markTimer = setTimeout(() => this.mark(), MARK_DELAY_MS);
  }

  /** Tell the writer how far the journal goes. */
  private mark(): void {
    clearTimeout(this.markTimer);
    this.markTimer = undefined;
    const mark = { file: this.file, end: this.written };
    if (this.lastMark && this.lastMark.file === mark.file && this.lastMark.end === mark.end) return;
    this.port.postMessage(mark);
    this.lastMark = mark;
  }

  /** A name no file has had: this process's token is in it (no SQLite on this thread to clear old marks). */
  private nextFile(): string {
    while (existsSync(join(this.folder, journalName(process.pid, this.sequence)))) this.sequence++;
    return journalName(process.pid, this.sequence++);
  }

  /** Batches are applied in order: everything up to `end` of `file`, and all of earlier files. */
  private applied(file: string, end: number): void {
    this.release(file, end);
    if (this.lastMark?.file === file && this.lastMark.end === end) {
      this.lastMark = undefined;
      if (this.written > 0 && !(file === this.file && end === this.written)) this.markSoon();
    }
  }

  private release(file: string, end: number): void {
    while (this.unappliedBatches.length > 0) {
      const batch = this.unappliedBatches[0];
      if (batch.file === file && batch.end > end) break;
      this.unappliedBatches.shift();
      this.heldRows -= batch.rows;
      for (const id of batch.requestIds) {
        const n = (this.held.get(id) ?? 1) - 1;
        if (n === 0) this.held.delete(id);
        else this.held.set(id, n);
      }
      if (batch.file === file && batch.end === end) break;
    }
    if (this.heldRows === 0) for (const waiter of this.settledWaiters.splice(0)) waiter.resolve();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.settledWaiters.splice(0)) waiter.reject(this.failure);
  }
}

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
