/** Drift settings from a manifest's `monitoring.<model>` entry, and durations as the manifest writes them. */
import type { DriftFeatureType } from '../contract';
import type { MonitorDecl } from '../manifest/model';
import { DRIFT_METHODS, type Correction, type DriftMethod, type DriftOptions, type FeatureOverride } from './report';

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30m`, `1h`, `7d`, `45s` → milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*([1-9]\d*)\s*([smhd])\s*$/.exec(text);
  return m ? Number(m[1]) * UNITS[m[2]] : undefined;
}

export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's']) if (ms % UNITS[unit] === 0) return `${ms / UNITS[unit]}${unit}`;
  return `${ms}ms`;
}

const TYPES: readonly DriftFeatureType[] = ['numeric', 'categorical', 'binary'];
const isMethod = (v: string | undefined): v is DriftMethod => v !== undefined && (DRIFT_METHODS as readonly string[]).includes(v);

/** The drift options a monitoring entry asks for; values the schema rejects are left at their defaults. */
export function driftOptionsOf(mon: MonitorDecl | undefined): DriftOptions {
  const d = mon?.drift;
  if (!d) return {};
  const features: Record<string, FeatureOverride> = {};
  for (const f of d.features?.entries.values() ?? []) {
    const o: FeatureOverride = {};
    if (isMethod(f.method?.value)) o.method = f.method.value;
    if (f.threshold && f.threshold.value > 0) o.threshold = f.threshold.value;
    if (f.type && (TYPES as readonly string[]).includes(f.type.value)) o.type = f.type.value as DriftFeatureType;
    features[f.name] = o;
  }
  const correction = d.correction?.value;
  const alpha = d.alpha?.value;
  const share = d.driftShare?.value;
  return {
    method: isMethod(d.method?.value) ? d.method.value : undefined,
    alpha: alpha !== undefined && alpha > 0 && alpha < 1 ? alpha : undefined,
    threshold: d.threshold && d.threshold.value > 0 ? d.threshold.value : undefined,
    correction: correction === 'none' || correction === 'bonferroni' || correction === 'fdr' ? (correction as Correction) : undefined,
    driftShare: share !== undefined && share >= 0 && share <= 1 ? share : undefined,
    exclude: d.exclude.map((e) => e.value),
    features,
  };
}
