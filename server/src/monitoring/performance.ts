/**
 * Live model quality from the prediction and feedback log: per time window the requests, the
 * metrics of predictions joined with their feedback (accuracy, precision, recall, F1, ROC AUC for
 * classification; MAE, RMSE, R² for regression), latency p50/p95/p99, throughput and error rate;
 * then degradation against a baseline run's metrics with a tolerance, and alerts with a severity.
 */
import type { MonitorAlert, PerformanceReport, PerformanceWindow } from '../contract';
import type { Database } from '../store/store';
import { lowerIsBetter } from '../util/metric-direction';

export interface LiveObservation {
  time: number;
  latencyMs: number;
  ok: boolean;
  /** Predicted label (classification) or value (regression). */
  predicted?: string | number;
  /** Score of the positive class (for ROC AUC), when the outputs hold a probability. */
  score?: number;
  label?: string;
  value?: number;
}

/** Fewer observations with feedback than this in a window say nothing about its quality. */
export const MIN_FEEDBACK = 30;
const MAX_WINDOWS = 48;
const LABEL_OUTPUTS = ['label', 'output_label', 'predicted_label', 'prediction', 'predictions', 'variable', 'output'];
const SCORE_OUTPUTS = ['probability', 'probabilities', 'output_probability', 'score', 'scores'];
/** Names a run may log a live metric under. */
const RUN_NAMES: Record<string, string[]> = { f1: ['f1', 'f1_score'], roc_auc: ['roc_auc', 'auc'], r2: ['r2', 'r2_score'] };

function first(outputs: Record<string, { data?: unknown[]; shape?: number[] }>, names: string[]): { data: unknown[]; shape?: number[] } | undefined {
  for (const n of names) if (outputs[n]?.data) return outputs[n] as { data: unknown[]; shape?: number[] };
  return undefined;
}

function flat(v: unknown): unknown {
  return Array.isArray(v) ? flat(v[0]) : v;
}

/** Predicted label or value, and the positive-class score, from a logged outputs JSON. */
export function parseOutputs(json: string, task: 'classification' | 'regression'): { predicted?: string | number; score?: number } {
  let outputs: Record<string, { data?: unknown[]; shape?: number[] }>;
  try {
    outputs = JSON.parse(json) as typeof outputs;
  } catch {
    return {};
  }
  const names = Object.keys(outputs);
  const label = first(outputs, LABEL_OUTPUTS) ?? (names.length === 1 ? (outputs[names[0]] as { data: unknown[] }) : undefined);
  const raw = label ? flat(label.data) : undefined;
  const result: { predicted?: string | number; score?: number } = {};
  if (raw !== undefined && raw !== null) result.predicted = task === 'regression' ? Number(raw) : typeof raw === 'boolean' ? String(Number(raw)) : String(raw);
  const scores = first(outputs, SCORE_OUTPUTS);
  if (scores) {
    // [N, 2]: the second column is the positive class; [N] or [N, 1]: the positive class itself.
    const width = scores.shape && scores.shape.length === 2 ? scores.shape[1] : 1;
    const values = (scores.data.flat(3) as unknown[]).map(Number);
    const s = width >= 2 ? values[1] : values[0];
    if (Number.isFinite(s)) result.score = s;
  }
  return result;
}

/** The non-mirrored requests of the endpoints in [since, until], with their latest feedback, oldest first. */
export function loadLive(db: Database, endpoints: string[], task: 'classification' | 'regression', since = 0, until = Number.MAX_SAFE_INTEGER): LiveObservation[] {
  if (endpoints.length === 0) return [];
  const rows = db
    .prepare(
      `SELECT p.time, p.latency_ms AS latency, p.status, p.outputs, f.label, f.value
       FROM predictions p
       LEFT JOIN feedback f ON f.id = (SELECT max(id) FROM feedback WHERE request_id = p.request_id)
       WHERE p.endpoint IN (${endpoints.map(() => '?').join(', ')}) AND p.mirrored = 0 AND p.time >= ? AND p.time <= ?
       ORDER BY p.time, p.id`,
    )
    .all(...endpoints, since, until) as { time: number; latency: number; status: number; outputs: string | null; label: unknown; value: number | null }[];
  return rows.map((r) => ({
    time: r.time,
    latencyMs: r.latency,
    ok: r.status < 400,
    ...(r.outputs ? parseOutputs(r.outputs, task) : {}),
    label: r.label === null || r.label === undefined ? undefined : String(r.label),
    value: r.value ?? (task === 'regression' && r.label !== null && r.label !== undefined && Number.isFinite(Number(r.label)) ? Number(r.label) : undefined),
  }));
}

/**
 * ROC AUC as the Mann–Whitney U statistic over (score, is positive) pairs, ties counted half
 * (average ranks) — what sklearn.metrics.roc_auc_score computes. NaN without both classes.
 */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSum = 0;
  let positives = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const rank = (i + j + 2) / 2; // 1-based average rank of the tie group
    for (let k = i; k <= j; k++) {
      if (positive[order[k]]) {
        rankSum += rank;
        positives++;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Linear-interpolation quantile (NumPy's default) of sorted values; null when empty. */
export function quantile(sorted: Float64Array, q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function put(metrics: Record<string, number>, name: string, value: number): void {
  if (Number.isFinite(value)) metrics[name] = value;
}

/** Quality, latency and throughput of the observations in [start, end). */
export function windowMetrics(obs: readonly LiveObservation[], task: 'classification' | 'regression', start: number, end: number, positive = '1'): PerformanceWindow {
  const latencies = Float64Array.from(obs, (o) => o.latencyMs).sort();
  const errors = obs.filter((o) => !o.ok).length;
  const metrics: Record<string, number> = {};
  let withFeedback = 0;
  if (task === 'regression') {
    const pairs = obs.filter((o) => o.ok && o.value !== undefined && typeof o.predicted === 'number' && Number.isFinite(o.predicted));
    withFeedback = pairs.length;
    if (pairs.length > 0) {
      let abs = 0;
      let sq = 0;
      let mean = 0;
      for (const o of pairs) mean += o.value!;
      mean /= pairs.length;
      let tot = 0;
      for (const o of pairs) {
        const e = (o.predicted as number) - o.value!;
        abs += Math.abs(e);
        sq += e * e;
        tot += (o.value! - mean) ** 2;
      }
      put(metrics, 'mae', abs / pairs.length);
      put(metrics, 'rmse', Math.sqrt(sq / pairs.length));
      if (tot > 0) put(metrics, 'r2', 1 - sq / tot);
    }
  } else {
    const pairs = obs.filter((o) => o.ok && o.label !== undefined && o.predicted !== undefined);
    withFeedback = pairs.length;
    let tp = 0, fp = 0, fn = 0, correct = 0; // prettier-ignore
    for (const o of pairs) {
      const p = String(o.predicted);
      if (p === o.label) correct++;
      if (p === positive && o.label === positive) tp++;
      else if (p === positive) fp++;
      else if (o.label === positive) fn++;
    }
    if (pairs.length > 0) {
      const precision = tp / (tp + fp);
      const recall = tp / (tp + fn);
      put(metrics, 'accuracy', correct / pairs.length);
      put(metrics, 'precision', precision);
      put(metrics, 'recall', recall);
      put(metrics, 'f1', tp === 0 ? (tp + fp + fn > 0 ? 0 : NaN) : (2 * precision * recall) / (precision + recall));
      const scored = pairs.filter((o) => o.score !== undefined);
      if (scored.length === pairs.length) {
        put(metrics, 'roc_auc', rocAuc(Float64Array.from(scored, (o) => o.score!), scored.map((o) => o.label === positive)));
      }
    }
  }
  const seconds = Math.max(end - start, 1) / 1000;
  return {
    start,
    end,
    span_ms: obs.length > 0 ? obs[obs.length - 1].time - obs[0].time : 0,
    requests: obs.length,
    with_feedback: withFeedback,
    metrics,
    latency_ms: { p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95), p99: quantile(latencies, 0.99) },
    throughput: obs.length / seconds,
    error_rate: obs.length > 0 ? errors / obs.length : null,
  };
}

export interface PerformanceInput {
  model: string;
  task: 'classification' | 'regression';
  endpoints: string[];
  observations: readonly LiveObservation[];
  /** Width of the rolling windows. */
  windowMs: number;
  now: number;
  baseline?: { run: string; metrics: Record<string, number>; tolerance: number };
  /** Upper bounds the model's gates set on live metrics (p95_latency_ms, error_rate…). */
  liveGates?: Record<string, { min?: number; max?: number }>;
  positiveLabel?: string;
}

/** The value a run logged for a live metric, under any of its usual names. */
function baselineValue(metrics: Record<string, number>, live: string): number | undefined {
  for (const name of RUN_NAMES[live] ?? [live]) if (typeof metrics[name] === 'number' && Number.isFinite(metrics[name])) return metrics[name];
  return undefined;
}

export function performanceReport(input: PerformanceInput): PerformanceReport {
  const obs = input.observations;
  const start = obs.length > 0 ? obs[0].time : input.now;
  const overall = windowMetrics(obs, input.task, start, Math.max(input.now, start + 1), input.positiveLabel);
  // Windows on the clock (multiples of the width since the epoch, in UTC: 08:05–08:06, 14:00–15:00, a
  // UTC day), from the one holding the first observation to the one holding now (at most MAX_WINDOWS),
  // so a window's label holds the times of its rows. The last one ends now.
  const windows: PerformanceWindow[] = [];
  const w = input.windowMs;
  const current = Math.floor(input.now / w) * w;
  const count = Math.min(MAX_WINDOWS, Math.max(1, Math.floor((current - Math.floor(start / w) * w) / w) + 1));
  let k = obs.length;
  for (let n = 0; n < count; n++) {
    const from = current - n * w;
    const end = n === 0 ? Math.max(input.now + 1, from + 1) : from + w;
    let i = k;
    while (i > 0 && obs[i - 1].time >= from) i--;
    windows.unshift(windowMetrics(obs.slice(i, k), input.task, from, end, input.positiveLabel));
    k = i;
  }
  const alerts: MonitorAlert[] = [];
  const degraded: PerformanceReport['degraded'] = [];
  // Degradation is judged on the latest window with enough feedback, else on everything.
  const judged = [...windows].reverse().find((w) => w.with_feedback >= MIN_FEEDBACK) ?? (overall.with_feedback >= MIN_FEEDBACK ? overall : undefined);
  if (input.baseline && judged) {
    for (const [metric, live] of Object.entries(judged.metrics)) {
      const base = baselineValue(input.baseline.metrics, metric);
      if (base === undefined) continue;
      const drop = lowerIsBetter(metric) ? live - base : base - live;
      if (drop > input.baseline.tolerance) {
        degraded.push({ metric, baseline: base, live, drop });
        alerts.push({
          severity: drop > 2 * input.baseline.tolerance ? 'critical' : 'warning',
          metric,
          message: degradationMessage(metric, live, base, drop, input.baseline.run, input.baseline.tolerance),
        });
      }
    }
  }
  if (!judged && obs.length > 0) {
    alerts.push({ severity: 'info', metric: 'feedback', message: `Only ${overall.with_feedback} predictions have feedback (${MIN_FEEDBACK} needed to judge quality).` });
  }
  // Live gates look at the latest window with traffic: a window on the clock that has just begun is empty.
  const latest = [...windows].reverse().find((x) => x.requests > 0) ?? windows[windows.length - 1];
  for (const [metric, gate] of Object.entries(input.liveGates ?? {})) {
    const value = metric === 'p50_latency_ms' ? latest.latency_ms.p50 : metric === 'p95_latency_ms' ? latest.latency_ms.p95 : metric === 'p99_latency_ms' ? latest.latency_ms.p99 : metric === 'error_rate' ? latest.error_rate : null;
    if (value === null) continue;
    if ((gate.max !== undefined && value > gate.max) || (gate.min !== undefined && value < gate.min)) {
      alerts.push({ severity: 'warning', metric, message: `${metric} ${fmt(value)} in the latest window misses its gate (${gate.max !== undefined ? `≤ ${gate.max}` : `≥ ${gate.min}`}).` });
    }
  }
  return {
    model: input.model,
    task: input.task,
    endpoints: input.endpoints,
    overall,
    windows,
    window_ms: input.windowMs,
    baseline: input.baseline ?? null,
    degraded,
    alerts,
  };
}

function fmt(v: number): string {
  return String(Number(v.toPrecision(4)));
}

/**
 * "precision 0 against 0.6535 in the baseline run churn-v1: down 0.6535 (−100%; tolerance 0.05)." —
 * the live value, the baseline's and the change, each once and each named.
 */
export function degradationMessage(metric: string, live: number, base: number, drop: number, run: string, tolerance: number): string {
  const way = lowerIsBetter(metric) ? 'up' : 'down';
  const relative = base !== 0 ? `${lowerIsBetter(metric) ? '+' : '−'}${fmt((100 * Math.abs(drop)) / Math.abs(base))}%; ` : '';
  return `${metric} ${fmt(live)} against ${fmt(base)} in the baseline run ${run}: ${way} ${fmt(drop)} (${relative}tolerance ${tolerance}).`;
}
