// Promotion and rollback under load: the churn example's real ONNX models served for real on
// 127.0.0.1, eight clients sending requests without pause, while `mlops promote --canary` (twice)
// and `mlops rollback` (twice) rewrite mlops.yaml and the model server hot-reloads it. Not one
// request may fail, and the versions answering must follow each step.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promoteCommand, rollbackCommand } from '../../server/src/cli/commands/promote';
import { startModelServer, type ServerEvent } from '../../server/src/serving/server';
import { tempDir } from '../helpers/paths';

async function cli(command: (args: string[], out: { stdout: (s: string) => void; stderr: (s: string) => void }) => number | Promise<number>, args: string[]) {
  let output = '';
  const code = await command(args, { stdout: (s) => (output += s), stderr: (s) => (output += s) });
  assert.equal(code, 0, output);
}

test('promote (canary steps) and roll back while eight clients keep asking: zero failed requests, versions follow', async () => {
  const dir = tempDir('promotion-load', 'examples/churn');
  const manifest = join(dir, 'mlops.yaml');
  // Any free port; no sticky routing, so every request is split afresh.
  const original = readFileSync(manifest, 'utf8').replace(/^ {2}port: \d+$/m, '  port: 0').replace(/^ {6}sticky: .*\n/m, '');
  writeFileSync(manifest, original);
  const events: ServerEvent[] = [];
  const server = await startModelServer({ workspaceRoot: dir, manifestPath: manifest, port: 0, onEvent: (e) => events.push(e) });
  const reloaded = async (since: number) => {
    const deadline = Date.now() + 15_000;
    while (!events.slice(since).some((e) => e.type === 'reloaded')) {
      const failed = events.slice(since).find((e) => e.type === 'reload-failed');
      assert.ok(!failed, `reload failed: ${JSON.stringify(failed)}`);
      assert.ok(Date.now() < deadline, `no reload; events ${JSON.stringify(events.slice(since))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  // Phase k: what requests started after the k-th reload may be answered by.
  const phases = [
    { step: 'start 70/30', versions: ['1', '2'] },
    { step: 'canary 50/50', versions: ['1', '2'] },
    { step: 'promoted 100 % to 2', versions: ['2'] },
    { step: 'rolled back to 50/50', versions: ['1', '2'] },
    { step: 'rolled back to 70/30', versions: ['1', '2'] },
  ];
  let phase = 0;
  let running = true;
  const seen: { phase: number; status: number; version: string; text: string }[] = [];
  const worker = async (w: number) => {
    for (let i = w; running; i += 8) {
      const started = phase;
      const res = await fetch(`${server.url}/v2/models/churn/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: 'features', shape: [1, 26], datatype: 'FP32', data: Array.from({ length: 26 }, (_, j) => ((i + j) % 7) / 7) }] }),
      });
      const text = await res.text();
      seen.push({ phase: started, status: res.status, version: res.status === 200 ? (JSON.parse(text) as { model_version: string }).model_version : '', text });
    }
  };
  const load = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
  /** Let at least `n` requests of the current phase be answered. */
  const settle = async (n = 150) => {
    const deadline = Date.now() + 20_000;
    while (seen.filter((s) => s.phase === phase).length < n) {
      assert.ok(Date.now() < deadline, `only ${seen.filter((s) => s.phase === phase).length} requests in phase ${phase}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const step = async (run: () => Promise<void>) => {
    const since = events.length;
    await run();
    await reloaded(since);
    phase++;
    await settle();
  };

  try {
    await settle();
    await step(() => cli(promoteCommand, ['churn', '2', dir, '--canary', '--force']));
    await step(() => cli(promoteCommand, ['churn', '2', dir, '--canary', '--force']));
    assert.match(readFileSync(manifest, 'utf8'), /production: "2"/);
    await step(() => cli(rollbackCommand, ['churn', dir]));
    await step(() => cli(rollbackCommand, ['churn', dir]));
  } finally {
    running = false;
    await load;
    await server.close();
  }

  const failed = seen.filter((s) => s.status < 200 || s.status >= 300);
  assert.deepEqual(failed.slice(0, 3), [], `${failed.length} of ${seen.length} requests failed`);
  assert.equal(readFileSync(manifest, 'utf8'), original, 'two rollbacks restore the file');
  // A request that started in phase k is answered under phase k's split or the next one's (it may
  // be routed just after the next reload).
  for (const s of seen) {
    const allowed = new Set([...phases[s.phase].versions, ...(phases[s.phase + 1]?.versions ?? [])]);
    assert.ok(allowed.has(s.version), `a request of "${phases[s.phase].step}" was answered by version ${s.version}`);
  }
  for (const [k, p] of phases.entries()) {
    const answered = new Set(seen.filter((s) => s.phase === k).map((s) => s.version));
    for (const v of p.versions) assert.ok(answered.has(v), `"${p.step}": version ${v} never answered (${[...answered]})`);
  }
  const promoted = seen.filter((s) => s.phase === 2);
  assert.ok(promoted.filter((s) => s.version === '2').length >= 140, 'after the promotion version 2 answers (nearly) everything');
  console.log(`${seen.length} requests, 0 failed; per phase: ${phases.map((p, k) => `${p.step} ${seen.filter((s) => s.phase === k).length}`).join(', ')}`);
});
