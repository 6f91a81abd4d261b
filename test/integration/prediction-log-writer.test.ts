import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PredictionLog, type PredictionRecord } from '../../server/src/serving/prediction-log';
import { openStore } from '../../server/src/store/store';
import { tempDir } from '../helpers/paths';

const row = (i: number, inputs: string): PredictionRecord => ({
  requestId: `req-${i}`,
  time: 1_700_000_000_000 + i,
  endpoint: 'ep',
  model: 'm',
  version: '1',
  protocol: 'v2',
  inputs,
  inputsBytes: inputs.length,
  outputs: '{"y":{"datatype":"FP32","shape":[1],"data":[1]}}',
  latencyMs: 1,
  status: 200,
  error: null,
  mirrored: false,
});

test('rows reach the table through the writer thread, are matched by feedback at once, and reach the database file by its checkpoints', async () => {
  const dir = tempDir('log-writer');
  const log = PredictionLog.open(dir);
  const file = join(dir, '.mlops', 'index.db');
  const reader = openStore(dir);
  try {
    assert.equal(log.inMemory, false);
    const before = statSync(file).size;
    const big = JSON.stringify({ x: { datatype: 'FP32', shape: [1, 5000], data: Array.from({ length: 5000 }, (_, i) => i / 7) } });
    // Concurrent records are journaled together; each resolves once its row is in the journal.
    await Promise.all(Array.from({ length: 600 }, (_, i) => log.record(row(i, big))));
    // Feedback right after the answer finds its request, in the table or still in the journal.
    assert.deepEqual(await log.feedback({ requestId: 'req-7', endpoint: 'ep', label: 1 }), { matched: true });
    assert.deepEqual(await log.feedback({ requestId: 'req-unknown', endpoint: 'ep', label: 1 }), { matched: false });
    const applied = Date.now() + 10_000;
    while (reader.prepare('SELECT count(*) FROM predictions').pluck().get() !== 600 || log.pending !== 0) {
      assert.ok(Date.now() < applied, `${log.pending} rows still not in the table`);
      await new Promise((r) => setTimeout(r, 10));
    }
    // This thread's connection runs no checkpoint; the rows reach the database file through the writer's.
    const deadline = Date.now() + 10_000;
    while (statSync(file).size < before + 10_000_000) {
      assert.ok(Date.now() < deadline, `database file still ${statSync(file).size} bytes: no checkpoint ran`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    reader.close();
    await log.close();
  }
});

test('a row the table would refuse is refused before it is answered, and the log keeps working', async () => {
  const log = PredictionLog.open(tempDir('log-writer-bad'));
  try {
    const bad = { ...row(1, '{}'), requestId: null as unknown as string }; // request_id is NOT NULL
    await assert.rejects(log.record(bad), /prediction log: a row needs a request id/);
    await log.record(row(2, '{}'));
    assert.deepEqual(await log.feedback({ requestId: 'req-2', endpoint: 'ep', value: 1 }), { matched: true });
  } finally {
    await log.close();
  }
});

test('journal files are rotated as they fill and deleted once applied; closing applies the rest', async () => {
  const dir = tempDir('log-writer-rotate');
  const log = PredictionLog.open(dir, { journalRotateBytes: 4096 });
  const journals = () => readdirSync(join(dir, '.mlops')).filter((f) => f.endsWith('.journal'));
  try {
    for (let burst = 0; burst < 20; burst++) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => log.record(row(burst * 10 + i, '{}'))));
    }
    assert.ok(journals().length >= 1);
  } finally {
    await log.close();
  }
  assert.deepEqual(journals(), []);
  const db = openStore(dir);
  try {
    assert.equal(db.prepare('SELECT count(DISTINCT request_id) FROM predictions').pluck().get(), 200);
    // About 30 KB of rows in 4 KB files: several files, each applied to its end before it was deleted.
    assert.ok((db.prepare('SELECT count(*) FROM prediction_journals').pluck().get() as number) >= 4);
  } finally {
    db.close();
  }
});
