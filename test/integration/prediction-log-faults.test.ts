// The prediction log under another process's write lock: the thread that answers never waits on
// SQLite (journal rollovers included), busy means retry, never skip, and feedback goes the same way.
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PredictionLog, type PredictionRecord } from '../../server/src/serving/prediction-log';
import { openStore } from '../../server/src/store/store';
import { holdWriteLock } from '../helpers/lock-holder';
import { tempDir } from '../helpers/paths';

const row = (id: string): PredictionRecord => ({
  requestId: id,
  time: 1_700_000_000_000,
  endpoint: 'ep',
  model: 'm',
  version: '1',
  protocol: 'v2',
  inputs: JSON.stringify({ x: { datatype: 'FP32', shape: [1, 50], data: Array.from({ length: 50 }, (_, i) => i / 3) } }),
  inputsBytes: null,
  outputs: '{"y":{"datatype":"FP32","shape":[1],"data":[1]}}',
  latencyMs: 1,
  status: 200,
  error: null,
  mirrored: false,
});

test('a write lock held through many journal rollovers: no request waits, nothing is skipped, every row lands once the lock goes', async () => {
  const dir = tempDir('log-fault-lock');
  const log = PredictionLog.open(dir, { journalRotateBytes: 8 * 1024 });
  const store = join(dir, '.mlops', 'index.db');
  const holder = await holdWriteLock(store);
  let slowest = 0;
  try {
    // 3 s of traffic under the lock: longer than the writer's busy timeout, so its inserts fail busy and are retried.
    const until = Date.now() + 3000;
    let n = 0;
    while (Date.now() < until) {
      const started = performance.now();
      await Promise.all(Array.from({ length: 20 }, () => log.record(row(`r-${n++}`))));
      slowest = Math.max(slowest, performance.now() - started);
      // Feedback under the lock goes to the journal too.
      if (n % 200 === 0) assert.deepEqual(await log.feedback({ requestId: `r-${n - 1}`, endpoint: 'ep', label: 1 }), { matched: true });
    }
    assert.ok(n > 500, `only ${n} rows recorded`);
    assert.ok(slowest < 500, `a batch of records waited ${slowest.toFixed(0)} ms on the held lock`);
    assert.equal(log.problem, undefined, 'the log is still able to keep rows');
    const journals = readdirSync(join(dir, '.mlops')).filter((f) => f.endsWith('.journal'));
    assert.ok(journals.length > 3, `rolled over: ${journals.length} journals kept while locked`);
    assert.ok(log.pending >= n - 20, 'the rows wait in the journal');
    await holder.release();
    await log.settled();
    const db = openStore(dir);
    try {
      const ids = db.prepare('SELECT request_id FROM predictions').pluck().all() as string[];
      assert.equal(ids.length, n, 'every answered row, once');
      assert.equal(new Set(ids).size, n);
      assert.equal(db.prepare('SELECT count(*) FROM feedback').pluck().get(), Math.floor(n / 200));
      assert.equal(db.prepare('PRAGMA integrity_check').pluck().get(), 'ok');
    } finally {
      db.close();
    }
  } finally {
    await log.close();
  }
  assert.deepEqual(readdirSync(join(dir, '.mlops')).filter((f) => f.endsWith('.journal')), [], 'no journal after a clean close');
});

test('feedback at a high rate keeps the WAL bounded: it goes through the writer and its checkpoints', async () => {
  const dir = tempDir('log-fault-wal');
  const log = PredictionLog.open(dir);
  const wal = join(dir, '.mlops', 'index.db-wal');
  let largest = 0;
  try {
    for (let burst = 0; burst < 300; burst++) {
      const ids = Array.from({ length: 50 }, (_, i) => `w-${burst}-${i}`);
      await Promise.all(ids.map((id) => log.record(row(id))));
      await Promise.all(ids.map((id) => log.feedback({ requestId: id, endpoint: 'ep', label: 1 })));
      largest = Math.max(largest, statSync(wal, { throwIfNoEntry: false })?.size ?? 0);
    }
    await log.settled();
  } finally {
    await log.close();
  }
  const db = openStore(dir);
  try {
    assert.equal(db.prepare('SELECT count(*) FROM feedback').pluck().get(), 15_000);
    assert.equal(db.prepare('SELECT count(*) FROM predictions').pluck().get(), 15_000);
  } finally {
    db.close();
  }
  assert.ok(largest < 16 * 1024 * 1024, `WAL reached ${(largest / 1024 / 1024).toFixed(1)} MB`);
});
