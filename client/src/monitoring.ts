import * as vscode from 'vscode';
import { Notifications, Requests, type ModelHealth, type MonitoredModel, type RetrainCause, type RetrainReason, type TreeNode } from '../../server/src/contract';
import type { Ctx } from './ctx';
import type { DriftReportPanel } from './webviews/drift';

/**
 * Monitoring in the editor: the drift report command, and the retrain prompt. The server decides
 * whether a retrain is due (what fired, `retrain.on`, the cooldown); here the user is asked, and the
 * command from mlops.yaml runs as a VS Code task — only in a trusted workspace, only after a
 * confirmation. The task's runs land in the tracking folders, so they show in the Experiments view.
 */
export function registerMonitoring(ctx: Ctx, drift: DriftReportPanel, models: vscode.TreeView<TreeNode>): void {
  ctx.pushDisposable(vscode.commands.registerCommand('mlops.showDriftReport', (node?: TreeNode) => showDriftReport(ctx, drift, node)));
  ctx.pushDisposable(vscode.commands.registerCommand('mlops.retrain', (node?: TreeNode | { manifest: string; model: string }) => retrainFromCommand(ctx, node)));
  const suggestions = new RetrainSuggestions(ctx, models);
  ctx.onNotification(Notifications.retrainSuggested, (health) => void offerRetrain(ctx, suggestions, health));
  // The Models view is rebuilt whenever a model's health changes: so is what it suggests.
  ctx.onNotification(Notifications.treeChanged, ({ view }) => {
    if (view === 'models') void suggestions.update();
  });
  ctx.pushDisposable(ctx.onServerStatus(() => void suggestions.update()));
}

/**
 * A due retrain is said where it belongs: a badge on the Models view and its message, with the
 * model's row carrying Retrain and Show Drift Report inline — not a toast over the open panels. It
 * stays while the retrain is due and goes when it is not, so one state is announced once.
 */
class RetrainSuggestions {
  constructor(
    private readonly ctx: Ctx,
    private readonly view: vscode.TreeView<TreeNode>,
  ) {}

  async update(): Promise<void> {
    let due: MonitoredModel[];
    try {
      due = (await this.ctx.request(Requests.monitoredModels, {})).filter((m) => m.retrain);
    } catch {
      return; // not running: the next status change updates the view
    }
    if (due.length === 0 || !this.ctx.config.retrainPrompts) {
      this.view.badge = undefined;
      this.view.message = undefined;
      return;
    }
    const what = due.map((m) => `${m.model} (${m.retrain!.reasons.map(reasonWords).join(' and ')})`).join(', ');
    this.view.badge = { value: due.length, tooltip: `Retrain suggested: ${what}` };
    this.view.message = vscode.workspace.isTrusted
      ? `Retrain suggested: ${what}. Use the row's Retrain or Show Drift Report.`
      : `Retrain suggested: ${what}. Retraining runs only in a trusted workspace.`;
  }
}

function reasonWords(reason: RetrainReason): string {
  return reason === 'drift' ? 'data drift' : reason === 'degradation' ? 'quality degradation' : 'its schedule';
}

/** From a Models view row, a code lens over `retrain:` ({manifest, model}), or a pick. */
async function pickMonitored(ctx: Ctx, node?: TreeNode | { manifest: string; model: string }): Promise<{ manifest: string; model: string } | undefined> {
  if (node && 'manifest' in node && typeof node.model === 'string') return { manifest: node.manifest, model: node.model };
  if (node && 'id' in node && node.model) return { manifest: node.model.manifest, model: node.model.name };
  const monitored = await ctx.request(Requests.monitoredModels, {});
  if (monitored.length === 0) {
    void vscode.window.showInformationMessage('MLOps: no mlops.yaml in this workspace has a `monitoring:` entry. Add one with a reference data set to see drift.');
    return undefined;
  }
  if (monitored.length === 1) return monitored[0];
  const picked = await vscode.window.showQuickPick(
    monitored.map((m) => ({ label: m.model, description: m.state, detail: vscode.workspace.asRelativePath(m.manifest), m })),
    { title: 'Drift report of which model?' },
  );
  return picked?.m;
}

async function showDriftReport(ctx: Ctx, drift: DriftReportPanel, node?: TreeNode): Promise<void> {
  const target = await pickMonitored(ctx, node);
  if (target) drift.show({ manifest: target.manifest, model: target.model, window: null });
}

async function retrainFromCommand(ctx: Ctx, node?: TreeNode | { manifest: string; model: string }): Promise<void> {
  const target = await pickMonitored(ctx, node);
  if (!target) return;
  const health = await ctx.request(Requests.modelHealth, target);
  if (!health.retrain.command) {
    void vscode.window.showInformationMessage(`MLOps: ${health.retrain.message}`);
    return;
  }
  if (!(await confirm(health, health.retrain.reasons.length > 0 ? health.retrain.reasons.join(' and ') : 'requested'))) return;
  await runRetrain(ctx, health, health.retrain.reasons.includes('schedule') ? 'schedule' : health.retrain.reasons.length > 0 ? 'monitoring' : 'manual');
}

async function offerRetrain(ctx: Ctx, suggestions: RetrainSuggestions, health: ModelHealth): Promise<void> {
  await suggestions.update();
  if (!ctx.config.retrainPrompts) return;
  const reasons = health.retrain.reasons.map(reasonWords).join(' and ');
  if (!vscode.workspace.isTrusted) {
    ctx.output.info(`Retrain of ${health.model} is due (${reasons}); retraining is off in a restricted workspace.`);
    return;
  }
  const scheduled = health.retrain.reasons.includes('schedule') ? (health.retrain.schedule?.due ?? null) : null;
  const cause = scheduled !== null ? 'schedule' : 'monitoring';
  // retrain.auto: no question per run, once the user allowed this command to run on its own.
  if (health.retrain.auto) {
    if (await allowedToRunAlone(ctx, health)) await runRetrain(ctx, health, cause);
    return;
  }
  if (scheduled === null) {
    ctx.output.info(`Monitoring found ${reasons} for ${health.model}: retrain suggested in the Models view.`);
    return;
  }
  // A scheduled run asks once, where the user is: run it, or skip this time (the next one comes).
  ctx.output.info(`The scheduled retrain of ${health.model} is due: ${health.retrain.message}`);
  const choice = await vscode.window.showInformationMessage(
    `MLOps: ${health.retrain.message.replace(/: retrain with .*$/, '')}. Run \`${health.retrain.command}\` in the folder of ${vscode.workspace.asRelativePath(health.manifest)}?`,
    'Run',
    'Skip This One',
  );
  if (choice === 'Run') await runRetrain(ctx, health, cause);
  else if (choice === 'Skip This One') {
    await ctx.request(Requests.retrainSkipped, { manifest: health.manifest, model: health.model, scheduledFor: scheduled });
    ctx.output.info(`Skipped the scheduled retrain of ${health.model}.`);
  }
}

/**
 * `retrain.auto` runs a command without asking each time — but only one the user allowed once, in
 * this workspace: a changed command asks again, so an edit to mlops.yaml cannot slip one in.
 */
async function allowedToRunAlone(ctx: Ctx, health: ModelHealth): Promise<boolean> {
  const key = `mlops.retrain.allowed:${health.manifest}:${health.model}`;
  if (ctx.extension.workspaceState.get<string>(key) === health.retrain.command) return true;
  if (!(await confirm(health, `${health.retrain.reasons.join(' and ')}; retrain.auto runs it from now on without asking, until the command changes`))) return false;
  await ctx.extension.workspaceState.update(key, health.retrain.command);
  return true;
}

/** The modal confirmation: the command, where it runs and why. Only in a trusted workspace. */
async function confirm(health: ModelHealth, why: string): Promise<boolean> {
  const command = health.retrain.command;
  if (!command) return false;
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('MLOps: commands from mlops.yaml run only in a trusted workspace. Trust this workspace to retrain from the editor.', 'Manage Workspace Trust').then((c) => {
      if (c) void vscode.commands.executeCommand('workbench.trust.manage');
    });
    return false;
  }
  const cooling = health.retrain.cooldown_until !== null && health.retrain.cooldown_until > Date.now();
  const ok = await vscode.window.showWarningMessage(
    `Run the retrain command of "${health.model}" from ${vscode.workspace.asRelativePath(health.manifest)}?`,
    { modal: true, detail: `${command}\n\nin ${health.cwd}\nReason: ${why}.${cooling ? `\nA retrain already ran; the cooldown ends ${new Date(health.retrain.cooldown_until!).toLocaleString()}.` : ''}` },
    'Run',
  );
  return ok === 'Run';
}

/** Runs the manifest's retrain command as a task in the manifest's folder; the audit log gets its start, exit code and duration. */
async function runRetrain(ctx: Ctx, health: ModelHealth, cause: RetrainCause): Promise<void> {
  const command = health.retrain.command;
  if (!command || !vscode.workspace.isTrusted) return;
  const task = new vscode.Task(
    { type: 'shell', mlops: 'retrain', model: health.model },
    vscode.TaskScope.Workspace,
    `retrain ${health.model}`,
    'mlops',
    new vscode.ShellExecution(command, { cwd: health.cwd, env: { MLOPS_RETRAIN_MODEL: health.model, MLOPS_RETRAIN_REASONS: health.retrain.reasons.join(',') } }),
  );
  const scheduledFor = cause === 'schedule' ? (health.retrain.schedule?.due ?? null) : null;
  const { id } = await ctx.request(Requests.retrainStarted, { manifest: health.manifest, model: health.model, cause, scheduledFor });
  const started = Date.now();
  const finished = (exitCode: number | null): void => {
    ctx.output.info(`Retrain of ${health.model} ended with exit code ${exitCode ?? 'unknown'} after ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    void ctx.request(Requests.retrainFinished, { manifest: health.manifest, id, exitCode, durationMs: Date.now() - started }).catch(() => undefined);
    // New runs appear through the tracking index's watcher; refresh the views for good measure.
    void vscode.commands.executeCommand('mlops.refresh');
  };
  ctx.output.info(`Retrain of ${health.model} started (${cause}): ${command}`);
  let execution: vscode.TaskExecution;
  try {
    execution = await vscode.tasks.executeTask(task);
  } catch (error) {
    ctx.output.error(`Retrain of ${health.model} did not start: ${error instanceof Error ? error.message : String(error)}`);
    finished(null);
    return;
  }
  const done = vscode.tasks.onDidEndTaskProcess((e) => {
    if (e.execution !== execution) return;
    done.dispose();
    finished(e.exitCode ?? null);
  });
  ctx.pushDisposable(done);
}
