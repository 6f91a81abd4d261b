import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { readRunFolder, type RunFolderRead } from './packed-run';

export interface RunFolderJob {
  dir: string;
  runId: string;
  experimentId: string;
}

/** The worker script, built next to the bundle that uses it (dist/server/, out/test/…, out/bench/). */
export const READ_WORKER_FILE = 'read-worker.js';

/** Below this many runs, starting threads costs more than it saves. */
const MIN_JOBS_FOR_WORKERS = 64;
const CHUNK = 16;

/**
 * Reads MLflow run folders on worker threads, so a cold index of thousands of runs uses every core
 * while the calling thread writes to the store (and the language server stays responsive). Results
 * arrive chunk by chunk as they are ready. Without the worker script, or for few runs, it reads on
 * the calling thread.
 */
export async function* readRunFolders(jobs: RunFolderJob[], workerDir: string = __dirname): AsyncGenerator<RunFolderRead[]> {
  const script = join(workerDir, READ_WORKER_FILE);
  const threads = Math.min(4, Math.max(1, availableParallelism()));
  if (jobs.length < MIN_JOBS_FOR_WORKERS || threads < 2 || !existsSync(script)) {
    for (let i = 0; i < jobs.length; i += CHUNK) yield jobs.slice(i, i + CHUNK).map((j) => readRunFolder(j.dir, j.runId, j.experimentId));
    return;
  }
  yield* readOnWorkers(jobs, script, threads);
}

async function* readOnWorkers(jobs: RunFolderJob[], script: string, threads: number): AsyncGenerator<RunFolderRead[]> {
  const chunks: RunFolderJob[][] = [];
  for (let i = 0; i < jobs.length; i += CHUNK) chunks.push(jobs.slice(i, i + CHUNK));
  const ready: RunFolderRead[][] = [];
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
    worker.on('message', (result: RunFolderRead[]) => {
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
