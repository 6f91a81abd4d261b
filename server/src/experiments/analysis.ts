/**
 * Analysis of an `experiments:` entry from the model server's prediction and feedback log: per
 * variant n, the metric (predictions joined with feedback by request id), latency percentiles and
 * error rate; the difference treatment − control with its interval and p-value; the sample-ratio
 * check against the configured split; and a verdict that stays valid under peeking when the
 * experiment is sequential (always-valid confidence sequences).
 *
 * Public face: `analyzeExperiment` (manifest + store), `resolveExperiment` (manifest → spec),
 * `loadObservations` (store → observations) and `analyzeObservations` (pure).
 */
import {
  meanDiffInterval,
  meanSampleSize,
  proportionDiffInterval,
  proportionSampleSize,
  sampleRatioMismatch,
  sequentialDecision,
  sequentialMeanDiff,
  StatsError,
  twoProportionZ,
  welchFromSummary,
  type Summary,
} from '../stats/index';
import type { ManifestModel } from '../manifest/model';
import { resolveVersion } from '../manifest/validate';
import type { Database } from '../store/store';
import type { ExperimentReport, ExperimentTimeline, TimelinePoint, VariantReport, ExperimentVerdict } from '../contract';
import { lowerIsBetter } from '../util/metric-direction';

export type { ExperimentReport, ExperimentTimeline, TimelinePoint, VariantReport, ExperimentVerdict } from '../contract';

/** An experiment with every reference resolved: what the analysis needs, nothing from the manifest's text. */
export interface ExperimentSpec {
  name: string;
  endpoint: string;
  model: string;
  /** Version ids (aliases resolved). */
  control: string;
  treatment: string;
  /** As written, for display (e.g. an alias). */
  controlRef?: string;
  treatmentRef?: string;
  task: 'classification' | 'regression';
  metric: string;
  test: 'two-proportion' | 'welch';
  alpha: number;
  power: number;
  mde?: number;
  sequential: boolean;
  /** Configured traffic percent of control and treatment on the endpoint, when it has a split. */
  split?: [number, number];
  /** The class counted as positive for precision, recall and F1; default "1". */
  positiveLabel?: string;
}

/** One logged (non-mirrored) prediction of either arm. */
export interface Observation {
  arm: 'control' | 'treatment';
  time: number;
  latencyMs: number;
  ok: boolean;
  /** The predicted label (classification) or value (regression), when the outputs hold one. */
  predicted?: string | number;
  /** Ground truth from feedback, when given. */
  label?: string;
  value?: number;
}

/** Fewer observations with feedback (both arms together) than this keep the verdict at "need more samples". */
export const MIN_SAMPLES = 100;

export class ExperimentError extends Error {}

/** Resolve an experiment of a manifest to its spec; throws ExperimentError naming what is wrong. */
export function resolveExperiment(manifest: ManifestModel, name: string): ExperimentSpec {
  const x = manifest.experiments?.entries.get(name);
  if (!x) {
    const known = [...(manifest.experiments?.entries.keys() ?? [])];
    throw new ExperimentError(`no experiment "${name}" in mlops.yaml${known.length > 0 ? ` (experiments: ${known.join(', ')})` : ''}`);
  }
  const endpointName = x.endpoint?.value;
  const endpoint = endpointName !== undefined ? manifest.serving?.endpoints?.entries.get(endpointName) : undefined;
  if (!endpoint || !endpointName) throw new ExperimentError(`experiment "${name}" names no endpoint declared under serving.endpoints`);
  const model = endpoint.model ? manifest.models?.entries.get(endpoint.model.value) : undefined;
  if (!model) throw new ExperimentError(`endpoint "${endpointName}" serves no declared model`);
  const control = x.control && resolveVersion(model, x.control.value);
  const treatment = x.treatment && resolveVersion(model, x.treatment.value);
  if (!control || !treatment)
    throw new ExperimentError(`experiment "${name}" needs a control and a treatment that are versions (or aliases) of model "${model.name}"`);
  if (control === treatment) throw new ExperimentError(`experiment "${name}" compares version "${control}" with itself`);
  const metric = x.metric?.value ?? 'accuracy';
  const task = model.task?.value === 'regression' || REGRESSION_METRICS.has(metric) ? 'regression' : 'classification';
  let split: [number, number] | undefined;
  if (endpoint.traffic) {
    const share = (version: string) => {
      let sum = 0;
      for (const [key, s] of endpoint.traffic!.entries) if (resolveVersion(model, key) === version) sum += s.value;
      return sum;
    };
    split = [share(control), share(treatment)];
  }
  return {
    name,
    endpoint: endpointName,
    model: model.name,
    control,
    treatment,
    controlRef: x.control?.value,
    treatmentRef: x.treatment?.value,
    task,
    metric,
    test: x.test?.value === 'welch' ? 'welch' : 'two-proportion',
    alpha: x.alpha?.value ?? 0.05,
    power: x.power?.value ?? 0.8,
    mde: x.mde?.value,
    sequential: x.sequential?.value ?? false,
    split,
  };
}

/** The experiment's observations from the store, oldest first. `until` (ms) gives the state at an earlier time. */
export function loadObservations(db: Database, spec: ExperimentSpec, options: { since?: number; until?: number } = {}): Observation[] {
  const rows = db
    .prepare(
      `SELECT p.version, p.time, p.latency_ms AS latency, p.status, p.outputs, f.label, f.value
       FROM predictions p
       LEFT JOIN feedback f ON f.id = (SELECT max(id) FROM feedback WHERE request_id = p.request_id)
       WHERE p.endpoint = ? AND p.mirrored = 0 AND p.version IN (?, ?) AND p.time >= ? AND p.time <= ?
       ORDER BY p.time, p.id`,
    )
    .all(spec.endpoint, spec.control, spec.treatment, options.since ?? 0, options.until ?? Number.MAX_SAFE_INTEGER) as {
    version: string;
    time: number;
    latency: number;
    status: number;
    outputs: string | null;
    label: unknown;
    value: number | null;
  }[];
  return rows.map((r) => ({
    arm: r.version === spec.control ? 'control' : 'treatment',
    time: r.time,
    latencyMs: r.latency,
    ok: r.status < 400,
    predicted: r.outputs ? predictedOf(r.outputs, spec.task) : undefined,
    label: r.label === null || r.label === undefined ? undefined : String(r.label),
    value: r.value ?? undefined,
  }));
}

/** Analyze an experiment of the manifest over the store's log, with the metric over time (about `buckets` buckets, default 30). */
export function analyzeExperiment(
  db: Database,
  manifest: ManifestModel,
  name: string,
  options: { since?: number; until?: number; buckets?: number } = {},
): ExperimentReport {
  const spec = resolveExperiment(manifest, name);
  const observations = loadObservations(db, spec, options);
  return { ...analyzeObservations(spec, observations), timeline: experimentTimeline(spec, observations, options.buckets) };
}

const REGRESSION_METRICS = new Set(['mae', 'rmse', 'mse']);
/** Names of outputs that hold the prediction, in order of preference. */
const LABEL_OUTPUTS = ['label', 'output_label', 'predicted_label', 'prediction', 'predictions', 'variable', 'output'];

/** The first element of the prediction output of a logged outputs JSON. */
function predictedOf(outputs: string, task: ExperimentSpec['task']): string | number | undefined {
  let parsed: Record<string, { data?: unknown[] }>;
  try {
    parsed = JSON.parse(outputs) as Record<string, { data?: unknown[] }>;
  } catch {
    return undefined;
  }
  const names = Object.keys(parsed);
  const name = LABEL_OUTPUTS.find((n) => names.includes(n)) ?? (names.length === 1 ? names[0] : undefined);
  const first = name !== undefined ? parsed[name]?.data?.[0] : undefined;
  if (first === undefined || first === null) return undefined;
  if (task === 'regression') return typeof first === 'number' ? first : Number(first);
  return typeof first === 'boolean' ? String(Number(first)) : String(first);
}

interface ArmData {
  report: VariantReport;
  /** Per-observation values of the tested quantity (1/0 for rates, errors for regression, latency…). */
  units: number[];
}

/** The analysis of observations (pure). */
export function analyzeObservations(spec: ExperimentSpec, observations: readonly Observation[]): ExperimentReport {
  const control = arm(
    spec,
    spec.control,
    observations.filter((o) => o.arm === 'control'),
  );
  const treatment = arm(
    spec,
    spec.treatment,
    observations.filter((o) => o.arm === 'treatment'),
  );
  const notes: string[] = [];
  const higherIsBetter = !lowerIsBetter(spec.metric);
  const report: ExperimentReport = {
    experiment: spec.name,
    endpoint: spec.endpoint,
    model: spec.model,
    metric: spec.metric,
    higherIsBetter,
    test: spec.test,
    sequential: spec.sequential,
    alpha: spec.alpha,
    control: control.report,
    treatment: treatment.report,
    verdict: { kind: 'need-more-samples', trusted: true, message: '' },
    notes,
  };

  if (spec.split && control.report.n + treatment.report.n > 0 && spec.split[0] > 0 && spec.split[1] > 0) {
    const srm = sampleRatioMismatch([control.report.n, treatment.report.n], spec.split);
    report.srm = {
      expected: spec.split,
      observed: [control.report.n, treatment.report.n],
      statistic: srm.statistic,
      pvalue: srm.pvalue,
      flagged: srm.flagged,
    };
    if (srm.flagged)
      notes.push(
        `Sample ratio mismatch: ${control.report.n}/${treatment.report.n} requests against a configured ${spec.split[0]}/${spec.split[1]} split (p = ${srm.pvalue.toExponential(2)}); the assignment is broken, so the comparison is not trustworthy.`,
      );
  }

  const a = treatment.units;
  const b = control.units;
  const measured = a.length + b.length;
  if (a.length < 2 || b.length < 2) {
    const missing = Math.max(0, MIN_SAMPLES - measured, 4 - measured);
    report.verdict = {
      kind: 'need-more-samples',
      moreSamples: missing,
      trusted: true,
      message: `Need at least ${formatCount(missing)} more samples with feedback (have ${formatCount(b.length)} control, ${formatCount(a.length)} treatment).`,
    };
    return untrustedIfSrm(report);
  }
  const binary = isRate(spec.metric);
  const sa = summary(a);
  const sb = summary(b);
  try {
    if (spec.sequential) {
      const result = sequentialMeanDiff(sa, sb, { alpha: spec.alpha });
      const decision = sequentialDecision(result, { minSamples: MIN_SAMPLES });
      report.difference = {
        estimate: result.estimate,
        lower: result.lower,
        upper: result.upper,
        pvalue: result.pvalue,
        method: 'confidence sequence (always valid)',
      };
      report.verdict = verdictOf(decision.verdict === 'a-better' ? 1 : decision.verdict === 'b-better' ? -1 : 0, higherIsBetter, decision.moreSamples, spec);
    } else {
      const useZ = binary && spec.test === 'two-proportion';
      const xa = useZ ? count(a) : 0;
      const xb = useZ ? count(b) : 0;
      const p = useZ ? twoProportionZ(xa, a.length, xb, b.length).pvalue : welchFromSummary(sa, sb).pvalue;
      const ci = useZ
        ? proportionDiffInterval(xa, a.length, xb, b.length, {
            alpha: spec.alpha,
          })
        : meanDiffInterval(sa, sb, { alpha: spec.alpha });
      report.difference = {
        estimate: ci.estimate,
        lower: ci.lower,
        upper: ci.upper,
        pvalue: p,
        method: useZ ? 'two-proportion z-test, Wald interval' : "Welch's t-test and interval",
      };
      const sign = p < spec.alpha && measured >= MIN_SAMPLES ? Math.sign(ci.estimate) : 0;
      report.verdict = verdictOf(sign, higherIsBetter, sign === 0 ? fixedMoreSamples(spec, sb, binary, a.length, b.length) : 0, spec);
    }
  } catch (error) {
    if (!(error instanceof StatsError)) throw error;
    report.verdict = {
      kind: 'inconclusive',
      trusted: true,
      message: `No test: ${error.message}.`,
    };
  }
  if (!isPerObservation(spec.metric)) {
    notes.push(
      `${spec.metric} is not an average over requests, so the difference, interval and verdict are on the per-request ${spec.task === 'regression' ? 'squared error' : 'correctness'} instead.`,
    );
  }
  const v = report.verdict;
  if (v.moreSamples !== undefined && v.moreSamples > 0) {
    // How long the missing samples would take at the rate they have come in so far.
    const times = observations.filter((o) => o.label !== undefined || o.value !== undefined).map((o) => o.time);
    const span = times.length > 1 ? (Math.max(...times) - Math.min(...times)) / 1000 : 0;
    if (span > 0) {
      v.samplesPerSecond = times.length / span;
      v.etaSeconds = v.moreSamples / v.samplesPerSecond;
      v.message = `${v.message.replace(/\.$/, '')} — ${formatDuration(v.etaSeconds)} at the current ${formatRate(v.samplesPerSecond)} samples/s.`;
    }
  }
  return untrustedIfSrm(report);
}

/** A sample-ratio mismatch makes the verdict untrusted, whatever the numbers say. */
function untrustedIfSrm(report: ExperimentReport): ExperimentReport {
  if (!report.srm?.flagged) return report;
  report.verdict.trusted = false;
  report.verdict.untrustedReason = 'sample ratio mismatch';
  report.verdict.message = `Untrusted — sample ratio mismatch: the assignment is broken, so this cannot be believed. Were it sound: ${report.verdict.message}`;
  return report;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function formatRate(perSecond: number): string {
  return perSecond >= 10 ? formatCount(perSecond) : String(Number(perSecond.toPrecision(2)));
}

/** A rough duration for people: "about 40 s", "about 12 min", "about 3.5 h", "about 9 days". */
export function formatDuration(seconds: number): string {
  if (seconds < 90) return `about ${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `about ${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `about ${Number((seconds / 3600).toPrecision(2))} h`;
  return `about ${formatCount(seconds / 86400)} days`;
}

function verdictOf(sign: number, higherIsBetter: boolean, moreSamples: number, spec: ExperimentSpec): ExperimentVerdict {
  if (sign !== 0) {
    const better = sign > 0 === higherIsBetter;
    return {
      kind: better ? 'treatment-better' : 'treatment-worse',
      trusted: true,
      message: `Treatment ("${spec.treatment}") is ${better ? 'better' : 'worse'} than control ("${spec.control}") on ${spec.metric}${spec.sequential ? ' (always-valid confidence sequence excludes 0)' : ` (p < ${spec.alpha})`}.`,
    };
  }
  if (Number.isFinite(moreSamples) && moreSamples > 0) {
    const more = Math.ceil(moreSamples);
    return {
      kind: 'need-more-samples',
      moreSamples: more,
      trusted: true,
      message: `No difference shown yet: need about ${formatCount(more)} more samples with feedback.`,
    };
  }
  return {
    kind: 'inconclusive',
    trusted: true,
    message: `No difference on ${spec.metric} between "${spec.treatment}" and "${spec.control}" at α = ${spec.alpha}.`,
  };
}

/** Fixed-horizon test: remaining samples (both arms) to reach the planned power for the MDE, or 0 when reached / not planned. */
function fixedMoreSamples(spec: ExperimentSpec, control: Summary, binary: boolean, na: number, nb: number): number {
  if (spec.mde === undefined || !(spec.mde > 0)) return Math.max(0, MIN_SAMPLES - na - nb);
  const ratio = spec.split && spec.split[0] > 0 && spec.split[1] > 0 ? spec.split[1] / spec.split[0] : 1;
  try {
    let size;
    if (binary) {
      const p1 = Math.min(Math.max(control.mean, 1e-6), 1 - 1e-6);
      const p2 = p1 + spec.mde <= 1 ? p1 + spec.mde : p1 - spec.mde;
      size = proportionSampleSize(p1, p2, {
        alpha: spec.alpha,
        power: spec.power,
        ratio,
      });
    } else {
      const sd = Math.sqrt(control.variance);
      if (!(sd > 0)) return 0;
      size = meanSampleSize(spec.mde, sd, sd, {
        alpha: spec.alpha,
        power: spec.power,
        ratio,
      });
    }
    // n1 is the control's (the ratio is treatment / control).
    return Math.max(0, size.n1 - nb) + Math.max(0, size.n2 - na);
  } catch {
    return 0;
  }
}

function arm(spec: ExperimentSpec, version: string, obs: Observation[]): ArmData {
  const latencies = Float64Array.from(obs.map((o) => o.latencyMs)).sort();
  const errors = obs.filter((o) => !o.ok).length;
  const report: VariantReport = {
    version,
    n: obs.length,
    withFeedback: 0,
    metrics: {},
    latency: {
      p50: quantile(latencies, 0.5),
      p95: quantile(latencies, 0.95),
      p99: quantile(latencies, 0.99),
    },
    errorRate: obs.length > 0 ? errors / obs.length : null,
  };
  const units: number[] = [];
  if (isLiveUnit(spec.metric)) {
    for (const o of obs) units.push(spec.metric === 'error_rate' ? Number(!o.ok) : o.latencyMs);
    report.withFeedback = obs.length;
  } else if (spec.task === 'regression') {
    let abs = 0;
    let sq = 0;
    for (const o of obs) {
      if (!o.ok || o.value === undefined || typeof o.predicted !== 'number' || !Number.isFinite(o.predicted)) continue;
      const e = o.predicted - o.value;
      abs += Math.abs(e);
      sq += e * e;
      units.push(spec.metric === 'mae' ? Math.abs(e) : e * e);
    }
    const n = units.length;
    report.withFeedback = n;
    if (n > 0) report.metrics = { mae: abs / n, mse: sq / n, rmse: Math.sqrt(sq / n) };
  } else {
    const positive = spec.positiveLabel ?? '1';
    let tp = 0, fp = 0, fn = 0, correct = 0, n = 0; // prettier-ignore
    const precisionUnits: number[] = [];
    const recallUnits: number[] = [];
    for (const o of obs) {
      if (!o.ok || o.label === undefined || o.predicted === undefined) continue;
      n++;
      const predicted = String(o.predicted);
      const hit = predicted === o.label;
      if (hit) correct++;
      const pp = predicted === positive;
      const ap = o.label === positive;
      if (pp && ap) tp++;
      else if (pp) fp++;
      else if (ap) fn++;
      if (pp) precisionUnits.push(Number(ap));
      if (ap) recallUnits.push(Number(pp));
      units.push(Number(hit));
    }
    report.withFeedback = n;
    if (n > 0) {
      const precision = tp + fp > 0 ? tp / (tp + fp) : NaN;
      const recall = tp + fn > 0 ? tp / (tp + fn) : NaN;
      report.metrics = {
        accuracy: correct / n,
        precision,
        recall,
        f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : NaN,
      };
    }
    if (spec.metric === 'precision') return { report, units: precisionUnits };
    if (spec.metric === 'recall') return { report, units: recallUnits };
  }
  return { report, units };
}

function isRate(metric: string): boolean {
  return ['accuracy', 'precision', 'recall', 'f1', 'f1_score', 'error_rate'].includes(metric);
}

function isLiveUnit(metric: string): boolean {
  return metric === 'error_rate' || metric === 'mean_latency_ms';
}

function isPerObservation(metric: string): boolean {
  return ['accuracy', 'precision', 'recall', 'mae', 'mse', 'error_rate', 'mean_latency_ms'].includes(metric);
}

function summary(values: number[]): Summary {
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return {
    n: values.length,
    mean,
    variance: values.length > 1 ? ss / (values.length - 1) : 0,
  };
}

function count(values: number[]): number {
  let x = 0;
  for (const v of values) x += v;
  return x;
}

/** Linear-interpolation quantile (NumPy's default) of a sorted array; null when empty. */
function quantile(sorted: Float64Array, q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

// ---------------------------------------------------------------------------------------------
// The metric over time

/** Bucket widths the timeline picks from (ms): whole seconds, minutes, hours and days. */
const BUCKET_WIDTHS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 7 * 86400].map((s) => s * 1000);

/** The smallest width from BUCKET_WIDTHS whose aligned buckets cover [first, last] (ms) in at most `buckets` buckets. */
export function bucketWidth(first: number, last: number, buckets: number): number {
  const target = Math.max(1, Math.floor(buckets));
  return BUCKET_WIDTHS.find((w) => Math.floor(last / w) - Math.floor(first / w) + 1 <= target) ?? BUCKET_WIDTHS[BUCKET_WIDTHS.length - 1];
}

/**
 * The experiment's metric per variant over time: observations bucketed by time (buckets aligned to
 * multiples of the width), with the metric over each bucket and over everything up to its end — the
 * latter is what the analysis converges to. Buckets where a variant had no request are left out.
 */
export function experimentTimeline(spec: ExperimentSpec, observations: readonly Observation[], buckets = 30): ExperimentTimeline {
  if (observations.length === 0) return { metric: spec.metric, bucketMs: 0, points: [] };
  let first = Infinity;
  let last = -Infinity;
  for (const o of observations) {
    first = Math.min(first, o.time);
    last = Math.max(last, o.time);
  }
  const width = bucketWidth(first, last, buckets);
  const origin = Math.floor(first / width) * width;
  const points: TimelinePoint[] = [];
  for (const armName of ['control', 'treatment'] as const) {
    const version = armName === 'control' ? spec.control : spec.treatment;
    const mine = observations.filter((o) => o.arm === armName).sort((a, b) => a.time - b.time);
    const byBucket = new Map<number, Observation[]>();
    for (const o of mine) {
      const start = origin + Math.floor((o.time - origin) / width) * width;
      let list = byBucket.get(start);
      if (!list) byBucket.set(start, (list = []));
      list.push(o);
    }
    let upTo = 0;
    for (const [start, list] of [...byBucket].sort((a, b) => a[0] - b[0])) {
      upTo += list.length;
      const bucket = arm(spec, version, list);
      points.push({
        arm: armName,
        version,
        start,
        n: list.length,
        withFeedback: bucket.report.withFeedback,
        value: metricOf(spec, bucket),
        cumulative: metricOf(spec, arm(spec, version, mine.slice(0, upTo))),
      });
    }
  }
  return { metric: spec.metric, bucketMs: width, points };
}

/** The experiment's metric of one arm's data; null when there is nothing to measure it by. */
function metricOf(spec: ExperimentSpec, data: ArmData): number | null {
  let value: number | undefined;
  if (isLiveUnit(spec.metric) || spec.metric === 'precision' || spec.metric === 'recall') {
    value = data.units.length > 0 ? data.units.reduce((a, b) => a + b, 0) / data.units.length : undefined;
  } else {
    value = data.report.metrics[spec.metric] ?? data.report.metrics[spec.metric === 'f1_score' ? 'f1' : spec.metric];
  }
  return value === undefined || !Number.isFinite(value) ? null : value;
}
