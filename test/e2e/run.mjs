// `npm run test:e2e`: installs the e2e tools if needed, compiles the e2e tests and runs them one at a
// time (each scenario starts its own code-server and Chromium).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const srcDir = path.join(root, 'test', 'e2e');
const outDir = path.join(root, 'out', 'test', 'e2e');
const resultsDir = path.join(root, 'test-results', 'e2e');

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function filesIn(dir, suffix) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith(suffix)).map((f) => path.join(dir, f));
}

const newestMtime = (files) => Math.max(0, ...files.map((f) => fs.statSync(f).mtimeMs));

// The project build may already have compiled the tests; reuse them only if no source is newer.
function compiledTestsAreFresh() {
  const compiled = filesIn(outDir, '.test.js');
  if (compiled.length === 0) return false;
  const oldestCompiled = Math.min(...compiled.map((f) => fs.statSync(f).mtimeMs));
  return oldestCompiled >= newestMtime(filesIn(srcDir, '.ts'));
}

async function bundleTests() {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: filesIn(srcDir, '.test.ts'),
    outdir: outDir,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'warning',
  });
}

async function main() {
  if (run('bash', [path.join(root, 'scripts', 'e2e-setup.sh')]) !== 0) {
    console.error('[e2e] setup failed; see the messages above.');
    return 1;
  }
  if (compiledTestsAreFresh()) {
    console.log(`[e2e] using compiled tests in ${path.relative(root, outDir)}/`);
  } else {
    await bundleTests();
    console.log(`[e2e] compiled tests into ${path.relative(root, outDir)}/`);
  }
  console.log(`[e2e] screenshots and logs: ${resultsDir}/<scenario>/`);
  // Name the test files: given the folder, node would also load harness.js as a test file.
  const tests = filesIn(outDir, '.test.js');
  const status = run(process.execPath, ['--enable-source-maps', '--test', '--test-concurrency=1', ...tests]);
  console.log(`[e2e] ${status === 0 ? 'passed' : 'FAILED'}; screenshots and logs: ${resultsDir}/<scenario>/`);
  return status;
}

main().then(
  (status) => process.exit(status),
  (err) => {
    console.error('[e2e]', err);
    process.exit(1);
  },
);
