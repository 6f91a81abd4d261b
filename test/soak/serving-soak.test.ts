// 60 s of mixed load with feedback on a model server in its own process (CI runs this; locally:
// `node scripts/test.mjs soak` after a build; SOAK_SECONDS shortens it). No 5xx, a flat RSS and heap,
// a bounded WAL, the log's backlog drained within 10 s of the end, and a clean SIGTERM.
//
// Memory is read after a full collection (the server runs with --expose-gc and a preload that
// collects every 2 s): without one, V8 grows its heap lazily and a sound server's RSS climbs 10% in a
// minute on one run and not the next, which says nothing about a leak.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { MODEL_SERVER_NODE_FLAGS } from '../../server/src/serving/server';
import { bundleProgram } from '../helpers/bundle';
import { REPO, SHARED_FIXTURES, tempDir } from '../helpers/paths';
import { call, parsePrometheus, workspace } from '../helpers/serving';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const ROW = [5.1, 3.5, 1.4, 0.2];
const GC_EVERY_MS = 2000;

/** Preloaded into the server: a full collection every GC_EVERY_MS, then the main thread's memory as one line on stderr. */
const GC_PROBE = `const { isMainThread } = require('node:worker_threads');
if (isMainThread) setInterval(() => { global.gc(); const m = process.memoryUsage(); process.stderr.write('memory-after-gc ' + JSON.stringify({ heap: m.heapUsed, rss: m.rss }) + '\\n'); }, ${GC_EVERY_MS}).unref();
`;

/** Resident memory, MB: all of it, and the part that is the process's own (not mapped files such as shared libraries). */
function rssMb(pid: number): { rss: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]) / 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon') };
}

test(`soak: ${SECONDS} s of inference, feedback and metrics: no 5xx, RSS flat, WAL bounded, backlog drained, clean stop`, { timeout: (SECONDS + 60) * 1000 }, async (t) => {
  const dir = workspace('soak', {
    'mlops.yaml': 'version: 1\nmodels:\n  iris: { versions: { "1": { path: models/logreg.onnx }, "2": { path: models/rf.onnx } } }\nserving:\n  endpoints:\n    iris: { model: iris, traffic: { "1": 70, "2": 30 }, sticky: header:x-user-id, batching: { max_batch_size: 16, max_delay_ms: 2 } }\n',
    'models/logreg.onnx': readFileSync(join(SHARED_FIXTURES, 'onnx', 'logreg_iris.onnx')),
    'models/rf.onnx': readFileSync(join(SHARED_FIXTURES, 'onnx', 'rf_iris.onnx')),
  });
  const entry = await bundleProgram('test/helpers/serve-entry.ts', 'soak-serve');
  let started = Date.now();
  const probe = join(tempDir('soak-gc'), 'gc-probe.cjs');
  writeFileSync(probe, GC_PROBE);
  const child = spawn(process.execPath, [...MODEL_SERVER_NODE_FLAGS, '--expose-gc', '--require', probe, entry, dir, '--port', '0', '--json'], { env: { ...process.env, NODE_PATH: join(REPO, 'node_modules') }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const afterGc: { at: number; heap: number; rss: number }[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    const m = /^memory-after-gc (.*)$/.exec(line);
    if (!m) return void process.stderr.write(`${line}\n`);
    const { heap, rss } = JSON.parse(m[1]) as { heap: number; rss: number };
    afterGc.push({ at: (Date.now() - started) / 1000, heap: heap / 1048576, rss: rss / 1048576 });
  });
  const { url } = JSON.parse(await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve))) as { url: string };
  const wal = join(dir, '.mlops', 'index.db-wal');

  started = Date.now();
  const samples: { at: number; rss: number; anon: number; wal: number }[] = [];
  const sampler = setInterval(() => samples.push({ at: (Date.now() - started) / 1000, ...rssMb(child.pid!), wal: statSync(wal, { throwIfNoEntry: false })?.size ?? 0 }), 500);
  const statuses = new Map<number, number>();
  let answered = 0;
  const memory: string[] = [];
  const worker = async (w: number) => {
    for (let i = 0; Date.now() - started < SECONDS * 1000; i++) {
      const id = `s${w}-${i}`;
      const r = await call(url, '/v2/models/iris/infer', { body: { id, inputs: [{ name: 'float_input', datatype: 'FP32', shape: [1, 4], data: ROW }] }, headers: { 'x-user-id': `u${i % 50}` } });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      answered++;
      if (i % 2 === 0) {
        const f = await call(url, '/v2/models/iris/feedback', { body: { id, label: i % 3 === 0 ? 1 : 0 } });
        statuses.set(f.status, (statuses.get(f.status) ?? 0) + 1);
      }
      if (i % 500 === 0) await call(url, '/metrics');
      if (w === 0 && i % 1000 === 0) {
        const m = (await call(url, '/mlops/stats')).json().memory as NodeJS.MemoryUsage;
        memory.push(`${((Date.now() - started) / 1000).toFixed(0)}s heap ${(m.heapTotal / 1048576).toFixed(0)}/${(m.heapUsed / 1048576).toFixed(0)} ext ${(m.external / 1048576).toFixed(0)} rss ${(m.rss / 1048576).toFixed(0)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
  const ended = Date.now();
  let pending = Infinity;
  while (pending > 0 && Date.now() - ended < 10_000) {
    pending = parsePrometheus((await call(url, '/metrics')).text).find((s) => s.name === 'mlops_prediction_log_pending')!.value;
    if (pending > 0) await new Promise((r) => setTimeout(r, 100));
  }
  clearInterval(sampler);
  const drainedMs = Date.now() - ended;
  const split = readFileSync(`/proc/${child.pid}/status`, 'utf8').split('\n').filter((l) => /^Rss/.test(l)).join(' ');
  child.kill('SIGTERM');
  const code = await exited;

  const early = (s: { at: number }) => s.at >= SECONDS / 6 && s.at < SECONDS / 2;
  const late = (s: { at: number }) => s.at >= SECONDS / 2 && s.at <= SECONDS;
  const peakEarly = Math.max(...samples.filter(early).map((s) => s.rss));
  const peakLate = Math.max(...samples.filter(late).map((s) => s.rss));
  const heapEarly = Math.max(...afterGc.filter(early).map((s) => s.heap));
  const heapLate = Math.max(...afterGc.filter(late).map((s) => s.heap));
  const walPeak = Math.max(...samples.map((s) => s.wal));
  t.diagnostic(`${answered} inferences (${(answered / SECONDS).toFixed(0)}/s), statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  const timeline = samples.filter((_, i) => i % 10 === 0).map((s) => `${s.at.toFixed(0)}s ${s.rss.toFixed(0)} (own ${s.anon.toFixed(0)})`).join(', ');
  t.diagnostic(`at the end: ${split.replace(/\s+/g, ' ')}`);
  t.diagnostic(`RSS MB over time: ${timeline}`);
  t.diagnostic(`heap MB after a full GC: ${afterGc.filter((_, i) => i % 5 === 0).map((s) => `${s.at.toFixed(0)}s ${s.heap.toFixed(1)}`).join(', ')}`);
  t.diagnostic(`server memory (MB): ${memory.join(', ')}`);
  t.diagnostic(`RSS peak ${peakEarly.toFixed(0)} MB in ${SECONDS / 6}–${SECONDS / 2} s, ${peakLate.toFixed(0)} MB after; WAL peak ${(walPeak / 1024 / 1024).toFixed(1)} MB; backlog drained in ${drainedMs} ms`);
  assert.deepEqual([...statuses.keys()].filter((s) => s >= 500), [], 'no 5xx');
  assert.equal(pending, 0, 'the backlog drained within 10 s');
  assert.ok(afterGc.filter(late).length >= 3, `the server reported its memory after a GC ${afterGc.length} times`);
  assert.ok(heapLate <= 1.1 * heapEarly + 1, `live heap grew: ${heapEarly.toFixed(1)} → ${heapLate.toFixed(1)} MB`);
  assert.ok(peakLate <= 1.1 * peakEarly, `RSS grew: ${peakEarly.toFixed(0)} → ${peakLate.toFixed(0)} MB`);
  assert.ok(walPeak <= 64 * 1024 * 1024, `WAL reached ${(walPeak / 1024 / 1024).toFixed(0)} MB`);
  assert.equal(code, 0, 'SIGTERM stops it cleanly');
});
