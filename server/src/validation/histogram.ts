/**
 * The Vega-Lite spec of a numeric column's histogram (from its profile) with its expectation's
 * bounds drawn as rules: what the Validate Data panel shows per column. Pure, theme from the host.
 */
import type { TopLevelSpec } from 'vega-lite';
import { themeConfig, type ChartTheme } from '../charts/spec';
import type { ColumnProfile } from '../contract';

export const BOUND_COLOR = '#e45756';
/** Axis labels in SI units (1.5k, 2M), and 0 as 0 (d3's ~s would print the axis' prefix on it: 0k). */
const SI = "datum.value === 0 ? '0' : format(datum.value, '~s')";

export function histogramSpec(p: ColumnProfile, bounds: { min?: number; max?: number }, o: { width?: number; height?: number; theme?: ChartTheme } = {}): TopLevelSpec | undefined {
  const h = p.histogram;
  if (!h || h.counts.length === 0) return undefined;
  const bins = h.counts.map((count, i) => ({ start: h.edges[i], end: h.edges[i + 1] ?? h.edges[i], count }));
  const rules = (['min', 'max'] as const).flatMap((side) => (bounds[side] === undefined ? [] : [{ side, value: bounds[side] }]));
  // The axis spans the data and the bounds, so a bound outside the data still shows where it is.
  const low = Math.min(h.edges[0], ...rules.map((r) => r.value));
  const high = Math.max(h.edges[h.edges.length - 1], ...rules.map((r) => r.value));
  const spec: Record<string, unknown> = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `${p.column}: histogram of its values${rules.length ? ' with its min/max expectation' : ''}`,
    width: o.width ?? 320,
    height: o.height ?? 110,
    layer: [
      {
        data: { values: bins },
        mark: { type: 'bar', tooltip: true, binSpacing: 0 },
        encoding: {
          x: { field: 'start', type: 'quantitative', bin: { binned: true }, title: p.column, scale: { domain: [low, high] }, axis: { labelOverlap: 'greedy', labelExpr: SI } },
          x2: { field: 'end' },
          y: { field: 'count', type: 'quantitative', title: 'rows', axis: { labelExpr: SI } },
          tooltip: [
            { field: 'start', type: 'quantitative', title: 'from' },
            { field: 'end', type: 'quantitative', title: 'to' },
            { field: 'count', type: 'quantitative', title: 'rows', format: ',' },
          ],
        },
      },
      ...(rules.length
        ? [
            {
              data: { values: rules },
              mark: { type: 'rule', color: BOUND_COLOR, strokeWidth: 2, strokeDash: [4, 3] },
              encoding: { x: { field: 'value', type: 'quantitative' }, tooltip: [{ field: 'side', title: 'bound' }, { field: 'value', type: 'quantitative' }] },
            },
          ]
        : []),
    ],
  };
  if (o.theme) spec.config = themeConfig(o.theme);
  return spec as unknown as TopLevelSpec;
}
