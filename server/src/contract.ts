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

export type ServerState = 'starting' | 'running' | 'degraded';

export interface ServerStatus {
  state: ServerState;
  /** The Node runtime the server runs on, e.g. "v20.20.2". */
  nodeVersion: string;
  /** Path of that runtime's executable. */
  nodePath: string;
  natives: NativeModuleStatus[];
  /** When degraded: what is wrong, and what the user should do about it. */
  problem?: string;
  remedy?: string;
}

export type TrackingSourceKind = 'mlflow-file-store' | 'mlflow-sqlite' | 'jsonl-runs' | 'mlflow-server';

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
  evidence: { gates: GateEvidence[]; summary: string; rollsBack?: number };
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

/** Models, versions, aliases and experiments of a workspace's manifests, for pickers. */
export interface PromotionChoices {
  manifests: { manifest: string; models: { name: string; versions: string[]; aliases: Record<string, string> }[]; experiments: string[] }[];
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
  /** Record an applied plan in the audit log. */
  recordPromotion: request<{ plan: PromotionPlan }, AuditEvent>('mlops/recordPromotion'),
  analyzeExperiment: request<{ manifest: string; experiment: string }, ExperimentReport>('mlops/analyzeExperiment'),
  /** Downsampled metric histories of runs, for the charts panel. */
  metricHistory: request<MetricHistoryParams, MetricHistoryData>('mlops/metricHistory'),
  /** Every active indexed run, newest first, for run pickers. */
  runChoices: request<Record<string, never>, { runId: string; name: string; experiment: string; status: RunInfo['status'] }[]>('mlops/runChoices'),
} as const;

export const ClientNotifications = {
  settings: notification<ServerSettings>('mlops/settings'),
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
} as const;

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
  runs: RunInfo[];
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
