/**
 * A monitored model's health: drift of the prediction log's inputs against the reference, live
 * quality against the baseline run, alerts, and the retrain decision — what `mlops monitor` prints
 * and the Models view shows.
 */
import { dirname } from 'node:path';
import type { HealthState, ModelHealth, MonitorAlert } from '../contract';
import { DriftInputError, monitoredDrift, endpointsOf, parseDuration } from '../drift/index';
import type { ManifestModel, MonitorDecl } from '../manifest/model';
import type { RunLookup } from '../manifest/validate';
import type { Database } from '../store/store';
import { StatsError } from '../stats/index';
import { loadLive, performanceReport } from './performance';
import { lastRetrain, retrainDecision, scheduleStatus, type RetrainSettings } from './retrain';

export interface HealthInput {
  manifestPath: string;
  manifest: ManifestModel;
  model: string;
  db: Database;
  runs?: RunLookup;
  now?: number;
  /** Width of the rolling windows; default 1h. */
  windowMs?: number;
  /** How far back to look (`30m`, `1h`); default: the entry's `window`, else the whole log. */
  window?: string;
  /** Start (ms since the epoch); wins over the window. */
  since?: number;
}

export class MonitorError extends Error {}

export function modelHealth(i: HealthInput): ModelHealth {
  const now = i.now ?? Date.now();
  const mon = i.manifest.monitoring?.entries.get(i.model);
  const model = i.manifest.models?.entries.get(i.model);
  if (!mon && !model) throw new MonitorError(`no model "${i.model}" in ${i.manifestPath}`);
  const task = model?.task?.value === 'regression' ? 'regression' : 'classification';
  const endpoints = endpointsOf(i.manifest, i.model);
  const windowText = i.window ?? mon?.window?.value;
  const since = i.since ?? (windowText && parseDuration(windowText) ? now - parseDuration(windowText)! : 0);

  let drift: ModelHealth['drift'] = null;
  let driftError: string | undefined;
  if (mon?.reference) {
    try {
      const r = monitoredDrift({ manifestPath: i.manifestPath, manifest: i.manifest, model: i.model, db: i.db, now, window: windowText, since: i.since }).report;
      drift = { dataset_drift: r.dataset_drift, share: r.share, drifted_features: r.drifted_features, features: r.features.length };
    } catch (error) {
      if (!(error instanceof DriftInputError || error instanceof StatsError)) throw error;
      driftError = error.message;
    }
  }

  const baselineRef = mon?.degradation?.baseline?.value;
  const runId = baselineRef?.startsWith('run:') ? baselineRef.slice(4).trim() : undefined;
  const run = runId ? i.runs?.get(runId) : undefined;
  const liveGates: Record<string, { min?: number; max?: number }> = {};
  for (const g of model?.gates?.entries.values() ?? []) {
    if (/_latency_ms$|^error_rate$/.test(g.name)) liveGates[g.name] = { min: g.min?.value, max: g.max?.value };
  }
  const observations = loadLive(i.db, endpoints, task, since, now);
  const performance =
    observations.length > 0
      ? performanceReport({
          model: i.model,
          task,
          endpoints,
          observations,
          windowMs: i.windowMs ?? 3_600_000,
          now,
          baseline: run && runId ? { run: runId, metrics: run.metrics, tolerance: mon?.degradation?.tolerance?.value ?? 0.05 } : undefined,
          liveGates,
        })
      : null;
  if (performance && runId && !run) performance.alerts.push({ severity: 'info', metric: 'baseline', message: `The baseline run ${runId} is not in the index, so degradation is not checked.` } satisfies MonitorAlert);
  if (performance && drift?.dataset_drift) {
    performance.alerts.unshift({ severity: 'warning', metric: 'drift', message: `Data drift: ${drift.drifted_features} of ${drift.features} features drifted.` });
  }
  const degraded = performance && performance.baseline ? performance.degraded.length > 0 : null;
  const settings = retrainSettings(mon);
  const retrain = retrainDecision({
    retrain: settings,
    drift: drift ? drift.dataset_drift : null,
    degraded,
    lastRun: lastRetrain(i.db, i.manifestPath, i.model),
    schedule: scheduleStatus(i.db, { manifest: i.manifestPath, model: i.model, settings, now }),
    now,
  });
  const state: HealthState = degraded ? 'degraded' : drift?.dataset_drift ? 'drift' : drift || degraded === false ? 'ok' : 'unknown';
  return { model: i.model, manifest: i.manifestPath, state, drift, performance, retrain, cwd: dirname(i.manifestPath), ...(driftError ? { drift_error: driftError } : {}) };
}

/** A monitoring entry's `retrain:` as the decision reads it. */
export function retrainSettings(mon: MonitorDecl | undefined): RetrainSettings | undefined {
  const r = mon?.retrain;
  if (!r) return undefined;
  return {
    command: r.command?.value,
    on: r.on.map((o) => o.value),
    auto: r.auto?.value,
    cooldownMs: r.cooldown ? parseDuration(r.cooldown.value) : undefined,
    schedule: r.schedule?.value,
    timezone: r.timezone?.value,
  };
}
