import { readFileSync } from 'node:fs';
import { dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CodeActionKind,
  createConnection,
  DiagnosticSeverity,
  FileChangeType,
  LSPErrorCodes,
  ProposedFeatures,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  type Diagnostic,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { comparisonData } from '../charts/comparison';
import { checkManifestFile, checkManifestText, checkParsed, countBySeverity } from '../check/check';
import { ClientNotifications, Notifications, Requests, type Finding, type RequestSpec, type RunQueryResult, type RunQueryState, type ServerSettings, type ServerStatus, type ServingStatus, type TreeViewId, type WorkspaceSummary } from '../contract';
import { isManifestPath } from '../manifest/parse';
import type { ManifestFinding, ValidationContext } from '../manifest/validate';
import { FileFacts } from '../manifest/validate-files';
import { onnxLookup } from '../onnx/inspect';
import { codeActions } from './manifest/actions';
import { analyze, forget, type Analysis } from './manifest/analysis';
import { complete } from './manifest/completion';
import { definition } from './manifest/definition';
import type { ManifestFacts } from './manifest/facts';
import { hover } from './manifest/hover';
import { codeLenses, ServerCommands } from './manifest/lenses';
import { documentSymbols } from './manifest/symbols';
import { SEMANTIC_LEGEND, semanticTokens } from './manifest/semantic-tokens';
import { probeNativeModules, runtimeOrigin, statusFromProbe } from '../runtime/natives';
import { scanWorkspace } from '../workspace/scan';
import { CanaryGuardHost } from './canary-guard-host';
import { ServingHost } from './serving-host';
import { PredictionLogWatch } from './prediction-log-watch';
import { PromotionHost } from './promotion-host';
import { TrackingHost } from './tracking-host';
import { MonitoringHost } from './monitoring-host';
import { ScoringHost } from './scoring-host';
import { ScoreCancelled, ScoreError } from '../batch/score';
import { DataProfiles, inferEdit } from './manifest/data';
import { DataDiagnostics, dataPanelData } from './data-diagnostics';
import { planExports } from '../export/plan';
import { isInside } from '../workspace/links';

/** Register a handler typed by the contract's request spec. */
function onRequest<P, R>(spec: RequestSpec<P, R>, handler: (params: P) => R | Promise<R>): void {
  connection.onRequest(spec.method, (params: P): Promise<unknown> => Promise.resolve(handler(params)));
}

// createConnection picks the transport from argv: --node-ipc (the extension) or --stdio (tests, other editors).
const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);

let workspaceFolders: string[] = [];
let status: ServerStatus = { state: 'starting', nodeVersion: process.version, nodePath: process.execPath, runtimeOrigin: runtimeOrigin(), natives: [], sqlite: { forced: false, tried: [] }, runtimeSummary: `Node ${process.version}` };

/** Whether the editor takes workspace/applyEdit with versioned document changes (VS Code does). */
let clientCanApplyEdits = false;
connection.onInitialize((params): InitializeResult => {
  clientCanApplyEdits = params.capabilities.workspace?.applyEdit === true && params.capabilities.workspace.workspaceEdit?.documentChanges === true;
  workspaceFolders = (params.workspaceFolders ?? []).flatMap((f) => uriToPath(f.uri) ?? []);
  if (workspaceFolders.length === 0 && params.rootUri) workspaceFolders = [uriToPath(params.rootUri) ?? ''].filter(Boolean);
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
      completionProvider: { triggerCharacters: [':', ' ', '"', '/'] },
      hoverProvider: true,
      definitionProvider: true,
      documentSymbolProvider: { label: 'mlops.yaml' },
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.RefactorRewrite] },
      codeLensProvider: { resolveProvider: false },
      executeCommandProvider: { commands: [ServerCommands.inferExpectations] },
      semanticTokensProvider: { legend: SEMANTIC_LEGEND, full: true },
    },
    serverInfo: { name: 'mlops-language-server', version: typeof MLOPS_VERSION === 'string' ? MLOPS_VERSION : 'dev' },
  };
});

declare const MLOPS_VERSION: string;

let tracking: TrackingHost | undefined;
let monitoring: MonitoringHost | undefined;
/** The editor's document of a file path, when it is open. */
const openDocument = (path: string) => documents.all().find((d) => uriToPath(d.uri) === path);
const openText = (path: string) => openDocument(path)?.getText();
// The client starts this process with the tracking-server token (from the editor's secret storage)
// in MLFLOW_TRACKING_TOKEN, as MLflow's own client reads it; taken out of the environment here so the
// model servers this process starts never inherit it.
const trackingToken = process.env.MLFLOW_TRACKING_TOKEN || undefined;
delete process.env.MLFLOW_TRACKING_TOKEN;
const serving = new ServingHost(connection);
const canaryGuard = new CanaryGuardHost({
  notify: (event) => void connection.sendNotification(Notifications.autoRollback.method, event),
  log: (message) => connection.console.warn(message),
  openManifest: (path) => {
    const document = openDocument(path);
    return document && { uri: document.uri, version: document.version, text: document.getText() };
  },
  editOpen: async (document, edits) => {
    if (!clientCanApplyEdits) return false;
    const result = await connection.workspace.applyEdit({ label: 'MLOps: auto-rollback', edit: { documentChanges: [{ textDocument: { uri: document.uri, version: document.version }, edits }] } });
    return result.applied;
  },
});
let answeredBefore = 0;
let lastHealthCheck = 0;
serving.onStats = (folder, endpoints, stats) => {
  canaryGuard.observe(folder, endpoints, stats);
  // New answers are new rows in the prediction log: re-judge health, at most every 5 s.
  const answered = stats.reduce((n, s) => n + s.requests, 0);
  if (answered !== answeredBefore && Date.now() - lastHealthCheck > 5000) {
    answeredBefore = answered;
    lastHealthCheck = Date.now();
    monitoring?.scheduleCheck();
  }
};
// Served or not is part of a model's row in the Models view; logged requests change its health.
serving.onStatusChanged = () => {
  tracking?.modelsChanged();
  monitoring?.scheduleCheck();
};

connection.onInitialized(() => {
  status = statusFromProbe(probeNativeModules());
  if (status.state !== 'running') connection.console.error(`${status.problem}\n${status.remedy}`);
  void connection.sendNotification(Notifications.serverStatus.method, status);
  // Tracking needs SQLite; without it the server still checks manifests.
  if (status.sqlite.driver) {
    // A re-indexed run can change a model's health (its baseline run), as it can flip a gate.
    const indexChanged = () => {
      revalidateAll();
      monitoring?.scheduleCheck();
    };
    tracking = new TrackingHost(connection, workspaceFolders, indexChanged, openText);
    tracking.configureRemote({ token: trackingToken });
    tracking.start().catch((error: unknown) => connection.console.error(`Indexing failed: ${error instanceof Error ? error.stack : String(error)}`));
    const host = tracking;
    monitoring = new MonitoringHost({ connection, folders: () => workspaceFolders, openText, runs: () => host.runLookup(), onHealthChanged: () => host.modelsChanged(), served: () => serving.servedModels() });
    host.decorateModel = (node, manifest, model) => monitoring?.decorate(node, manifest, model);
    monitoring.start();
  }
});

// The client watches for new tracking sources and manifests; any such change re-resolves the sources.
let refreshTimer: NodeJS.Timeout | undefined;
let dataTimer: NodeJS.Timeout | undefined;
connection.onDidChangeWatchedFiles(({ changes }) => {
  fileFacts.clear();
  // A replaced model or reference file changes what the manifests' checks find.
  if (changes.some((c) => /\.(onnx|csv)$/i.test(c.uri))) revalidateAll();
  // A changed data file: the open manifests' data sets are checked again.
  if (changes.some((c) => /\.(csv|tsv|jsonl|ndjson|parquet)$/i.test(c.uri))) {
    clearTimeout(dataTimer);
    dataTimer = setTimeout(() => documents.all().filter((d) => isManifestUri(d.uri)).forEach(checkData), 300);
  }
  // Edits inside known sources reach the index through its own watcher; here only new or removed
  // sources and manifest edits (a changed `tracking:` list) matter.
  if (!changes.some((c) => c.type !== FileChangeType.Changed || isManifestUri(c.uri))) return;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void tracking?.refreshAll().catch((e: unknown) => connection.console.error(String(e))), 200);
});

connection.onNotification(ClientNotifications.settings.method, (settings: ServerSettings) => tracking?.setSettings(settings));
connection.onShutdown(async () => {
  clearTimeout(refreshTimer);
  logWatch.dispose();
  await Promise.all([tracking?.dispose(), serving.dispose()]);
});

documents.onDidChangeContent(({ document }) => {
  validate(document);
  if (isManifestUri(document.uri)) tracking?.manifestEdited();
});
documents.onDidOpen(({ document }) => {
  if (isManifestUri(document.uri)) checkData(document);
});
documents.onDidSave(({ document }) => {
  if (isManifestUri(document.uri)) checkData(document);
});
documents.onDidClose(({ document }) => {
  forget(document.uri);
  const closed = uriToPath(document.uri);
  if (closed) dataDiagnostics.forget(closed);
  if (isManifestUri(document.uri)) void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
});

function validate(document: TextDocument): void {
  if (!isManifestUri(document.uri)) return;
  // One parse per document version, shared with completion, hover and the rest.
  const a = analyze(document);
  const ctx = validationContext(document.uri);
  const findings = checkParsed(a.parsed, document.getText(), ctx, a.model);
  // What the data files' last check found (on the saved manifest's lines), beside the text's findings.
  const data = ctx?.manifestPath ? dataDiagnostics.of(ctx.manifestPath) : [];
  const diagnostics = [...findings, ...data].map(toDiagnostic);
  void connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics });
}

const dataDiagnostics = new DataDiagnostics(
  (manifestPath) => {
    const document = documents.all().find((d) => uriToPath(d.uri) === manifestPath);
    if (document) validate(document);
  },
  (message) => connection.console.error(message),
);

/** Check the saved manifest's data sets against their files (on open, on save, when a data file changes). */
function checkData(document: TextDocument): void {
  const ctx = validationContext(document.uri);
  if (!ctx?.manifestPath || !ctx.workspaceRoot) return;
  let saved: string;
  try {
    saved = readFileSync(ctx.manifestPath, 'utf8');
  } catch {
    return; // not saved yet: nothing on disk to check against
  }
  void dataDiagnostics.check(ctx.manifestPath, ctx.workspaceRoot, saved);
}

/**
 * What validation may know beyond the text: the manifest's path and workspace folder (file checks),
 * the run index and ONNX signatures (inspected in the background; validation runs again when one is
 * ready). Without the native modules, the text alone is checked.
 */
function validationContext(uri: string): ValidationContext | undefined {
  const manifestPath = uriToPath(uri);
  if (!manifestPath) return undefined;
  const workspaceRoot = workspaceFolders.find((f) => manifestPath.startsWith(f + sep)) ?? dirname(manifestPath);
  return {
    manifestPath,
    workspaceRoot,
    runs: tracking?.runLookup(),
    fileFacts,
    onnx: status.natives.find((n) => n.name === 'onnxruntime-node')?.ok ? onnx : undefined,
  };
}

/** Path lookups of the file checks, kept between keystrokes; cleared when watched files change. */
const fileFacts = new FileFacts();

const onnx = onnxLookup(
  () => revalidateAll(),
  (message) => connection.console.error(`ONNX Runtime did not load: ${message}`),
);

let revalidateTimer: NodeJS.Timeout | undefined;
/** Re-validate every open manifest, at most once per tick burst (runs and models change in batches). */
function revalidateAll(): void {
  clearTimeout(revalidateTimer);
  revalidateTimer = setTimeout(() => documents.all().forEach(validate), 50);
}

const dataProfiles = new DataProfiles();
const facts: ManifestFacts = {
  runs: () => tracking?.allRuns() ?? [],
  run: (runId) => tracking?.allRuns().find((r) => r.runId === runId),
  runFile: (run) => tracking?.runFile(run),
  onnx: (path) => onnx(path),
  dataProfile: (path) => dataProfiles.get(path),
};

/** Features for manifests only; other YAML files get nothing from this server. */
function onManifest<T>(uri: string, fallback: T, feature: (a: Analysis) => T): T {
  const document = documents.get(uri);
  if (!document || !isManifestUri(uri)) return fallback;
  try {
    return feature(analyze(document));
  } catch (error) {
    connection.console.error(`${error instanceof Error ? error.stack : String(error)}`);
    return fallback;
  }
}

connection.onCompletion(({ textDocument, position }) => onManifest(textDocument.uri, [], (a) => complete(a, position, facts)));
connection.onHover(({ textDocument, position }) => onManifest(textDocument.uri, null, (a) => hover(a, position, facts)));
connection.onDefinition(({ textDocument, position }) => onManifest(textDocument.uri, [], (a) => definition(a, position, facts)));
connection.onDocumentSymbol(({ textDocument }) => onManifest(textDocument.uri, [], (a) => documentSymbols(a.model)));
connection.onCodeAction(({ textDocument, range, context }) => onManifest(textDocument.uri, [], (a) => codeActions(a, range, context.diagnostics)));
connection.onCodeLens(({ textDocument }) => onManifest(textDocument.uri, [], (a) => codeLenses(a)));
connection.onExecuteCommand(async ({ command, arguments: args }) => {
  if (command !== ServerCommands.inferExpectations) return;
  const { manifest, dataset } = (args?.[0] ?? {}) as { manifest?: string; dataset?: string };
  const document = documents.all().find((d) => uriToPath(d.uri) === manifest);
  if (!document || !dataset) return void connection.window.showErrorMessage('MLOps: open the manifest to infer its data set’s expectations.');
  const a = analyze(document);
  const result = await inferEdit(a, dataset);
  if ('error' in result) return void connection.window.showErrorMessage(`MLOps: cannot infer expectations for ${dataset}: ${result.error}`);
  if (!clientCanApplyEdits) return void connection.window.showErrorMessage('MLOps: this editor does not take workspace edits; run mlops validate --infer instead.');
  const applied = await connection.workspace.applyEdit({ label: `MLOps: infer expectations of ${dataset}`, edit: { documentChanges: [{ textDocument: { uri: document.uri, version: document.version }, edits: [result.edit] }] } });
  if (!applied.applied) connection.window.showWarningMessage(`MLOps: the manifest changed meanwhile; infer the expectations of ${dataset} again.`);
});
connection.languages.semanticTokens.on(({ textDocument }) => onManifest(textDocument.uri, { data: [] }, (a) => semanticTokens(a.model)));

const SEVERITY: Record<Finding['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

function toDiagnostic(f: Finding): Diagnostic {
  const data = (f as ManifestFinding).data;
  return { range: f.range, severity: SEVERITY[f.severity], code: f.code, source: 'mlops', message: f.message, ...(data ? { data } : {}) };
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
      const open = openDocument(file);
      const findings = open ? checkManifestText(open.getText()) : checkManifestFile(file).findings;
      summary.manifests.push({ file, ...countBySeverity([{ file, findings }]) });
    }
  }
  return summary;
});

// An empty answer makes the client show the view's empty state with the next step.
onRequest(Requests.treeChildren, ({ view, parentId }: { view: TreeViewId; parentId: string | null }) =>
  view === 'serving' ? serving.children(parentId) : tracking?.children(view, parentId) ?? [],
);
onRequest(Requests.startServing, ({ folder }): Promise<ServingStatus> | ServingStatus => {
  const target = folder ?? workspaceFolders[0];
  return target ? serving.start(target) : { state: 'failed', message: 'Open a folder with an mlops.yaml to serve its models.' };
});
onRequest(Requests.stopServing, () => serving.stop());
onRequest(Requests.servingStatus, () => serving.current());
onRequest(Requests.treeParent, ({ view, id }: { view: TreeViewId; id: string }) => tracking?.parent(view, id) ?? null);
onRequest(Requests.pathToRun, ({ runId }: { runId: string }) => tracking?.pathToRun(runId) ?? []);
onRequest(Requests.runQuery, () => tracking?.getQuery() ?? { filter: '', orderBy: '' });
onRequest(Requests.setRunQuery, (query: RunQueryState) =>
  tracking ? tracking.setQuery(query) : ({ ok: false, message: 'Tracking is unavailable: the SQLite module did not load (see the server status).' } satisfies RunQueryResult),
);
onRequest(Requests.runKeys, () => tracking?.runKeys() ?? { metrics: [], params: [] });
onRequest(Requests.runs, ({ runIds }: { runIds: string[] }) => tracking?.runs(runIds) ?? []);

const promotion = new PromotionHost({
  folders: () => workspaceFolders,
  openText,
  runs: () => tracking?.runLookup(),
});
onRequest(Requests.promotionChoices, () => promotion.choices());
onRequest(Requests.planPromotion, (p) => promotion.planPromotion(p));
onRequest(Requests.planRollback, (p) => promotion.planRollback(p));
onRequest(Requests.setMlflowAliases, ({ plan }) => promotion.setMlflowAliases(plan));
onRequest(Requests.recordPromotion, ({ plan }) => promotion.record(plan));
onRequest(Requests.analyzeExperiment, (p) => promotion.analyze(p));
const logWatch = new PredictionLogWatch((manifest) => void connection.sendNotification(Notifications.predictionLogChanged.method, { manifest }));
onRequest(Requests.abDashboard, (p) => {
  const data = promotion.dashboard(p);
  logWatch.watch(p.manifest);
  return data;
});
connection.onNotification(ClientNotifications.abDashboardClosed.method, ({ manifest }: { manifest: string }) => logWatch.unwatch(manifest));
onRequest(Requests.metricHistory, (params) => tracking?.metricHistory(params) ?? { x: params.x ?? 'step', smoothing: 0, availableKeys: [], keys: [], runs: [], series: [] });
onRequest(Requests.runChoices, () => tracking?.runChoices() ?? []);
const noMonitoring = () => new Error('Monitoring is unavailable: the SQLite module did not load (see the server status).');
onRequest(Requests.validateData, (p) => dataPanelData(p.manifest, workspaceFolders));
onRequest(Requests.driftReport, (p) => {
  if (!monitoring) throw noMonitoring();
  return monitoring.driftReport(p);
});
onRequest(Requests.modelHealth, (p) => {
  if (!monitoring) throw noMonitoring();
  return monitoring.modelHealth(p);
});
onRequest(Requests.monitoredModels, () => monitoring?.monitored() ?? []);
onRequest(Requests.retrainStarted, (p) => {
  if (!monitoring) throw noMonitoring();
  return monitoring.retrainStarted(p);
});
onRequest(Requests.exportPipeline, ({ manifest, targets }) => {
  if (!workspaceFolders.some((root) => isInside(manifest, root))) throw new Error(`${manifest} is not in the workspace`);
  return planExports(manifest, targets, workspaceFolders);
});
onRequest(Requests.retrainFinished, (p) => {
  if (!monitoring) throw noMonitoring();
  return monitoring.retrainFinished(p);
});
onRequest(Requests.retrainSkipped, (p) => {
  if (!monitoring) throw noMonitoring();
  return monitoring.retrainSkipped(p);
});
const scoring = new ScoringHost({
  folders: () => workspaceFolders,
  openText,
  progress: (job, progress) => void connection.sendNotification(Notifications.scoreProgress.method, { job, ...progress }),
});
onRequest(Requests.scoreChoices, ({ file }) => scoring.choices(file));
// Registered directly for the cancellation token: cancelling the request stops the job.
connection.onRequest(Requests.scoreFile.method, async (params: Parameters<ScoringHost['score']>[0], token) => {
  const abort = new AbortController();
  const listener = token.onCancellationRequested(() => abort.abort());
  try {
    return await scoring.score(params, abort.signal);
  } catch (error) {
    // A job that cannot run says why in one line; the client shows it as it is.
    if (error instanceof ScoreError || error instanceof ScoreCancelled) throw new ResponseError(error instanceof ScoreCancelled ? LSPErrorCodes.RequestCancelled : 1, error.message);
    throw error;
  } finally {
    listener.dispose();
  }
});
onRequest(Requests.comparison, (params) => tracking?.comparison(params) ?? comparisonData([], params));

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
