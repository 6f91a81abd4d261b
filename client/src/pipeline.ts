/**
 * "MLOps: Export Pipeline…": the GitHub Actions workflow and the KServe or Seldon files of a
 * manifest, computed by the server (the same as `mlops export`) and applied as a WorkspaceEdit the
 * user reviews in the Refactor Preview before anything is written. A workflow with hand edits inside
 * its generated blocks is replaced only after the user says so.
 */
import * as vscode from 'vscode';
import { Requests, type ExportFilePlan, type PipelineTarget } from '../../server/src/contract';
import type { Ctx } from './ctx';
import { pickManifest } from './promotion';

/** What a lens passes: the manifest, and which part it sits over. */
interface ExportArgs {
  manifest?: string;
  target?: 'github-actions' | 'kubernetes';
}

const TARGETS: { target: PipelineTarget; label: string; where: string }[] = [
  { target: 'github-actions', label: 'GitHub Actions workflow', where: '.github/workflows/mlops.yml: validate, train, gate, export, deploy, smoke' },
  { target: 'kserve', label: 'KServe InferenceServices', where: 'k8s/kserve/ beside mlops.yaml' },
  { target: 'seldon', label: 'Seldon Core v2 Models and Experiments', where: 'k8s/seldon/ beside mlops.yaml' },
];

export function registerPipeline(ctx: Ctx): void {
  ctx.pushDisposable(vscode.commands.registerCommand('mlops.exportPipeline', (args?: ExportArgs) => exportPipeline(ctx, args)));
}

async function exportPipeline(ctx: Ctx, args?: ExportArgs): Promise<void> {
  const manifest =
    args?.manifest ??
    (await pickManifest(ctx, undefined, () => true, 'a pipeline', { title: 'Export the pipeline of which mlops.yaml?', none: 'MLOps: no mlops.yaml in this workspace. Create one to export its pipeline.' }))?.manifest;
  if (!manifest) return;
  const picked = await vscode.window.showQuickPick(
    TARGETS.map((t) => ({ label: t.label, detail: t.where, target: t.target, picked: args?.target === 'kubernetes' ? t.target === 'kserve' : t.target !== 'seldon' })),
    { title: `Export the pipeline of ${vscode.workspace.asRelativePath(manifest)}`, canPickMany: true, placeHolder: 'What to write (you review every file before it is written)' },
  );
  if (!picked || picked.length === 0) return;
  // The export reads the saved manifest, as `mlops export` does.
  const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === manifest);
  if (open?.isDirty) {
    const save = await vscode.window.showWarningMessage(`${vscode.workspace.asRelativePath(manifest)} has unsaved changes; the export reads the saved file.`, 'Save and Export', 'Export Saved');
    if (!save) return;
    if (save === 'Save and Export') await open.save();
  }
  const plan = await ctx.request(Requests.exportPipeline, { manifest, targets: picked.map((p) => p.target) });
  for (const w of plan.warnings) ctx.output.warn(`Export: ${w}`);
  for (const p of plan.problems) ctx.output.error(`Export: ${p}`);
  if (plan.problems.length > 0) {
    const more = plan.problems.length > 1 ? ` (and ${plan.problems.length - 1} more)` : '';
    void vscode.window.showErrorMessage(`MLOps: ${plan.problems[0]}${more}`, 'Show Output').then((c) => c && ctx.output.show());
  }
  const files: ExportFilePlan[] = [];
  for (const f of plan.files.filter((x) => !x.unchanged)) {
    if (f.conflict) {
      const replace = await vscode.window.showWarningMessage(
        `${vscode.workspace.asRelativePath(f.path)}: ${f.conflict.replace(/; --force replaces it$/, '')}.`,
        { modal: true, detail: 'Your lines outside the generated blocks are kept; the blocks are written anew. You review the result before it is written.' },
        'Review Replacement',
      );
      if (replace !== 'Review Replacement') continue;
    }
    files.push(f);
  }
  if (files.length === 0) {
    if (plan.files.length > 0 && plan.files.every((f) => f.unchanged)) void vscode.window.showInformationMessage('MLOps: the exported files are up to date.');
    return;
  }
  const list = files.map((f) => `${vscode.workspace.asRelativePath(f.path)}${f.existing === undefined ? ' (new)' : ' (replaced)'}`).join('\n');
  const how = await vscode.window.showInformationMessage(
    `Write ${files.length} exported file${files.length === 1 ? '' : 's'}?`,
    { modal: true, detail: `${list}\n\nReview Each File… opens them in the Refactor Preview, where you tick the ones to write.` },
    'Write',
    'Review Each File…',
  );
  if (!how) return;
  const edit = new vscode.WorkspaceEdit();
  for (const f of files) {
    const uri = vscode.Uri.file(f.path);
    const metadata: vscode.WorkspaceEditEntryMetadata = { needsConfirmation: how !== 'Write', label: f.existing === undefined ? 'New file' : 'Exported again', description: vscode.workspace.asRelativePath(uri) };
    if (f.existing === undefined) edit.createFile(uri, { contents: new TextEncoder().encode(f.text), overwrite: false }, metadata);
    else {
      const doc = await vscode.workspace.openTextDocument(uri);
      edit.replace(uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), f.text, metadata);
    }
  }
  if (!(await vscode.workspace.applyEdit(edit, { isRefactoring: true }))) return;
  // A replaced file is an edit of its document: saved, so what is on disk is what was reviewed.
  for (const f of files.filter((x) => x.existing !== undefined)) {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === f.path);
    if (doc?.isDirty && doc.getText() === f.text) await doc.save();
  }
  // In the preview the user may have left some out: say what was written.
  const written: ExportFilePlan[] = [];
  for (const f of files) if ((await readText(f.path)) === f.text) written.push(f);
  if (written.length === 0) {
    void vscode.window.showInformationMessage('MLOps: nothing was written.');
    return;
  }
  ctx.output.info(`Export: wrote ${written.map((f) => vscode.workspace.asRelativePath(f.path)).join(', ')}`);
  for (const u of plan.uploads) ctx.output.info(`Export: upload ${u.file} to ${u.uri}`);
  const workflow = written.find((f) => f.path.endsWith('.yml') && f.path.includes('.github'));
  const choice = await vscode.window.showInformationMessage(
    `MLOps: exported ${written.length} file${written.length === 1 ? '' : 's'}${written.length < files.length ? ` of ${files.length}` : ''}.${plan.uploads.length > 0 ? ' Upload the model files before applying (see the MLOps output).' : ''}`,
    ...(workflow ? ['Open Workflow'] : []),
    'Show Output',
  );
  if (choice === 'Open Workflow' && workflow) await vscode.window.showTextDocument(vscode.Uri.file(workflow.path));
  else if (choice === 'Show Output') ctx.output.show();
}

async function readText(path: string): Promise<string | undefined> {
  try {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === path);
    return open ? open.getText() : new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.file(path)));
  } catch {
    return undefined;
  }
}
