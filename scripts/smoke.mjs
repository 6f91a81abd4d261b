// Smoke test of an installed CLI on the Node that runs this script:
//   /path/to/node scripts/smoke.mjs [path/to/mlops.js]   (default: this checkout's bin/mlops.js)
// doctor, runs on the bundled example, then serve + one V2 inference + the prediction log, read back
// with node:sqlite (or better-sqlite3 on Node 20) independently of the CLI. Prints `runs --json`'s
// digest so runs on several Nodes can be compared.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const root = new URL('..', import.meta.url).pathname;
const cli = resolve(process.argv[2] ?? join(root, 'bin', 'mlops.js'));
const fail = (message) => {
  console.error(`smoke (${process.version}): FAILED: ${message}`);
  process.exit(1);
};
const run = (args) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });

const doctor = run(['doctor', '--json']);
if (doctor.status !== 0) fail(`doctor exited ${doctor.status}: ${doctor.stdout}${doctor.stderr}`);
if (/ExperimentalWarning/.test(doctor.stderr)) fail(`doctor printed a warning: ${doctor.stderr}`);
const status = JSON.parse(doctor.stdout);
console.log(`smoke: ${status.runtimeSummary}`);

const folder = mkdtempSync(join(tmpdir(), 'mlops-smoke-'));
cpSync(join(root, 'examples', 'churn'), folder, { recursive: true, filter: (src) => !/[\\/]\.mlops$/.test(src) });
const runs = run(['runs', folder, '--json']);
if (runs.status !== 0) fail(`runs exited ${runs.status}: ${runs.stderr}`);
const listed = JSON.parse(runs.stdout);
if (listed.length === 0) fail('runs listed no run');
// Paths differ per copy; everything else must be the same on every Node.
const digest = createHash('sha256').update(runs.stdout.split(folder).join('<folder>')).digest('hex').slice(0, 16);
console.log(`smoke: runs --json: ${listed.length} runs, digest ${digest}`);

// An MLflow database written by MLflow itself, read through whichever SQLite driver this Node has.
const fixture = join(root, '..', 'shared', 'fixtures', 'mlflow-db', 'mlflow-3.x-2026.db');
if (existsSync(fixture)) {
  const dbFolder = mkdtempSync(join(tmpdir(), 'mlops-smoke-db-'));
  copyFileSync(fixture, join(dbFolder, 'mlflow.db'));
  const dbRuns = run(['runs', dbFolder, '--json']);
  if (dbRuns.status !== 0) fail(`runs on an mlflow.db exited ${dbRuns.status}: ${dbRuns.stderr}`);
  const dbDigest = createHash('sha256').update(dbRuns.stdout.split(dbFolder).join('<folder>')).digest('hex').slice(0, 16);
  console.log(`smoke: runs --json on mlflow.db: ${JSON.parse(dbRuns.stdout).length} runs, digest ${dbDigest}`);
}

const server = spawn(process.execPath, [cli, 'serve', folder, '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
let stderr = '';
server.stderr.on('data', (chunk) => (stderr += chunk));
const exited = new Promise((done) => server.on('exit', (code, signal) => done({ code, signal })));
const first = await Promise.race([createInterface({ input: server.stdout })[Symbol.asyncIterator]().next(), exited.then(() => undefined)]);
if (!first?.value) fail(`serve did not start: ${stderr}`);
const { url } = JSON.parse(first.value);
const meta = await (await fetch(`${url}/v2/models/churn`)).json();
const input = meta.inputs[0];
const width = input.shape[input.shape.length - 1];
const response = await fetch(`${url}/v2/models/churn/infer`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ id: 'smoke-1', inputs: [{ name: input.name, shape: [1, width], datatype: input.datatype, data: new Array(width).fill(0) }] }),
});
const answer = await response.json();
if (response.status !== 200 || answer.id !== 'smoke-1') fail(`infer answered ${response.status}: ${JSON.stringify(answer)}`);
server.kill('SIGTERM');
const { code } = await exited;
if (code !== 0) fail(`serve exited ${code} on SIGTERM: ${stderr}`);

const require = createRequire(join(root, 'package.json'));
let rows;
if (process.getBuiltinModule?.('node:sqlite')) {
  process.removeAllListeners('warning'); // Node 22's ExperimentalWarning for node:sqlite
  const { DatabaseSync } = require('node:sqlite');
  const db = new DatabaseSync(join(folder, '.mlops', 'index.db'), { readOnly: true });
  rows = db.prepare("SELECT status FROM predictions WHERE request_id = 'smoke-1'").all();
  db.close();
} else {
  const Database = require('better-sqlite3');
  const db = new Database(join(folder, '.mlops', 'index.db'), { readonly: true });
  rows = db.prepare("SELECT status FROM predictions WHERE request_id = 'smoke-1'").all();
  db.close();
}
if (rows.length !== 1 || rows[0].status !== 200) fail(`the prediction log holds ${JSON.stringify(rows)} for smoke-1`);
const journals = readdirSync(join(folder, '.mlops')).filter((f) => f.endsWith('.journal'));
if (journals.length > 0) fail(`journals left after a clean stop: ${journals.join(', ')}`);
console.log(`smoke (${process.version}): ok — doctor, runs, serve, infer, prediction log`);
