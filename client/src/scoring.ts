/**
 * "MLOps: Score File…": a table file through a model version, in the language server, with a
 * cancellable progress notification; the output is opened when it is done. From the palette, the
 * Explorer's context menu on a CSV, JSON Lines or Parquet file, and a version in the Models view.
 */
import * as vscode from 'vscode';
import { Notifications, Requests, type ScoreChoice, type ScoreProgress, type ScoreSummary, type TreeNode } from '../../server/src/contract';
import type { Ctx } from './ctx';

const TABLE_FILES = { 'Tables (CSV, JSON Lines, Parquet)': ['csv', 'tsv', 'txt', 'jsonl', 'ndjson', 'parquet', 'pq'] };
const count = (n: number) => n.toLocaleString('en-US');
const OPEN_LIMIT_BYTES = 10 * 1024 * 1024;

export function registerScoring(ctx: Ctx): void {
  const listeners = new Map<string, (p: ScoreProgress) => void>();
  ctx.onNotification(Notifications.scoreProgress, ({ job, ...progress }) => listeners.get(job)?.(progress));
  let jobs = 0;
  const run = async (arg?: vscode.Uri | TreeNode, selected?: vscode.Uri[]) => {
    const input = await pickInput(arg instanceof vscode.Uri ? (selected?.[0] ?? arg) : undefined);
    if (!input) return;
    const choice = await pickVersion(ctx, input, arg instanceof vscode.Uri ? undefined : arg);
    if (!choice) return;
    const job = `score-${process.pid}-${++jobs}`;
    const name = vscode.workspace.asRelativePath(input);
    const score = (onError: 'fail' | 'skip') =>
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Scoring ${name} with ${choice.label}`, cancellable: true }, async (progress, token) => {
        let reported = 0;
        listeners.set(job, (p) => {
          const percent = Math.round(p.fraction * 100);
          progress.report({ increment: Math.max(0, percent - reported), message: progressText(p) });
          reported = Math.max(reported, percent);
        });
        try {
          const cancel = new vscode.CancellationTokenSource();
          token.onCancellationRequested(() => cancel.cancel());
          return await ctx.requestCancellable(Requests.scoreFile, { job, manifest: choice.manifest, model: choice.ref, input: input.fsPath, onError }, cancel.token);
        } finally {
          listeners.delete(job);
        }
      });
    let summary: ScoreSummary;
    try {
      summary = await score('fail');
      if (!summary.written) {
        ctx.output.warn(`Scoring ${name}: ${count(summary.rejected)} of ${count(summary.rows)} rows cannot be scored:\n${summary.errors.map((e) => `  ${rowText(e)}`).join('\n')}`);
        const answer = await vscode.window.showWarningMessage(
          `${count(summary.rejected)} of ${count(summary.rows)} rows of ${name} cannot be scored (first: ${rowText(summary.errors[0])}). Nothing was written.`,
          'Score the Others',
          'Show Rows',
        );
        if (answer === 'Show Rows') ctx.output.show(true);
        if (answer !== 'Score the Others') return;
        summary = await score('skip');
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/cancel/i.test(message)) void vscode.window.showInformationMessage(`Scoring ${name} was cancelled; nothing was written.`);
      else void vscode.window.showErrorMessage(`MLOps: cannot score ${name}: ${message}`);
      return;
    }
    ctx.output.info(`Scored ${count(summary.scored)} of ${count(summary.rows)} rows of ${name} with ${summary.model} version ${summary.version} in ${summary.seconds.toFixed(1)} s → ${summary.output}`);
    const output = vscode.Uri.file(summary.output);
    // Parquet is binary, and remote editors ask before opening text over 10 MB: those are revealed instead.
    const size = (await vscode.workspace.fs.stat(output)).size;
    if (summary.format.output === 'parquet' || size > OPEN_LIMIT_BYTES) {
      void vscode.commands.executeCommand('revealInExplorer', output);
    } else {
      await vscode.window.showTextDocument(output, { preview: false });
    }
    void vscode.window.showInformationMessage(
      `Scored ${count(summary.scored)} of ${count(summary.rows)} rows with ${summary.model} version ${summary.version} → ${vscode.workspace.asRelativePath(output)}${summary.rejected ? ` (${count(summary.rejected)} left out)` : ''}.`,
    );
  };
  ctx.pushDisposable(vscode.commands.registerCommand('mlops.scoreFile', run));
}

async function pickInput(given: vscode.Uri | undefined): Promise<vscode.Uri | undefined> {
  if (given) return given;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.scheme === 'file' && /\.(csv|tsv|jsonl|ndjson)$/i.test(active.fsPath)) return active;
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: TABLE_FILES, title: 'Score which file?', defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri });
  return picked?.[0];
}

async function pickVersion(ctx: Ctx, input: vscode.Uri, node: TreeNode | undefined): Promise<ScoreChoice | undefined> {
  const choices = await ctx.request(Requests.scoreChoices, { file: input.fsPath });
  if (node?.model?.version !== undefined) {
    const exact = choices.find((c) => c.manifest === node.model!.manifest && c.model === node.model!.name && c.ref === `${c.model}@${node.model!.version}`);
    if (exact) return exact;
  }
  if (choices.length === 0) {
    void vscode.window.showInformationMessage('No mlops.yaml in the workspace declares a model version to score with. Add one under models: (see the README).');
    return undefined;
  }
  const multi = new Set(choices.map((c) => c.manifest)).size > 1;
  const picked = await vscode.window.showQuickPick(
    choices.map((c) => ({ label: c.label, description: c.description, detail: multi ? vscode.workspace.asRelativePath(c.manifest) : undefined, c })),
    { title: `Score ${vscode.workspace.asRelativePath(input)} with which version?`, matchOnDescription: true },
  );
  return picked?.c;
}

function progressText(p: ScoreProgress): string {
  const eta = p.etaSeconds !== undefined ? ` · ${Math.ceil(p.etaSeconds)} s left` : '';
  return `${count(p.rows)} rows · ${count(Math.round(p.rowsPerSecond))} rows/s${p.rejected ? ` · ${count(p.rejected)} rejected` : ''}${eta}`;
}

function rowText(e: ScoreSummary['errors'][number] | undefined): string {
  if (!e) return '';
  return `row ${e.row}${e.column !== undefined ? `, column ${e.column}` : ''}: ${e.message}`;
}
