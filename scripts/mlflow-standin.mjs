// Serves an MLflow store over MLflow's REST API (the stand-in the remote-tracking tests use), for
// trying `tracking: [http://127.0.0.1:5000]` by hand:
//   npm run mlflow-standin -- ../shared/fixtures/mlflow-db/mlflow-1.x-2022.db [--port 5000] [--token T] [--page-size N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const outfile = join(mkdtempSync(join(tmpdir(), 'mlops-standin-')), 'mlflow-standin.js');
await build({
  entryPoints: [join(root, 'test/helpers/mlflow-standin-main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
const result = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, NODE_PATH: join(root, 'node_modules') } });
process.exit(result.status ?? 1);
