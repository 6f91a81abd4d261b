/**
 * The one typed contract between the language server, the extension client and the webviews.
 *
 * It holds only names and types (no runtime dependencies), so the server, the client and the
 * browser bundle of every webview import the same file. Every custom LSP request and notification,
 * and every message that crosses the webview boundary, is declared here and nowhere else.
 */

/** A request from the client to the server, typed by its params and result. */
export interface RequestSpec<Params, Result> {
  readonly method: string;
  /** Phantom fields: never set, they only carry the types. */
  readonly _params?: Params;
  readonly _result?: Result;
}

/** A notification from the server to the client, typed by its payload. */
export interface NotificationSpec<Payload> {
  readonly method: string;
  readonly _payload?: Payload;
}

function request<Params, Result>(method: string): RequestSpec<Params, Result> {
  return { method };
}

function notification<Payload>(method: string): NotificationSpec<Payload> {
  return { method };
}

// ---------------------------------------------------------------------------------------------
// Shared shapes

/** 0-based position, as in LSP. */
export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export type Severity = 'error' | 'warning' | 'information' | 'hint';

/** One finding in one file; ranges are 0-based like LSP, the CLI prints them 1-based. */
export interface Finding {
  range: Range;
  severity: Severity;
  /** Stable, documented code such as `yaml-syntax`. */
  code: string;
  message: string;
}

export interface FileFindings {
  /** Absolute path. */
  file: string;
  findings: Finding[];
}

export interface NativeModuleStatus {
  name: string;
  ok: boolean;
  version?: string;
  error?: string;
}

export type SqliteDriverName = 'better-sqlite3' | 'node:sqlite';

/** Which SQLite driver the server uses, and every driver it tried. */
export interface SqliteDriverStatus {
  /** The driver in use; absent when none loads. */
  driver?: SqliteDriverName;
  /** SQLite's own version, as that driver has it. */
  sqliteVersion?: string;
  /** Whether MLOPS_SQLITE_DRIVER insisted on one. */
  forced: boolean;
  tried: { driver: SqliteDriverName; ok: boolean; version?: string; error?: string }[];
}

/** Where the editor found the runtime that runs the server. */
export type RuntimeOrigin = 'setting' | 'PATH' | 'editor' | 'command line';

export type ServerState = 'starting' | 'running' | 'degraded';

export interface ServerStatus {
  state: ServerState;
  /** The Node runtime the server runs on, e.g. "v20.20.2". */
  nodeVersion: string;
  /** Path of that runtime's executable. */
  nodePath: string;
  /** Where this runtime was found (the editor says; a CLI run is "command line"). */
  runtimeOrigin: RuntimeOrigin;
  natives: NativeModuleStatus[];
  /** The SQLite driver in use (one of `natives`), with the reasons of any that did not load. */
  sqlite: SqliteDriverStatus;
  /** One line for people: the runtime, where it was found, and the SQLite driver. */
  runtimeSummary: string;
  /** When degraded: what is wrong, and what the user should do about it. */
  problem?: string;
  remedy?: string;
}

export type TrackingSourceKind = 'mlflow-file-store' | 'mlflow-sqlite' | 'optuna-sqlite' | 'tensorboard' | 'wandb' | 'jsonl-runs' | 'mlflow-server';

export interface TrackingSource {
  kind: TrackingSourceKind;
  /** Absolute path of the folder or file; for an MLflow tracking server, its http(s) URL. */
  path: string;
}

export interface ManifestSummary {
  file: string;
  errors: number;
  warnings: number;
}

export interface WorkspaceSummary {
  folders: string[];
  manifests: ManifestSummary[];
  trackingSources: TrackingSource[];
  /** Folders or files the scan could not read, with the reason. */
  unreadable: { path: string; reason: string }[];
  server: ServerStatus;
}

/** A node of one of the sidebar trees, fully described by the server. */
export interface TreeNode {
  id: string;
  label: string;
  description?: string;
  tooltip?: string;
  /** A codicon name, e.g. "beaker". */
  icon?: string;
  hasChildren: boolean;
  /** Drives the view's context menus, e.g. "run", "experiment", "modelVersion". */
  contextValue?: string;
  /** Runs when the item is clicked. */
  command?: { command: string; title: string; arguments?: unknown[] };
  /** A folder or file the item stands for (reveal in the explorer, copy path). */
  resourcePath?: string;
  /** The run an item stands for or links to (copy id, compare, reveal). */
  runId?: string;
  /** Start expanded. */
  expanded?: boolean;
  /** The manifest-declared model (and version) an item stands for (drift report, monitoring, scoring). */
  model?: { manifest: string; name: string; version?: string };
}

/** A run as views and panels receive it; non-finite metric values travel as "NaN", "Infinity", "-Infinity". */
export interface RunInfo {
  runId: string;
  experimentId: string;
  experiment: string;
  name: string;
  status: 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
  startTime: number | null;
  endTime: number | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, number | string>;
  source: string;
}

export interface RunQueryState {
  filter: string;
  orderBy: string;
}

export type RunQueryResult = { ok: true; matched: number; total: number } | { ok: false; message: string; column?: number };

export interface IndexProgressEvent {
  state: 'begin' | 'report' | 'end';
  message: string;
  done?: number;
  total?: number;
}

/** The local model server, as the status bar and the Serving view show it. */
export interface ServingStatus {
  state: 'stopped' | 'starting' | 'running' | 'restarting' | 'failed';
  url?: string;
  /** host:port of the gRPC service (serving.grpc in mlops.yaml), when it is on. */
  grpc?: string;
  /** Where it answers, for people: "127.0.0.1:8080", or "REST :8080 · gRPC :8081". */
  protocols?: string;
  endpoints?: number;
  /** The server process, while it runs. */
  pid?: number;
  /** What is happening, or why it stopped. */
  message?: string;
}

/** Settings the client forwards to the server (package.json documents them). */
export interface ServerSettings {
  keyMetric: string;
  showDeleted: boolean;
  /** How often MLflow tracking servers listed under `tracking:` are read again, in seconds. */
  trackingPollSeconds?: number;
}

export type TreeViewId = 'experiments' | 'models' | 'serving';

/** One variant of an A/B experiment, as the analysis reports it. */
export interface VariantReport {
  version: string;
  /** Answered requests routed to the version (mirrored ones excluded). */
  n: number;
  /** Requests that count for the metric: those with feedback (all requests for live metrics). */
  withFeedback: number;
  /** accuracy, precision, recall, f1 (classification) or mae, mse, rmse (regression); NaN when undefined. */
  metrics: Record<string, number>;
  latency: { p50: number | null; p95: number | null; p99: number | null };
  errorRate: number | null;
}

export interface ExperimentVerdict {
  kind: 'treatment-better' | 'treatment-worse' | 'inconclusive' | 'need-more-samples';
  /** For need-more-samples: further samples with feedback (both arms) estimated to be needed. */
  moreSamples?: number;
  /** With moreSamples: samples with feedback per second so far (first to last), and the time that many would take at it. */
  samplesPerSecond?: number;
  etaSeconds?: number;
  /**
   * False when the comparison cannot be believed whatever it shows (a sample-ratio mismatch): the
   * verdict is then "untrusted" in words and colour, and `kind` says only what the numbers would mean.
   */
  trusted: boolean;
  /** Why it is untrusted. */
  untrustedReason?: string;
  message: string;
}

/** `mlops ab` and "MLOps: Analyze Experiment": the analysis of one experiments: entry. */
export interface ExperimentReport {
  experiment: string;
  endpoint: string;
  model: string;
  metric: string;
  higherIsBetter: boolean;
  test: 'two-proportion' | 'welch';
  sequential: boolean;
  alpha: number;
  control: VariantReport;
  treatment: VariantReport;
  /** Treatment − control on the per-request quantity, with its (1 − α) interval and p-value. */
  difference?: { estimate: number; lower: number; upper: number; pvalue: number; method: string };
  /** Requests per arm against the configured split (flagged at p < 0.001). */
  srm?: { expected: [number, number]; observed: [number, number]; statistic: number; pvalue: number; flagged: boolean };
  verdict: ExperimentVerdict;
  notes: string[];
  /** The metric per variant over time, from the same observations. */
  timeline?: ExperimentTimeline;
}

/** One time bucket of one variant: the metric over the bucket's requests and over every request up to its end. */
export interface TimelinePoint {
  arm: 'control' | 'treatment';
  version: string;
  /** Bucket start, ms since the epoch. */
  start: number;
  n: number;
  withFeedback: number;
  /** null when the bucket has nothing to measure it by. */
  value: number | null;
  cumulative: number | null;
}

export interface ExperimentTimeline {
  metric: string;
  /** Width of a bucket, ms. */
  bucketMs: number;
  points: TimelinePoint[];
}

/** What the A/B dashboard shows: the analysis of one experiment of one manifest. */
export interface AbDashboardData {
  manifest: string;
  experiment: string;
  /** Every experiment of the manifest, for the picker. */
  experiments: string[];
  report: ExperimentReport;
  /** When the server computed it, ms since the epoch. */
  computedAt: number;
}

/** The A/B dashboard's panel state, kept across restarts by its serializer. */
export interface AbDashboardState {
  manifest: string;
  experiment: string;
}

/** A text edit of mlops.yaml (LSP TextEdit). */
export interface ManifestEdit {
  range: Range;
  newText: string;
}

/** What promotion or rollback changes: aliases of the model and the traffic of the endpoints serving it. */
export interface DeploymentState {
  aliases: Record<string, string>;
  /** Endpoint → version id → percent (only endpoints of the model with a traffic split). */
  traffic: Record<string, Record<string, number>>;
}

/** One gate held against a version: a run metric or a live serving metric. */
export interface GateEvidence {
  metric: string;
  min?: number;
  max?: number;
  value?: number;
  source: 'run' | 'live' | 'none';
  /** null: no value to judge it by. */
  pass: boolean | null;
  detail: string;
}

export interface PromotionPlan {
  action: 'promote' | 'rollback';
  manifest: string;
  model: string;
  version?: string;
  edits: ManifestEdit[];
  from: DeploymentState;
  to: DeploymentState;
  /** `reason`: why it was made without a person asking (`auto-rollback`: a canary guard tripped). */
  evidence: { gates: GateEvidence[]; summary: string; rollsBack?: number; reason?: string; mlflow?: MlflowAliasChange[] };
  /** Reasons it should not go ahead (failed gates, nothing to roll back, …); applying it anyway is the user's call. */
  blocked: string[];
}

export interface AuditEvent {
  id: number;
  time: number;
  user: string;
  model: string;
  action: 'promote' | 'rollback';
  from: DeploymentState;
  to: DeploymentState;
  evidence: PromotionPlan['evidence'];
  manifest: string;
}

/** An alias set (or removed, version null) in an MLflow model registry alongside mlops.yaml. */
export interface MlflowAliasChange {
  /** The MLflow database file or file store root. */
  registry: string;
  kind: 'mlflow-sqlite' | 'mlflow-file-store';
  model: string;
  alias: string;
  version: string | null;
  previous: string | null;
  /** The copy taken before writing: mlflow.db.bak-<time>, or models/<name>/aliases.bak-<time>/. */
  backup: string;
}

/** What the editor is told when a canary guard rolled a canary back. */
export interface AutoRollbackEvent {
  manifest: string;
  model: string;
  endpoint: string;
  canary: string;
  control: string;
  /** The audit event recorded. */
  eventId: number;
  summary: string;
}

/** Models, versions, aliases and experiments of a workspace's manifests, for pickers. */
export interface PromotionChoices {
  manifests: {
    manifest: string;
    /** `mlflowRegistry`: the MLflow database or file store with a registered model of that name, whose aliases promotion can set too. */
    models: { name: string; versions: string[]; aliases: Record<string, string>; mlflowRegistry?: string }[];
    experiments: string[];
  }[];
}

// ---------------------------------------------------------------------------------------------
// Client ⇄ server

export const Requests = {
  /** Everything the dashboard and the status bar tooltip show about the workspace. */
  workspaceSummary: request<Record<string, never>, WorkspaceSummary>('mlops/workspaceSummary'),
  /** Children of a tree node; `parentId` null asks for the roots. */
  treeChildren: request<{ view: TreeViewId; parentId: string | null }, TreeNode[]>('mlops/treeChildren'),
  /** The parent of a node, so the client can reveal any node. */
  treeParent: request<{ view: TreeViewId; id: string }, TreeNode | null>('mlops/treeParent'),
  serverStatus: request<Record<string, never>, ServerStatus>('mlops/serverStatus'),
  /** Set the Experiments view's filter (MLflow search syntax) and order; a bad one is refused with its column. */
  setRunQuery: request<RunQueryState, RunQueryResult>('mlops/setRunQuery'),
  runQuery: request<Record<string, never>, RunQueryState>('mlops/runQuery'),
  /** Node ids from the root down to a run, so the client can reveal it. */
  pathToRun: request<{ runId: string }, string[]>('mlops/pathToRun'),
  /** Metric and param names of the indexed runs, for the sort picker and completion. */
  runKeys: request<Record<string, never>, { metrics: string[]; params: string[] }>('mlops/runKeys'),
  /** Start the model server for a workspace folder (the first one when absent); resolves once it answers or fails. */
  startServing: request<{ folder?: string }, ServingStatus>('mlops/startServing'),
  stopServing: request<Record<string, never>, ServingStatus>('mlops/stopServing'),
  servingStatus: request<Record<string, never>, ServingStatus>('mlops/servingStatus'),
  /** Runs by id, for comparison and details. */
  runs: request<{ runIds: string[] }, RunInfo[]>('mlops/runs'),
  /** Manifests with their models and experiments, for the promotion and analysis pickers. */
  promotionChoices: request<Record<string, never>, PromotionChoices>('mlops/promotionChoices'),
  /** Gates and edits for promoting a version (`alias` default production; `canary`: the next traffic step). `text`: the open document's text. */
  planPromotion: request<{ manifest: string; text?: string; model: string; version: string; alias?: string; canary?: boolean }, PromotionPlan>('mlops/planPromotion'),
  /** The edits that restore the state before the model's last promotion. */
  planRollback: request<{ manifest: string; text?: string; model: string }, PromotionPlan>('mlops/planRollback'),
  /** Set the aliases a plan moves on the MLflow registered model too (after a backup); before the edits are applied. */
  setMlflowAliases: request<{ plan: PromotionPlan }, MlflowAliasChange[]>('mlops/setMlflowAliases'),
  /** Record an applied plan in the audit log. */
  recordPromotion: request<{ plan: PromotionPlan }, AuditEvent>('mlops/recordPromotion'),
  analyzeExperiment: request<{ manifest: string; experiment: string }, ExperimentReport>('mlops/analyzeExperiment'),
  /** The A/B dashboard's data: the analysis with the metric over time (`buckets`: about how many time buckets). */
  abDashboard: request<{ manifest: string; experiment: string; buckets?: number }, AbDashboardData>('mlops/abDashboard'),
  /** Downsampled metric histories of runs, for the charts panel. */
  metricHistory: request<MetricHistoryParams, MetricHistoryData>('mlops/metricHistory'),
  /** Params and metrics of runs side by side, the best run, and the parallel-coordinates and scatter specs. */
  comparison: request<ComparisonParams, ComparisonData>('mlops/comparison'),
  /** Every active indexed run, newest first, for run pickers. */
  runChoices: request<Record<string, never>, { runId: string; name: string; experiment: string; status: RunInfo['status'] }[]>('mlops/runChoices'),
  /** The drift report of a model declared under `monitoring:` (reference vs the prediction log's window). */
  driftReport: request<{ manifest?: string; model: string; window?: string }, DriftPanelData>('mlops/driftReport'),
  /** The data sets of a manifest (the first with `data:` when none is given) checked against their files. */
  validateData: request<{ manifest?: string }, DataPanelData>('mlops/validateData'),
  /** Drift and performance state of a monitored model, and whether to offer its retrain command. */
  modelHealth: request<{ manifest?: string; model: string }, ModelHealth>('mlops/modelHealth'),
  /** Models declared under `monitoring:` in the workspace's manifests. */
  monitoredModels: request<Record<string, never>, MonitoredModel[]>('mlops/monitoredModels'),
  /** Record that a retrain command started (starts the cooldown); `id` is its audit event, for retrainFinished. */
  retrainStarted: request<{ manifest: string; model: string; cause: RetrainCause; scheduledFor?: number | null }, { id: number }>('mlops/retrainStarted'),
  /**
   * What exporting a manifest's pipeline would write (the GitHub Actions workflow, KServe or Seldon
   * files): each file's new text beside its current one, for the editor to show as a WorkspaceEdit.
   * Writes nothing; reads the saved manifest.
   */
  exportPipeline: request<{ manifest: string; targets: PipelineTarget[] }, PipelineExportPlan>('mlops/exportPipeline'),
  /** The retrain command of event `id` ended. */
  retrainFinished: request<{ manifest: string; id: number; exitCode: number | null; durationMs: number }, { ok: true }>('mlops/retrainFinished'),
  /** The user declined the scheduled retrain due at `scheduledFor`: it is not offered again. */
  retrainSkipped: request<{ manifest: string; model: string; scheduledFor: number }, { ok: true }>('mlops/retrainSkipped'),
  /** Versions (and aliases) a file can be scored with, per manifest; `file` picks the manifest nearest to it first. */
  scoreChoices: request<{ file?: string }, ScoreChoice[]>('mlops/scoreChoices'),
  /**
   * Score a table file with a model version (`model@version|alias`) into `output` (default: beside the
   * input, `name.predictions.ext`), as CSV, JSON Lines or Parquet. Progress comes
   * as `scoreProgress` notifications with the same `job`; cancelling the request stops the job, and
   * nothing is left at `output`.
   */
  scoreFile: request<{ job: string; manifest: string; model: string; input: string; output?: string; onError?: 'fail' | 'skip' }, ScoreSummary>('mlops/scoreFile'),
} as const;

export const ClientNotifications = {
  settings: notification<ServerSettings>('mlops/settings'),
  /** The A/B dashboard of this manifest closed: stop watching its prediction log. */
  abDashboardClosed: notification<{ manifest: string }>('mlops/abDashboardClosed'),
} as const;

export const Notifications = {
  /** Sent whenever the server's state changes (startup, native module probe, failures). */
  serverStatus: notification<ServerStatus>('mlops/serverStatusChanged'),
  /** A tree's content changed; the client refreshes that view. */
  treeChanged: notification<{ view: TreeViewId }>('mlops/treeChanged'),
  /** The model server started, stopped, crashed or restarted. */
  servingStatus: notification<ServingStatus>('mlops/servingStatusChanged'),
  /** Long indexing work; the client shows it as a progress notification. */
  indexProgress: notification<IndexProgressEvent>('mlops/indexProgress'),
  /** A canary guard rolled a canary back (mlops.yaml rewritten, the audit log has the event). */
  autoRollback: notification<AutoRollbackEvent>('mlops/autoRollback'),
  /** New predictions or feedback in the log next to a manifest whose A/B dashboard is open. */
  predictionLogChanged: notification<{ manifest: string }>('mlops/predictionLogChanged'),
  /** Monitoring found what a model's `retrain.on` lists and its cooldown is over: offer the retrain. */
  retrainSuggested: notification<ModelHealth>('mlops/retrainSuggested'),
  /** How far a scoreFile job is. */
  scoreProgress: notification<{ job: string } & ScoreProgress>('mlops/scoreProgress'),
} as const;

// ---------------------------------------------------------------------------------------------
// Batch scoring (server/src/batch). Also what `mlops predict --json` prints.

export interface ScoreChoice {
  manifest: string;
  model: string;
  /** `model@version` or `model@alias`, as `mlops predict` takes it. */
  ref: string;
  version: string;
  label: string;
  description: string;
}

/** A row that was not scored: `row` counts data rows from 1 (the header is not a row). */
export interface ScoreRowError {
  row: number;
  line?: number;
  column?: string | number;
  message: string;
}

export interface ScoreProgress {
  rows: number;
  rejected: number;
  totalRows?: number;
  /** 0–1, by rows when the total is known, else by bytes read. */
  fraction: number;
  elapsedMs: number;
  rowsPerSecond: number;
  etaSeconds?: number;
}

export interface ScoreSummary {
  model: string;
  version: string;
  input: string;
  output: string;
  format: { input: 'csv' | 'jsonl' | 'parquet'; output: 'csv' | 'jsonl' | 'parquet' };
  /** How the file's columns fed the model's inputs. */
  mapping: string;
  /** Data rows read, scored, and rejected (not scored: a bad cell or an unreadable row). */
  rows: number;
  scored: number;
  rejected: number;
  /** The first ten rejected rows, located. */
  errors: ScoreRowError[];
  /** Columns appended to the output. */
  outputs: string[];
  /** Outputs onnxruntime-node cannot return (skl2onnx's ZipMap), not written. */
  skippedOutputs: string[];
  seconds: number;
  /** False when rejected rows stopped the job (`onError: 'fail'`): the output was not written. */
  written: boolean;
}

// ---------------------------------------------------------------------------------------------
// Data validation (server/src/validation): the expectations of `data:` in mlops.yaml, checked against
// their files. The same JSON is what `mlops validate --format json` prints.

/** One expectation as checked: which column, whether it held, and the rows and values that broke it. */
export interface ExpectationResult {
  dataset: string;
  /** Absent for table expectations (row count, extra columns, unreadable rows). */
  column?: string;
  /** `type`, `min`, `max`, `values`, `unique`, `pattern`, `max_null_share`, `required`, `rows`, `extra_columns`, `readable`. */
  expectation: string;
  /** As written: "type: integer", "max_null_share: 0". */
  label: string;
  severity: 'error' | 'warning';
  passed: boolean;
  /** Rows (or columns, for extra_columns) that broke it, of `checked`. */
  failing: number;
  checked: number;
  /** failing / checked (0 when nothing was checked). */
  share: number;
  /** The first failing data rows, numbered from 1 after the header (at most 10), all in `file`. */
  rows: number[];
  /** The data file those rows are in (of a glob's files, the first where the expectation failed). */
  file?: string;
  /** A few distinct failing values, as written in the file (at most 5). */
  sample: string[];
  message: string;
  /** Where the expectation is written in the manifest (0-based, as LSP). */
  range: Range;
  /** For min and max of a number column: the bound (the report's histograms draw it). */
  bound?: number;
}

/** What a column's values looked like: shown in hover and in the report's histograms. */
export interface ColumnProfile {
  column: string;
  /** Non-null cells, null cells. */
  count: number;
  nulls: number;
  /** Distinct non-null values, counted up to DISTINCT_LIMIT (then `distinctCapped`). */
  distinct: number;
  distinctCapped: boolean;
  /** How many of the first values the distinct ones (and `top`) were counted among: all of them, or the first 65,536. */
  distinctAmong: number;
  /** Cells that read as numbers, and their range and mean. */
  numeric: number;
  min?: number;
  max?: number;
  mean?: number;
  /** The most frequent values (at most 10), for categories. */
  top: { value: string; count: number }[];
  /** Equal-width bins over [min, max] of the numeric values (a sample of them past 100,000 values). */
  histogram?: { edges: number[]; counts: number[] };
}

export interface DatasetValidation {
  dataset: string;
  /** The files read (a glob may name several), as absolute paths. */
  files: string[];
  rows: number;
  columns: string[];
  passed: boolean;
  errors: number;
  warnings: number;
  results: ExpectationResult[];
  profiles: ColumnProfile[];
  seconds: number;
}

export interface DataValidationReport {
  /** Absolute path of the manifest whose `data:` was checked. */
  manifest: string;
  datasets: DatasetValidation[];
  passed: boolean;
  errors: number;
  warnings: number;
}

/** What the Validate Data panel shows: the report of a manifest's data sets, or why there is none. */
export interface DataPanelData {
  manifest: string | null;
  report: DataValidationReport | null;
  /** Why there is no report (no manifest with data sets, an unreadable manifest). */
  message?: string;
}

/** What the Validate Data panel keeps across restarts: which manifest it shows. */
export interface DataPanelState {
  manifest: string | null;
}

export function parseDataPanelState(raw: unknown): DataPanelState | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const manifest = (raw as { manifest?: unknown }).manifest;
  return manifest === null || typeof manifest === 'string' ? { manifest } : undefined;
}

// ---------------------------------------------------------------------------------------------
// Drift and model health (server/src/drift, server/src/monitoring). Report keys are snake_case: the
// same JSON is what `mlops drift --json` prints.

export type DriftFeatureType = 'numeric' | 'categorical' | 'binary';
export type DriftTest = 'ks' | 'chi-square' | 'z-test' | 'wasserstein' | 'jensen-shannon' | 'psi';

/** Reference and current distributions of one feature on shared bins (numeric) or categories. */
export interface DriftDistribution {
  kind: 'bins' | 'categories';
  /** Bin labels ("[a, b)") or category names, in order. */
  labels: string[];
  /** Shares of each sample's non-missing values, same order as labels. */
  reference: number[];
  current: number[];
}

export interface FeatureDrift {
  name: string;
  type: DriftFeatureType;
  test: DriftTest | null;
  /** The statistic of a p-value test (KS D, chi-square, z); null for distance tests, whose number is `distance`. */
  statistic: number | null;
  /** For p-value tests (ks, chi-square, z-test), before correction. */
  pvalue: number | null;
  /** For distance tests (wasserstein normed, jensen-shannon, psi). */
  distance: number | null;
  drifted: boolean;
  /** p-value after the correction for many features. */
  adjusted_pvalue: number | null;
  /** alpha for p-value tests, the distance threshold otherwise. */
  threshold: number;
  /** What the distance and its threshold are measured in, where it is not plain: "× the reference's std" for the normed Wasserstein distance. */
  unit?: string;
  missing: { reference: number; current: number };
  /** Values of the current data never seen in the reference (categorical and binary features). */
  new_categories: string[];
  /** Share of the current (non-missing) values that are in new categories; drift from 1% (NEW_CATEGORY_SHARE) on. */
  new_category_share: number;
  /** Why the feature counts as drifted (empty when it does not). */
  reasons: string[];
  /** What is worth knowing but is not drift (a few new categories below their share). */
  notes: string[];
  distribution: DriftDistribution | null;
  /** A feature that could not be tested (e.g. a method that does not fit its type). */
  error?: string;
}

export interface DriftReport {
  dataset_drift: boolean;
  /** Share of drifted features. */
  share: number;
  drift_share: number;
  drifted_features: number;
  correction: 'none' | 'bonferroni' | 'fdr';
  alpha: number;
  reference: { source: string; rows: number };
  current: { source: string; rows: number };
  features: FeatureDrift[];
  /** Columns left out as identifiers (ids, names: nearly every value distinct); not counted in `share`. */
  skipped: { name: string; reason: string }[];
}

export type HealthState = 'ok' | 'drift' | 'degraded' | 'unknown';

/** A model under `monitoring:` with its last judged health; `retrain` when a retrain is due now. */
export interface MonitoredModel {
  manifest: string;
  model: string;
  state: HealthState;
  retrain?: { reasons: RetrainReason[]; message: string };
  /** The next scheduled retrain (ms since the epoch) and the schedule's zone, when it has one. */
  nextRetrain?: { at: number; timezone: string; schedule: string } | null;
}

export type AlertSeverity = 'info' | 'warning' | 'critical';

export interface MonitorAlert {
  severity: AlertSeverity;
  /** accuracy, f1, p95_latency_ms, drift, … */
  metric: string;
  message: string;
}

/** Quality of one time window of the prediction and feedback log. */
export interface PerformanceWindow {
  /** ms since the epoch; [start, end). */
  start: number;
  end: number;
  requests: number;
  with_feedback: number;
  /** accuracy, precision, recall, f1, roc_auc (classification) or mae, rmse, r2 (regression); NaN-free: absent when undefined. */
  metrics: Record<string, number>;
  latency_ms: { p50: number | null; p95: number | null; p99: number | null };
  /** Requests per second over the whole window, [start, end) (low when the traffic came in a burst). */
  throughput: number;
  /** From the window's first request to its last, ms: the span its requests actually came in. */
  span_ms: number;
  error_rate: number | null;
}

export interface PerformanceReport {
  model: string;
  task: 'classification' | 'regression';
  endpoints: string[];
  overall: PerformanceWindow;
  /** Consecutive windows of `window_ms`, oldest first. */
  windows: PerformanceWindow[];
  window_ms: number;
  baseline: { run: string; metrics: Record<string, number>; tolerance: number } | null;
  /** Metrics below the baseline by more than the tolerance (in the latest window with enough feedback). */
  degraded: { metric: string; baseline: number; live: number; drop: number }[];
  alerts: MonitorAlert[];
}

/** What "MLOps: Export Pipeline…" can write. */
export type PipelineTarget = 'github-actions' | 'kserve' | 'seldon';

export interface ExportFilePlan {
  /** Absolute path. */
  path: string;
  text: string;
  /** The file's current text, when it exists. */
  existing?: string;
  /** Why writing `text` loses something of the existing file (a hand edit inside a generated block); ask first. */
  conflict?: string;
  unchanged: boolean;
}

export interface PipelineExportPlan {
  manifest: string;
  files: ExportFilePlan[];
  warnings: string[];
  /** Errors that stop an export (a deploy size that cannot hold, no serving configuration); files is empty for that target. */
  problems: string[];
  /** Which local model file goes to which storage location (KServe and Seldon). */
  uploads: { file: string; uri: string }[];
}

/** Why a retrain is called for: what monitoring found (listed under `retrain.on`), or the schedule. */
export type RetrainReason = 'drift' | 'degradation' | 'schedule';
/** What started a retrain run: monitoring's reasons, its schedule, or a user asking for it. */
export type RetrainCause = 'monitoring' | 'schedule' | 'manual';

/** One retrain in the audit log. */
export interface RetrainEvent {
  id: number;
  /** When it started, ms since the epoch. */
  time: number;
  model: string;
  reasons: string[];
  command: string;
  cause: RetrainCause;
  scheduled_for: number | null;
  /** null while running, or when it never reported back (the editor closed). */
  exit_code: number | null;
  duration_ms: number | null;
  /** A scheduled time the user declined: no command ran. */
  skipped: boolean;
}

export interface RetrainDecision {
  /** The manifest asks for a retrain on what fired or by its schedule, and the cooldown is over. */
  trigger: boolean;
  /** What fired (among those the manifest lists under retrain.on), and `schedule` when a scheduled time is due. */
  reasons: RetrainReason[];
  /** `retrain.schedule`: its due time (if one is due), the next one, and whether the due one was announced. */
  schedule: { text: string; timezone: string; due: number | null; next: number | null; offered: boolean; error?: string } | null;
  command: string | null;
  /** Run without asking the user for anything but the confirmation (retrain.auto). */
  auto: boolean;
  /** ms since the epoch until which no retrain is offered again; null when none ran. */
  cooldown_until: number | null;
  message: string;
}

export interface ModelHealth {
  model: string;
  manifest: string;
  state: HealthState;
  drift: { dataset_drift: boolean; share: number; drifted_features: number; features: number } | null;
  /** Why drift could not be computed (no reference, no logged inputs, …). */
  drift_error?: string;
  performance: PerformanceReport | null;
  retrain: RetrainDecision;
  /** Folder the retrain command runs in (the manifest's). */
  cwd: string;
}

export interface DriftPanelData {
  /** The manifest and model the report is for, or null for a report of two files. */
  manifest: string | null;
  model: string;
  window: string | null;
  report: DriftReport | null;
  /** Why there is no report (no reference, no logged inputs, …). */
  message?: string;
  /** Requests of the window whose values broke the input data set's expectations (serving `validate:`), and how many values. */
  violations?: { requests: number; values: number };
}

// ---------------------------------------------------------------------------------------------
// Extension host ⇄ webview. Every panel speaks `{ type, payload }`; the host waits for
// `initialized` before it posts anything, then answers with `setData`.

/** Commands a webview may ask the host to run; nothing else is accepted. */
export const WebviewCommands = ['mlops.refresh', 'mlops.restartServer', 'mlops.showOutput'] as const;
export type WebviewCommand = (typeof WebviewCommands)[number];

export interface DashboardData {
  summary: WorkspaceSummary;
}

export interface CompareData {
  options: ComparisonOptions;
  comparison: ComparisonData;
}

// ---------------------------------------------------------------------------------------------
// Run comparison

export type BestDirection = 'max' | 'min';

/** Which run is best: the greatest or the least finite value of a metric. */
export interface BestRunChoice {
  metric: string;
  direction: BestDirection;
}

export interface ComparisonParams {
  runIds: string[];
  /** Absent: the first gate of the workspace's manifests on a metric the runs have, else the first metric, in the direction its name says. */
  best?: BestRunChoice;
  /** The metric at the end of the parallel coordinates; absent: the best run's metric. */
  parallelMetric?: string;
  /** Column ids of the scatter's axes; absent: a param that differs (x) against the best run's metric (y). */
  scatterX?: string;
  scatterY?: string;
}

/** A cell: a finite number, text (a param, or "NaN", "Infinity", "-Infinity" for a metric), or null when the run has none. */
export type ComparisonValue = number | string | null;

export interface ComparisonColumn {
  /** "param:<name>", "metric:<name>" or "attribute:<name>". */
  id: string;
  kind: 'param' | 'metric' | 'attribute';
  name: string;
  /** Every value the runs have is a number (params are parsed): sorted and plotted as numbers. */
  numeric: boolean;
  /** One per run, in the order of `runs`. */
  values: ComparisonValue[];
  /** Per run: its value differs from the one most runs share (more than half); all false when every run has the same. */
  differs: boolean[];
  /** Metrics only: which way is better when this metric is picked (a manifest gate's, else its name's). */
  better?: BestDirection;
  /** Params only: 'log' when the search sampled it on a log scale (Optuna's `log: true`): charts use a log axis. */
  scale?: 'log';
}

export interface ComparisonData {
  /** Runs found in the index, in the order asked, with a label unique among them. */
  runs: { runId: string; label: string; experiment: string; status: RunInfo['status'] }[];
  columns: ComparisonColumn[];
  /** Columns shown until the user picks: the metrics, then the params that differ. */
  defaultColumns: string[];
  /**
   * The best run by `best`; `runIndex` -1 when there is none, and then `none` says why: no run has a
   * finite value of the metric, or `tied` runs share the best value. `source` 'name' when the
   * direction comes from the metric's name (errors and losses lower, the rest higher).
   */
  best: (BestRunChoice & { runIndex: number; source: 'chosen' | 'manifest' | 'study' | 'name'; none?: 'no-finite-value' | 'tie'; tied?: number; value?: number }) | null;
  /** Vega-Lite specs built by the server; the webview adds only the theme. */
  parallel: { metric: string; dimensions: string[]; spec: Record<string, unknown> } | null;
  /** `distinct` is how many different points the `shown` runs make (runs with equal values coincide). */
  scatter: { x: string; y: string; shown: number; distinct: number; spec: Record<string, unknown> } | null;
}

/** What the comparison panel shows; kept by the webview (setState) and by the serializer across restarts. */
export interface ComparisonOptions {
  runIds: string[];
  /** Column ids shown, in order; null: the server's default columns. */
  columns: string[] | null;
  sort: { column: string; descending: boolean } | null;
  best: BestRunChoice | null;
  parallelMetric: string | null;
  scatterX: string | null;
  scatterY: string | null;
}

export type CompareToHost = WebviewToHost | { type: 'comparisonOptions'; payload: ComparisonOptions };

/** Comparison options from untrusted input (a message or a restored state); undefined when malformed. */
export function parseComparisonOptions(raw: unknown): ComparisonOptions | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Record<string, unknown>;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
  const text = (v: unknown): v is string | null => v === null || typeof v === 'string';
  if (!strings(o.runIds) || !(o.columns === null || strings(o.columns))) return undefined;
  if (!text(o.parallelMetric) || !text(o.scatterX) || !text(o.scatterY)) return undefined;
  let sort: ComparisonOptions['sort'] = null;
  if (o.sort !== null) {
    const s = o.sort as Record<string, unknown> | undefined;
    if (typeof s !== 'object' || s === null || typeof s.column !== 'string' || typeof s.descending !== 'boolean') return undefined;
    sort = { column: s.column, descending: s.descending };
  }
  let best: BestRunChoice | null = null;
  if (o.best !== null) {
    const b = o.best as Record<string, unknown> | undefined;
    if (typeof b !== 'object' || b === null || typeof b.metric !== 'string' || (b.direction !== 'max' && b.direction !== 'min')) return undefined;
    best = { metric: b.metric, direction: b.direction };
  }
  return { runIds: [...o.runIds], columns: o.columns === null ? null : [...(o.columns as string[])], sort, best, parallelMetric: o.parallelMetric, scatterX: o.scatterX, scatterY: o.scatterY };
}

/** Narrow a comparison webview message, rejecting anything outside the contract. */
export function parseCompareMessage(raw: unknown): CompareToHost | undefined {
  const common = parseWebviewMessage(raw);
  if (common) return common;
  const msg = raw as { type?: unknown; payload?: unknown } | null;
  if (typeof msg !== 'object' || msg === null || msg.type !== 'comparisonOptions') return undefined;
  const options = parseComparisonOptions(msg.payload);
  return options ? { type: 'comparisonOptions', payload: options } : undefined;
}

// ---------------------------------------------------------------------------------------------
// Metric charts

/** x of a metric chart: the step, the wall time (ms since the epoch) or the seconds since the run's first metric. */
export type ChartXAxis = 'step' | 'wall' | 'relative';
export const ChartXAxes: readonly ChartXAxis[] = ['step', 'wall', 'relative'];

export interface MetricHistoryParams {
  runIds: string[];
  /** Metric keys to plot; absent: the first few keys the runs have. */
  keys?: string[];
  x?: ChartXAxis;
  /** Points budget shared by every (run, key) series; each is downsampled (LTTB) to its share. */
  maxPoints?: number;
  /** EMA weight in [0, 1), applied to the full history before downsampling; 0 is off. */
  smoothing?: number;
}

/** One run's history of one metric, downsampled; finite values only. */
export interface MetricSeries {
  runId: string;
  key: string;
  /** Points logged, before downsampling. */
  count: number;
  x: number[];
  step: number[];
  /** ms since the epoch. */
  time: number[];
  value: number[];
  /** The EMA-smoothed history, downsampled on its own. */
  smoothed?: { x: number[]; value: number[] };
}

export interface MetricHistoryData {
  x: ChartXAxis;
  smoothing: number;
  /** Every metric key of the runs, for the key picker. */
  availableKeys: string[];
  /** The keys plotted. */
  keys: string[];
  /** Runs found in the index, with a label that is unique among them (the legend's). */
  runs: { runId: string; label: string; experiment: string; status: RunInfo['status'] }[];
  series: MetricSeries[];
}

/** What the charts panel shows; kept by the webview (setState) and by the serializer across restarts. */
export interface ChartOptions {
  runIds: string[];
  keys: string[];
  x: ChartXAxis;
  smoothing: number;
  logScale: boolean;
}

export interface ChartData {
  options: ChartOptions;
  history: MetricHistoryData;
}

/** Messages only the charts webview sends, besides the common ones. */
export type ChartsToHost =
  | WebviewToHost
  | { type: 'chartOptions'; payload: ChartOptions }
  | { type: 'export'; payload: { format: 'svg' | 'png'; data: string } };

/** Largest export accepted from the webview (a PNG data URL or SVG text). */
export const MAX_EXPORT_CHARS = 64 * 1024 * 1024;

/** Narrow a charts webview message, rejecting anything outside the contract. */
export function parseChartsMessage(raw: unknown): ChartsToHost | undefined {
  const common = parseWebviewMessage(raw);
  if (common) return common;
  if (typeof raw !== 'object' || raw === null) return undefined;
  const msg = raw as { type?: unknown; payload?: unknown };
  const p = (typeof msg.payload === 'object' && msg.payload !== null ? msg.payload : {}) as Record<string, unknown>;
  if (msg.type === 'chartOptions') {
    const options = parseChartOptions(p);
    return options ? { type: 'chartOptions', payload: options } : undefined;
  }
  if (msg.type === 'export') {
    if ((p.format !== 'svg' && p.format !== 'png') || typeof p.data !== 'string' || p.data.length > MAX_EXPORT_CHARS) return undefined;
    if (p.format === 'png' && !p.data.startsWith('data:image/png;base64,')) return undefined;
    if (p.format === 'svg' && !/^\s*<svg[\s>]/.test(p.data)) return undefined;
    return { type: 'export', payload: { format: p.format, data: p.data } };
  }
  return undefined;
}

/** Chart options from untrusted input (a message or a restored state); undefined when malformed. */
export function parseChartOptions(raw: unknown): ChartOptions | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Record<string, unknown>;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (!strings(o.runIds) || !strings(o.keys)) return undefined;
  if (!(ChartXAxes as readonly unknown[]).includes(o.x)) return undefined;
  if (typeof o.smoothing !== 'number' || !(o.smoothing >= 0 && o.smoothing < 1)) return undefined;
  if (typeof o.logScale !== 'boolean') return undefined;
  return { runIds: [...o.runIds], keys: [...o.keys], x: o.x as ChartXAxis, smoothing: o.smoothing, logScale: o.logScale };
}

/** Messages only the A/B dashboard sends, besides the common ones. */
export type AbDashboardToHost = WebviewToHost | { type: 'selectExperiment'; payload: { experiment: string } };

/** Narrow an A/B dashboard message, rejecting anything outside the contract. */
export function parseAbDashboardMessage(raw: unknown): AbDashboardToHost | undefined {
  const common = parseWebviewMessage(raw);
  if (common) return common;
  if (typeof raw !== 'object' || raw === null) return undefined;
  const msg = raw as { type?: unknown; payload?: { experiment?: unknown } };
  if (msg.type === 'selectExperiment' && typeof msg.payload?.experiment === 'string' && msg.payload.experiment.length <= 1000)
    return { type: 'selectExperiment', payload: { experiment: msg.payload.experiment } };
  return undefined;
}

/** A/B dashboard state from untrusted input (a restored panel's state); undefined when malformed. */
export function parseAbDashboardState(raw: unknown): AbDashboardState | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Record<string, unknown>;
  return typeof o.manifest === 'string' && typeof o.experiment === 'string' ? { manifest: o.manifest, experiment: o.experiment } : undefined;
}

/** What the drift panel shows; kept by the webview (setState) and by the serializer across restarts. */
export interface DriftPanelState {
  manifest: string | null;
  model: string;
  /** `1h`, `24h`, …; null: the monitoring entry's window (else the whole log). */
  window: string | null;
}

/** Windows the drift panel offers. */
export const DriftWindows = ['15m', '1h', '24h', '7d'] as const;

/** Messages only the drift webview sends, besides the common ones. */
export type DriftToHost = WebviewToHost | { type: 'driftWindow'; payload: { window: string | null } };

export function parseDriftMessage(raw: unknown): DriftToHost | undefined {
  const common = parseWebviewMessage(raw);
  if (common) return common;
  if (typeof raw !== 'object' || raw === null) return undefined;
  const msg = raw as { type?: unknown; payload?: { window?: unknown } };
  if (msg.type !== 'driftWindow') return undefined;
  const w = msg.payload?.window;
  if (w !== null && !(DriftWindows as readonly unknown[]).includes(w)) return undefined;
  return { type: 'driftWindow', payload: { window: w as string | null } };
}

/** Drift panel state from untrusted input (a restored state); undefined when malformed. */
export function parseDriftState(raw: unknown): DriftPanelState | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Record<string, unknown>;
  if (typeof o.model !== 'string' || o.model === '') return undefined;
  if (o.manifest !== null && typeof o.manifest !== 'string') return undefined;
  if (o.window !== null && !(DriftWindows as readonly unknown[]).includes(o.window)) return undefined;
  return { manifest: o.manifest as string | null, model: o.model, window: o.window as string | null };
}

export type WebviewToHost =
  | { type: 'initialized' }
  | { type: 'refresh' }
  | { type: 'runCommand'; payload: { command: WebviewCommand } }
  | { type: 'openFile'; payload: { file: string; line?: number } };

export type HostToWebview<Data> = { type: 'setData'; payload: Data } | { type: 'error'; payload: { message: string } };

/** Narrow an unknown message from a webview to the contract, rejecting anything else. */
export function parseWebviewMessage(raw: unknown): WebviewToHost | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const msg = raw as { type?: unknown; payload?: unknown };
  switch (msg.type) {
    case 'initialized':
    case 'refresh':
      return { type: msg.type };
    case 'runCommand': {
      const command = (msg.payload as { command?: unknown } | undefined)?.command;
      return (WebviewCommands as readonly unknown[]).includes(command)
        ? { type: 'runCommand', payload: { command: command as WebviewCommand } }
        : undefined;
    }
    case 'openFile': {
      const p = msg.payload as { file?: unknown; line?: unknown } | undefined;
      if (typeof p?.file !== 'string') return undefined;
      return { type: 'openFile', payload: { file: p.file, line: typeof p.line === 'number' ? p.line : undefined } };
    }
    default:
      return undefined;
  }
}
