/**
 * Vega-Lite specs for the charts panel. Pure functions over the contract's data: the language
 * server, the tests and the webview bundle all build the same spec.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ChartXAxis, MetricHistoryData } from '../contract';

/** The only colours a spec names: a categorical scheme for runs. Everything else comes from the theme. */
export const RUN_SCHEME = 'tableau10';
/** Legend entries beyond this are dropped (hovering a line still names its run). */
export const LEGEND_LIMIT = 50;
/**
 * Up to this many points, hovering a point marks it and shows its exact value; beyond, an invisible
 * symbol per point would cost more than the lines, so hovering a line names its run instead.
 */
export const NEAREST_HOVER_LIMIT = 5_000;
/**
 * Beyond this many runs in one chart, each run's line is drawn as its segments (one rule mark for
 * every run) instead of a line per run: Vega builds a sub-dataflow per line, which at 1,000 runs
 * costs more than drawing the segments themselves. The legend goes too (hovering names the run).
 */
export const LINE_RUN_LIMIT = LEGEND_LIMIT;

export interface ChartTheme {
  foreground: string;
  background: string;
  /** Grid and domain lines; defaults to the foreground at low opacity. */
  grid?: string;
  font?: string;
  fontSize?: number;
  /** The best run's mark in the comparison charts. */
  highlight?: string;
}

export interface SpecOptions {
  logScale?: boolean;
  /** Width and height of each key's chart, in px. */
  width?: number;
  height?: number;
  /** Charts per row (one per key). */
  columns?: number;
  /** Hover highlight and tooltips; off for static exports (the hover layer adds a cell per point). */
  interactive?: boolean;
  theme?: ChartTheme;
}

export interface ChartRow {
  run: string;
  key: string;
  x: number;
  value: number;
  step?: number;
  time?: number;
  /** The value as logged, all digits (the tooltip's). */
  exact?: string;
}

/** A segment between two consecutive points of one run's line. */
export interface SegmentRow {
  run: string;
  x: number;
  value: number;
  x2: number;
  value2: number;
}

/** Consecutive points of the same run joined into segments (rows are grouped by run, in x order). */
export function segmentRows(rows: ChartRow[]): SegmentRow[] {
  const out: SegmentRow[] = [];
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1];
    const b = rows[i];
    if (a.run === b.run) out.push({ run: b.run, x: a.x, value: a.value, x2: b.x, value2: b.value });
  }
  return out;
}

const X_TITLE: Record<ChartXAxis, string> = { step: 'Step', wall: 'Time', relative: 'Relative time (s)' };

/** The datasets of a chart: per key, the raw points and (when smoothing) the smoothed line. */
export function chartRows(data: MetricHistoryData, logScale = false): { raw: Map<string, ChartRow[]>; smooth: Map<string, ChartRow[]> } {
  const label = new Map(data.runs.map((r) => [r.runId, r.label]));
  const raw = new Map<string, ChartRow[]>(data.keys.map((k) => [k, []]));
  const smooth = new Map<string, ChartRow[]>(data.keys.map((k) => [k, []]));
  for (const s of data.series) {
    const run = label.get(s.runId) ?? s.runId;
    const rows = raw.get(s.key);
    if (!rows) continue;
    for (let i = 0; i < s.x.length; i++) {
      const value = s.value[i];
      if (logScale && !(value > 0)) continue;
      rows.push({ run, key: s.key, x: s.x[i], value, step: s.step[i], time: s.time[i], exact: String(value) });
    }
    if (s.smoothed) {
      const out = smooth.get(s.key)!;
      for (let i = 0; i < s.smoothed.x.length; i++) {
        const value = s.smoothed.value[i];
        if (logScale && !(value > 0)) continue;
        out.push({ run, key: s.key, x: s.smoothed.x[i], value });
      }
    }
  }
  return { raw, smooth };
}

/** Vega-Lite config from the editor's theme (the webview reads it from CSS variables). */
export function themeConfig(theme: ChartTheme): Record<string, unknown> {
  const grid = theme.grid ?? theme.foreground;
  const text = { labelColor: theme.foreground, titleColor: theme.foreground, labelFont: theme.font, titleFont: theme.font };
  return {
    background: theme.background,
    font: theme.font,
    view: { stroke: null },
    axis: { ...text, gridColor: grid, gridOpacity: 0.15, domainColor: grid, domainOpacity: 0.4, tickColor: grid, tickOpacity: 0.4, labelFontSize: theme.fontSize, titleFontSize: theme.fontSize },
    legend: { ...text, labelFontSize: theme.fontSize, titleFontSize: theme.fontSize },
    title: { color: theme.foreground, font: theme.font, fontSize: theme.fontSize ? theme.fontSize + 2 : undefined },
    header: { labelColor: theme.foreground, titleColor: theme.foreground, labelFont: theme.font, titleFont: theme.font },
  };
}

/**
 * A spec built elsewhere (the comparison charts come from the server) in the editor's theme: the
 * theme's config over the spec's own, and the spec's named styles (best run, axis lines, tick
 * labels) recoloured.
 */
export function withTheme(spec: Record<string, unknown>, theme: ChartTheme): Record<string, unknown> {
  const own = (spec.config ?? {}) as { style?: Record<string, Record<string, unknown>> };
  const style = { ...own.style };
  const restyle = (name: string, color: string | undefined) => {
    if (style[name] && color) style[name] = { ...style[name], color };
  };
  restyle('best', theme.highlight);
  restyle('dimension', theme.grid ?? theme.foreground);
  restyle('tick-label', theme.foreground);
  return { ...spec, config: { ...own, ...themeConfig(theme), style } };
}

/**
 * The metric history chart: one line chart per key (laid out in columns), x as the data says, one
 * line per run coloured by run (legend), a log y scale on request, the smoothed line over the raw
 * one (which fades) when smoothing is on, and a hover layer that marks the nearest point and
 * shows its exact value.
 */
export function metricHistorySpec(data: MetricHistoryData, options: SpecOptions = {}): TopLevelSpec {
  const { raw, smooth } = chartRows(data, options.logScale);
  const runLabels = data.runs.map((r) => r.label);
  const smoothing = data.smoothing > 0;
  const interactive = options.interactive ?? true;
  const width = options.width ?? 480;
  const height = options.height ?? 260;
  const xType = data.x === 'wall' ? ('temporal' as const) : ('quantitative' as const);
  const color = {
    field: 'run',
    type: 'nominal' as const,
    title: 'Run',
    scale: { scheme: RUN_SCHEME, domain: runLabels },
    legend: { symbolLimit: LEGEND_LIMIT, labelLimit: 240 },
  };
  const datasets: Record<string, (ChartRow | SegmentRow)[]> = {};
  const charts = data.keys.map((key, k) => {
    const rawRows = raw.get(key) ?? [];
    const runsOfKey = data.series.filter((s) => s.key === key).length;
    const segments = runsOfKey > LINE_RUN_LIMIT;
    const runColor = segments ? { ...color, legend: null } : color;
    const x = { field: 'x', type: xType, title: X_TITLE[data.x], scale: { nice: false } };
    const y = { field: 'value', type: 'quantitative' as const, title: key, scale: options.logScale ? { type: 'log' as const } : { type: 'linear' as const, zero: false } };
    /** A run's line: a line mark per run, or one rule mark of every run's segments when there are many. */
    const lineLayer = (name: string, rows: ChartRow[], mark: Record<string, unknown>): Record<string, unknown> => {
      if (!segments) {
        datasets[name] = rows;
        return { data: { name }, mark: { type: 'line', interpolate: 'linear', ...mark }, encoding: { x, y, color } };
      }
      datasets[`${name}s`] = segmentRows(rows);
      return {
        data: { name: `${name}s` },
        mark: { type: 'rule', strokeCap: 'round', aria: false, ...mark },
        encoding: { x, y, x2: { field: 'x2' }, y2: { field: 'value2' }, color: runColor },
      };
    };
    // A metric logged once per run (a final evaluation) is a line of one point, which draws nothing: mark the points.
    const lone = !segments && rawRows.length <= NEAREST_HOVER_LIMIT && data.series.some((s) => s.key === key && s.x.length === 1);
    const rawMark = { strokeWidth: smoothing ? 1 : 1.5, opacity: smoothing ? 0.3 : 1, ...(lone ? { point: { filled: true, size: 50 } } : {}) };
    const layers: Record<string, unknown>[] = [lineLayer(`raw${k}`, rawRows, rawMark)];
    if (smoothing) {
      layers.push(lineLayer(`smooth${k}`, smooth.get(key) ?? [], { strokeWidth: 1.5 }));
    }
    const points = rawRows.length;
    if (interactive && points > NEAREST_HOVER_LIMIT) {
      (layers[layers.length - 1].encoding as Record<string, unknown>).tooltip = [{ field: 'run', type: 'nominal', title: 'Run' }];
    } else if (interactive) {
      const param = `hover${k}`;
      datasets[`raw${k}`] = rawRows;
      layers.push({
        data: { name: `raw${k}` },
        // Not `nearest: true`: Vega-Lite 6.4's Voronoi cells rewrite only the formatted tooltip fields
        // (step, time) to the cell's datum, so run and value would read "undefined". The invisible
        // points themselves take the hover instead.
        params: [{ name: param, select: { type: 'point', fields: ['run', 'x'], on: 'pointerover', clear: 'pointerout' } }],
        mark: { type: 'point', filled: true, size: 90 },
        encoding: {
          x,
          y,
          color: runColor,
          opacity: { condition: { param, empty: false, value: 1 }, value: 0 },
          tooltip: [
            { field: 'run', type: 'nominal', title: 'Run' },
            { field: 'step', type: 'quantitative', title: 'Step' },
            { field: 'time', type: 'temporal', title: 'Time', format: '%Y-%m-%d %H:%M:%S' },
            { field: 'exact', type: 'nominal', title: key },
          ],
        },
      });
    }
    return { title: key, width, height, layer: layers };
  });
  const spec: Record<string, unknown> = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `Metric history of ${data.runs.length} run(s): ${data.keys.join(', ')}`,
    datasets,
    columns: Math.max(1, options.columns ?? 2),
    concat: charts,
    resolve: { scale: { color: 'shared' } },
  };
  if (options.theme) spec.config = themeConfig(options.theme);
  return spec as unknown as TopLevelSpec;
}
