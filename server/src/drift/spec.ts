/**
 * The Vega-Lite spec of one feature's reference vs current distribution: grouped bars of each
 * sample's share per bin or category. Pure: the webview and the HTML report build the same spec.
 */
import type { TopLevelSpec } from 'vega-lite';
import { themeConfig, type ChartTheme } from '../charts/spec';
import type { FeatureDrift } from '../contract';

export interface DistributionSpecOptions {
  width?: number;
  height?: number;
  theme?: ChartTheme;
  /** Tooltips on hover (off for static SVG). */
  interactive?: boolean;
}

/** Colours of the two samples; everything else follows the theme. */
export const SAMPLE_COLORS = { reference: '#4c78a8', current: '#f58518' };

export function distributionSpec(f: FeatureDrift, o: DistributionSpecOptions = {}): TopLevelSpec | undefined {
  const d = f.distribution;
  if (!d) return undefined;
  const values: { bin: string; order: number; sample: string; share: number }[] = [];
  d.labels.forEach((label, i) => {
    values.push({ bin: label, order: i, sample: 'reference', share: d.reference[i] });
    values.push({ bin: label, order: i, sample: 'current', share: d.current[i] });
  });
  const spec: Record<string, unknown> = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `${f.name}: reference vs current ${d.kind === 'bins' ? 'histogram' : 'category shares'}`,
    width: o.width ?? 360,
    height: o.height ?? 160,
    data: { values },
    mark: { type: 'bar', tooltip: o.interactive ?? false },
    encoding: {
      x: {
        field: 'bin',
        type: 'ordinal',
        sort: { field: 'order' },
        title: d.kind === 'bins' ? `${f.name} (bin start)` : null,
        // Level labels, never rotated (rotated ones ran past the chart's edges): a bin by its start, the
        // whole range in the tooltip; labels that would overlap are left out.
        axis:
          d.kind === 'bins'
            ? { labelAngle: 0, labelExpr: "split(datum.label, ' – ')[0]", labelOverlap: 'greedy', labelSeparation: 6 }
            : { labelAngle: 0, labelLimit: 90, labelOverlap: 'greedy' },
      },
      xOffset: { field: 'sample', sort: ['reference', 'current'] },
      y: { field: 'share', type: 'quantitative', title: 'share', axis: { format: '%' } },
      color: {
        field: 'sample',
        type: 'nominal',
        sort: ['reference', 'current'],
        scale: { domain: ['reference', 'current'], range: [SAMPLE_COLORS.reference, SAMPLE_COLORS.current] },
        legend: { orient: 'top', title: null },
      },
      tooltip: o.interactive
        ? [
            { field: 'sample', type: 'nominal' },
            { field: 'bin', type: 'ordinal', title: d.kind === 'bins' ? 'bin' : 'value' },
            { field: 'share', type: 'quantitative', format: '.2%' },
          ]
        : undefined,
    },
  };
  if (o.theme) spec.config = themeConfig(o.theme);
  return spec as unknown as TopLevelSpec;
}
