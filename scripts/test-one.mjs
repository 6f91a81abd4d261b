// Bundles and runs the given test files without touching dist/ or out/ (for quick, parallel runs):
//   node scripts/test-one.mjs test/unit/query.test.ts [more.test.ts ...]
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';
import { buildWorkers } from './workers.mjs';

const root = new URL('..', import.meta.url).pathname;
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node scripts/test-one.mjs <test.ts> [...]');
  process.exit(2);
}
// Keep the repo-relative layout so tests that locate the repo from __dirname still work.
const outdir = mkdtempSync(join(tmpdir(), 'mlops-test-'));
await build({
  entryPoints: files,
  outbase: root,
  outdir: join(outdir, 'out'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
  define: { MLOPS_VERSION: '"dev"' },
});
const built = files.map((f) => join(outdir, 'out', relative(root, f).replace(/\.ts$/, '.js')));
for (const dir of new Set([...built.map((b) => dirname(b)), join(outdir, 'out', 'test', 'helpers')])) await buildWorkers(root, dir);
const env = { ...process.env, MLOPS_REPO: root, NODE_PATH: join(root, 'node_modules') };
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...built], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
