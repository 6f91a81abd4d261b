/**
 * Data drift: per-feature tests of current data against a reference, as Evidently chooses them,
 * corrected across features, with a data set verdict; from CSV files or the prediction log.
 */
export { driftReport, defaultTest, formatP, DEFAULTS as DRIFT_DEFAULTS, DRIFT_METHODS, NEW_CATEGORY_SHARE, WASSERSTEIN_UNIT, type Correction, type DriftMethod, type DriftOptions, type FeatureOverride } from './report';
export { tableFromCsv, tableFromNumbers, columnFromCells, DriftInputError, type Column, type FeatureTable } from './table';
export { driftOptionsOf, parseDuration, formatDuration } from './config';
export { currentFromLog, type LogWindow } from './log';
export { monitoredDrift, monitoredReference, endpointsOf, type MonitoredDriftOptions } from './monitored';
export { driftReportHtml } from './html';
export { distributionSpec, SAMPLE_COLORS, type DistributionSpecOptions } from './spec';
