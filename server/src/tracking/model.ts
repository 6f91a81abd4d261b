/**
 * The normalized shape every tracking source (MLflow file store, MLflow SQLite database, JSONL run
 * logs) is read into. Readers produce these; the index stores them; queries, trees and the CLI read them.
 * Times are epoch milliseconds; a metric value may be NaN or ±Infinity, as MLflow allows.
 */

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
export type LifecycleStage = 'active' | 'deleted';

/** MLflow's numeric run status (file store meta.yaml) → name. */
export const RUN_STATUS_BY_NUMBER: Record<number, RunStatus> = { 1: 'RUNNING', 2: 'SCHEDULED', 3: 'FINISHED', 4: 'FAILED', 5: 'KILLED' };

export interface MetricPoint {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export interface ExperimentRecord {
  experimentId: string;
  name: string;
  artifactLocation: string | null;
  lifecycleStage: LifecycleStage;
  creationTime: number | null;
  lastUpdateTime: number | null;
  tags: Record<string, string>;
}

export interface RunRecord {
  runId: string;
  experimentId: string;
  /** `mlflow.runName` tag, else the meta's run_name, else '' (MLflow 1.x runs may have none). */
  name: string;
  status: RunStatus;
  startTime: number | null;
  /** Null while running, or when MLflow never wrote it. */
  endTime: number | null;
  lifecycleStage: LifecycleStage;
  artifactUri: string | null;
  /** From the `mlflow.parentRunId` tag. */
  parentRunId: string | null;
  userId: string | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Full history of every metric, in file order (not sorted). */
  metrics: MetricPoint[];
}

export interface ModelVersionRecord {
  name: string;
  version: string;
  /** None, Staging, Production, Archived (deprecated by MLflow since 2.9, still shown). */
  stage: string;
  aliases: string[];
  runId: string | null;
  source: string | null;
  status: string | null;
  creationTime: number | null;
  lastUpdatedTime: number | null;
  description: string | null;
  tags: Record<string, string>;
}

export interface RegisteredModelRecord {
  name: string;
  description: string | null;
  creationTime: number | null;
  lastUpdatedTime: number | null;
  tags: Record<string, string>;
  /** alias → version */
  aliases: Record<string, string>;
  versions: ModelVersionRecord[];
}

/** MLflow 3 logged models (`<exp>/models/m-<id>/` or the `logged_models` table). */
export interface LoggedModelRecord {
  modelId: string;
  experimentId: string;
  name: string;
  sourceRunId: string | null;
  status: string | null;
  creationTime: number | null;
  artifactLocation: string | null;
  /** MLflow marks a deleted logged model 'deleted' and keeps it; hiding it is the UI's call. */
  lifecycleStage: LifecycleStage;
  params: Record<string, string>;
  tags: Record<string, string>;
}

/** A problem met while reading: reported once, the rest is still read. */
export interface ReadIssue {
  /** The file or folder at fault. */
  path: string;
  message: string;
  /** 1-based, when the problem is at a place in a text file. */
  line?: number;
  column?: number;
  /** The run or experiment it affects, when known, so the tree can mark that item. */
  runId?: string;
  experimentId?: string;
}

/** Everything one source holds. */
export interface TrackingSnapshot {
  experiments: ExperimentRecord[];
  runs: RunRecord[];
  registeredModels: RegisteredModelRecord[];
  loggedModels: LoggedModelRecord[];
  issues: ReadIssue[];
}

/**
 * The latest value of each metric: the point with the greatest (step, timestamp, value), as MLflow
 * defines it. NaN compares greater than every number there (it is stored as is_nan and sorts last).
 */
export function latestMetrics(points: MetricPoint[]): Map<string, MetricPoint> {
  const latest = new Map<string, MetricPoint>();
  for (const p of points) {
    const current = latest.get(p.key);
    if (!current || compareMetricPoints(p, current) > 0) latest.set(p.key, p);
  }
  return latest;
}

export function compareMetricPoints(a: MetricPoint, b: MetricPoint): number {
  if (a.step !== b.step) return a.step - b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp - b.timestamp;
  return compareValues(a.value, b.value);
}

function compareValues(a: number, b: number): number {
  const aNaN = Number.isNaN(a);
  const bNaN = Number.isNaN(b);
  if (aNaN || bNaN) return aNaN === bNaN ? 0 : aNaN ? 1 : -1;
  return a === b ? 0 : a < b ? -1 : 1;
}
