/**
 * Worker thread entry (bundled as read-worker.js): runs read tasks (chunks of MLflow run folders or
 * TensorBoard runs) and sends back packed runs, moving the history buffers instead of copying them.
 */
import { parentPort } from 'node:worker_threads';
import type { PackedRun } from './packed-run';
import { runReadTask, type ReadTask } from './read-pool';

parentPort?.on('message', (task: ReadTask) => {
  const results = runReadTask(task);
  const transfer = results.flatMap((r: { packed: PackedRun | null }) => (r.packed?.history ? [r.packed.history.steps.buffer, r.packed.history.timestamps.buffer, r.packed.history.values.buffer] : []));
  parentPort!.postMessage(results, transfer as ArrayBuffer[]);
});
