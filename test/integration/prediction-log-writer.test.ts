import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
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

test('rows commit on the writer thread, are readable once recorded, and reach the database file by its checkpoints', async () => {
  const dir = tempDir('log-writer');
  const log = PredictionLog.open(dir);
  const file = join(dir, '.mlops', 'index.db');
  const reader = openStore(dir);
  try {
    assert.equal(log.inMemory, false);
    const before = statSync(file).size;
    const big = JSON.stringify({ x: { datatype: 'FP32', shape: [1, 5000], data: Array.from({ length: 5000 }, (_, i) => i / 7) } });
    // Concurrent records group into few commits; each resolves only once its row is committed.
    await Promise.all(Array.from({ length: 600 }, (_, i) => log.record(row(i, big))));
    assert.equal(reader.prepare('SELECT count(*) FROM predictions').pluck().get(), 600);
    assert.deepEqual(log.feedback({ requestId: 'req-7', endpoint: 'ep', label: 1 }), { matched: true });
    assert.equal(log.pending, 0);
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

test('a row that cannot be stored rejects its record and leaves the log working', async () => {
  const log = PredictionLog.open(tempDir('log-writer-bad'));
  try {
    const bad = { ...row(1, '{}'), requestId: null as unknown as string }; // request_id is NOT NULL
    await assert.rejects(log.record(bad), /prediction log: .*NOT NULL/);
    await log.record(row(2, '{}'));
    assert.deepEqual(log.feedback({ requestId: 'req-2', endpoint: 'ep', value: 1 }), { matched: true });
  } finally {
    await log.close();
  }
});
