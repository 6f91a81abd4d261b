// `npm run bench [-- name ...]`: bundles bench/<name>.ts and runs each; no name runs them all.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { buildWorkers } from './workers.mjs';

const root = new URL('..', import.meta.url).pathname;
const available = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.ts') && f !== 'report.ts')
  .map((f) => f.replace(/\.ts$/, ''));
// --node N: run on Node N from .nodes/ (installed if missing), with a better-sqlite3 built for it,
// so that both SQLite drivers load in one process and are measured side by side.
const args = process.argv.slice(2);
const at = args.indexOf('--node');
let runtime = process.execPath;
const env = { ...process.env };
if (at !== -1) {
  const major = args[at + 1];
  args.splice(at, 2);
  const { nodeOf } = await import('./node-versions.mjs');
  const { betterSqlite3For } = await import('./better-sqlite3-for.mjs');
  runtime = nodeOf(major);
  env.MLOPS_BETTER_SQLITE3 = betterSqlite3For(major);
}
const wanted = args.length > 0 ? args : available;
for (const name of wanted) {
  if (!available.includes(name)) {
    console.error(`unknown benchmark "${name}"; available: ${available.join(', ')}`);
    process.exit(2);
  }
}
let failed = false;
for (const name of wanted) {
  const outfile = join(root, 'out', 'bench', `${name}.js`);
  await build({
    entryPoints: [join(root, 'bench', `${name}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    define: { MLOPS_VERSION: '"bench"' },
  });
  if (!existsSync(outfile)) throw new Error(`build of ${name} failed`);
  await buildWorkers(root, join(root, 'out', 'bench'));
  const result = spawnSync(runtime, [outfile], { stdio: 'inherit', cwd: root, env });
  failed ||= result.status !== 0;
}
process.exit(failed ? 1 : 0);
