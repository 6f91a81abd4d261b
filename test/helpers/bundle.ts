import { copyFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { LOG_WRITER_FILE } from '../../server/src/serving/prediction-log';
import { READ_WORKER_FILE } from '../../server/src/tracking/read-pool';
import { REPO, tempDir } from './paths';

/**
 * Bundle a test helper as a program of its own (run in a child process, as the CLI would be), with
 * the worker scripts it starts beside it, copied from beside this test's own bundle.
 */
export async function bundleProgram(entry: string, prefix: string): Promise<string> {
  const outfile = join(tempDir(prefix), 'main.js');
  await build({
    entryPoints: [join(REPO, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    define: { MLOPS_VERSION: '"test"' },
  });
  for (const worker of [READ_WORKER_FILE, LOG_WRITER_FILE]) {
    const built = join(__dirname, worker);
    if (!existsSync(built)) throw new Error(`${built} is missing: run "npm run build"`);
    copyFileSync(built, join(dirname(outfile), worker));
  }
  return outfile;
}
