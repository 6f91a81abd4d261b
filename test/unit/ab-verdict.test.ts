// The A/B verdict in words people read: counts with separators and a rough time, and a sample-ratio
// mismatch that makes the verdict itself untrusted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeObservations, formatDuration, type ExperimentSpec, type Observation } from '../../server/src/experiments/analysis';

const SPEC: ExperimentSpec = { name: 'e', endpoint: 'churn', model: 'churn', control: '1', treatment: '2', task: 'classification', metric: 'accuracy', test: 'two-proportion', alpha: 0.05, power: 0.8, sequential: true, split: [70, 30] };

/** `n` observations of an arm, one per second from `start`, correct with probability `p` (deterministic). */
function arm(which: 'control' | 'treatment', n: number, p: number, start: number): Observation[] {
  return Array.from({ length: n }, (_, i) => ({ arm: which, time: start + i * 1000, latencyMs: 3, ok: true, predicted: '1', label: (i * 7919) % 1000 < p * 1000 ? '1' : '0' }));
}

test('need more samples: a count for people and a rough time at the current rate', () => {
  // Nearly equal arms: sequential tests need many more samples to tell them apart.
  const obs = [...arm('control', 700, 0.8, 0), ...arm('treatment', 300, 0.805, 0)];
  const r = analyzeObservations(SPEC, obs);
  assert.equal(r.verdict.kind, 'need-more-samples');
  assert.equal(r.verdict.trusted, true);
  const more = r.verdict.moreSamples!;
  assert.ok(more > 1000, String(more));
  // 1,000 samples with feedback over 699 s.
  assert.ok(Math.abs(r.verdict.samplesPerSecond! - 1000 / 699) < 1e-9);
  assert.ok(Math.abs(r.verdict.etaSeconds! - more / (1000 / 699)) < 1e-6);
  assert.match(r.verdict.message, new RegExp(`need about ${more.toLocaleString('en-US').replace(/,/g, ',')} more samples with feedback — about [\\d.,]+ (s|min|h|days) at the current 1\\.4 samples/s\\.$`));
  assert.match(r.verdict.message, /\d,\d{3}/, 'thousands separated');
});

test('a sample-ratio mismatch makes the verdict untrusted, whatever it says', () => {
  // 300 / 700 for a configured 70 / 30 split, and a treatment that looks far better.
  const obs = [...arm('control', 300, 0.5, 0), ...arm('treatment', 700, 0.95, 0)];
  const r = analyzeObservations(SPEC, obs);
  assert.equal(r.srm?.flagged, true);
  assert.equal(r.verdict.kind, 'treatment-better');
  assert.equal(r.verdict.trusted, false);
  assert.equal(r.verdict.untrustedReason, 'sample ratio mismatch');
  assert.match(r.verdict.message, /^Untrusted — sample ratio mismatch: .*Were it sound: Treatment \("2"\) is better/);
});

test('durations for people', () => {
  assert.equal(formatDuration(12.4), 'about 12 s');
  assert.equal(formatDuration(600), 'about 10 min');
  assert.equal(formatDuration(5 * 3600), 'about 5 h');
  assert.equal(formatDuration(9 * 86400), 'about 9 days');
  assert.equal(formatDuration(789_788 / 2.7), 'about 3 days');
});
