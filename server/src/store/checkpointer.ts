import { Worker } from 'node:worker_threads';
import type { Database } from './store';

/**
 * Copies a WAL database's write-ahead log back into the database file on a worker thread, with its
 * own connection, instead of on the thread that commits: SQLite's automatic checkpoint runs inside
 * the COMMIT that crosses its threshold, and stalls that thread for the copy and its fsync. The
 * model server commits its prediction log on the thread that answers requests, where such a stall
 * is a latency spike for every request in flight.
 */
export class BackgroundCheckpointer {
  private constructor(private readonly worker: Worker) {}

  /** Turns off automatic checkpoints on `db` and checkpoints its file every `intervalMs` instead. */
  static start(db: Database, intervalMs = 500, onError: (message: string) => void = () => {}): BackgroundCheckpointer | undefined {
    if (db.memory || db.name === '') return undefined;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { sqlite: require.resolve('better-sqlite3'), file: db.name, intervalMs },
    });
    worker.on('message', (message: string) => onError(`WAL checkpoint: ${message}`));
    worker.on('error', (error) => onError(`WAL checkpoint thread: ${error.message}`));
    worker.unref();
    db.pragma('wal_autocheckpoint = 0');
    return new BackgroundCheckpointer(worker);
  }

  /** Stops the thread; the last connection to close checkpoints what is left. */
  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

// The worker is plain JavaScript so it needs no bundle of its own; better-sqlite3 is passed by path.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    parentPort.postMessage(String(error && error.message || error));
  }
}, workerData.intervalMs);
`;
