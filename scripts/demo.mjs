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
  ['Analyze the A/B experiment from the prediction and feedback log, with the HTML report', ['ab', 'v2-vs-v1', example, '--html', join(example, 'ab-report.html')]],
  ['Promote version 2 to production (gates: its run, and the live latency from the log)', ['promote', 'churn', '2', example]],
  ['The audit log', ['history', 'churn', example]],
  ['Roll back in one step', ['rollback', 'churn', example]],
  ['Data drift of the replayed test customers against the training reference (none expected)', ['drift', 'churn', example]],
  // A drifted period: long-standing customers only; the next steps look at the log from its start on.
  ['Replay a drifted period: 1,000 customers with tenure ≥ 48 months', ['replay', example, '--rows', '1000', '--slice', 'long-tenure'], [0], 'mark'],
  ['Data drift of the drifted period, with the HTML report', () => ['drift', 'churn', example, '--since', String(marked), '--html', join(example, 'drift-report.html')], [0, 1]],
  ['Model health in the drifted period: live quality against the baseline run, latency, alerts, whether to retrain', () => ['monitor', 'churn', example, '--since', String(marked), '--every', '1m'], [0, 1]],
];
let marked = 0;

// Every demo starts from a fresh copy and an empty store, so the prediction log holds this run's traffic only.
rmSync(join(root, example), { recursive: true, force: true });
cpSync(join(root, 'examples', 'churn'), join(root, example), { recursive: true, filter: (src) => !src.endsWith('.mlops') });
console.log(`demo: working on a copy of examples/churn in ${example}`);
const started = Date.now();
for (const [title, argsOf, okCodes = [0], mark] of steps) {
  if (mark === 'mark') marked = Date.now();
  const args = typeof argsOf === 'function' ? argsOf() : argsOf;
  console.log(`\n── ${title}\n$ mlops ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [join(root, 'bin', 'mlops.js'), ...args], { cwd: root, stdio: 'inherit' });
  // mlops drift and monitor exit 1 when they find drift: here that is the expected finding.
  if (!okCodes.includes(result.status)) {
    console.error(`\ndemo: "mlops ${args.join(' ')}" failed with exit code ${result.status}`);
    process.exit(result.status ?? 1);
  }
}
console.log(`\ndemo: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
