import { encodeAll, type HostTensor } from './dtypes';
import { BackgroundCheckpointer } from '../store/checkpointer';
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

/**
 * The prediction and feedback log in the workspace store. Rows queue up and commit together in one
 * transaction per flush (group commit); `record` resolves only once its row is committed, and the
 * server answers a request only after that. In WAL mode a committed transaction is in the WAL file
 * before COMMIT returns, so killing the process (even SIGKILL) cannot lose an answered request.
 * With synchronous=NORMAL the WAL is not fsynced per commit: an OS crash or power cut can still
 * lose the last commits.
 */
export class PredictionLog {
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private readonly insert;
  private readonly insertFeedback;
  private readonly findRequest;
  private readonly checkpointer: BackgroundCheckpointer | undefined;

  private constructor(
    private readonly db: Database,
    /** 0: commit on the next turn of the event loop, which batches whatever arrived meanwhile. */
    private readonly flushDelayMs: number,
    readonly inMemory: boolean,
    note: (message: string) => void = () => {},
  ) {
    // Commits happen on the thread that answers requests; checkpoints must not.
    this.checkpointer = inMemory ? undefined : BackgroundCheckpointer.start(db, 500, note);
    this.insert = db.prepare(
      `INSERT INTO predictions (request_id, time, endpoint, model, version, protocol, inputs, inputs_bytes, outputs, latency_ms, status, error, mirrored)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertFeedback = db.prepare('INSERT INTO feedback (request_id, time, endpoint, label, value) VALUES (?, ?, ?, ?, ?)');
    this.findRequest = db.prepare('SELECT 1 FROM predictions WHERE request_id = ? AND mirrored = 0 LIMIT 1').pluck();
  }

  /**
   * Open the log in `.mlops/index.db`. Where that cannot be written (a read-only checkout) the log
   * lives in memory for this process and `note` says so.
   */
  static open(workspaceRoot: string, options: { flushDelayMs?: number; note?: (message: string) => void } = {}): PredictionLog {
    const delay = options.flushDelayMs ?? 0;
    try {
      return new PredictionLog(openStore(workspaceRoot), delay, false, options.note);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM' && code !== 'SQLITE_CANTOPEN' && code !== 'SQLITE_READONLY') throw error;
      options.note?.(`cannot write ${workspaceRoot}/.mlops (${code}); the prediction log is kept in memory and lost when the server stops`);
      return new PredictionLog(openDatabase(':memory:'), delay, true);
    }
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

  get pending(): number {
    return this.queue.length;
  }

  /** Commit what is queued, then close the database. */
  close(): void {
    this.flush();
    void this.checkpointer?.stop();
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
      this.db.transaction(() => {
        for (const { row: r } of batch) {
          this.insert.run(r.requestId, r.time, r.endpoint, r.model, r.version, r.protocol, r.inputs, r.inputsBytes, r.outputs, r.latencyMs, r.status, r.error, r.mirrored ? 1 : 0);
        }
      })();
    } catch (error) {
      for (const q of batch) q.reject(error);
      return;
    }
    for (const q of batch) q.resolve();
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
