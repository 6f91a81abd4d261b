import * as vscode from 'vscode';
import { ClientNotifications, Requests, type TreeNode } from '../../server/src/contract';
import type { Ctx } from './ctx';
import { pickExperiment, promoteVersion, rollback, type Target } from './promotion';
import { setTrackingToken } from './tracking-token';
import type { Trees } from './trees';
import type { AbDashboard } from './webviews/ab';
import type { Dashboard } from './webviews/dashboard';
import type { RunComparison } from './webviews/compare';
import type { MetricCharts } from './webviews/charts';

interface Views {
  dashboard: Dashboard;
  compare: RunComparison;
  charts: MetricCharts;
  ab: AbDashboard;
  trees: Trees;
}

/** One function per command; each is a thin call into the server or a view. */
export function registerCommands(ctx: Ctx, views: Views): void {
  const commands: Record<string, (...args: never[]) => unknown> = {
    'mlops.showDashboard': () => views.dashboard.show(),
    'mlops.restartServer': () =>
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Restarting the MLOps server…' }, () => ctx.restart()),
    'mlops.showOutput': () => ctx.output.show(),
    'mlops.refresh': () => {
      views.trees.refreshAll();
      views.dashboard.refresh();
    },
    'mlops.filterRuns': () => filterRuns(ctx),
    'mlops.sortRuns': () => sortRuns(ctx),
    'mlops.clearRunFilter': () => applyQuery(ctx, { filter: '', orderBy: '' }),
    'mlops.copyRunId': (node?: TreeNode) => copyRunId(node),
    'mlops.revealRunFolder': (node?: TreeNode) => revealFolder(node),
    'mlops.compareRuns': (node?: TreeNode, selected?: TreeNode[]) => compareRuns(ctx, views, node, selected),
    'mlops.plotMetrics': (node?: TreeNode, selected?: TreeNode[]) => plotMetrics(ctx, views, node, selected),
    'mlops.revealRun': (runId?: string) => revealRun(ctx, views.trees, runId),
    'mlops.openLocation': (path?: string, line?: number, column?: number) => openLocation(path, line, column),
    'mlops.promoteVersion': (target?: Target) => promoteVersion(ctx, target),
    'mlops.rollback': (target?: Target) => rollback(ctx, target),
    'mlops.analyzeExperiment': async (target?: Target) => {
      const chosen = await pickExperiment(ctx, target);
      if (chosen) views.ab.show(chosen);
    },
    'mlops.setTrackingToken': () => setTrackingToken(ctx),
  };
  for (const [id, run] of Object.entries(commands)) ctx.pushDisposable(vscode.commands.registerCommand(id, run as (...args: unknown[]) => unknown));
  ctx.pushDisposable(ctx.onServerStatus(() => void sendSettings(ctx)));
  ctx.pushDisposable(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('mlops.experiments') || e.affectsConfiguration('mlops.tracking')) void sendSettings(ctx);
    }),
  );
}

async function sendSettings(ctx: Ctx): Promise<void> {
  await ctx.notify(ClientNotifications.settings, { keyMetric: ctx.config.keyMetric, showDeleted: ctx.config.showDeleted, trackingPollSeconds: ctx.config.trackingPollSeconds });
}

async function filterRuns(ctx: Ctx): Promise<void> {
  const current = await ctx.request(Requests.runQuery, {});
  let value = current.filter;
  let error: string | undefined;
  for (;;) {
    const input = await vscode.window.showInputBox({
      title: 'Filter Runs',
      prompt: error ?? "MLflow search syntax, plus 'or' and parentheses",
      placeHolder: "metrics.accuracy > 0.9 and params.model = 'rf'",
      value,
      ignoreFocusOut: true,
    });
    if (input === undefined) return;
    const result = await applyQuery(ctx, { filter: input, orderBy: current.orderBy });
    if (result) return;
    value = input;
    error = lastError;
  }
}

let lastError: string | undefined;

/** Apply a filter/order; returns false (and remembers the error) when the server refuses it. */
async function applyQuery(ctx: Ctx, query: { filter: string; orderBy: string }): Promise<boolean> {
  const result = await ctx.request(Requests.setRunQuery, query);
  if (!result.ok) {
    lastError = `✗ ${result.message}`;
    void vscode.window.showWarningMessage(`MLOps: ${result.message}`);
    return false;
  }
  const active = Boolean(query.filter || query.orderBy);
  await vscode.commands.executeCommand('setContext', 'mlops.runQueryActive', active);
  ctx.setExperimentsMessage(
    query.filter ? `Filter: ${query.filter} — ${result.matched} of ${result.total} runs` : query.orderBy ? `Sorted by ${query.orderBy}` : undefined,
  );
  return true;
}

async function sortRuns(ctx: Ctx): Promise<void> {
  const [current, keys] = await Promise.all([ctx.request(Requests.runQuery, {}), ctx.request(Requests.runKeys, {})]);
  type Item = vscode.QuickPickItem & { orderBy: string };
  const items: Item[] = [
    { label: 'Newest first', description: 'default', orderBy: '' },
    { label: 'Name', orderBy: 'attributes.run_name ASC' },
    { label: 'Status', orderBy: 'attributes.status ASC' },
    { label: 'Metrics', kind: vscode.QuickPickItemKind.Separator, orderBy: '' },
    ...keys.metrics.flatMap((k): Item[] => [
      { label: `${k} — highest first`, orderBy: `metrics.${quoteKey(k)} DESC` },
      { label: `${k} — lowest first`, orderBy: `metrics.${quoteKey(k)} ASC` },
    ]),
    { label: 'Params', kind: vscode.QuickPickItemKind.Separator, orderBy: '' },
    ...keys.params.map((k): Item => ({ label: k, orderBy: `params.${quoteKey(k)} ASC` })),
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'Sort Runs', placeHolder: current.orderBy || 'Newest first', matchOnDescription: true });
  if (picked) await applyQuery(ctx, { filter: current.filter, orderBy: picked.orderBy });
}

function quoteKey(key: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(key) ? key : `\`${key.replace(/`/g, '')}\``;
}

async function copyRunId(node?: TreeNode): Promise<void> {
  if (!node?.runId) return;
  await vscode.env.clipboard.writeText(node.runId);
  void vscode.window.setStatusBarMessage(`Copied run id ${node.runId}`, 3000);
}

async function revealFolder(node?: TreeNode): Promise<void> {
  if (!node?.resourcePath) return;
  const uri = vscode.Uri.file(node.resourcePath);
  if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
  else await vscode.commands.executeCommand('revealFileInOS', uri);
}

/** Runs from the Experiments selection (or the clicked run); without any, a pick of the indexed runs. */
async function compareRuns(ctx: Ctx, views: Views, node?: TreeNode, selected?: TreeNode[]): Promise<void> {
  const runIds = await selectedOrPickedRuns(ctx, views, 'Compare Runs', 'Runs to compare', node, selected);
  if (runIds.length > 0) views.compare.show(runIds);
}

async function plotMetrics(ctx: Ctx, views: Views, node?: TreeNode, selected?: TreeNode[]): Promise<void> {
  const runIds = await selectedOrPickedRuns(ctx, views, 'Plot Metrics', 'Runs to plot', node, selected);
  if (runIds.length > 0) views.charts.show(runIds);
}

async function selectedOrPickedRuns(ctx: Ctx, views: Views, title: string, placeHolder: string, node?: TreeNode, selected?: TreeNode[]): Promise<string[]> {
  const nodes = selected && selected.length > 0 ? selected : node ? [node] : [...views.trees.selectedExperiments()];
  const runIds = nodes.filter((n) => n.runId).map((n) => n.runId!);
  if (runIds.length > 0) return runIds;
  const choices = await ctx.request(Requests.runChoices, {});
  type Item = vscode.QuickPickItem & { runId: string };
  const picked = await vscode.window.showQuickPick(
    choices.map((r): Item => ({ label: r.name || r.runId.slice(0, 8), description: `${r.experiment} · ${r.status}`, detail: r.runId, runId: r.runId })),
    { title, placeHolder, canPickMany: true, matchOnDescription: true, matchOnDetail: true },
  );
  return picked?.map((p) => p.runId) ?? [];
}

async function revealRun(ctx: Ctx, trees: Trees, runId?: string): Promise<void> {
  if (!runId) return;
  const path = await ctx.request(Requests.pathToRun, { runId });
  if (path.length === 0) {
    void vscode.window.showInformationMessage(`Run ${runId} is not in the index (it may be filtered out or in another workspace).`);
    return;
  }
  // Walk down so every ancestor is known to the view before revealing the run itself.
  let parent: TreeNode | undefined;
  for (const id of path) {
    const children = await trees.experimentsProvider.rowsUnder(parent);
    parent = children.find((c) => c.id === id);
    if (!parent) return;
  }
  await trees.experiments.reveal(parent!, { select: true, focus: true, expand: true });
}

async function openLocation(path?: string, line = 1, column = 1): Promise<void> {
  if (!path) return;
  const position = new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1));
  await vscode.window.showTextDocument(vscode.Uri.file(path), { selection: new vscode.Range(position, position), preview: true });
}
