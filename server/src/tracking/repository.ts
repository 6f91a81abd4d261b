import type { Database } from '../store/store';
import type { TrackingSourceKind } from '../contract';
import { decodeLatest, impliedHistory, packRun, type PackedRun } from './packed-run';
import {
  type ExperimentRecord,
  type LifecycleStage,
  type LoggedModelRecord,
  type ReadIssue,
  type RegisteredModelRecord,
  type RunRecord,
  type RunStatus,
} from './model';

/** A run as the index serves it: attributes, params, tags and the latest value of each metric. */
/** A run as indexed: what its source says of it, with the latest value of each metric instead of its history. */
export interface RunSummary extends Omit<RunRecord, 'metrics'> {
  sourceId: number;
  sourceKind: TrackingSourceKind;
  sourcePath: string;
  experimentName: string;
  metrics: Record<string, number>;
  /** Read problems recorded against this run. */
  issues: number;
}

export interface ExperimentSummary extends ExperimentRecord {
  sourceId: number;
  sourcePath: string;
  sourceKind: TrackingSourceKind;
  runCount: number;
}

export interface MetricHistory {
  key: string;
  steps: Float64Array;
  timestamps: Float64Array;
  values: Float64Array;
}

export interface StoredIssue extends ReadIssue {
  sourcePath: string;
}

/** All reads and writes of the tracking index, as prepared statements over the store. */
export class TrackingRepository {
  private readonly stmt;

  constructor(private readonly db: Database) {
    this.stmt = {
      sourceByPath: db.prepare('SELECT id FROM sources WHERE path = ?'),
      insertSource: db.prepare('INSERT INTO sources (kind, path) VALUES (?, ?)'),
      sources: db.prepare('SELECT id, kind, path, fingerprint FROM sources'),
      setSourceFingerprint: db.prepare('UPDATE sources SET fingerprint = ?, indexed_at = ? WHERE id = ?'),
      deleteSource: db.prepare('DELETE FROM sources WHERE id = ?'),
      deleteExperiments: db.prepare('DELETE FROM experiments WHERE source_id = ?'),
      insertExperiment: db.prepare(
        'INSERT INTO experiments (source_id, experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time, tags_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      deleteRun: db.prepare('DELETE FROM runs WHERE source_id = ? AND run_id = ?'),
      deleteRuns: db.prepare('DELETE FROM runs WHERE source_id = ?'),
      insertRun: db.prepare(
        `INSERT INTO runs (source_id, run_id, experiment_id, name, status, start_time, end_time, lifecycle_stage, artifact_uri, parent_run_id, user_id, params_json, tags_json, metrics_json, fingerprint)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertHistory: db.prepare('INSERT INTO metric_history (source_id, run_id, keys_json, steps, timestamps, vals) VALUES (?, ?, ?, ?, ?, ?)'),
      runFingerprints: db.prepare('SELECT run_id, fingerprint FROM runs WHERE source_id = ?'),
      experimentIdsOfRuns: db.prepare('SELECT DISTINCT experiment_id FROM runs WHERE source_id = ? ORDER BY experiment_id'),
      deleteIssuesForUnit: db.prepare('DELETE FROM read_issues WHERE source_id = ? AND unit = ?'),
      deleteIssues: db.prepare('DELETE FROM read_issues WHERE source_id = ?'),
      insertIssue: db.prepare('INSERT INTO read_issues (source_id, unit, path, message, line, col, run_id, experiment_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      deleteModels: db.prepare('DELETE FROM registered_models WHERE source_id = ?'),
      insertModel: db.prepare('INSERT INTO registered_models (source_id, name, description, creation_time, last_updated_time, tags_json, aliases_json) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      insertVersion: db.prepare(
        `INSERT INTO model_versions (source_id, name, version, stage, aliases_json, run_id, source, status, creation_time, last_updated_time, description, tags_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      deleteLoggedModels: db.prepare('DELETE FROM logged_models WHERE source_id = ?'),
      insertLoggedModel: db.prepare(
        'INSERT INTO logged_models (source_id, model_id, experiment_id, name, source_run_id, status, creation_time, artifact_location, params_json, tags_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      runMetrics: db.prepare('SELECT metrics_json FROM runs WHERE run_id = ?'),
      runSummary: db.prepare('SELECT metrics_json, start_time, end_time FROM runs WHERE run_id = ?'),
      history: db.prepare('SELECT keys_json, steps, timestamps, vals FROM metric_history WHERE run_id = ?'),
    };
  }

  // ---- sources

  ensureSource(kind: TrackingSourceKind, path: string): number {
    const row = this.stmt.sourceByPath.get(path) as { id: number } | undefined;
    return row ? row.id : Number(this.stmt.insertSource.run(kind, path).lastInsertRowid);
  }

  sources(): { id: number; kind: TrackingSourceKind; path: string; fingerprint: string | null }[] {
    return this.stmt.sources.all() as { id: number; kind: TrackingSourceKind; path: string; fingerprint: string | null }[];
  }

  setSourceFingerprint(sourceId: number, fingerprint: string | null): void {
    this.stmt.setSourceFingerprint.run(fingerprint, Date.now(), sourceId);
  }

  /** Forget a source that no longer exists (cascades to everything read from it). */
  deleteSource(sourceId: number): void {
    this.stmt.deleteSource.run(sourceId);
  }

  // ---- writes

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  replaceExperiments(sourceId: number, experiments: ExperimentRecord[]): void {
    this.stmt.deleteExperiments.run(sourceId);
    for (const e of experiments) {
      this.stmt.insertExperiment.run(sourceId, e.experimentId, e.name, e.artifactLocation, e.lifecycleStage, e.creationTime, e.lastUpdateTime, JSON.stringify(e.tags));
    }
  }

  /** Replace one run and everything recorded for it (metrics, history). */
  replaceRun(sourceId: number, run: RunRecord, fingerprint: string | null): void {
    this.replacePackedRun(sourceId, packRun(run), fingerprint);
  }

  replacePackedRun(sourceId: number, packed: PackedRun, fingerprint: string | null): void {
    this.stmt.deleteRun.run(sourceId, packed.run.runId);
    this.insertPackedRun(sourceId, packed, fingerprint);
  }

  /** A run not stored yet (after deleteAllRuns): no delete first. */
  insertRun(sourceId: number, run: RunRecord, fingerprint: string | null): void {
    this.insertPackedRun(sourceId, packRun(run), fingerprint);
  }

  private insertPackedRun(sourceId: number, { run, metricsJson, history }: PackedRun, fingerprint: string | null): void {
    this.stmt.insertRun.run(
      sourceId,
      run.runId,
      run.experimentId,
      run.name,
      run.status,
      run.startTime,
      run.endTime,
      run.lifecycleStage,
      run.artifactUri,
      run.parentRunId,
      run.userId,
      JSON.stringify(run.params),
      JSON.stringify(run.tags),
      metricsJson,
      fingerprint,
    );
    if (history) {
      this.stmt.insertHistory.run(sourceId, run.runId, history.keysJson, toBuffer(history.steps), toBuffer(history.timestamps), toBuffer(history.values));
    }
  }

  deleteRun(sourceId: number, runId: string): void {
    this.stmt.deleteRun.run(sourceId, runId);
  }

  deleteAllRuns(sourceId: number): void {
    this.stmt.deleteRuns.run(sourceId);
  }

  experimentIdsOfRuns(sourceId: number): string[] {
    return (this.stmt.experimentIdsOfRuns.all(sourceId) as { experiment_id: string }[]).map((r) => r.experiment_id);
  }

  runFingerprints(sourceId: number): Map<string, string | null> {
    const rows = this.stmt.runFingerprints.all(sourceId) as { run_id: string; fingerprint: string | null }[];
    return new Map(rows.map((r) => [r.run_id, r.fingerprint]));
  }

  /** Replace the issues recorded for one unit of a source ('' = the source as a whole). */
  replaceIssues(sourceId: number, unit: string, issues: ReadIssue[]): void {
    this.stmt.deleteIssuesForUnit.run(sourceId, unit);
    for (const i of issues) this.stmt.insertIssue.run(sourceId, unit, i.path, i.message, i.line ?? null, i.column ?? null, i.runId ?? null, i.experimentId ?? null);
  }

  clearIssues(sourceId: number): void {
    this.stmt.deleteIssues.run(sourceId);
  }

  replaceRegistry(sourceId: number, models: RegisteredModelRecord[]): void {
    this.stmt.deleteModels.run(sourceId);
    for (const m of models) {
      this.stmt.insertModel.run(sourceId, m.name, m.description, m.creationTime, m.lastUpdatedTime, JSON.stringify(m.tags), JSON.stringify(m.aliases));
      for (const v of m.versions) {
        this.stmt.insertVersion.run(
          sourceId,
          m.name,
          v.version,
          v.stage,
          JSON.stringify(v.aliases),
          v.runId,
          v.source,
          v.status,
          v.creationTime,
          v.lastUpdatedTime,
          v.description,
          JSON.stringify(v.tags),
        );
      }
    }
  }

  replaceLoggedModels(sourceId: number, models: LoggedModelRecord[]): void {
    this.stmt.deleteLoggedModels.run(sourceId);
    for (const m of models) {
      this.stmt.insertLoggedModel.run(sourceId, m.modelId, m.experimentId, m.name, m.sourceRunId, m.status, m.creationTime, m.artifactLocation, JSON.stringify(m.params), JSON.stringify(m.tags));
    }
  }

  // ---- reads

  experiments(): ExperimentSummary[] {
    const rows = this.db
      .prepare(
        `SELECT e.*, s.path AS source_path, s.kind AS source_kind,
                (SELECT COUNT(*) FROM runs r WHERE r.source_id = e.source_id AND r.experiment_id = e.experiment_id AND r.lifecycle_stage = 'active') AS run_count
         FROM experiments e JOIN sources s ON s.id = e.source_id
         ORDER BY s.path, CAST(e.experiment_id AS INTEGER), e.experiment_id`,
      )
      .all() as Record<string, unknown>[];
    return rows.map((r) => ({
      sourceId: r.source_id as number,
      sourcePath: r.source_path as string,
      sourceKind: r.source_kind as TrackingSourceKind,
      experimentId: r.experiment_id as string,
      name: r.name as string,
      artifactLocation: r.artifact_location as string | null,
      lifecycleStage: r.lifecycle_stage as LifecycleStage,
      creationTime: r.creation_time as number | null,
      lastUpdateTime: r.last_update_time as number | null,
      tags: JSON.parse(r.tags_json as string) as Record<string, string>,
      runCount: r.run_count as number,
    }));
  }

  /** Every run with its latest metrics, in one query. */
  runs(): RunSummary[] {
    const rows = this.db
      .prepare(
        `SELECT r.*, s.path AS source_path, s.kind AS source_kind, COALESCE(e.name, r.experiment_id) AS experiment_name,
                (SELECT COUNT(*) FROM read_issues i WHERE i.source_id = r.source_id AND i.run_id = r.run_id) AS issue_count
         FROM runs r JOIN sources s ON s.id = r.source_id
         LEFT JOIN experiments e ON e.source_id = r.source_id AND e.experiment_id = r.experiment_id`,
      )
      .all() as Record<string, unknown>[];
    return rows.map((r) => {
      const run: RunSummary = {
        sourceId: r.source_id as number,
        sourceKind: r.source_kind as TrackingSourceKind,
        sourcePath: r.source_path as string,
        runId: r.run_id as string,
        experimentId: r.experiment_id as string,
        experimentName: r.experiment_name as string,
        name: r.name as string,
        status: r.status as RunStatus,
        startTime: r.start_time as number | null,
        endTime: r.end_time as number | null,
        lifecycleStage: r.lifecycle_stage as LifecycleStage,
        artifactUri: r.artifact_uri as string | null,
        parentRunId: r.parent_run_id as string | null,
        userId: r.user_id as string | null,
        params: JSON.parse(r.params_json as string) as Record<string, string>,
        tags: JSON.parse(r.tags_json as string) as Record<string, string>,
        metrics: decodeLatest(r.metrics_json as string),
        issues: r.issue_count as number,
      };
      return run;
    });
  }

  /** The latest value of one metric of one run, undefined when absent. */
  latestMetric(runId: string, key: string): number | undefined {
    const row = this.stmt.runMetrics.get(runId) as { metrics_json: string } | undefined;
    return row ? decodeLatest(row.metrics_json)[key] : undefined;
  }

  /** A run's metric histories (one key, or all when key is undefined), each sorted by (step, timestamp). */
  metricHistory(runId: string, key?: string): MetricHistory[] {
    const row = this.stmt.history.get(runId) as { keys_json: string; steps: Buffer; timestamps: Buffer; vals: Buffer } | undefined;
    let keysJson: string;
    let steps: Float64Array;
    let timestamps: Float64Array;
    let values: Float64Array;
    if (row) {
      [keysJson, steps, timestamps, values] = [row.keys_json, unpack(row.steps), unpack(row.timestamps), unpack(row.vals)];
    } else {
      // No stored history: none at all, or one its summary implies (packRun leaves those out).
      const run = this.stmt.runSummary.get(runId) as { metrics_json: string; start_time: number | null; end_time: number | null } | undefined;
      const implied = run ? impliedHistory(run.metrics_json, { startTime: run.start_time, endTime: run.end_time }) : null;
      if (!implied) return [];
      ({ keysJson, steps, timestamps, values } = implied);
    }
    const out: MetricHistory[] = [];
    let offset = 0;
    for (const [k, count] of JSON.parse(keysJson) as [string, number][]) {
      if (key === undefined || key === k) {
        out.push({ key: k, steps: steps.slice(offset, offset + count), timestamps: timestamps.slice(offset, offset + count), values: values.slice(offset, offset + count) });
      }
      offset += count;
    }
    return out;
  }

  registeredModels(): (RegisteredModelRecord & { sourcePath: string })[] {
    const models = this.db
      .prepare('SELECT m.*, s.path AS source_path FROM registered_models m JOIN sources s ON s.id = m.source_id ORDER BY m.name, s.path')
      .all() as Record<string, unknown>[];
    const versions = this.db.prepare('SELECT * FROM model_versions ORDER BY CAST(version AS INTEGER), version').all() as Record<string, unknown>[];
    return models.map((m) => ({
      name: m.name as string,
      description: m.description as string | null,
      creationTime: m.creation_time as number | null,
      lastUpdatedTime: m.last_updated_time as number | null,
      tags: JSON.parse(m.tags_json as string) as Record<string, string>,
      aliases: JSON.parse(m.aliases_json as string) as Record<string, string>,
      sourcePath: m.source_path as string,
      versions: versions
        .filter((v) => v.source_id === m.source_id && v.name === m.name)
        .map((v) => ({
          name: v.name as string,
          version: v.version as string,
          stage: v.stage as string,
          aliases: JSON.parse(v.aliases_json as string) as string[],
          runId: v.run_id as string | null,
          source: v.source as string | null,
          status: v.status as string | null,
          creationTime: v.creation_time as number | null,
          lastUpdatedTime: v.last_updated_time as number | null,
          description: v.description as string | null,
          tags: JSON.parse(v.tags_json as string) as Record<string, string>,
        })),
    }));
  }

  issues(): StoredIssue[] {
    const rows = this.db.prepare('SELECT i.*, s.path AS source_path FROM read_issues i JOIN sources s ON s.id = i.source_id ORDER BY i.path, i.line').all() as Record<string, unknown>[];
    return rows.map((r) => ({
      sourcePath: r.source_path as string,
      path: r.path as string,
      message: r.message as string,
      line: (r.line as number | null) ?? undefined,
      column: (r.col as number | null) ?? undefined,
      runId: (r.run_id as string | null) ?? undefined,
      experimentId: (r.experiment_id as string | null) ?? undefined,
    }));
  }
}

function toBuffer(a: Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function unpack(b: Buffer): Float64Array {
  // Copy: the Buffer may not be 8-byte aligned.
  const out = new Float64Array(b.byteLength / 8);
  new Uint8Array(out.buffer).set(b);
  return out;
}
