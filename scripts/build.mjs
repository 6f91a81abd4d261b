// Type-checks everything, then bundles the client, the server, the CLI, the webviews and the tests.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { WORKERS } from './workers.mjs';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const skipTypecheck = process.argv.includes('--no-typecheck');

if (!skipTypecheck) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const project of ['tsconfig.json', 'webview/tsconfig.json']) {
    try {
      execFileSync(process.execPath, [tsc, '-p', join(root, project)], { stdio: 'inherit' });
    } catch {
      console.error(`build: type errors in ${project}`);
      process.exit(1);
    }
  }
}

for (const part of ['client', 'server', 'webview']) rmSync(join(root, 'dist', part), { recursive: true, force: true });
rmSync(join(root, 'out'), { recursive: true, force: true });

const common = {
  bundle: true,
  sourcemap: 'linked',
  logLevel: 'warning',
  define: { MLOPS_VERSION: JSON.stringify(pkg.version) },
};
// Native modules stay outside the bundle and load from node_modules at run time.
const nativeModules = ['better-sqlite3', 'onnxruntime-node'];

await Promise.all([
  build({
    ...common,
    entryPoints: { 'client/main': 'client/src/main.ts' },
    outdir: join(root, 'dist'),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  }),
  build({
    ...common,
    entryPoints: {
      'server/server': 'server/src/lsp/main.ts',
      'server/cli': 'server/src/cli/main.ts',
      ...Object.fromEntries(Object.entries(WORKERS).map(([name, entry]) => [`server/${name}`, entry])),
    },
    outdir: join(root, 'dist'),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nativeModules,
  }),
  build({
    ...common,
    entryPoints: { 'webview/dashboard': 'webview/src/dashboard.ts', 'webview/compare': 'webview/src/compare.ts', 'webview/charts': 'webview/src/charts.ts', 'webview/ab': 'webview/src/ab.ts', 'webview/drift': 'webview/src/drift.ts', 'webview/data': 'webview/src/data.ts' },
    outdir: join(root, 'dist'),
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    minify: true,
  }),
  build({
    ...common,
    entryPoints: findTests(join(root, 'test')),
    outbase: root,
    outdir: join(root, 'out'),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    external: ['vscode'],
  }),
]);

// Worker scripts are loaded from next to the bundle that starts them: the tests' too.
for (const dir of ['out/test/unit', 'out/test/integration', 'out/test/soak', 'out/test/helpers']) {
  mkdirSync(join(root, dir), { recursive: true });
  for (const name of Object.keys(WORKERS)) cpSync(join(root, 'dist', 'server', `${name}.js`), join(root, dir, `${name}.js`));
}
mkdirSync(join(root, 'dist', 'webview'), { recursive: true });
cpSync(join(root, 'webview', 'src', 'shell.css'), join(root, 'dist', 'webview', 'shell.css'));
console.log('build: dist/ and out/ written');

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'fixtures') continue;
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (/\.ts$/.test(name) && !name.endsWith('.d.ts')) found.push(relative(root, path));
  }
  return found;
}
