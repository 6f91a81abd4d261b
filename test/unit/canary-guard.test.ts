// The canary guard core: which version is the canary, when it is judged and rolled back, the plan
// that takes it out (real SQLite audit log), and the manifest's diagnostics for guard bounds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readManifestModel } from '../../server/src/manifest/model';
import { parseManifest } from '../../server/src/manifest/parse';
import { validateManifest } from '../../server/src/manifest/validate';
import { AUTO_ROLLBACK, guardTargets, judgeCanary, planAutoRollback, type GuardTarget } from '../../server/src/promotion/guard';
import { applyEdits, deploymentState, planPromotion, recordEvent } from '../../server/src/promotion/promotion';
import { openStore } from '../../server/src/store/store';
import { tempDir } from '../helpers/paths';

const manifest = (traffic: string, guard = '{ max_error_rate_increase: 0.02, max_p95_latency_ratio: 1.5, min_requests: 200 }', aliases = '{ production: "1" }') => `version: 1
models:
  m:
    versions:
      "1": { path: a.onnx }
      "2": { path: b.onnx }
      "3": { path: c.onnx }
    aliases: ${aliases}
serving:
  endpoints:
    e:
      model: m
      traffic: ${traffic}
      guard: ${guard}
`;

const targets = (text: string) => guardTargets(readManifestModel(parseManifest(text)));

test('guard targets: control is production (else the largest share), canary the smallest other positive share', () => {
  assert.deepEqual(targets(manifest('{ "1": 90, "2": 10 }')), [
    { endpoint: 'e', model: 'm', control: '1', canary: '2', guard: { maxErrorRateIncrease: 0.02, maxP95LatencyRatio: 1.5, minRequests: 200 } },
  ]);
  // production names the smaller share: it is still the control.
  assert.equal(targets(manifest('{ "1": 30, "2": 70 }'))[0].canary, '2');
  assert.equal(targets(manifest('{ "1": 30, "2": 70 }'))[0].control, '1');
  // No production alias with traffic: the largest share is the control; the canary is the smallest other.
  const three = targets(manifest('{ "1": 0, "2": 60, "3": 40 }', '{ max_p95_latency_ratio: 2 }', '{ staging: "3" }'))[0];
  assert.deepEqual([three.control, three.canary, three.guard.minRequests, three.guard.maxErrorRateIncrease], ['2', '3', 100, undefined]);
  // Aliases as traffic keys resolve to versions.
  assert.equal(targets(manifest('{ production: 95, "2": 5 }'))[0].control, '1');
  // Nothing to judge: one version with traffic, no bounds, no guard.
  assert.deepEqual(targets(manifest('{ "1": 100, "2": 0 }')), []);
  assert.deepEqual(targets(manifest('{ "1": 90, "2": 10 }', '{ min_requests: 10 }')), []);
  assert.deepEqual(targets(manifest('{ "1": 90, "2": 10 }').replace(/ {6}guard: .*\n/, '')), []);
});

const guard = { maxErrorRateIncrease: 0.02, maxP95LatencyRatio: 1.5, minRequests: 200 };

test('judging: wait for enough requests on both sides, hold within the bounds (inclusive), roll back beyond either', () => {
  const ok = { requests: 1000, errors: 10, p95: 10 };
  assert.equal(judgeCanary(guard, ok, { requests: 199, errors: 199, p95: 100 }).action, 'wait');
  assert.equal(judgeCanary(guard, { ...ok, requests: 150 }, { requests: 500, errors: 500, p95: 100 }).action, 'wait');
  const hold = judgeCanary(guard, ok, { requests: 200, errors: 6, p95: 15 });
  assert.equal(hold.action, 'hold');
  // 3 % vs 1 %: exactly the tolerated two points; 15 ms vs 10 ms: exactly ×1.5.
  assert.deepEqual(hold.action === 'hold' && hold.checks.map((c) => [c.metric, Number(c.value!.toFixed(6)), c.pass]), [
    ['error_rate_increase', 0.02, true],
    ['p95_latency_ratio', 1.5, true],
  ]);
  const errors = judgeCanary(guard, ok, { requests: 200, errors: 7, p95: 12 });
  assert.equal(errors.action, 'rollback');
  assert.match(errors.action === 'rollback' ? errors.reason : '', /canary error rate 3\.5 % \(7 of 200\) vs control 1 % \(10 of 1000\): \+2\.5 points; tolerated \+2/);
  const slow = judgeCanary(guard, ok, { requests: 300, errors: 0, p95: 15.1 });
  assert.equal(slow.action, 'rollback');
  assert.match(slow.action === 'rollback' ? slow.reason : '', /canary p95 15\.1 ms vs control 10 ms: ×1\.51; tolerated ×1\.5/);
  // No latency yet on one side: only the error rate is judged.
  assert.deepEqual(judgeCanary(guard, { ...ok, p95: null }, { requests: 300, errors: 0, p95: 99 }).action, 'hold');
});

test('the auto-rollback plan: the promotion that gave the canary its traffic is rolled back, with the evidence', () => {
  const dir = tempDir('guard-plan');
  const db = openStore(dir);
  try {
    const before = manifest('{ "1": 100 }');
    const promotion = planPromotion({ manifestPath: `${dir}/mlops.yaml`, text: before, model: 'm', version: '2', canary: true });
    const canary = applyEdits(before, promotion.edits);
    assert.deepEqual(deploymentState(readManifestModel(parseManifest(canary)), 'm').traffic, { e: { '1': 90, '2': 10 } });
    const event = recordEvent(db, promotion);
    const target = targets(canary)[0];
    const decision = judgeCanary(target.guard, { requests: 900, errors: 0, p95: 5 }, { requests: 250, errors: 250, p95: 5 });
    assert.equal(decision.action, 'rollback');
    if (decision.action !== 'rollback') return;
    const plan = planAutoRollback({ manifestPath: `${dir}/mlops.yaml`, text: canary, target, decision, db });
    assert.equal(plan.action, 'rollback');
    assert.equal(plan.evidence.reason, AUTO_ROLLBACK);
    assert.equal(plan.evidence.rollsBack, event.id);
    assert.equal(plan.evidence.gates[0].metric, 'error_rate_increase');
    assert.equal(plan.evidence.gates[0].pass, false);
    assert.match(plan.evidence.summary, /^Auto-rollback: canary "2" on endpoint e is worse than control "1"/);
    assert.equal(applyEdits(canary, plan.edits), before);
    const recorded = recordEvent(db, plan);
    assert.equal(recorded.evidence.reason, AUTO_ROLLBACK);

    // A split written by hand (no promotion in the log): the canary's traffic goes back to the control.
    const byHand = manifest('{ "1": 80, "2": 20 }');
    const plan2 = planAutoRollback({ manifestPath: `${dir}/mlops.yaml`, text: byHand, target: { ...targets(byHand)[0] } as GuardTarget, decision, db });
    assert.equal(plan2.evidence.rollsBack, undefined);
    assert.equal(plan2.evidence.reason, AUTO_ROLLBACK);
    assert.deepEqual(deploymentState(readManifestModel(parseManifest(applyEdits(byHand, plan2.edits))), 'm'), { aliases: { production: '1' }, traffic: { e: { '1': 100 } } });
  } finally {
    db.close();
  }
});

test('diagnostics: bounds out of range, a guard that bounds nothing, a single error that would trip it, a guard with no canary', () => {
  const codes = (text: string) =>
    validateManifest(parseManifest(text))
      .filter((f) => f.code.startsWith('guard') || ['out-of-range', 'wrong-type', 'unknown-key'].includes(f.code))
      .map((f) => [f.code, f.severity, text.split('\n')[f.range.start.line].slice(f.range.start.character, f.range.end.character)]);
  assert.deepEqual(codes(manifest('{ "1": 90, "2": 10 }')), []);
  const bad = codes(manifest('{ "1": 90, "2": 10 }', '{ max_error_rate_increase: 1.5, max_p95_latency_ratio: 0.8, min_requests: 2.5, max_errors: 3 }'));
  assert.deepEqual(bad.map((b) => b[2]), ['1.5', '0.8', '2.5', 'max_errors'], JSON.stringify(bad));
  assert.ok(bad.every((b) => b[1] === 'error'));
  assert.deepEqual(codes(manifest('{ "1": 90, "2": 10 }', '{ min_requests: 500 }')), [['guard-empty', 'warning', 'guard']]);
  assert.deepEqual(codes(manifest('{ "1": 90, "2": 10 }', '{ max_error_rate_increase: 0.01, min_requests: 50 }')), [['guard-bounds', 'warning', '50']]);
  assert.deepEqual(codes(manifest('{ "1": 90, "2": 10 }', '{ max_error_rate_increase: 0.001 }')), [['guard-bounds', 'warning', '0.001']]);
  assert.deepEqual(codes(manifest('{ "1": 100 }')), [['guard-idle', 'hint', 'guard']]);
});
