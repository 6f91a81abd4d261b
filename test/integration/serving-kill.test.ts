import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { openDatabase, openStore } from '../../server/src/store/store';
import { bundleProgram } from '../helpers/bundle';
import { REPO, SHARED_FIXTURES } from '../helpers/paths';
import { call, pool, workspace } from '../helpers/serving';

const MANIFEST = `version: 1
models:
  iris: { versions: { "1": { path: models/logreg.onnx }, "2": { path: models/rf.onnx } } }
serving:
  endpoints:
    iris: { model: iris, traffic: { "1": 50, "2": 50 }, batching: { max_batch_size: 8, max_delay_ms: 1 } }
`;

/** Bundle the serve entry point once, as the CLI would run it: its own Node process. */
function bundleEntry(): Promise<string> {
  return bundleProgram('test/helpers/serve-entry.ts', 'serve-entry');
}

async function spawnServer(entry: string, dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [entry, dir, '--port', '0', '--json'], {
    env: { ...process.env, NODE_PATH: join(REPO, 'node_modules') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return { child, url: (JSON.parse(line) as { url: string }).url };
}

test('SIGKILL mid-load: every answered request is in the log, and a restart keeps serving and logging', async () => {
  const dir = workspace('kill', {
    'mlops.yaml': MANIFEST,
    'models/logreg.onnx': readFileSync(join(SHARED_FIXTURES, 'onnx', 'logreg_iris.onnx')),
    'models/rf.onnx': readFileSync(join(SHARED_FIXTURES, 'onnx', 'rf_iris.onnx')),
  });
  const entry = await bundleEntry();
  const { child, url } = await spawnServer(entry, dir);
  const exited = new Promise((resolve) => child.once('exit', resolve));

  const answered: string[] = [];
  let killed = false;
  await pool(5000, 16, async (i) => {
    if (killed) return;
    const id = `kill-${i}`;
    try {
      const res = await call(url, '/v2/models/iris/infer', { body: { id, inputs: [{ name: 'float_input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] } });
      if (res.status === 200 && !killed) answered.push(id);
      if (res.status !== 200) assert.fail(`${res.status} ${res.text}`);
    } catch {
      assert.ok(killed, 'a request failed before the kill');
      return;
    }
    // Kill while up to 16 requests are in flight, some of them with rows queued for the next commit.
    if (answered.length === 400 && !killed) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  await exited;
  assert.ok(answered.length >= 400);

  // Opening the store replays the killed server's journal: answered rows not yet in the table.
  const db = openStore(dir);
  const logged = new Set((db.prepare("SELECT request_id FROM predictions WHERE request_id LIKE 'kill-%'").pluck().all() as string[]));
  db.close();
  const lost = answered.filter((id) => !logged.has(id));
  assert.deepEqual(lost, [], `${lost.length} of ${answered.length} answered requests are missing from the log`);

  const again = await spawnServer(entry, dir);
  try {
    const res = await call(again.url, '/v2/models/iris/infer', { body: { id: 'after-restart', inputs: [{ name: 'float_input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] } });
    assert.equal(res.status, 200, res.text);
  } finally {
    const stopped = new Promise((resolve) => again.child.once('exit', resolve));
    again.child.kill('SIGTERM');
    assert.equal(await stopped, 0);
  }
  const after = openDatabase(join(dir, '.mlops', 'index.db'));
  const count = after.prepare("SELECT count(*) FROM predictions WHERE request_id = 'after-restart'").pluck().get();
  const total = after.prepare("SELECT count(*) FROM predictions WHERE request_id LIKE 'kill-%'").pluck().get() as number;
  after.close();
  assert.equal(count, 1);
  assert.ok(total >= answered.length);
});
