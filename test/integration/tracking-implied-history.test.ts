import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openStore } from '../../server/src/store/store';
import type { MetricPoint, RunRecord } from '../../server/src/tracking/model';
import { TrackingRepository } from '../../server/src/tracking/repository';
import { tempDir } from '../helpers/paths';

function run(runId: string, metrics: MetricPoint[], times: { startTime: number | null; endTime: number | null } = { startTime: 1_000, endTime: 2_000 }): RunRecord {
  return { runId, experimentId: 'e', name: runId, status: 'FINISHED', ...times, lifecycleStage: 'active', artifactUri: null, parentRunId: null, userId: null, params: {}, tags: {}, metrics };
}

/** The points as metricHistory gives them back, key by key. */
function historyOf(repo: TrackingRepository, runId: string): MetricPoint[] {
  return repo.metricHistory(runId).flatMap((h) => [...h.values].map((value, i) => ({ key: h.key, value, step: h.steps[i], timestamp: h.timestamps[i] })));
}

const sorted = (points: MetricPoint[]) => [...points].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.step - b.step));

test('a history its summary implies is not stored, and reads back point for point; any other is stored as it is', () => {
  const db = openStore(tempDir('implied-history'));
  const repo = new TrackingRepository(db);
  const source = repo.ensureSource('optuna-sqlite', '/study.db');
  const cases: [RunRecord, boolean][] = [
    // An Optuna trial without intermediate values: one point per objective at step 0, dated its end.
    [run('one-objective', [{ key: 'value', value: 0.125, step: 0, timestamp: 2_000 }]), true],
    [run('two-objectives', [{ key: 'value_1', value: -3.5, step: 0, timestamp: 2_000 }, { key: 'value_0', value: 1 / 3, step: 0, timestamp: 2_000 }]), true],
    [run('not-finite', [{ key: 'a', value: Infinity, step: 0, timestamp: 2_000 }, { key: 'b', value: NaN, step: 0, timestamp: 2_000 }, { key: 'c', value: -Infinity, step: 0, timestamp: 2_000 }]), true],
    [run('no-end', [{ key: 'value', value: 7, step: 0, timestamp: 1_000 }], { startTime: 1_000, endTime: null }), true],
    [run('no-times', [{ key: 'value', value: 7, step: 0, timestamp: 0 }], { startTime: null, endTime: null }), true],
    // Anything the summary cannot say is kept.
    [run('later-step', [{ key: 'value', value: 0.5, step: 1, timestamp: 2_000 }]), false],
    [run('other-time', [{ key: 'value', value: 0.5, step: 0, timestamp: 1_500 }]), false],
    [run('negative-zero', [{ key: 'value', value: -0, step: 0, timestamp: 2_000 }]), false],
    [run('two-points', [{ key: 'value', value: 0.5, step: 0, timestamp: 2_000 }, { key: 'value', value: 0.25, step: 0, timestamp: 2_000 }]), false],
    [run('intermediate', [{ key: 'value', value: 0.9, step: 0, timestamp: 1_000 }, { key: 'value', value: 0.4, step: 1, timestamp: 2_000 }]), false],
  ];
  repo.transaction(() => {
    for (const [r] of cases) repo.insertRun(source, r, null);
  });
  const stored = new Set((db.prepare('SELECT run_id FROM metric_history').all() as { run_id: string }[]).map((r) => r.run_id));
  for (const [r, implied] of cases) {
    assert.equal(stored.has(r.runId), !implied, `${r.runId}: stored history`);
    const back = historyOf(repo, r.runId);
    assert.equal(back.length, r.metrics.length, r.runId);
    sorted(r.metrics).forEach((p, i) => {
      assert.equal(back[i].key, p.key, r.runId);
      assert.ok(Object.is(back[i].value, p.value), `${r.runId}: ${back[i].value} for ${p.value}`);
      assert.equal(back[i].step, p.step, r.runId);
      assert.equal(back[i].timestamp, p.timestamp, r.runId);
    });
  }
  // A run without metrics has no history either way; an unknown run none at all.
  repo.insertRun(source, run('no-metrics', []), null);
  assert.deepEqual(repo.metricHistory('no-metrics'), []);
  assert.deepEqual(repo.metricHistory('missing'), []);
  // One key asked for alone, from an implied history.
  assert.deepEqual(repo.metricHistory('two-objectives', 'value_1').map((h) => [h.key, [...h.values]]), [['value_1', [-3.5]]]);
  db.close();
});
