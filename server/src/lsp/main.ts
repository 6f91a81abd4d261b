import { fileURLToPath } from 'node:url';
import {
  createConnection,
  DiagnosticSeverity,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type Diagnostic,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { checkManifestFile, checkManifestText, countBySeverity } from '../check/check';
import { Notifications, Requests, type Finding, type ServerStatus, type WorkspaceSummary } from '../contract';
import { isManifestPath } from '../manifest/parse';
import { probeNativeModules, statusFromProbe } from '../runtime/natives';
import { scanWorkspace } from '../workspace/scan';

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

connection.onInitialized(() => {
  status = statusFromProbe(probeNativeModules());
  if (status.state !== 'running') connection.console.error(`${status.problem}\n${status.remedy}`);
  void connection.sendNotification(Notifications.serverStatus.method, status);
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

connection.onRequest(Requests.serverStatus.method, (): ServerStatus => status);

connection.onRequest(Requests.workspaceSummary.method, (): WorkspaceSummary => {
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

// Tracking, registry and serving fill these views; until a source is indexed they are empty
// and the client shows each view's empty state with the next step.
connection.onRequest(Requests.treeChildren.method, () => []);

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
