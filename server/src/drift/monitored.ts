/**
 * The drift report of a model declared under `monitoring:`: the reference file it names against the
 * inputs its endpoints logged in a time window.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { DriftReport } from '../contract';
import type { ManifestModel } from '../manifest/model';
import type { Database } from '../store/store';
import { driftOptionsOf, formatDuration, parseDuration } from './config';
import { currentFromLog } from './log';
import { driftReport, type DriftOptions } from './report';
import { DriftInputError, tableFromCsv, type FeatureTable } from './table';

export interface MonitoredDriftOptions {
  manifestPath: string;
  manifest: ManifestModel;
  model: string;
  db: Database;
  /** `1h`, `30m`…; default: the entry's `window`, else the whole log. */
  window?: string;
  /** Start of the current data (ms since the epoch); wins over the window. */
  since?: number;
  now?: number;
  /** Settings that win over the manifest's (command-line options). */
  overrides?: DriftOptions;
}

/** Endpoints that serve a model (by name). */
export function endpointsOf(manifest: ManifestModel, model: string): string[] {
  return [...(manifest.serving?.endpoints?.entries.values() ?? [])].filter((e) => e.model?.value === model).map((e) => e.name);
}

/** The reference table a monitoring entry names, read from inside the manifest's folder. */
export function monitoredReference(manifestPath: string, manifest: ManifestModel, model: string): FeatureTable {
  const mon = manifest.monitoring?.entries.get(model);
  if (!mon) {
    const known = [...(manifest.monitoring?.entries.keys() ?? [])];
    throw new DriftInputError(`no monitoring entry for "${model}" in ${manifestPath}${known.length > 0 ? ` (monitored: ${known.join(', ')})` : ''}`);
  }
  const ref = mon.reference?.value;
  if (!ref) throw new DriftInputError(`monitoring.${model} in ${manifestPath} names no reference data`);
  const base = dirname(manifestPath);
  const path = resolve(base, ref);
  const rel = relative(base, path);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new DriftInputError(`${ref}: the reference must be inside the manifest's folder`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DriftInputError(`${ref}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return tableFromCsv(text, ref);
}

/**
 * Requests of the model's endpoints in the window whose values broke an expectation of its input
 * data set (serving `validate:`), served or refused, and how many values did: shown beside the drift.
 */
export function windowViolations(db: Database, endpoints: string[], since: number, until: number): { requests: number; values: number } {
  if (endpoints.length === 0) return { requests: 0, values: 0 };
  const row = db
    .prepare(`SELECT COUNT(*) AS requests, COALESCE(SUM(violations), 0) AS "values" FROM predictions WHERE endpoint IN (${endpoints.map(() => '?').join(', ')}) AND mirrored = 0 AND violations > 0 AND time >= ? AND time <= ?`)
    .get(...endpoints, since, until) as { requests: number; values: number };
  return { requests: Number(row.requests), values: Number(row.values) };
}

export function monitoredDrift(o: MonitoredDriftOptions): { report: DriftReport; window: string | null; violations: { requests: number; values: number } } {
  const reference = monitoredReference(o.manifestPath, o.manifest, o.model);
  const mon = o.manifest.monitoring!.entries.get(o.model)!;
  const options = { ...driftOptionsOf(mon), ...o.overrides };
  const windowText = o.window ?? mon.window?.value;
  const windowMs = windowText !== undefined ? parseDuration(windowText) : undefined;
  if (windowText !== undefined && windowMs === undefined) throw new DriftInputError(`window "${windowText}" is not a duration such as 30m, 1h or 7d`);
  const now = o.now ?? Date.now();
  const excluded = new Set(options.exclude ?? []);
  const features = reference.columns.map((c) => c.name).filter((n) => !excluded.has(n));
  const endpoints = endpointsOf(o.manifest, o.model);
  const since = o.since ?? (windowMs === undefined ? 0 : now - windowMs);
  const current = currentFromLog(o.db, features, {
    endpoints,
    since,
    until: now,
    source: o.since !== undefined ? `prediction log since ${new Date(o.since).toISOString()}` : windowMs === undefined ? 'prediction log' : `prediction log, last ${formatDuration(windowMs)}`,
  });
  return { report: driftReport(reference, current, options), window: o.since !== undefined || windowMs === undefined ? null : formatDuration(windowMs), violations: windowViolations(o.db, endpoints, since, now) };
}
