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

export type TrackingSourceKind = 'mlflow-file-store' | 'mlflow-sqlite' | 'jsonl-runs';

export interface TrackingSource {
  kind: TrackingSourceKind;
  /** Absolute path of the folder or file. */
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
}

export type TreeViewId = 'experiments' | 'models' | 'serving';

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
