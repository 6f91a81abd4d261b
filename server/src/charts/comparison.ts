/**
 * Run comparison: the params and metrics of runs as columns of one table, the cells that differ,
 * the best run by a metric, and the order of the table when sorted by a column. Pure functions over
 * the contract's shapes, shared by the language server (which computes the data) and the webview
 * (which sorts the table it shows).
 */
import type { BestDirection, BestRunChoice, ComparisonColumn, ComparisonData, ComparisonParams, ComparisonValue, RunInfo } from '../contract';
import { metricDirection } from '../util/metric-direction';
import { parallelCoordinatesSpec, scatterSpec } from './comparison-spec';

/** A metric's goal from a manifest gate: `min:` bound → higher is better, `max:` bound → lower is better. */
export interface MetricGoal {
  metric: string;
  direction: BestDirection;
  /** Where the goal comes from: a manifest's gate (the default) or an Optuna study's direction. */
  source?: 'manifest' | 'study';
}

/** Params beyond this many are left out of the parallel coordinates (the differing ones come first). */
export const MAX_PARALLEL_PARAMS = 8;
/** Default columns: every metric and the differing params, up to this many. */
export const MAX_DEFAULT_COLUMNS = 16;

const ATTRIBUTES = ['experiment', 'status', 'started', 'duration'] as const;

/**
 * The answer to `mlops/comparison`: `runs` are the runs found, in the order of `params.runIds`;
 * `goals` are the manifests' gates, in document order.
 */
export function comparisonData(found: RunInfo[], params: ComparisonParams, goals: MetricGoal[] = []): ComparisonData {
  const byId = new Map(found.map((r) => [r.runId, r]));
  const runs = [...new Set(params.runIds)].map((id) => byId.get(id)).filter((r): r is RunInfo => r !== undefined);
  const labels = runLabels(runs);
  const metricNames = sortedKeys(runs.map((r) => r.metrics));
  const paramNames = sortedKeys(runs.map((r) => r.params));
  const columns: ComparisonColumn[] = [
    ...metricNames.map((name) => column('metric', name, runs.map((r) => metricValue(r.metrics[name])))),
    ...paramNames.map((name) => paramColumn(name, runs.map((r) => r.params[name]))),
    ...ATTRIBUTES.map((name) => column('attribute', name, runs.map((r) => attribute(r, name)))),
  ];
  for (const c of columns) if (c.kind === 'param' && sampledOnLogScale(runs, c)) c.scale = 'log';
  const known = [...goals, ...studyGoals(runs)];
  for (const c of columns) if (c.kind === 'metric') c.better = known.find((g) => g.metric === c.name)?.direction ?? metricDirection(c.name);
  const byColumn = new Map(columns.map((c) => [c.id, c]));
  const differingParams = columns.filter((c) => c.kind === 'param' && c.differs.some(Boolean));
  const defaultColumns = [...columns.filter((c) => c.kind === 'metric'), ...differingParams].slice(0, MAX_DEFAULT_COLUMNS).map((c) => c.id);

  const choice = chooseBest(params.best, known, metricNames);
  const best = choice ? { ...choice, ...bestRun(byColumn.get(`metric:${choice.metric}`)?.values ?? [], choice.direction) } : null;

  const shared = { runs: runs.map((r, i) => ({ runId: r.runId, label: labels[i], experiment: r.experiment, status: r.status })), bestIndex: best?.runIndex ?? -1 };
  let parallel: ComparisonData['parallel'] = null;
  const parallelMetric = params.parallelMetric && metricNames.includes(params.parallelMetric) ? params.parallelMetric : best?.metric;
  const paramColumns = columns.filter((c) => c.kind === 'param');
  const dims = (differingParams.length > 0 ? differingParams : paramColumns).slice(0, MAX_PARALLEL_PARAMS);
  if (parallelMetric && dims.length > 0) {
    const metric = byColumn.get(`metric:${parallelMetric}`)!;
    parallel = { metric: parallelMetric, dimensions: [...dims, metric].map((c) => c.id), spec: parallelCoordinatesSpec({ ...shared, dimensions: [...dims, metric], colorBy: metric }) };
  }

  let scatter: ComparisonData['scatter'] = null;
  const plottable = columns.filter((c) => c.kind !== 'attribute' || c.name === 'duration');
  const pick = (id: string | undefined) => (id ? plottable.find((c) => c.id === id) : undefined);
  const y = pick(params.scatterY) ?? (best ? byColumn.get(`metric:${best.metric}`) : undefined) ?? plottable[0];
  const x = pick(params.scatterX) ?? differingParams.find((c) => c.numeric) ?? differingParams[0] ?? plottable.find((c) => c !== y);
  if (x && y) {
    const { spec, shown, distinct } = scatterSpec({ ...shared, x, y });
    scatter = { x: x.id, y: y.id, shown, distinct, spec };
  }
  return { runs: shared.runs, columns, defaultColumns, best, parallel, scatter };
}

/**
 * The metric and direction that pick the best run: the user's, else a manifest gate's, else the first
 * metric in the direction its name says (mae, loss, error… lower; the rest higher).
 */
export function chooseBest(chosen: BestRunChoice | undefined, goals: MetricGoal[], metrics: string[]): (BestRunChoice & { source: 'chosen' | 'manifest' | 'study' | 'name' }) | null {
  if (chosen && metrics.includes(chosen.metric)) return { metric: chosen.metric, direction: chosen.direction, source: 'chosen' };
  const goal = goals.find((g) => metrics.includes(g.metric));
  if (goal) return { metric: goal.metric, direction: goal.direction, source: goal.source ?? 'manifest' };
  return metrics.length > 0 ? { metric: metrics[0], direction: metricDirection(metrics[0]), source: 'name' } : null;
}

/**
 * The run with the greatest (or least) finite value; index -1 when no value is finite or the best
 * value is shared (a tie marks no run), with the reason. NaN and ±Infinity never win: they are failed runs.
 */
export function bestRun(values: ComparisonValue[], direction: BestDirection): { runIndex: number; none?: 'no-finite-value' | 'tie'; tied?: number; value?: number } {
  let best = -1;
  let sharing = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    const current = best === -1 ? undefined : (values[best] as number);
    if (current === undefined || (direction === 'max' ? v > current : v < current)) {
      best = i;
      sharing = 1;
    } else if (v === current) {
      sharing++;
    }
  }
  if (best === -1) return { runIndex: -1, none: 'no-finite-value' };
  return sharing > 1 ? { runIndex: -1, none: 'tie', tied: sharing, value: values[best] as number } : { runIndex: best, value: values[best] as number };
}

/** The index of {@link bestRun}. */
export function bestRunIndex(values: ComparisonValue[], direction: BestDirection): number {
  return bestRun(values, direction).runIndex;
}

/** Per value, whether it differs from the value more than half of them share (all, when none does). */
export function differences(values: ComparisonValue[]): boolean[] {
  const keys = values.map(valueKey);
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  if (counts.size <= 1) return keys.map(() => false);
  let majority: string | undefined;
  for (const [k, n] of counts) if (n * 2 > keys.length) majority = k;
  return keys.map((k) => k !== majority);
}

/**
 * Row order of the table sorted by a column: numbers in numeric order, text in natural order
 * ("lr2" before "lr10"), NaN after every number and runs without a value last, whichever the
 * direction. Ties keep the runs' order.
 */
export function sortOrder(values: ComparisonValue[], descending: boolean): number[] {
  const order = values.map((_, i) => i);
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  const rank = (v: ComparisonValue): number => (v === null ? 3 : v === 'NaN' ? 2 : typeof v === 'number' || v === 'Infinity' || v === '-Infinity' ? 0 : 1);
  const num = (v: ComparisonValue): number => (typeof v === 'number' ? v : v === 'Infinity' ? Infinity : -Infinity);
  order.sort((a, b) => {
    const va = values[a];
    const vb = values[b];
    const ra = rank(va);
    const rb = rank(vb);
    if (ra !== rb) return ra - rb;
    let c = 0;
    if (ra === 0) c = num(va) - num(vb);
    else if (ra === 1) c = collator.compare(String(va), String(vb));
    if (c !== 0 && !Number.isNaN(c)) return descending ? -c : c;
    return a - b;
  });
  return order;
}

/** The objectives' directions of Optuna trials (their `optuna.directions` tag), first seen first. */
export function studyGoals(runs: RunInfo[]): MetricGoal[] {
  const goals = new Map<string, MetricGoal>();
  for (const r of runs) {
    const tag = r.tags['optuna.directions'];
    if (!tag) continue;
    try {
      for (const [metric, direction] of Object.entries(JSON.parse(tag) as Record<string, string>)) {
        if (!goals.has(metric)) goals.set(metric, { metric, direction: direction === 'MAXIMIZE' ? 'max' : 'min', source: 'study' });
      }
    } catch {
      // a tag someone else wrote: no goal from it
    }
  }
  return [...goals.values()];
}

/** Gates of a manifest's models as goals, in document order (a gate with both bounds counts as `min:`). */
export function goalsFromGates(gates: { metric: string; min?: number; max?: number }[]): MetricGoal[] {
  return gates.filter((g) => g.min !== undefined || g.max !== undefined).map((g) => ({ metric: g.metric, direction: g.min !== undefined ? 'max' : 'min' }));
}

function column(kind: ComparisonColumn['kind'], name: string, values: ComparisonValue[]): ComparisonColumn {
  const numeric = kind === 'metric' || (kind === 'attribute' && name === 'duration');
  return { id: `${kind}:${name}`, kind, name, numeric, values, differs: differences(values) };
}

/**
 * Whether every run that has the param sampled it from a log-scale distribution (an Optuna trial's
 * `optuna.distribution.<name>` tag: `"log": true` since Optuna 3, LogUniformDistribution and
 * IntLogUniformDistribution before) and every value is a positive number.
 */
function sampledOnLogScale(runs: RunInfo[], column: ComparisonColumn): boolean {
  if (!column.numeric) return false;
  let seen = 0;
  for (let i = 0; i < runs.length; i++) {
    const v = column.values[i];
    if (v === null) continue;
    if (typeof v !== 'number' || !(v > 0)) return false;
    const json = runs[i].tags[`optuna.distribution.${column.name}`];
    if (json === undefined) return false;
    try {
      const d = JSON.parse(json) as { name?: unknown; attributes?: { log?: unknown } };
      if (d.attributes?.log !== true && d.name !== 'LogUniformDistribution' && d.name !== 'IntLogUniformDistribution') return false;
    } catch {
      return false;
    }
    seen++;
  }
  return seen > 0;
}

/** A param column is numeric when every value the runs have reads as a finite number; otherwise its values stay as logged. */
function paramColumn(name: string, raw: (string | undefined)[]): ComparisonColumn {
  const parsed = raw.map(paramValue);
  const numeric = parsed.every((v) => v === null || typeof v === 'number') && parsed.some((v) => v !== null);
  const values = numeric ? parsed : raw.map((v) => v ?? null);
  return { id: `param:${name}`, kind: 'param', name, numeric, values, differs: differences(values) };
}

function metricValue(v: number | string | undefined): ComparisonValue {
  if (v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  return v === 'NaN' || v === 'Infinity' || v === '-Infinity' ? v : Number.isFinite(Number(v)) ? Number(v) : 'NaN';
}

/** Params are logged as text; one that reads as a finite number becomes that number. */
function paramValue(v: string | undefined): ComparisonValue {
  if (v === undefined) return null;
  const trimmed = v.trim();
  if (trimmed !== '' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) return Number(trimmed);
  return v;
}

function attribute(r: RunInfo, name: (typeof ATTRIBUTES)[number]): ComparisonValue {
  switch (name) {
    case 'experiment':
      return r.experiment;
    case 'status':
      return r.status;
    case 'started':
      return r.startTime ? new Date(r.startTime).toISOString().replace('T', ' ').slice(0, 19) : null;
    case 'duration':
      return r.startTime && r.endTime ? (r.endTime - r.startTime) / 1000 : null;
  }
}

function valueKey(v: ComparisonValue): string {
  return v === null ? '\u0000none' : typeof v === 'number' ? `n${v}` : `s${v}`;
}

function sortedKeys(records: Record<string, unknown>[]): string[] {
  return [...new Set(records.flatMap((r) => Object.keys(r)))].sort((a, b) => a.localeCompare(b));
}

/** Run names, told apart by their id where two runs share one. */
export function runLabels(runs: { runId: string; name: string }[]): string[] {
  const count = new Map<string, number>();
  for (const r of runs) count.set(r.name, (count.get(r.name) ?? 0) + 1);
  return runs.map((r) => (!r.name ? r.runId.slice(0, 8) : count.get(r.name)! > 1 ? `${r.name} (${r.runId.slice(0, 8)})` : r.name));
}
