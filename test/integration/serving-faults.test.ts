// Kill safety of the model server's prediction log: SIGKILLs under mixed load (V2, V1, /invocations,
// feedback, sticky), one of them while another process holds the store's write lock through journal
// rollovers, then a restart as pid 1 in a fresh pid namespace (the container case). Afterwards the
// store is whole, every answered request is logged exactly once with its status, and every row
// that was not answered belongs to a request that was in flight at a kill.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { openStore } from '../../server/src/store/store';
import { bundleProgram } from '../helpers/bundle';
import { holdWriteLock } from '../helpers/lock-holder';
import { REPO, SHARED_FIXTURES } from '../helpers/paths';
import { call, pool, workspace } from '../helpers/serving';

const MANIFEST = `version: 1
models:
  iris: { versions: { "1": { path: models/logreg.onnx }, "2": { path: models/rf.onnx } } }
serving:
  endpoints:
    iris: { model: iris, traffic: { "1": 50, "2": 50 }, sticky: header:x-user-id, batching: { max_batch_size: 8, max_delay_ms: 1 } }
`;
const ROW = [5.1, 3.5, 1.4, 0.2];
const env = { ...process.env, NODE_PATH: join(REPO, 'node_modules'), MLOPS_JOURNAL_ROTATE_BYTES: '32768' };

async function spawnServer(command: string[], dir: string): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const child = spawn(command[0], [...command.slice(1), dir, '--port', '0', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return { child, url: (JSON.parse(line) as { url: string }).url, exited };
}

interface Ledger {
  /** Answered request id → the status it was answered with. */
  answered: Map<string, number>;
  /** Sent and not answered when the server was killed. */
  inFlight: Set<string>;
  feedbackAnswered: string[];
}

/** Mixed traffic until `killAt` says so, then SIGKILL with requests in flight. */
async function loadAndKill(server: { child: ChildProcess; url: string }, round: number, ledger: Ledger, killAt: () => boolean): Promise<void> {
  let killed = false;
  const body = { inputs: [{ name: 'float_input', datatype: 'FP32', shape: [1, 4], data: ROW }] };
  await pool(20_000, 16, async (i) => {
    if (killed) return;
    const id = `r${round}-${i}`;
    const kind = i % 6;
    const answeredIds = [...ledger.answered.keys()];
    ledger.inFlight.add(id);
    try {
      let status: number;
      if (kind === 5 && answeredIds.length > 0) {
        const target = answeredIds[i % answeredIds.length];
        const r = await call(server.url, '/v2/models/iris/feedback', { body: { id: target, label: 0 } });
        ledger.inFlight.delete(id);
        assert.equal(r.status, 200, r.text);
        ledger.feedbackAnswered.push(target);
        return;
      }
      if (kind <= 1) status = (await call(server.url, '/v2/models/iris/infer', { body: { id, ...body }, headers: kind === 1 ? { 'x-user-id': `u${i % 7}` } : {} })).status;
      else if (kind === 2) status = (await call(server.url, '/v1/models/iris:predict', { body: { instances: [ROW] }, headers: { 'x-request-id': id } })).status;
      else if (kind === 3) status = (await call(server.url, '/invocations', { body: { inputs: [ROW] }, headers: { 'x-request-id': id } })).status;
      // A refusal is answered (and logged) too.
      else status = (await call(server.url, '/v2/models/iris/infer', { body: { id, inputs: [{ ...body.inputs[0], shape: [1, 3] }] } })).status;
      if (killed) return;
      ledger.inFlight.delete(id);
      ledger.answered.set(id, status);
    } catch {
      assert.ok(killed, `request ${id} failed before the kill`);
      return;
    }
    if (!killed && killAt()) {
      killed = true;
      server.child.kill('SIGKILL');
    }
  });
}

test('three SIGKILLs under mixed load (one under a held write lock through rollovers), then a restart as pid 1: nothing answered is lost or doubled', async (t) => {
  const unshare = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']);
  const dir = workspace('faults', {
    'mlops.yaml': MANIFEST,
    'models/logreg.onnx': readFileSync(join(SHARED_FIXTURES, 'onnx', 'logreg_iris.onnx')),
    'models/rf.onnx': readFileSync(join(SHARED_FIXTURES, 'onnx', 'rf_iris.onnx')),
  });
  const entry = await bundleProgram('test/helpers/serve-entry.ts', 'fault-serve');
  const ledger: Ledger = { answered: new Map(), inFlight: new Set(), feedbackAnswered: [] };
  openStore(dir).close();

  for (let round = 0; round < 3; round++) {
    const server = await spawnServer([process.execPath, entry], dir);
    const before = ledger.answered.size;
    let release: (() => Promise<void>) | undefined;
    let lockedAt = 0;
    if (round === 1) {
      release = (await holdWriteLock(join(dir, '.mlops', 'index.db'))).release;
      lockedAt = Date.now();
    }
    // Round 1 is killed while the lock is still held, after 6.5 s of traffic under it: longer than any
    // busy timeout, through many rollovers.
    await loadAndKill(server, round, ledger, () => ledger.answered.size - before >= 400 && (round !== 1 || Date.now() - lockedAt > 6500));
    await server.exited;
    t.diagnostic(`round ${round}: ${ledger.answered.size - before} answered, ${ledger.inFlight.size} in flight at kills so far`);
    if (round === 1) {
      const journals = readdirSync(join(dir, '.mlops')).filter((f) => f.endsWith('.journal'));
      assert.ok(journals.length > 1, `rolled over under the lock: ${journals.join(', ')}`);
    }
    await release?.();
  }

  // The container case: the server is pid 1 in its namespace, killed, and started again as pid 1.
  if (unshare.status === 0) {
    const contained = await spawnServer(['unshare', '--pid', '--fork', '--mount-proc', '--kill-child', process.execPath, entry], dir);
    const before = ledger.answered.size;
    await loadAndKill(contained, 3, ledger, () => ledger.answered.size - before >= 300);
    await contained.exited;
    t.diagnostic(`as pid 1: ${ledger.answered.size - before} answered`);
  } else {
    t.diagnostic(`unshare --pid is not permitted here (${String(unshare.stderr).trim()}); the same-pid case runs in prediction-journal.test.ts`);
  }
  const last = await spawnServer(unshare.status === 0 ? ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child', process.execPath, entry] : [process.execPath, entry], dir);
  const ok = await call(last.url, '/v2/models/iris/infer', { body: { id: 'final', inputs: [{ name: 'float_input', datatype: 'FP32', shape: [1, 4], data: ROW }] } });
  assert.equal(ok.status, 200, ok.text);
  ledger.answered.set('final', 200);
  // unshare passes no signal on: the server itself (its child, pid 1 inside) is told to stop.
  const inner = unshare.status === 0 ? Number(readFileSync(`/proc/${last.child.pid}/task/${last.child.pid}/children`, 'utf8').trim().split(/\s+/)[0]) : last.child.pid!;
  process.kill(inner, 'SIGTERM');
  assert.equal(await last.exited, 0, 'a clean stop');
  assert.deepEqual(readdirSync(join(dir, '.mlops')).filter((f) => f.endsWith('.journal')), [], 'no journal after a clean SIGTERM');

  const db = openStore(dir);
  try {
    assert.equal(db.prepare('PRAGMA integrity_check').pluck().get(), 'ok');
    assert.deepEqual(db.prepare('PRAGMA foreign_key_check').all(), []);
    const rows = db.prepare('SELECT request_id, status FROM predictions WHERE mirrored = 0').raw().all() as [string, number][];
    const logged = new Map<string, number[]>();
    for (const [id, status] of rows) logged.set(id, [...(logged.get(id) ?? []), status]);
    const missing = [...ledger.answered.keys()].filter((id) => !logged.has(id));
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} of ${ledger.answered.size} answered requests are not in the log`);
    const doubled = [...logged].filter(([, s]) => s.length > 1).map(([id]) => id);
    assert.deepEqual(doubled.slice(0, 10), [], `${doubled.length} requests logged more than once`);
    for (const [id, status] of ledger.answered) assert.deepEqual(logged.get(id), [status], `${id}: answered ${status}, logged ${logged.get(id)}`);
    const unexplained = [...logged.keys()].filter((id) => !ledger.answered.has(id) && !ledger.inFlight.has(id));
    assert.deepEqual(unexplained.slice(0, 10), [], 'every logged but unanswered request was in flight at a kill');
    const feedback = db.prepare('SELECT count(*) FROM feedback').pluck().get() as number;
    assert.ok(feedback >= ledger.feedbackAnswered.length, `${feedback} feedback rows for ${ledger.feedbackAnswered.length} answered`);
    assert.ok(ledger.answered.size >= 1500, `${ledger.answered.size} answered`);
  } finally {
    db.close();
  }
});
