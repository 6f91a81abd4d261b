/** Metric charts: downsampled series from the tracking index and the Vega-Lite specs that draw them. */
export { lttb, lttbIndices, type Downsampled } from './lttb';
export { ema, metricSeries, pointsPerSeries, DEFAULT_MAX_POINTS, type HistorySource, type SeriesOptions } from './series';
export { chartRows, metricHistorySpec, segmentRows, themeConfig, LEGEND_LIMIT, LINE_RUN_LIMIT, NEAREST_HOVER_LIMIT, RUN_SCHEME, type ChartRow, type SegmentRow, type ChartTheme, type SpecOptions } from './spec';
export { metricHistoryData, DEFAULT_KEY_COUNT, type ChartRun } from './history';
