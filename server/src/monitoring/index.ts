/** Model monitoring: live quality and latency from the feedback log, degradation, alerts, retrain decisions and schedules. */
export { loadLive, parseOutputs, performanceReport, quantile, rocAuc, windowMetrics, MIN_FEEDBACK, type LiveObservation, type PerformanceInput } from './performance';
export {
  finishRetrain,
  lastRetrain,
  markScheduleOffered,
  recordRetrain,
  retrainDecision,
  retrainHistory,
  scheduleStatus,
  skipScheduled,
  DEFAULT_COOLDOWN_MS,
  type RetrainInput,
  type RetrainSettings,
  type RetrainStart,
  type ScheduleStatus,
} from './retrain';
export { formatScheduled, isTimeZone, knownTimeZones, parseSchedule, SCHEDULE_ALIASES, type Schedule, type ScheduleProblem } from './schedule';
export { modelHealth, retrainSettings, MonitorError, type HealthInput } from './health';
