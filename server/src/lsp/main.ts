import { fileURLToPath } from 'node:url';
import {
  createConnection,
  DiagnosticSeverity,
  FileChangeType,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type Diagnostic,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { checkManifestFile, checkManifestText, countBySeverity } from '../check/check';
import { ClientNotifications, Notifications, Requests, type Finding, type RequestSpec, type RunQueryResult, type RunQueryState, type ServerSettings, type ServerStatus, type TreeViewId, type WorkspaceSummary } from '../contract';
import { isManifestPath } from '../manifest/parse';
import { probeNativeModules, statusFromProbe } from '../runtime/natives';
import { scanWorkspace } from '../workspace/scan';
import { TrackingHost } from './tracking-host';

/** Register a handler typed by the contract's request spec. */
function onRequest<P, R>(spec: RequestSpec<P, R>, handler: (params: P) => R | Promise<R>): void {
  connection.onRequest(spec.method, (params: P): Promise<unknown> => Promise.resolve(handler(params)));
}

// createConnection picks the transport from argv: --node-ipc (the extension) or --stdio (tests, other editors).
const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);

let workspaceFolders: string[] = [];
let status: ServerStatus = { state: 'starting', nodeVersion: process.version, nodePath: process.execPath, natives: [] };

connection.onInitialize((params): InitializeResult => {
  workspaceFolders = (params.workspaceFolders ?? []).flatMap((f) => uriToPath(f.uri) ?? []);
  if (workspaceFolders.length === 0 && params.rootUri) workspaceFolders = [uriToPath(params.rootUri) ?? ''].filter(Boolean);
  return {
    capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental },
    serverInfo: { name: 'mlops-language-server', version: typeof MLOPS_VERSION === 'string' ? MLOPS_VERSION : 'dev' },
  };
});

declare const MLOPS_VERSION: string;

let tracking: TrackingHost | undefined;

connection.onInitialized(() => {
  status = statusFromProbe(probeNativeModules());
  if (status.state !== 'running') connection.console.error(`${status.problem}\n${status.remedy}`);
  void connection.sendNotification(Notifications.serverStatus.method, status);
  // Tracking needs SQLite; without it the server still checks manifests.
  if (status.natives.find((n) => n.name === 'better-sqlite3')?.ok) {
    tracking = new TrackingHost(connection, workspaceFolders);
    tracking.start().catch((error: unknown) => connection.console.error(`Indexing failed: ${error instanceof Error ? error.stack : String(error)}`));
  }
});

// The client watches for new tracking sources and manifests; any such change re-resolves the sources.
let refreshTimer: NodeJS.Timeout | undefined;
connection.onDidChangeWatchedFiles(({ changes }) => {
  // Edits inside known sources reach the index through its own watcher; here only new or removed
  // sources and manifest edits (a changed `tracking:` list) matter.
  if (!changes.some((c) => c.type !== FileChangeType.Changed || isManifestUri(c.uri))) return;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void tracking?.refreshAll().catch((e: unknown) => connection.console.error(String(e))), 200);
});

connection.onNotification(ClientNotifications.settings.method, (settings: ServerSettings) => tracking?.setSettings(settings));
connection.onShutdown(async () => {
  clearTimeout(refreshTimer);
  await tracking?.dispose();
});

documents.onDidChangeContent(({ document }) => validate(document));
documents.onDidClose(({ document }) => {
  if (isManifestUri(document.uri)) void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
});

function validate(document: TextDocument): void {
  if (!isManifestUri(document.uri)) return;
  const diagnostics = checkManifestText(document.getText()).map(toDiagnostic);
  void connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics });
}

const SEVERITY: Record<Finding['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

function toDiagnostic(f: Finding): Diagnostic {
  return { range: f.range, severity: SEVERITY[f.severity], code: f.code, source: 'mlops', message: f.message };
}

onRequest(Requests.serverStatus, (): ServerStatus => status);

onRequest(Requests.workspaceSummary, (): WorkspaceSummary => {
  const summary: WorkspaceSummary = { folders: workspaceFolders, manifests: [], trackingSources: [], unreadable: [], server: status };
  for (const folder of workspaceFolders) {
    const scan = scanWorkspace(folder);
    summary.trackingSources.push(...scan.trackingSources);
    summary.unreadable.push(...scan.unreadable);
    for (const file of scan.manifests) {
      // An open editor's text is newer than the file on disk.
      const open = documents.all().find((d) => uriToPath(d.uri) === file);
      const findings = open ? checkManifestText(open.getText()) : checkManifestFile(file).findings;
      summary.manifests.push({ file, ...countBySeverity([{ file, findings }]) });
    }
  }
  return summary;
});

// An empty answer makes the client show the view's empty state with the next step.
onRequest(Requests.treeChildren, ({ view, parentId }: { view: TreeViewId; parentId: string | null }) => tracking?.children(view, parentId) ?? []);
onRequest(Requests.treeParent, ({ view, id }: { view: TreeViewId; id: string }) => tracking?.parent(view, id) ?? null);
onRequest(Requests.pathToRun, ({ runId }: { runId: string }) => tracking?.pathToRun(runId) ?? []);
onRequest(Requests.runQuery, () => tracking?.getQuery() ?? { filter: '', orderBy: '' });
onRequest(Requests.setRunQuery, (query: RunQueryState) =>
  tracking ? tracking.setQuery(query) : ({ ok: false, message: 'Tracking is unavailable: the SQLite module did not load (see the server status).' } satisfies RunQueryResult),
);
onRequest(Requests.runKeys, () => tracking?.runKeys() ?? { metrics: [], params: [] });
onRequest(Requests.runs, ({ runIds }: { runIds: string[] }) => tracking?.runs(runIds) ?? []);

function isManifestUri(uri: string): boolean {
  const path = uriToPath(uri);
  return path !== undefined && isManifestPath(path);
}

function uriToPath(uri: string): string | undefined {
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined; // untitled:, vscode-vfs: and other non-file documents
  }
}

documents.listen(connection);
connection.listen();
