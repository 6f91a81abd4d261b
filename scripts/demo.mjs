// `npm run demo`: the main job on the bundled example, end to end, with the embedded defaults
// (SQLite store under examples/churn/.mlops/, servers on 127.0.0.1). Exits non-zero if a step fails.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
// A copy of the bundled example, so training (new run logs) leaves the repository's files as they are.
const example = join('out', 'demo', 'churn');
const steps = [
  ['Train both model versions, log the runs, export ONNX', ['train', example]],
  ['Index the runs', ['runs', example]],
  ['Check the manifest: schema, references, ONNX files, gates against the runs (the CI gate)', ['check', example]],
  ['Serve the A/B split (70/30, sticky by customer) and replay the 2,113 test customers with feedback', ['replay', example, '--rows', '2113']],
  ['Analyze the A/B experiment from the prediction and feedback log', ['ab', 'v2-vs-v1', example]],
  ['Promote version 2 to production (gates: its run, and the live latency from the log)', ['promote', 'churn', '2', example]],
  ['The audit log', ['history', 'churn', example]],
  ['Roll back in one step', ['rollback', 'churn', example]],
];

// Every demo starts from a fresh copy and an empty store, so the prediction log holds this run's traffic only.
rmSync(join(root, example), { recursive: true, force: true });
cpSync(join(root, 'examples', 'churn'), join(root, example), { recursive: true, filter: (src) => !src.endsWith('.mlops') });
console.log(`demo: working on a copy of examples/churn in ${example}`);
const started = Date.now();
for (const [title, args] of steps) {
  console.log(`\n── ${title}\n$ mlops ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [join(root, 'bin', 'mlops.js'), ...args], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`\ndemo: "mlops ${args.join(' ')}" failed with exit code ${result.status}`);
    process.exit(result.status ?? 1);
  }
}
console.log(`\ndemo: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
