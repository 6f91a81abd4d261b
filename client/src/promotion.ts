/**
 * "MLOps: Promote Version…", "MLOps: Roll Back" and the pick of "MLOps: Analyze Experiment": pickers,
 * the evidence in a modal, and the server's edits applied as a WorkspaceEdit (undoable, in the diff).
 * Every decision (gates, edits, the audit log, the statistics) is the server's.
 */
import * as vscode from 'vscode';
import { Notifications, Requests, type PromotionChoices, type PromotionPlan } from '../../server/src/contract';
import type { Ctx } from './ctx';

/** What a code lens or a tree item passes. */
export interface Target {
  manifest?: string;
  model?: string;
  experiment?: string;
}

type Manifest = PromotionChoices['manifests'][number];

/**
 * The workspace's mlops.yaml that has what a command needs: the only one, or the user's pick.
 * `words` replaces the picker's title and the message shown when there is none.
 */
export async function pickManifest(ctx: Ctx, target: Target | undefined, has: (m: Manifest) => boolean, what: string, words: { title?: string; none?: string } = {}): Promise<Manifest | undefined> {
  const { manifests } = await ctx.request(Requests.promotionChoices, {});
  const candidates = manifests.filter((m) => (target?.manifest === undefined || m.manifest === target.manifest) && has(m));
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(words.none ?? `No mlops.yaml in the workspace declares ${what}.`);
    return undefined;
  }
  if (candidates.length === 1) return candidates[0];
  const picked = await vscode.window.showQuickPick(
    candidates.map((m) => ({
      label: vscode.workspace.asRelativePath(m.manifest),
      m,
    })),
    { title: words.title ?? 'Which mlops.yaml?' },
  );
  return picked?.m;
}

async function pickModel(ctx: Ctx, target: Target | undefined): Promise<{ manifest: Manifest; model: Manifest['models'][number] } | undefined> {
  const manifest = await pickManifest(
    ctx,
    target,
    (m) => m.models.some((x) => target?.model === undefined || x.name === target.model),
    target?.model ? `model ${target.model}` : 'a model',
  );
  if (!manifest) return undefined;
  const models = manifest.models.filter((x) => target?.model === undefined || x.name === target.model);
  if (models.length === 1) return { manifest, model: models[0] };
  const picked = await vscode.window.showQuickPick(
    models.map((x) => ({
      label: x.name,
      description: Object.entries(x.aliases)
        .map(([a, v]) => `${a} → ${v}`)
        .join(', '),
      x,
    })),
    { title: 'Which model?' },
  );
  return picked && { manifest, model: picked.x };
}

/** The manifest's open document (its text is what the edits apply to). */
async function documentOf(manifest: string): Promise<vscode.TextDocument> {
  return vscode.workspace.openTextDocument(vscode.Uri.file(manifest));
}

export async function promoteVersion(ctx: Ctx, target?: Target): Promise<void> {
  const chosen = await pickModel(ctx, target);
  if (!chosen) return;
  const { manifest, model } = chosen;
  const version = await vscode.window.showQuickPick(
    model.versions.map((v) => ({
      label: v,
      description: Object.entries(model.aliases)
        .filter(([, t]) => t === v)
        .map(([a]) => a)
        .join(', '),
    })),
    { title: `Promote which version of ${model.name}?` },
  );
  if (!version) return;
  const how = await vscode.window.showQuickPick(
    [
      {
        label: 'Production',
        description: 'move the production alias; endpoints serve it entirely',
        alias: 'production',
        canary: false,
      },
      {
        label: 'Canary step',
        description: 'shift the next traffic step to it (10 → 50 → 100 %)',
        alias: undefined as string | undefined,
        canary: true,
      },
      ...Object.keys(model.aliases)
        .filter((a) => a !== 'production')
        .map((a) => ({
          label: `Alias ${a}`,
          description: `move only ${a}`,
          alias: a,
          canary: false,
        })),
    ],
    { title: `Promote ${model.name} "${version.label}" how?` },
  );
  if (!how) return;
  const document = await documentOf(manifest.manifest);
  const plan = await ctx.request(Requests.planPromotion, {
    manifest: manifest.manifest,
    text: document.getText(),
    model: model.name,
    version: version.label,
    alias: how.alias,
    canary: how.canary,
  });
  await confirmAndApply(ctx, document, plan, 'Promote', model.mlflowRegistry);
}

export async function rollback(ctx: Ctx, target?: Target): Promise<void> {
  const chosen = await pickModel(ctx, target);
  if (!chosen) return;
  const document = await documentOf(chosen.manifest.manifest);
  const plan = await ctx.request(Requests.planRollback, {
    manifest: chosen.manifest.manifest,
    text: document.getText(),
    model: chosen.model.name,
  });
  await confirmAndApply(ctx, document, plan, 'Roll Back', chosen.model.mlflowRegistry);
}

/** `mlflowRegistry`: where the model's MLflow aliases can be set too (the setting, or a button of the dialog, decides). */
async function confirmAndApply(ctx: Ctx, document: vscode.TextDocument, plan: PromotionPlan, verb: string, mlflowRegistry?: string): Promise<void> {
  const gates = plan.evidence.gates.map((g) => `${g.pass === true ? '✓' : g.pass === false ? '✗' : '?'} ${g.metric}: ${g.detail}`);
  const movesAliases = Object.keys({ ...plan.from.aliases, ...plan.to.aliases }).some((a) => plan.from.aliases[a] !== plan.to.aliases[a]);
  const mlflow = mlflowRegistry !== undefined && movesAliases;
  const always = mlflow && ctx.config.promotionMlflowAliases;
  const detail = [
    plan.evidence.summary,
    '',
    ...gates,
    ...(plan.blocked.length > 0 ? ['', ...plan.blocked.map((b) => `⚠ ${b}`)] : []),
    ...(always ? ['', `The aliases are set in the MLflow registry ${vscode.workspace.asRelativePath(mlflowRegistry!)} too (backed up first).`] : []),
  ].join('\n');
  if (plan.edits.length === 0) {
    void vscode.window.showInformationMessage(`Nothing to change for ${plan.model}.`, { modal: true, detail });
    return;
  }
  const button = plan.blocked.length > 0 ? `${verb} Anyway` : verb;
  const withMlflow = `${button} and Set MLflow Aliases`;
  const answer = await vscode.window.showWarningMessage(
    `${verb} ${plan.model}${plan.action === 'promote' ? ` version "${plan.version}"` : ''}?`,
    { modal: true, detail },
    ...(mlflow && !always ? [button, withMlflow] : [button]),
  );
  if (answer !== button && answer !== withMlflow) return;
  if (always || answer === withMlflow) {
    // The registry first: when it refuses, mlops.yaml is left as it is.
    try {
      const changes = await ctx.request(Requests.setMlflowAliases, { plan });
      plan = { ...plan, evidence: { ...plan.evidence, mlflow: changes } };
    } catch (error) {
      void vscode.window.showErrorMessage(`MLflow aliases not set, nothing changed: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
  }
  const edit = new vscode.WorkspaceEdit();
  for (const e of plan.edits) {
    edit.replace(document.uri, new vscode.Range(e.range.start.line, e.range.start.character, e.range.end.line, e.range.end.character), e.newText);
  }
  if (!(await vscode.workspace.applyEdit(edit))) {
    void vscode.window.showErrorMessage('mlops.yaml could not be edited (it changed meanwhile?); nothing was recorded.');
    return;
  }
  await document.save();
  const event = await ctx.request(Requests.recordPromotion, { plan });
  const mlflowNote = plan.evidence.mlflow?.length ? ` MLflow: ${plan.evidence.mlflow.map((c) => `${c.alias} → ${c.version ?? 'removed'}`).join(', ')}.` : '';
  void vscode.window.showInformationMessage(`${plan.evidence.summary}${mlflowNote} (audit event #${event.id}; a running model server reloads mlops.yaml.)`);
}

/** The experiment to analyze: the code lens's, else picked from the workspace's manifests. */
export async function pickExperiment(ctx: Ctx, target?: Target): Promise<{ manifest: string; experiment: string } | undefined> {
  const manifest = await pickManifest(
    ctx,
    target,
    (m) => m.experiments.length > 0 && (target?.experiment === undefined || m.experiments.includes(target.experiment)),
    'an experiment',
  );
  if (!manifest) return undefined;
  let experiment = target?.experiment;
  if (experiment === undefined)
    experiment =
      manifest.experiments.length === 1
        ? manifest.experiments[0]
        : await vscode.window.showQuickPick(manifest.experiments, {
            title: 'Analyze which experiment?',
          });
  return experiment === undefined ? undefined : { manifest: manifest.manifest, experiment };
}

/** A canary guard rolled a canary back: say so, with the way to the edited manifest. */
export function registerAutoRollbackWarnings(ctx: Ctx): void {
  ctx.onNotification(Notifications.autoRollback, async (event) => {
    ctx.output.warn(`${event.summary} (audit event #${event.eventId})`);
    const choice = await vscode.window.showWarningMessage(`MLOps: ${event.summary}`, 'Open mlops.yaml');
    if (choice === 'Open mlops.yaml') await vscode.window.showTextDocument(vscode.Uri.file(event.manifest));
  });
}
