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
const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : available;
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
  const result = spawnSync(process.execPath, [outfile], { stdio: 'inherit', cwd: root });
  failed ||= result.status !== 0;
}
process.exit(failed ? 1 : 0);
