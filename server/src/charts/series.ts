import type { ChartXAxis, MetricSeries } from '../contract';
import type { MetricHistory } from '../tracking/repository';
import { lttbIndices } from './lttb';

/** What metricSeries reads: the tracking repository, or anything that serves the same histories. */
export interface HistorySource {
  metricHistory(runId: string, key?: string): MetricHistory[];
}

export interface SeriesOptions {
  x?: ChartXAxis;
  /**
   * Points budget for the whole chart, shared by every (run, key) series; each series gets at
   * least MIN_POINTS_PER_SERIES and at most MAX_POINTS_PER_SERIES.
   */
  maxPoints?: number;
  /** EMA weight in [0, 1): 0 is off, 0.99 is very smooth (TensorBoard's slider). */
  smoothing?: number;
}

/**
 * Drawing costs Vega about 25 µs per point (a segment or a line vertex) with the expression
 * interpreter: the default keeps a chart of any size near 0.2 s. A run among 1,000 gets 8 points
 * (LTTB keeps its shape); a line among 8 or fewer gets up to 1,000.
 */
export const DEFAULT_MAX_POINTS = 8_000;
export const MIN_POINTS_PER_SERIES = 8;
export const MAX_POINTS_PER_SERIES = 1_000;

/** Points kept per series for a budget shared by `seriesCount` series. */
export function pointsPerSeries(maxPoints: number, seriesCount: number): number {
  const share = Math.floor(maxPoints / Math.max(1, seriesCount));
  return Math.max(MIN_POINTS_PER_SERIES, Math.min(MAX_POINTS_PER_SERIES, share));
}

/**
 * Exponential moving average as TensorBoard draws it: debiased (the first points are not pulled
 * towards 0) and blind to non-finite values, which stay non-finite in the output.
 */
export function ema(values: ArrayLike<number>, weight: number): Float64Array {
  const out = new Float64Array(values.length);
  const w = Math.min(Math.max(weight, 0), 0.999);
  let last = 0;
  let debias = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * w + (1 - w) * v;
    debias = debias * w + (1 - w);
    out[i] = last / debias;
  }
  return out;
}

/**
 * The downsampled metric histories of some runs: one series per run and key that the run has, in
 * the order of `runIds` then `keys`. The x of a point is its step, its wall time (ms since the
 * epoch) or its time since the run's first logged metric (seconds), as `options.x` asks.
 */
export function metricSeries(source: HistorySource, runIds: string[], keys: string[], options: SeriesOptions = {}): MetricSeries[] {
  const axis = options.x ?? 'step';
  const wanted = new Set(keys);
  const histories: { runId: string; h: MetricHistory; t0: number }[] = [];
  for (const runId of runIds) {
    const every = source.metricHistory(runId);
    // Relative time counts from the run's first logged metric, whichever key it was.
    let t0 = Infinity;
    for (const h of every) for (let i = 0; i < h.timestamps.length; i++) if (h.timestamps[i] < t0) t0 = h.timestamps[i];
    const all = every.filter((h) => wanted.has(h.key));
    all.sort((a, b) => keys.indexOf(a.key) - keys.indexOf(b.key));
    for (const h of all) histories.push({ runId, h, t0 });
  }
  const threshold = pointsPerSeries(options.maxPoints ?? DEFAULT_MAX_POINTS, histories.length);
  const smoothing = options.smoothing ?? 0;
  return histories.map(({ runId, h, t0 }) => {
    const order = axis === 'step' ? undefined : timeOrder(h.timestamps);
    const pick = <T extends Float64Array>(a: T): Float64Array => (order ? order.map((i) => a[i]) : a);
    const steps = pick(h.steps);
    const times = pick(h.timestamps);
    const values = pick(h.values);
    const xs = axis === 'step' ? steps : axis === 'wall' ? times : times.map((t) => (t - t0) / 1000);
    const kept = lttbIndices(xs, values, threshold);
    const series: MetricSeries = {
      runId,
      key: h.key,
      count: values.length,
      x: take(xs, kept),
      step: take(steps, kept),
      time: take(times, kept),
      value: take(values, kept),
    };
    if (smoothing > 0) {
      const smooth = ema(values, smoothing);
      const keptSmooth = lttbIndices(xs, smooth, threshold);
      series.smoothed = { x: take(xs, keptSmooth), value: take(smooth, keptSmooth) };
    }
    return series;
  });
}

/** Indices that sort a series by time, or undefined when it already is (the common case). */
function timeOrder(times: Float64Array): Float64Array | undefined {
  let sorted = true;
  for (let i = 1; i < times.length && sorted; i++) if (times[i] < times[i - 1]) sorted = false;
  if (sorted) return undefined;
  const idx = Array.from(times, (_, i) => i).sort((a, b) => times[a] - times[b] || a - b);
  return Float64Array.from(idx);
}

function take(a: ArrayLike<number>, indices: Uint32Array): number[] {
  const out = new Array<number>(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = a[indices[i]];
  return out;
}
