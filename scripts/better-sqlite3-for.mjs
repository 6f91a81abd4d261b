// better-sqlite3 built for another Node (for benchmarks that compare both SQLite drivers on one
// Node): copies node_modules/better-sqlite3 to .nodes/<major>/better-sqlite3 and builds it there
// with that Node's own headers (the node-linux-* package's include/node), offline.
//   node scripts/better-sqlite3-for.mjs 24     prints the folder; MLOPS_BETTER_SQLITE3=<folder> uses it
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { nodeOf, NODES_DIR } from './node-versions.mjs';

const root = new URL('..', import.meta.url).pathname;

export function betterSqlite3For(major) {
  const node = nodeOf(major);
  const home = dirname(dirname(node));
  const target = join(NODES_DIR, String(major), 'better-sqlite3');
  if (existsSync(join(target, 'build', 'Release', 'better_sqlite3.node')) && existsSync(join(target, 'node_modules', 'bindings'))) return target;
  rmSync(target, { recursive: true, force: true });
  cpSync(join(root, 'node_modules', 'better-sqlite3'), target, { recursive: true, filter: (src) => !src.includes(`${'/'}build${'/'}`) });
  // What it requires at run time, beside it, wherever the folder is.
  for (const dep of ['bindings', 'file-uri-to-path']) cpSync(join(root, 'node_modules', dep), join(target, 'node_modules', dep), { recursive: true });
  // npm's own node-gyp, run by the Node it builds for.
  const npmDir = dirname(dirname(createRequire(import.meta.url).resolve.paths('npm')?.[0] ?? ''));
  const candidates = [join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), join(npmDir, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')];
  const gyp = candidates.find((c) => existsSync(c));
  if (!gyp) throw new Error('node-gyp (bundled with npm) not found');
  const built = spawnSync(node, [gyp, 'rebuild', '--release', `--nodedir=${home}`], { cwd: target, stdio: ['ignore', 'ignore', 'inherit'] });
  if (built.status !== 0) throw new Error(`building better-sqlite3 for Node ${major} failed`);
  return target;
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  for (const major of process.argv.slice(2)) console.log(betterSqlite3For(major));
}
