/**
 * Worker thread entry (bundled as read-worker.js): reads chunks of MLflow run folders and sends back
 * packed runs, moving the history buffers instead of copying them.
 */
import { parentPort } from 'node:worker_threads';
import { readRunFolder, type RunFolderRead } from './packed-run';
import type { RunFolderJob } from './read-pool';

parentPort?.on('message', (jobs: RunFolderJob[]) => {
  const results: RunFolderRead[] = jobs.map((j) => readRunFolder(j.dir, j.runId, j.experimentId));
  const transfer = results.flatMap((r) => (r.packed?.history ? [r.packed.history.steps.buffer, r.packed.history.timestamps.buffer, r.packed.history.values.buffer] : []));
  parentPort!.postMessage(results, transfer as ArrayBuffer[]);
});
