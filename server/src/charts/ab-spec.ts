/**
 * Vega-Lite specs of the A/B dashboard: the difference treatment − control with its interval
 * against zero, and the experiment's metric per variant over time. Pure functions over the
 * contract's report, shared by the webview bundle and the tests.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ExperimentReport, ExperimentTimeline } from '../contract';
import { themeConfig, type ChartTheme } from './spec';

export interface AbSpecOptions {
  width?: number;
  height?: number;
  interactive?: boolean;
  theme?: ChartTheme;
}

/** The variants' colour scheme; the legend names each "control "1"" / "treatment "2"". */
export const VARIANT_SCHEME = 'tableau10';

/** The difference as a point with its interval bar and a rule at 0; undefined before there is one. */
export function abIntervalSpec(report: ExperimentReport, options: AbSpecOptions = {}): TopLevelSpec | undefined {
  const d = report.difference;
  if (!d) return undefined;
  const row = { label: `${report.metric}: treatment − control`, estimate: d.estimate, lower: d.lower, upper: d.upper, zero: 0 };
  const span = Math.max(Math.abs(d.lower), Math.abs(d.upper), Math.abs(d.estimate), 1e-9);
  const x = { type: 'quantitative' as const, title: `Difference in ${report.metric} (treatment − control)`, scale: { domain: [-span * 1.15, span * 1.15] } };
  const y = { field: 'label', type: 'nominal' as const, title: null, axis: null };
  const better = report.verdict.kind === 'treatment-better';
  const worse = report.verdict.kind === 'treatment-worse';
  const tooltip = options.interactive === false
    ? undefined
    : [
        { field: 'estimate', type: 'quantitative', title: 'Difference', format: '.4~g' },
        { field: 'lower', type: 'quantitative', title: 'Lower', format: '.4~g' },
        { field: 'upper', type: 'quantitative', title: 'Upper', format: '.4~g' },
      ];
  // Rules are black by default: in the editor's colour they show on dark themes too.
  const ink = options.theme?.foreground;
  const spec: Record<string, unknown> = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `Difference in ${report.metric}, treatment − control: ${d.estimate} [${d.lower}, ${d.upper}]`,
    width: options.width ?? 480,
    height: options.height ?? 60,
    data: { values: [row] },
    layer: [
      { mark: { type: 'rule', strokeDash: [4, 3], opacity: 0.6, color: ink }, encoding: { x: { ...x, field: 'zero' } } },
      { mark: { type: 'rule', strokeWidth: 3, color: ink }, encoding: { x: { ...x, field: 'lower' }, x2: { field: 'upper' }, y, ...(tooltip ? { tooltip } : {}) } },
      {
        mark: { type: 'point', filled: true, size: 120, shape: 'diamond', color: better ? 'seagreen' : worse ? 'firebrick' : ink },
        encoding: { x: { ...x, field: 'estimate' }, y, ...(tooltip ? { tooltip } : {}) },
      },
    ],
  };
  if (options.theme) spec.config = themeConfig(options.theme);
  return spec as unknown as TopLevelSpec;
}

export interface TimelineRow {
  variant: string;
  start: number;
  value: number | null;
  cumulative: number | null;
  n: number;
  withFeedback: number;
}

/** The timeline's rows: one per variant and bucket, labelled "control "1"" and "treatment "2"". */
export function timelineRows(timeline: ExperimentTimeline): TimelineRow[] {
  return timeline.points.map((p) => ({
    variant: `${p.arm} "${p.version}"`,
    start: p.start,
    value: p.value,
    cumulative: p.cumulative,
    n: p.n,
    withFeedback: p.withFeedback,
  }));
}

/**
 * The metric per variant over time: the cumulative metric as a line (what the analysis converges
 * to) over the per-bucket value as faint points; undefined before any request.
 */
export function abTimelineSpec(timeline: ExperimentTimeline, options: AbSpecOptions = {}): TopLevelSpec | undefined {
  const values = timelineRows(timeline).filter((r) => r.value !== null || r.cumulative !== null);
  if (values.length === 0) return undefined;
  const color = { field: 'variant', type: 'nominal' as const, title: 'Variant', scale: { scheme: VARIANT_SCHEME } };
  const x = { field: 'start', type: 'temporal' as const, title: `Time (${describeWidth(timeline.bucketMs)} buckets)` };
  const tooltip = options.interactive === false
    ? undefined
    : [
        { field: 'variant', type: 'nominal', title: 'Variant' },
        { field: 'start', type: 'temporal', title: 'From', format: '%Y-%m-%d %H:%M:%S' },
        { field: 'n', type: 'quantitative', title: 'Requests' },
        { field: 'withFeedback', type: 'quantitative', title: 'With feedback' },
        { field: 'value', type: 'quantitative', title: `${timeline.metric} (bucket)`, format: '.4~g' },
        { field: 'cumulative', type: 'quantitative', title: `${timeline.metric} (so far)`, format: '.4~g' },
      ];
  const spec: Record<string, unknown> = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `${timeline.metric} per variant over time`,
    width: options.width ?? 480,
    height: options.height ?? 220,
    data: { values },
    layer: [
      {
        transform: [{ filter: 'datum.value !== null' }],
        mark: { type: 'point', filled: true, opacity: 0.35, size: 30 },
        encoding: { x, y: { field: 'value', type: 'quantitative', title: timeline.metric, scale: { zero: false } }, color, ...(tooltip ? { tooltip } : {}) },
      },
      {
        transform: [{ filter: 'datum.cumulative !== null' }],
        mark: { type: 'line', strokeWidth: 2, point: options.interactive !== false },
        encoding: { x, y: { field: 'cumulative', type: 'quantitative', title: timeline.metric }, color, ...(tooltip ? { tooltip } : {}) },
      },
    ],
  };
  if (options.theme) spec.config = themeConfig(options.theme);
  return spec as unknown as TopLevelSpec;
}

function describeWidth(ms: number): string {
  if (ms >= 86_400_000 && ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}
