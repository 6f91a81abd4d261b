// Builds platform VSIXes: the bundles plus the native modules of one platform each.
//   npm run package                     this machine's platform → dist/mlops-workbench.vsix
//   npm run package -- --target T       → dist/mlops-workbench-T.vsix
//   npm run package -- --all-targets    all six targets
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TARGETS, filesForTarget, hostTarget } from './targets.mjs';

const root = new URL('..', import.meta.url).pathname;
const MAX_MB = 25;
const { values } = parseArgs({ options: { target: { type: 'string', multiple: true }, 'all-targets': { type: 'boolean' } } });
const wanted = values['all-targets'] ? Object.keys(TARGETS) : (values.target ?? []);
for (const target of wanted) {
  if (!TARGETS[target]) {
    console.error(`package: unknown target "${target}"; targets: ${Object.keys(TARGETS).join(', ')}`);
    process.exit(2);
  }
}
const jobs = wanted.length > 0 ? wanted.map((t) => ({ target: t, out: join(root, 'dist', `mlops-workbench-${t}.vsix`) })) : [{ target: hostTarget(), out: join(root, 'dist', 'mlops-workbench.vsix') }];

const base = readFileSync(join(root, '.vscodeignore'), 'utf8');
const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
for (const { target, out } of jobs) {
  // .vscodeignore holds what every platform carries; the target adds its own native binaries.
  const ignoreFile = join(root, 'dist', `.vscodeignore-${target}`);
  writeFileSync(ignoreFile, `${base}\n# ${target}\n${filesForTarget(target).map((f) => `!${f}`).join('\n')}\n`);
  const result = spawnSync(
    process.execPath,
    [vsce, 'package', '--target', target, '--out', out, '--ignoreFile', ignoreFile, '--allow-missing-repository', '--allow-star-activation', '--no-rewrite-relative-links'],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (result.status !== 0) process.exit(result.status ?? 1);
  const mb = statSync(out).size / 1024 / 1024;
  console.log(`package: ${out} (${target}, ${mb.toFixed(1)} MB)`);
  if (mb > MAX_MB) {
    console.error(`package: the ${target} VSIX is over ${MAX_MB} MB; check .vscodeignore and scripts/targets.mjs`);
    process.exit(1);
  }
}
