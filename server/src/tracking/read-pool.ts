import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { readRunFolder, type RunFolderRead } from './packed-run';
import { readTensorboardRunFromStart, type TensorboardRunFolder, type TensorboardRunRead } from './tensorboard';

export interface RunFolderJob {
  dir: string;
  runId: string;
  experimentId: string;
}

export interface TensorboardRunJob {
  root: string;
  run: TensorboardRunFolder;
}

/** What a worker is asked to do: one kind of read over a chunk of jobs. */
export type ReadTask = { kind: 'mlflow-run-folders'; jobs: RunFolderJob[] } | { kind: 'tensorboard-runs'; jobs: TensorboardRunJob[] };

/** The reads of a task; the same function runs on a worker or on the calling thread. */
export function runReadTask(task: ReadTask): RunFolderRead[] | TensorboardRunRead[] {
  if (task.kind === 'mlflow-run-folders') return task.jobs.map((j) => readRunFolder(j.dir, j.runId, j.experimentId));
  return task.jobs.map((j) => readTensorboardRunFromStart(j.root, j.run));
}

/** The worker script, built next to the bundle that uses it (dist/server/, out/test/…, out/bench/). */
export const READ_WORKER_FILE = 'read-worker.js';

/** Below this many MLflow runs, starting threads costs more than it saves. */
const MIN_JOBS_FOR_WORKERS = 64;
const CHUNK = 16;
/** TensorBoard runs are few and large: threads pay from this many bytes of event files. */
const MIN_TENSORBOARD_BYTES_FOR_WORKERS = 8 << 20;
const TENSORBOARD_CHUNK = 4;

/**
 * Reads MLflow run folders (and TensorBoard runs) on worker threads, so a cold index uses every core
 * while the calling thread writes to the store (and the language server stays responsive). Results
 * arrive chunk by chunk as they are ready. Without the worker script, or for few runs, it reads on
 * the calling thread.
 */
export async function* readRunFolders(jobs: RunFolderJob[], workerDir: string = __dirname): AsyncGenerator<RunFolderRead[]> {
  yield* inPool(chunked(jobs, CHUNK).map((c) => ({ kind: 'mlflow-run-folders' as const, jobs: c })), jobs.length >= MIN_JOBS_FOR_WORKERS, workerDir) as AsyncGenerator<RunFolderRead[]>;
}

/** TensorBoard runs read from their files' starts, on worker threads when there is much to read. */
export async function* readTensorboardRuns(jobs: TensorboardRunJob[], bytes: number, workerDir: string = __dirname): AsyncGenerator<TensorboardRunRead[]> {
  yield* inPool(chunked(jobs, TENSORBOARD_CHUNK).map((c) => ({ kind: 'tensorboard-runs' as const, jobs: c })), bytes >= MIN_TENSORBOARD_BYTES_FOR_WORKERS, workerDir) as AsyncGenerator<TensorboardRunRead[]>;
}

function chunked<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function* inPool(tasks: ReadTask[], worthThreads: boolean, workerDir: string): AsyncGenerator<RunFolderRead[] | TensorboardRunRead[]> {
  const script = join(workerDir, READ_WORKER_FILE);
  const threads = Math.min(4, Math.max(1, availableParallelism()), tasks.length);
  if (!worthThreads || threads < 2 || !existsSync(script)) {
    for (const task of tasks) yield runReadTask(task);
    return;
  }
  yield* readOnWorkers(tasks, script, threads);
}

async function* readOnWorkers(chunks: ReadTask[], script: string, threads: number): AsyncGenerator<RunFolderRead[] | TensorboardRunRead[]> {
  const ready: (RunFolderRead[] | TensorboardRunRead[])[] = [];
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  let pending = chunks.length;
  const workers: Worker[] = [];
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  for (let t = 0; t < threads && chunks.length > 0; t++) {
    const worker = new Worker(script);
    workers.push(worker);
    const next = () => {
      const chunk = chunks.shift();
      if (chunk) worker.postMessage(chunk);
    };
    worker.on('message', (result: RunFolderRead[] | TensorboardRunRead[]) => {
      ready.push(result);
      pending--;
      next();
      notify();
    });
    worker.on('error', (error) => {
      failure = error;
      notify();
    });
    next();
  }
  try {
    while (pending > 0 || ready.length > 0) {
      if (failure) throw failure;
      const result = ready.shift();
      if (result) {
        yield result;
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
