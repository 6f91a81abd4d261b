// Builds dist/mlops-workbench.vsix for linux-x64: the bundles plus only the native modules.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'dist', 'mlops-workbench.vsix');
const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
const result = spawnSync(process.execPath, [vsce, 'package', '--target', 'linux-x64', '--out', out, '--allow-missing-repository', '--allow-star-activation', '--no-rewrite-relative-links'], {
  cwd: root,
  stdio: 'inherit',
});
if (result.status !== 0) process.exit(result.status ?? 1);

const mb = statSync(out).size / 1024 / 1024;
console.log(`package: ${out} (${mb.toFixed(1)} MB)`);
if (mb > 25) {
  console.error('package: the VSIX is over 25 MB; check .vscodeignore');
  process.exit(1);
}
