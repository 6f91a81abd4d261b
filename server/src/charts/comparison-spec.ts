/**
 * Vega-Lite specs of the comparison panel, built by the language server from the comparison's
 * columns: parallel coordinates (params → a metric, one line per run) and a scatter of one column
 * against another. The best run is drawn by its own layer (named "best") in the style "best", whose
 * colour the webview takes from the editor's theme.
 */
import type { ComparisonColumn, ComparisonValue } from '../contract';

/** The best run's colour when no theme says otherwise (the webview sets --vscode-charts-orange). */
export const BEST_FALLBACK_COLOR = '#e8710a';
/** Labels shown along a categorical axis of the parallel coordinates, at most. */
const MAX_CATEGORY_TICKS = 12;

interface SpecRuns {
  runs: { label: string }[];
  /** Index of the best run, -1 for none. */
  bestIndex: number;
}

type Spec = Record<string, unknown>;

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** The distinct texts of a column, in natural order (the positions of a categorical axis). */
export function categories(values: ComparisonValue[]): string[] {
  return [...new Set(values.filter((v): v is string | number => v !== null).map(String))].sort(collator.compare);
}

/** A column's values as numbers on its axis: finite numbers as they are, categories by position, the rest null. */
export function axisValues(column: ComparisonColumn): { values: (number | null)[]; categories?: string[]; log?: boolean } {
  // A log-scale param sits on its axis by its logarithm, so a search over 1e-5…1e-1 spreads evenly.
  if (column.numeric && column.scale === 'log') return { values: column.values.map((v) => (typeof v === 'number' && v > 0 ? Math.log10(v) : null)), log: true };
  if (column.numeric) return { values: column.values.map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : null)) };
  const cats = categories(column.values);
  const position = new Map(cats.map((c, i) => [c, i]));
  return { values: column.values.map((v) => (v === null ? null : position.get(String(v)) ?? null)), categories: cats };
}

/** Axis titles that stay unique when a param and a metric share a name. */
function dimensionLabels(columns: ComparisonColumn[]): string[] {
  const count = new Map<string, number>();
  for (const c of columns) count.set(c.name, (count.get(c.name) ?? 0) + 1);
  return columns.map((c) => (count.get(c.name)! > 1 ? `${c.name} (${c.kind})` : c.name));
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

/** Styles the webview restyles from the theme (Vega-Lite resolves a style's `color`, not stroke or fill). */
const BEST_STYLE = { best: { color: BEST_FALLBACK_COLOR } };

/**
 * Parallel coordinates: a vertical axis per dimension (params, then the metric), one line per run
 * through its values, each axis scaled to its own range (the fold + normalized-value pattern: the
 * runs' columns are folded to (key, value), min and max joined per key, value normalized to [0, 1]).
 * Categorical params sit at ordinal positions, labelled with their categories. Lines are coloured
 * by `colorBy`; a missing value breaks the run's line. The best run's line is drawn again on top.
 */
export function parallelCoordinatesSpec(input: SpecRuns & { dimensions: ComparisonColumn[]; colorBy: ComparisonColumn }): Spec {
  const { runs, bestIndex, dimensions, colorBy } = input;
  const labels = dimensionLabels(dimensions).map((l, j) => (dimensions[j].scale === 'log' ? `${l} (log)` : l));
  const keys = dimensions.map((_, j) => `d${j}`);
  const axes = dimensions.map(axisValues);
  const color = axisValues(colorBy).values;
  const rows = runs.map((r, i) => {
    const row: Record<string, unknown> = { run: r.label, best: i === bestIndex, m: color[i] };
    axes.forEach((a, j) => (row[keys[j]] = a.values[i]));
    return row;
  });
  const dims = keys.map((key, j) => ({ key, label: labels[j], index: j }));
  const ticks = axes.flatMap((a, j) => {
    const present = a.values.filter((v): v is number => v !== null);
    if (present.length === 0) return [];
    const label = labels[j];
    if (a.categories) {
      const k = a.categories.length;
      const every = Math.ceil(k / MAX_CATEGORY_TICKS);
      return a.categories.flatMap((text, i) => (i % every === 0 || i === k - 1 ? [{ label, norm: k > 1 ? i / (k - 1) : 0.5, text }] : []));
    }
    const min = Math.min(...present);
    const max = Math.max(...present);
    const text = (v: number) => fmt(a.log ? 10 ** v : v);
    if (min === max) return [{ label, norm: 0.5, text: text(min) }];
    return [
      { label, norm: 0, text: text(min) },
      { label, norm: 0.5, text: text((min + max) / 2) },
      { label, norm: 1, text: text(max) },
    ];
  });
  const x = { field: 'label', type: 'nominal' as const, scale: { type: 'point' as const, domain: labels, padding: 0.25 }, axis: { orient: 'top' as const, title: null, labelAngle: 0, labelLimit: 160, domain: false, ticks: false, labelPadding: 8 } };
  const y = { field: 'norm', type: 'quantitative' as const, scale: { domain: [0, 1], nice: false, zero: false }, axis: null };
  const lineTransform = [
    { fold: keys, as: ['key', 'value'] },
    { joinaggregate: [{ op: 'min', field: 'value', as: 'lo' }, { op: 'max', field: 'value', as: 'hi' }], groupby: ['key'] },
    { calculate: 'isValid(datum.value) && isFinite(datum.value) ? (datum.hi > datum.lo ? (datum.value - datum.lo) / (datum.hi - datum.lo) : 0.5) : null', as: 'norm' },
    { lookup: 'key', from: { data: { name: 'dims' }, key: 'key', fields: ['label', 'index'] } },
  ];
  const tooltip = [
    { field: 'run', type: 'nominal', title: 'Run' },
    { field: 'm', type: 'quantitative', title: colorBy.name },
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `Parallel coordinates of ${runs.length} run(s): ${labels.join(', ')}`,
    width: Math.max(420, 130 * dimensions.length),
    height: 300,
    datasets: { runs: rows, dims, ticks },
    layer: [
      { name: 'axes', data: { name: 'dims' }, mark: { type: 'rule', style: 'dimension' }, encoding: { x, y: { datum: 0, type: 'quantitative', scale: y.scale, axis: null }, y2: { datum: 1 } } },
      {
        name: 'lines',
        data: { name: 'runs' },
        transform: lineTransform,
        mark: { type: 'line', strokeWidth: 1.5, opacity: 0.75 },
        encoding: {
          x,
          y,
          order: { field: 'index', type: 'quantitative' },
          detail: { field: 'run', type: 'nominal' },
          color: { field: 'm', type: 'quantitative', title: colorBy.name, scale: { scheme: { name: 'viridis', extent: [0.2, 1] } }, legend: { orient: 'right' } },
          tooltip,
        },
      },
      {
        name: 'best',
        data: { name: 'runs' },
        // Filtered after the normalization, which needs every run's values.
        transform: [...lineTransform, { filter: 'datum.best' }],
        mark: { type: 'line', style: 'best', strokeWidth: 4 },
        encoding: { x, y, order: { field: 'index', type: 'quantitative' }, detail: { field: 'run', type: 'nominal' }, tooltip },
      },
      { name: 'ticks', data: { name: 'ticks' }, mark: { type: 'text', style: 'tick-label', align: 'left', dx: 5, baseline: 'middle' }, encoding: { x, y, text: { field: 'text' } } },
    ],
    config: { style: { ...BEST_STYLE, dimension: { color: '#888888', strokeWidth: 1 }, 'tick-label': { color: '#888888', fontSize: 10 } } },
  };
}

/**
 * A scatter of one column against another: a point per run that has both values (finite numbers
 * on a numeric axis, categories in natural order on a text one), the best run as a diamond with
 * its name. `shown` is the number of points.
 */
/** Runs named in one coinciding point's tooltip before "and N more". */
const NAMED_PER_POINT = 5;

export function scatterSpec(input: SpecRuns & { x: ComparisonColumn; y: ComparisonColumn }): { spec: Spec; shown: number; distinct: number } {
  const { runs, bestIndex, x, y } = input;
  const usable = (c: ComparisonColumn, v: ComparisonValue) => (c.numeric ? typeof v === 'number' && Number.isFinite(v) : v !== null);
  const plotted = runs.flatMap((r, i) => (usable(x, x.values[i]) && usable(y, y.values[i]) ? [{ run: r.label, best: i === bestIndex, x: x.numeric ? x.values[i] : String(x.values[i]), y: y.numeric ? y.values[i] : String(y.values[i]) }] : []));
  // Runs with equal values would hide behind one another: one point per place, naming its runs.
  const places = new Map<string, { runs: string[]; best: boolean; x: ComparisonValue; y: ComparisonValue }>();
  for (const p of plotted) {
    const key = JSON.stringify([p.x, p.y]);
    const place = places.get(key) ?? { runs: [], best: false, x: p.x, y: p.y };
    place.runs.push(p.run);
    place.best ||= p.best;
    places.set(key, place);
  }
  const rows = [...places.values()].map((p) => ({
    run: p.runs.length === 1 ? p.runs[0] : `${p.runs.slice(0, NAMED_PER_POINT).join(', ')}${p.runs.length > NAMED_PER_POINT ? ` and ${p.runs.length - NAMED_PER_POINT} more` : ''}`,
    count: p.runs.length,
    best: p.best,
    x: p.x,
    y: p.y,
  }));
  const [xTitle, yTitle] = dimensionLabels([x, y]);
  const channel = (c: ComparisonColumn, field: 'x' | 'y', title: string) =>
    c.numeric
      ? { field, type: 'quantitative' as const, title: c.scale === 'log' ? `${title} (log)` : title, scale: c.scale === 'log' ? { type: 'log' as const, nice: true, padding: 16 } : { zero: false, nice: true, padding: 16 } }
      : { field, type: 'ordinal' as const, title, scale: { domain: categories(c.values) }, axis: { labelLimit: 160 } };
  const encX = channel(x, 'x', xTitle);
  const encY = channel(y, 'y', yTitle);
  const tooltip = [
    { field: 'run', type: 'nominal', title: 'Run' },
    { field: 'count', type: 'quantitative', title: 'Runs here' },
    { field: 'x', type: x.numeric ? 'quantitative' : 'nominal', title: xTitle },
    { field: 'y', type: y.numeric ? 'quantitative' : 'nominal', title: yTitle },
  ];
  const bestLayer = {
    name: 'best',
    data: { name: 'runs' },
    transform: [{ filter: 'datum.best' }],
    layer: [
      { mark: { type: 'point', shape: 'diamond', filled: true, size: 260, style: 'best' }, encoding: { x: encX, y: encY, tooltip } },
      { mark: { type: 'text', style: 'best', align: 'left', dx: 12, fontWeight: 'bold' }, encoding: { x: encX, y: encY, text: { field: 'run' } } },
    ],
  };
  const spec: Spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `${yTitle} against ${xTitle} for ${plotted.length} run(s) at ${rows.length} point(s)`,
    width: 480,
    height: 320,
    datasets: { runs: rows },
    // Layers with nothing to draw are left out: an empty layer's data has an infinite extent, which Vega warns of.
    layer: [
      { name: 'points', data: { name: 'runs' }, mark: { type: 'point', filled: true, size: 70, opacity: 0.8 }, encoding: { x: encX, y: encY, tooltip } },
      // "×3" beside a point that stands for three runs.
      ...(rows.some((r) => r.count > 1 && !r.best) ? [{ name: 'counts', data: { name: 'runs' }, transform: [{ filter: 'datum.count > 1 && !datum.best' }, { calculate: "'×' + datum.count", as: 'times' }], mark: { type: 'text', align: 'left', dx: 8, dy: -8 }, encoding: { x: encX, y: encY, text: { field: 'times' } } }] : []),
      ...(rows.some((r) => r.best) ? [bestLayer] : []),
    ],
    config: { style: BEST_STYLE },
  };
  return { spec, shown: plotted.length, distinct: rows.length };
}
