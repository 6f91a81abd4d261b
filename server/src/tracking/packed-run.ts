import { createHash } from 'node:crypto';
import { relative } from 'node:path';
import { readRunDir, type FileStamp } from './mlflow-files';
import { latestMetrics, type MetricPoint, type ReadIssue, type RunRecord } from './model';

/**
 * A run in the form the index stores it: attributes, params and tags as read, the latest metric
 * values as JSON, and every metric history packed into three Float64 arrays. This form crosses a
 * worker boundary cheaply (strings and transferable buffers, no object per metric point).
 */
export interface PackedRun {
  run: Omit<RunRecord, 'metrics'>;
  /** Latest value per key; "NaN", "Infinity", "-Infinity" for the values JSON cannot hold. */
  metricsJson: string;
  history: PackedHistory | null;
}

export interface PackedHistory {
  /** [[key, count], ...]: each key's points, in this order, sorted by (step, timestamp). */
  keysJson: string;
  steps: Float64Array;
  timestamps: Float64Array;
  values: Float64Array;
}

/** What reading one MLflow run folder yields for the index. */
export interface RunFolderRead {
  runId: string;
  experimentId: string;
  packed: PackedRun | null;
  issues: ReadIssue[];
  fingerprint: string;
}

export function packRun(run: RunRecord): PackedRun {
  const { metrics, ...rest } = run;
  return { run: rest, metricsJson: encodeLatest(metrics), history: metrics.length > 0 ? packHistory(metrics) : null };
}

/** Read and pack one run folder of an MLflow file store, with the fingerprint of the files read. */
export function readRunFolder(dir: string, runId: string, experimentId: string): RunFolderRead {
  const { run, issues, files } = readRunDir(dir, experimentId);
  return { runId, experimentId, packed: run ? packRun(run) : null, issues, fingerprint: fingerprintOf(dir, files) };
}

/** Names, sizes and modification times of a run's files, as one short string. */
export function fingerprintOf(dir: string, stamps: FileStamp[]): string {
  const lines = stamps.map((s) => `${relative(dir, s.path)}:${s.size}:${s.mtimeMs}`).sort();
  return createHash('sha1').update(lines.join('\n')).digest('base64');
}

function encodeLatest(points: MetricPoint[]): string {
  const out: Record<string, number | string> = {};
  for (const [key, p] of latestMetrics(points)) out[key] = Number.isFinite(p.value) ? p.value : String(p.value);
  return JSON.stringify(out);
}

export function decodeLatest(json: string): Record<string, number> {
  const raw = JSON.parse(json) as Record<string, number | string>;
  const out: Record<string, number> = {};
  for (const key of Object.keys(raw)) out[key] = Number(raw[key]);
  return out;
}

function packHistory(points: MetricPoint[]): PackedHistory {
  const sorted = [...points].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.step - b.step || a.timestamp - b.timestamp));
  const steps = new Float64Array(sorted.length);
  const timestamps = new Float64Array(sorted.length);
  const values = new Float64Array(sorted.length);
  const keys: [string, number][] = [];
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i];
    steps[i] = p.step;
    timestamps[i] = p.timestamp;
    values[i] = p.value;
    const last = keys[keys.length - 1];
    if (last && last[0] === p.key) last[1]++;
    else keys.push([p.key, 1]);
  }
  return { keysJson: JSON.stringify(keys), steps, timestamps, values };
}
