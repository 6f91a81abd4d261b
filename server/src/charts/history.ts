import type { MetricHistoryData, MetricHistoryParams, RunInfo } from '../contract';
import { DEFAULT_MAX_POINTS, metricSeries, type HistorySource } from './series';

/** Keys plotted when none are asked for. */
export const DEFAULT_KEY_COUNT = 4;

/** A run as the charts need it, and where its history lives. */
export interface ChartRun {
  runId: string;
  name: string;
  experiment: string;
  status: RunInfo['status'];
  /** Latest value per key: the keys the run has. */
  metrics: Record<string, number>;
  source: HistorySource;
}

/** Keys in a useful order: the usual training curves first, then alphabetical. */
const PREFERRED = ['loss', 'val_loss', 'accuracy', 'val_accuracy', 'f1', 'auc'];

/**
 * The answer to `mlops/metricHistory`: the runs that exist (in the order asked), legend labels that
 * tell runs with the same name apart, and the downsampled series of the keys asked for.
 */
export function metricHistoryData(runs: ChartRun[], params: MetricHistoryParams): MetricHistoryData {
  const byId = new Map(runs.map((r) => [r.runId, r]));
  const found = [...new Set(params.runIds)].map((id) => byId.get(id)).filter((r): r is ChartRun => r !== undefined);
  const available = [...new Set(found.flatMap((r) => Object.keys(r.metrics)))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const keys = params.keys && params.keys.length > 0 ? params.keys.filter((k) => available.includes(k)) : available.slice(0, DEFAULT_KEY_COUNT);
  const x = params.x ?? 'step';
  const smoothing = Number.isFinite(params.smoothing) ? Math.min(Math.max(params.smoothing ?? 0, 0), 0.999) : 0;
  const nameCount = new Map<string, number>();
  for (const r of found) nameCount.set(r.name, (nameCount.get(r.name) ?? 0) + 1);
  const labels = found.map((r) => (!r.name ? r.runId.slice(0, 8) : nameCount.get(r.name)! > 1 ? `${r.name} (${r.runId.slice(0, 8)})` : r.name));
  // Runs of different sources are read from their own index; series keep the runs' order.
  const series = found.flatMap((r) => metricSeries(r.source, [r.runId], keys, { x, smoothing, maxPoints: perRunBudget(params.maxPoints, found.length) }));
  return {
    x,
    smoothing,
    availableKeys: available,
    keys,
    runs: found.map((r, i) => ({ runId: r.runId, label: labels[i], experiment: r.experiment, status: r.status })),
    series,
  };
}

function rank(key: string): number {
  const i = PREFERRED.indexOf(key);
  return i === -1 ? PREFERRED.length : i;
}

/** metricSeries shares its budget among the series of one call; here each call is one run. */
function perRunBudget(maxPoints: number | undefined, runCount: number): number {
  const budget = maxPoints !== undefined && maxPoints > 0 ? maxPoints : DEFAULT_MAX_POINTS;
  return budget / Math.max(1, runCount);
}
