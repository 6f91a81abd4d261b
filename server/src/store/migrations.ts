/**
 * The store's schema, one entry per version; entry N takes the store from version N-1 to N.
 * Never edit an entry that has shipped: add a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the tracking index. Params, tags and the latest value of each metric are JSON in the run's
  // row (queries run in the core, over all of them); a run's metric histories are one row of packed
  // Float64 arrays, which is what charts read. Few rows per run keep a cold index fast.
  `
  CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    fingerprint TEXT,
    indexed_at INTEGER
  );
  CREATE TABLE experiments (
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    experiment_id TEXT NOT NULL,
    name TEXT NOT NULL,
    artifact_location TEXT,
    lifecycle_stage TEXT NOT NULL,
    creation_time INTEGER,
    last_update_time INTEGER,
    tags_json TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (source_id, experiment_id)
  );
  CREATE TABLE runs (
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    run_id TEXT NOT NULL,
    experiment_id TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    start_time INTEGER,
    end_time INTEGER,
    lifecycle_stage TEXT NOT NULL,
    artifact_uri TEXT,
    parent_run_id TEXT,
    user_id TEXT,
    params_json TEXT NOT NULL DEFAULT '{}',
    tags_json TEXT NOT NULL DEFAULT '{}',
    -- latest value per metric key; "NaN", "Infinity", "-Infinity" for the values JSON cannot hold
    metrics_json TEXT NOT NULL DEFAULT '{}',
    -- what the run's files looked like when read; unchanged fingerprint = nothing to re-read
    fingerprint TEXT,
    PRIMARY KEY (source_id, run_id)
  );
  CREATE INDEX runs_by_experiment ON runs (source_id, experiment_id);
  CREATE TABLE metric_history (
    source_id INTEGER NOT NULL,
    run_id TEXT NOT NULL,
    -- [[key, count], ...]: the blobs hold each key's points in this order, sorted by (step, timestamp)
    keys_json TEXT NOT NULL,
    steps BLOB NOT NULL,
    timestamps BLOB NOT NULL,
    vals BLOB NOT NULL,
    PRIMARY KEY (source_id, run_id),
    FOREIGN KEY (source_id, run_id) REFERENCES runs(source_id, run_id) ON DELETE CASCADE
  );
  CREATE TABLE registered_models (
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    creation_time INTEGER,
    last_updated_time INTEGER,
    tags_json TEXT NOT NULL DEFAULT '{}',
    aliases_json TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (source_id, name)
  );
  CREATE TABLE model_versions (
    source_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    stage TEXT NOT NULL,
    aliases_json TEXT NOT NULL DEFAULT '[]',
    run_id TEXT,
    source TEXT,
    status TEXT,
    creation_time INTEGER,
    last_updated_time INTEGER,
    description TEXT,
    tags_json TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (source_id, name, version),
    FOREIGN KEY (source_id, name) REFERENCES registered_models(source_id, name) ON DELETE CASCADE
  );
  CREATE TABLE logged_models (
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    model_id TEXT NOT NULL,
    experiment_id TEXT NOT NULL,
    name TEXT NOT NULL,
    source_run_id TEXT,
    status TEXT,
    creation_time INTEGER,
    artifact_location TEXT,
    params_json TEXT NOT NULL DEFAULT '{}',
    tags_json TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (source_id, model_id)
  );
  CREATE TABLE read_issues (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    -- the unit the issue belongs to (a run folder, a file, or '' for the source); re-reading it clears them
    unit TEXT NOT NULL,
    path TEXT NOT NULL,
    message TEXT NOT NULL,
    line INTEGER,
    col INTEGER,
    run_id TEXT,
    experiment_id TEXT
  );
  CREATE INDEX read_issues_by_unit ON read_issues (source_id, unit);
  `,
  // 2: the model server's prediction log and ground-truth feedback, joined by request id. One row
  // per answered request (mirrored shadow runs are rows of their own with mirrored = 1). inputs and
  // outputs are JSON {name: {datatype, shape, data}} with exact int64 digits and "NaN"/"Infinity"
  // strings; inputs is NULL when over the size cap or not sampled (inputs_bytes then says how big).
  `
  CREATE TABLE predictions (
    id INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL,
    time INTEGER NOT NULL,
    endpoint TEXT NOT NULL,
    model TEXT,
    version TEXT,
    protocol TEXT NOT NULL,
    inputs TEXT,
    inputs_bytes INTEGER,
    outputs TEXT,
    latency_ms REAL NOT NULL,
    status INTEGER NOT NULL,
    error TEXT,
    mirrored INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX predictions_by_request ON predictions (request_id);
  CREATE INDEX predictions_by_endpoint_time ON predictions (endpoint, time);
  CREATE TABLE feedback (
    id INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL,
    time INTEGER NOT NULL,
    endpoint TEXT NOT NULL,
    -- no declared type: a class label keeps its JSON type (1 stays an integer, "churn" text)
    label,
    value REAL
  );
  CREATE INDEX feedback_by_request ON feedback (request_id);
  `,
  // 3: the audit log of promotions and rollbacks: who changed which aliases and traffic of a model,
  // from what to what (JSON {aliases, traffic}), on what evidence (gates with their values). A
  // rollback restores the `from` of the latest promotion not rolled back yet.
  `
  CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    user TEXT NOT NULL,
    model TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('promote', 'rollback')),
    from_json TEXT NOT NULL,
    to_json TEXT NOT NULL,
    evidence_json TEXT NOT NULL,
    manifest TEXT NOT NULL
  );
  CREATE INDEX audit_by_model ON audit_events (model, id);
  `,
  // 4: retrain commands run when monitoring fired (drift, degradation): the cooldown starts at the
  // latest one of a model, so the editor does not offer the same retrain again and again.
  `
  CREATE TABLE retrain_events (
    id INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    manifest TEXT NOT NULL,
    model TEXT NOT NULL,
    reasons_json TEXT NOT NULL,
    command TEXT NOT NULL
  );
  CREATE INDEX retrain_by_model ON retrain_events (manifest, model, time);
  `,
  // 5: how far each prediction journal (.mlops/predictions-*.journal, see prediction-journal.ts) has
  // been applied to predictions, in bytes: its rows are answered requests not yet in the table.
  `
  CREATE TABLE prediction_journals (
    file TEXT PRIMARY KEY,
    applied INTEGER NOT NULL
  );
  `,
  // 6: whether a prediction was answered from its endpoint's prediction cache (serving `cache:`),
  // without a session.run of its own. Rows logged before are 0: there was no cache.
  `
  ALTER TABLE predictions ADD COLUMN cached INTEGER NOT NULL DEFAULT 0;
  `,
  // 7: how many of a request's values broke an expectation of its model's input data set (serving
  // `validate: warn|reject`). Rows logged before are 0: nothing was checked.
  `
  ALTER TABLE predictions ADD COLUMN violations INTEGER NOT NULL DEFAULT 0;
  `,
  // 8: retraining on a schedule, and every retrain as an audit event with how it ended. A schedule
  // counts from when it was first seen (`since`), so a new one does not fire for the past;
  // `offered_for` is the scheduled time last announced, so a run that fell due while the editor was
  // closed is offered once. Events gain why they ran (cause: monitoring, schedule, manual), the scheduled time they answer, and
  // their exit code and duration (NULL until they end; a skipped one never runs).
  `
  CREATE TABLE retrain_schedules (
    manifest TEXT NOT NULL,
    model TEXT NOT NULL,
    schedule TEXT NOT NULL,
    timezone TEXT NOT NULL,
    since INTEGER NOT NULL,
    offered_for INTEGER,
    PRIMARY KEY (manifest, model)
  );
  ALTER TABLE retrain_events ADD COLUMN cause TEXT NOT NULL DEFAULT 'monitoring';
  ALTER TABLE retrain_events ADD COLUMN scheduled_for INTEGER;
  ALTER TABLE retrain_events ADD COLUMN exit_code INTEGER;
  ALTER TABLE retrain_events ADD COLUMN duration_ms INTEGER;
  ALTER TABLE retrain_events ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;
  `,
];
