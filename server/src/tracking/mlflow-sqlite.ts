import { columns, describeSqliteError, quote, readDatabaseSnapshot, type Database, type Schema } from './sqlite-read';
export { databaseFingerprint } from './sqlite-read';
import type {
  ExperimentRecord,
  LifecycleStage,
  LoggedModelRecord,
  MetricPoint,
  ModelVersionRecord,
  RegisteredModelRecord,
  RunRecord,
  RunStatus,
  TrackingSnapshot,
} from './model';

/**
 * Reader for MLflow's SQLite backend store, any schema from MLflow 1.x to 3.x. Tables and columns are
 * looked up first (schemas differ by version: `runs.name`, `metrics.step`/`is_nan`, aliases and
 * logged models came later), and whatever is missing is read as absent. Each table is read with one
 * statement, grouped in memory, so the cost is one pass over the metrics table however many runs.
 */

type Row = Record<string, unknown>;

export interface DatabaseReadOptions {
  /** How long to wait for a writer's lock before reporting the database as locked. */
  busyTimeoutMs?: number;
}

const RUN_STATUSES = new Set<RunStatus>(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);
const LOGGED_MODEL_STATUS: Record<string, string> = { '0': 'UNSPECIFIED', '1': 'PENDING', '2': 'READY', '3': 'FAILED' };

export function readMlflowDatabase(path: string, options: DatabaseReadOptions = {}): TrackingSnapshot {
  return readDatabaseSnapshot(path, options.busyTimeoutMs ?? 2000, 'MLflow databases', (db, schema, snapshot) => {
    if (!schema.has('runs') && !schema.has('experiments')) {
      snapshot.issues.push({ path, message: 'not an MLflow tracking database: it has no experiments or runs table' });
      return;
    }
    // A table that fails (a corrupt page, say) costs only its own part of the snapshot.
    const section = <T>(what: string, read: () => T, fallback: T): T => {
      try {
        return read();
      } catch (error) {
        snapshot.issues.push({ path, message: `cannot read ${what}: ${describeSqliteError(error)}` });
        return fallback;
      }
    };
    snapshot.experiments = section('experiments', () => readExperiments(db, schema), []);
    snapshot.runs = section('runs', () => readRuns(db, schema), []);
    snapshot.registeredModels = section('the model registry', () => readRegistry(db, schema), []);
    snapshot.loggedModels = section('logged models', () => readLoggedModels(db, schema), []);
  });
}

// ---------------------------------------------------------------------------------------------
// Tracking

function readExperiments(db: Database, schema: Schema): ExperimentRecord[] {
  if (!schema.has('experiments')) return [];
  const tags = keyValuesBy(db, schema, 'experiment_tags', 'experiment_id', 'key', 'value');
  const cols = columns(schema, 'experiments', ['experiment_id', 'name', 'artifact_location', 'lifecycle_stage', 'creation_time', 'last_update_time']);
  return (db.prepare(`SELECT ${cols} FROM experiments`).all() as Row[]).map((row) => {
    const id = String(row.experiment_id);
    return {
      experimentId: id,
      name: text(row.name) ?? id,
      artifactLocation: text(row.artifact_location),
      lifecycleStage: stage(row.lifecycle_stage),
      creationTime: number(row.creation_time),
      lastUpdateTime: number(row.last_update_time),
      tags: tags.get(id) ?? {},
    };
  });
}

function readRuns(db: Database, schema: Schema): RunRecord[] {
  if (!schema.has('runs')) return [];
  const cols = columns(schema, 'runs', ['run_uuid', 'experiment_id', 'name', 'status', 'start_time', 'end_time', 'lifecycle_stage', 'artifact_uri', 'user_id']);
  const params = keyValuesBy(db, schema, 'params', 'run_uuid', 'key', 'value');
  const tags = keyValuesBy(db, schema, 'tags', 'run_uuid', 'key', 'value');
  const runs = new Map<string, RunRecord>();
  for (const row of db.prepare(`SELECT ${cols} FROM runs`).all() as Row[]) {
    const runId = String(row.run_uuid);
    const runTags = tags.get(runId) ?? {};
    runs.set(runId, {
      runId,
      experimentId: String(row.experiment_id),
      // MLflow 1.x left runs.name empty and kept the name in a tag.
      name: runTags['mlflow.runName'] ?? text(row.name) ?? '',
      status: runStatus(row.status),
      startTime: number(row.start_time),
      endTime: number(row.end_time),
      lifecycleStage: stage(row.lifecycle_stage),
      artifactUri: text(row.artifact_uri),
      parentRunId: runTags['mlflow.parentRunId'] ?? null,
      userId: text(row.user_id),
      params: params.get(runId) ?? {},
      tags: runTags,
      metrics: [],
    });
  }
  addMetrics(db, schema, runs);
  return [...runs.values()];
}

/** The whole metrics table in one pass, as raw arrays (the cheapest rows better-sqlite3 returns). */
function addMetrics(db: Database, schema: Schema, runs: Map<string, RunRecord>): void {
  if (!schema.has('metrics')) return;
  const cols = columns(schema, 'metrics', ['run_uuid', 'key', 'value', 'timestamp', 'step', 'is_nan']);
  const rows = db.prepare(`SELECT ${cols} FROM metrics`).raw().iterate() as IterableIterator<unknown[]>;
  let current: RunRecord | undefined;
  for (const [runId, key, value, timestamp, step, isNan] of rows) {
    if (current?.runId !== runId) current = runs.get(runId as string);
    if (!current) continue; // a row left behind by a run deleted outside MLflow
    const point: MetricPoint = {
      key: key as string,
      value: isNan || value === null ? NaN : (value as number),
      timestamp: (timestamp as number | null) ?? 0,
      step: (step as number | null) ?? 0,
    };
    current.metrics.push(point);
  }
}

// ---------------------------------------------------------------------------------------------
// Model registry and logged models

function readRegistry(db: Database, schema: Schema): RegisteredModelRecord[] {
  if (!schema.has('registered_models')) return [];
  const modelTags = keyValuesBy(db, schema, 'registered_model_tags', 'name', 'key', 'value');
  const aliases = keyValuesBy(db, schema, 'registered_model_aliases', 'name', 'alias', 'version');
  const versions = readVersions(db, schema, aliases);
  const cols = columns(schema, 'registered_models', ['name', 'creation_time', 'last_updated_time', 'description']);
  return (db.prepare(`SELECT ${cols} FROM registered_models ORDER BY name`).all() as Row[]).map((row) => {
    const name = String(row.name);
    return {
      name,
      description: text(row.description),
      creationTime: number(row.creation_time),
      lastUpdatedTime: number(row.last_updated_time),
      tags: modelTags.get(name) ?? {},
      aliases: aliases.get(name) ?? {},
      versions: versions.get(name) ?? [],
    };
  });
}

function readVersions(db: Database, schema: Schema, aliases: Map<string, Record<string, string>>): Map<string, ModelVersionRecord[]> {
  const byModel = new Map<string, ModelVersionRecord[]>();
  if (!schema.has('model_versions')) return byModel;
  const tags = keyValuesBy(db, schema, 'model_version_tags', "name || char(31) || version", 'key', 'value');
  const cols = columns(schema, 'model_versions', ['name', 'version', 'current_stage', 'source', 'run_id', 'status', 'creation_time', 'last_updated_time', 'description']);
  // MLflow marks a deleted version 'Deleted_Internal' and keeps the row; it is gone for users.
  const visible = schema.get('model_versions')!.has('current_stage') ? "WHERE current_stage IS NULL OR current_stage <> 'Deleted_Internal'" : '';
  for (const row of db.prepare(`SELECT ${cols} FROM model_versions ${visible} ORDER BY name, version`).all() as Row[]) {
    const name = String(row.name);
    const version = String(row.version);
    const modelAliases = aliases.get(name) ?? {};
    const list = byModel.get(name) ?? [];
    list.push({
      name,
      version,
      stage: text(row.current_stage) ?? 'None',
      aliases: Object.keys(modelAliases).filter((alias) => modelAliases[alias] === version).sort(),
      runId: text(row.run_id),
      source: text(row.source),
      status: text(row.status),
      creationTime: number(row.creation_time),
      lastUpdatedTime: number(row.last_updated_time),
      description: text(row.description),
      tags: tags.get(`${name}\u001f${version}`) ?? {},
    });
    byModel.set(name, list);
  }
  return byModel;
}

function readLoggedModels(db: Database, schema: Schema): LoggedModelRecord[] {
  if (!schema.has('logged_models')) return [];
  const params = keyValuesBy(db, schema, 'logged_model_params', 'model_id', 'param_key', 'param_value');
  const tags = keyValuesBy(db, schema, 'logged_model_tags', 'model_id', 'tag_key', 'tag_value');
  const cols = columns(schema, 'logged_models', ['model_id', 'experiment_id', 'name', 'source_run_id', 'status', 'creation_timestamp_ms', 'artifact_location', 'lifecycle_stage']);
  return (db.prepare(`SELECT ${cols} FROM logged_models`).all() as Row[]).map((row) => {
    const modelId = String(row.model_id);
    const status = text(row.status);
    return {
      modelId,
      experimentId: String(row.experiment_id),
      name: text(row.name) ?? modelId,
      sourceRunId: text(row.source_run_id),
      // Stored as the protobuf enum number.
      status: status === null ? null : (LOGGED_MODEL_STATUS[status] ?? status),
      creationTime: number(row.creation_timestamp_ms),
      artifactLocation: text(row.artifact_location),
      lifecycleStage: stage(row.lifecycle_stage),
      params: params.get(modelId) ?? {},
      tags: tags.get(modelId) ?? {},
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers

/**
 * A key/value table grouped by owner: owner → {key: value}. `owner` is a column or an SQL
 * expression over this table's columns. Absent table or columns → empty.
 */
function keyValuesBy(db: Database, schema: Schema, table: string, owner: string, key: string, value: string): Map<string, Record<string, string>> {
  const grouped = new Map<string, Record<string, string>>();
  const present = schema.get(table);
  if (!present || !present.has(key) || !present.has(value)) return grouped;
  const rows = db.prepare(`SELECT ${owner} AS owner, ${quote(key)} AS k, ${quote(value)} AS v FROM ${quote(table)}`).raw().all() as unknown[][];
  for (const [who, k, v] of rows) {
    const id = String(who);
    let entry = grouped.get(id);
    if (!entry) grouped.set(id, (entry = {}));
    entry[String(k)] = v === null || v === undefined ? '' : String(v);
  }
  return grouped;
}

function runStatus(value: unknown): RunStatus {
  const status = text(value)?.toUpperCase();
  return status && RUN_STATUSES.has(status as RunStatus) ? (status as RunStatus) : 'RUNNING';
}

function stage(value: unknown): LifecycleStage {
  return value === 'deleted' ? 'deleted' : 'active';
}

function text(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function number(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
}
