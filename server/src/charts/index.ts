/** Metric charts: downsampled series from the tracking index and the Vega-Lite specs that draw them. */
export { lttb, lttbIndices, type Downsampled } from './lttb';
export { ema, metricSeries, pointsPerSeries, DEFAULT_MAX_POINTS, type HistorySource, type SeriesOptions } from './series';
export { chartRows, metricHistorySpec, segmentRows, themeConfig, withTheme, LEGEND_LIMIT, LINE_RUN_LIMIT, NEAREST_HOVER_LIMIT, RUN_SCHEME, type ChartRow, type SegmentRow, type ChartTheme, type SpecOptions } from './spec';
export { metricHistoryData, DEFAULT_KEY_COUNT, type ChartRun } from './history';
export { bestRun, bestRunIndex, chooseBest, comparisonData, studyGoals, differences, goalsFromGates, runLabels, sortOrder, MAX_DEFAULT_COLUMNS, MAX_PARALLEL_PARAMS, type MetricGoal } from './comparison';
export { axisValues, categories, parallelCoordinatesSpec, scatterSpec, BEST_FALLBACK_COLOR } from './comparison-spec';
