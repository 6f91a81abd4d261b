/** Model monitoring: live quality and latency from the feedback log, degradation, alerts, retrain decisions. */
export { loadLive, parseOutputs, performanceReport, quantile, rocAuc, windowMetrics, MIN_FEEDBACK, type LiveObservation, type PerformanceInput } from './performance';
export { lastRetrain, recordRetrain, retrainDecision, DEFAULT_COOLDOWN_MS, type RetrainInput, type RetrainSettings } from './retrain';
export { modelHealth, MonitorError, type HealthInput } from './health';
