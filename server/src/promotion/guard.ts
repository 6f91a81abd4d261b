/**
 * Canary auto-rollback: which version of a guarded endpoint is the canary and which the control,
 * whether the canary is worse than the control beyond the guard's bounds on live serving numbers,
 * and the plan that takes it out — the rollback of the promotion that gave it its traffic when the
 * manifest is still in that promotion's state, else its traffic handed back to the control. Pure
 * apart from reading the audit log; the language server feeds it the model server's numbers.
 */
import type { GateEvidence, PromotionPlan } from '../contract';
import type { ManifestModel } from '../manifest/model';
import { readManifestModel } from '../manifest/model';
import { parseManifest } from '../manifest/parse';
import { DEFAULT_GUARD_MIN_REQUESTS, resolveVersion } from '../manifest/validate';
import type { Database } from '../store/store';
import { deploymentState, editsTo, history, planRollback } from './promotion';

/** The reason auto-rollbacks carry in the audit log. */
export const AUTO_ROLLBACK = 'auto-rollback';

export interface CanaryGuard {
  maxErrorRateIncrease?: number;
  maxP95LatencyRatio?: number;
  minRequests: number;
}

/** A guarded endpoint whose traffic is split between a control and a canary. */
export interface GuardTarget {
  endpoint: string;
  model: string;
  control: string;
  canary: string;
  guard: CanaryGuard;
}

/** What the model server measured of one version since the split took effect. */
export interface VersionSample {
  requests: number;
  errors: number;
  /** ms; null before any request. */
  p95: number | null;
}

export type GuardDecision =
  | { action: 'wait'; reason: string }
  | { action: 'hold'; checks: GateEvidence[] }
  | { action: 'rollback'; checks: GateEvidence[]; reason: string };

/**
 * The guarded endpoints of a manifest that have a canary: the control is the version the
 * `production` alias names when it has traffic, else the one with the largest share; the canary is
 * the other version with the smallest positive share.
 */
export function guardTargets(manifest: ManifestModel): GuardTarget[] {
  const out: GuardTarget[] = [];
  for (const [name, e] of manifest.serving?.endpoints?.entries ?? []) {
    const g = e.guard;
    const m = e.model ? manifest.models?.entries.get(e.model.value) : undefined;
    if (!g || !m || !e.traffic) continue;
    if (g.maxErrorRateIncrease === undefined && g.maxP95LatencyRatio === undefined) continue;
    const shares = new Map<string, number>();
    for (const [key, share] of e.traffic.entries) {
      const v = resolveVersion(m, key);
      if (v !== undefined && share.value > 0) shares.set(v, (shares.get(v) ?? 0) + share.value);
    }
    if (shares.size < 2) continue;
    const production = m.aliases?.entries.get('production')?.value;
    const byShare = [...shares].sort((a, b) => b[1] - a[1]);
    const control = production !== undefined && shares.has(production) ? production : byShare[0][0];
    const canary = byShare.filter(([v]) => v !== control).at(-1)![0];
    out.push({
      endpoint: name,
      model: m.name,
      control,
      canary,
      guard: {
        maxErrorRateIncrease: g.maxErrorRateIncrease?.value,
        maxP95LatencyRatio: g.maxP95LatencyRatio?.value,
        minRequests: Math.max(1, g.minRequests?.value ?? DEFAULT_GUARD_MIN_REQUESTS),
      },
    });
  }
  return out;
}

/** Judge the canary against the control: wait for enough requests, then roll back when any bound is exceeded. */
export function judgeCanary(guard: CanaryGuard, control: VersionSample, canary: VersionSample): GuardDecision {
  if (canary.requests < guard.minRequests || control.requests < guard.minRequests) {
    return {
      action: 'wait',
      reason: `${canary.requests} canary and ${control.requests} control requests of the ${guard.minRequests} each needs`,
    };
  }
  const checks: GateEvidence[] = [];
  if (guard.maxErrorRateIncrease !== undefined) {
    const c = control.errors / control.requests;
    const k = canary.errors / canary.requests;
    const increase = k - c;
    const pass = increase <= guard.maxErrorRateIncrease + 1e-12;
    checks.push({
      metric: 'error_rate_increase',
      max: guard.maxErrorRateIncrease,
      value: increase,
      source: 'live',
      pass,
      detail: `canary error rate ${pct(k)} (${canary.errors} of ${canary.requests}) vs control ${pct(c)} (${control.errors} of ${control.requests}): ${increase >= 0 ? '+' : ''}${points(increase)} points; tolerated +${points(guard.maxErrorRateIncrease)}`,
    });
  }
  if (guard.maxP95LatencyRatio !== undefined && canary.p95 !== null && control.p95 !== null && control.p95 > 0) {
    const ratio = canary.p95 / control.p95;
    checks.push({
      metric: 'p95_latency_ratio',
      max: guard.maxP95LatencyRatio,
      value: ratio,
      source: 'live',
      pass: ratio <= guard.maxP95LatencyRatio,
      detail: `canary p95 ${ms(canary.p95)} vs control ${ms(control.p95)}: ×${Number(ratio.toPrecision(3))}; tolerated ×${guard.maxP95LatencyRatio}`,
    });
  }
  const failed = checks.filter((c) => c.pass === false);
  if (failed.length === 0) return { action: 'hold', checks };
  return { action: 'rollback', checks, reason: failed.map((c) => c.detail).join('; ') };
}

/**
 * The plan that takes the canary out: the audit log's last promotion of the model rolled back, when
 * it is what gave the canary its traffic and the manifest is still as it left it; otherwise the
 * endpoint's traffic back to the control alone. Its evidence carries the reason `auto-rollback`.
 */
export function planAutoRollback(input: {
  manifestPath: string;
  text: string;
  target: GuardTarget;
  decision: Extract<GuardDecision, { action: 'rollback' }>;
  db: Database;
}): PromotionPlan {
  const { target, decision } = input;
  const manifest = readManifestModel(parseManifest(input.text));
  const from = deploymentState(manifest, target.model);
  const headline = `Auto-rollback: canary "${target.canary}" on endpoint ${target.endpoint} is worse than control "${target.control}"`;
  const undone = new Set(history(input.db, target.model).flatMap((e) => (e.action === 'rollback' && e.evidence.rollsBack !== undefined ? [e.evidence.rollsBack] : [])));
  const last = history(input.db, target.model).find((e) => e.action === 'promote' && !undone.has(e.id));
  const gaveTraffic = last && (last.to.traffic[target.endpoint]?.[target.canary] ?? 0) > (last.from.traffic[target.endpoint]?.[target.canary] ?? 0);
  if (last && gaveTraffic) {
    const plan = planRollback({ manifestPath: input.manifestPath, text: input.text, model: target.model, db: input.db });
    if (plan.blocked.length === 0 && plan.edits.length > 0) {
      return {
        ...plan,
        version: target.canary,
        evidence: { ...plan.evidence, gates: decision.checks, reason: AUTO_ROLLBACK, summary: `${headline} (${decision.reason}). ${plan.evidence.summary}` },
      };
    }
  }
  const to = { aliases: { ...from.aliases }, traffic: { ...from.traffic, [target.endpoint]: { [target.control]: 100 } } };
  return {
    action: 'rollback',
    manifest: input.manifestPath,
    model: target.model,
    version: target.canary,
    edits: editsTo(input.text, manifest, target.model, to),
    from,
    to,
    evidence: {
      gates: decision.checks,
      reason: AUTO_ROLLBACK,
      summary: `${headline} (${decision.reason}). Endpoint ${target.endpoint} serves "${target.control}" alone.`,
    },
    blocked: [],
  };
}

function pct(x: number): string {
  return `${Number((x * 100).toPrecision(3))} %`;
}

function points(x: number): string {
  return String(Number((x * 100).toPrecision(3)));
}

function ms(x: number): string {
  return `${Number(x.toPrecision(3))} ms`;
}
