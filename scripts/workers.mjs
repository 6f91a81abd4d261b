// The worker-thread scripts: each is loaded from next to the bundle that starts it (dist/server/,
// out/test/<kind>/, out/bench/), so every such folder gets a copy.
import { build } from 'esbuild';
import { join } from 'node:path';

export const WORKERS = {
  'read-worker': 'server/src/tracking/read-worker.ts',
  'log-writer': 'server/src/serving/log-writer.ts',
};

/** Bundle every worker script into `dir`. */
export async function buildWorkers(root, dir) {
  await Promise.all(
    Object.entries(WORKERS).map(([name, entry]) =>
      build({ entryPoints: [join(root, entry)], outfile: join(dir, `${name}.js`), bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['better-sqlite3', 'onnxruntime-node'], logLevel: 'warning' }),
    ),
  );
}
