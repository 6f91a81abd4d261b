import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { AuditEvent, PromotionPlan } from '../../contract';
import { runLookup, type RunLookup } from '../../manifest/validate';
import { aliasChanges, describeMlflowChange, syncMlflowAliases } from '../../promotion/mlflow-alias';
import { applyEdits, history, planPromotion, planRollback, PromotionError, recordEvent } from '../../promotion/promotion';
import { openStore, type Database } from '../../store/store';
import { TrackingService } from '../../tracking/service';
import { EXIT_FINDINGS, EXIT_OK, UsageError, type Out } from '../usage';
import { folderManifest } from './ab';

export const PROMOTE_HELP = `Usage: mlops promote <model> <version> [folder] [--alias A | --canary] [--mlflow-alias] [--force] [--dry-run]

Promotes a version of a model in folder/mlops.yaml (default folder: .): evaluates the model's gates
(run metrics of the version's run, and live metrics such as p95_latency_ms and error_rate from the
prediction log), then edits mlops.yaml and records an audit event in folder/.mlops/index.db.
A running model server reloads the file by itself.

  (default)      the production alias moves to the version, and every endpoint serving the
                 model sends it all its traffic
  --alias A      only the alias A moves to the version (e.g. --alias staging)
  --canary       the next canary step: the version's share of each endpoint goes 10 → 50 → 100 %
                 (the rest stays on the version serving most); at 100 % the alias moves too
  --mlflow-alias set the aliases that move on the MLflow registered model of the same name too (in
                 the workspace's mlflow.db, backed up to mlflow.db.bak-<time> first, or its mlruns/
                 file store, models/<name>/aliases/ copied to aliases.bak-<time>/ first); the
                 manifest's version ids are the registry's version numbers
  --force        promote although a gate fails
  --dry-run      print the evidence and the edits, change nothing

Exit codes: 0 promoted, 1 refused (a failed gate, nothing to change), 2 bad usage.
`;

export const ROLLBACK_HELP = `Usage: mlops rollback <model> [folder] [--mlflow-alias] [--force] [--dry-run]

Restores the aliases and traffic from before the model's latest promotion that is not rolled back
yet (from the audit log), and records the rollback. Rolling back again goes one promotion further.
--mlflow-alias restores the aliases on the MLflow registered model too (after a backup, as promote).
--force rolls back even when mlops.yaml was changed by hand since that promotion.
`;

export const HISTORY_HELP = `Usage: mlops history <model> [folder] [--json]

The audit log of a model's promotions and rollbacks, newest first: when, who, from, to, evidence.
`;

export async function indexedRuns(root: string, out: Out): Promise<RunLookup | undefined> {
  let service: TrackingService | undefined;
  try {
    service = TrackingService.open(root, (note) => out.stderr(`mlops: ${note}\n`));
    await service.refresh();
    return runLookup(service.runs());
  } catch (error) {
    out.stderr(`mlops: runs were not read, so gates on run metrics are not checked: ${(error as Error).message.split('\n')[0]}\n`);
    return undefined;
  } finally {
    await service?.close();
  }
}

/** The flags promote and rollback share: they both change mlops.yaml the same way. */
const CHANGE_OPTIONS = {
  'mlflow-alias': { type: 'boolean' },
  force: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface ChangeFlags {
  'mlflow-alias'?: boolean;
  force?: boolean;
  'dry-run'?: boolean;
}

interface PlanInput {
  root: string;
  manifestPath: string;
  text: string;
  db: Database;
}

export async function promoteCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...CHANGE_OPTIONS, alias: { type: 'string' }, canary: { type: 'boolean' } },
  });
  if (values.help) {
    out.stdout(PROMOTE_HELP);
    return EXIT_OK;
  }
  if (positionals.length < 2 || positionals.length > 3) throw new UsageError('promote takes a model, a version and at most one folder');
  if (values.alias !== undefined && values.canary)
    throw new UsageError('--alias and --canary do not go together (a completed canary moves the production alias)');
  return planAndApply(positionals[2], values, out, async ({ root, manifestPath, text, db }) =>
    planPromotion({ manifestPath, text, model: positionals[0], version: positionals[1], alias: values.alias, canary: values.canary, runs: await indexedRuns(root, out), db }),
  );
}

export async function rollbackCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: CHANGE_OPTIONS });
  if (values.help) {
    out.stdout(ROLLBACK_HELP);
    return EXIT_OK;
  }
  if (positionals.length < 1 || positionals.length > 2) throw new UsageError('rollback takes a model and at most one folder');
  return planAndApply(positionals[1], values, out, ({ manifestPath, text, db }) => planRollback({ manifestPath, text, model: positionals[0], db }));
}

/** Plans against folder/mlops.yaml and the store, then shows, refuses or applies the plan. */
async function planAndApply(folder: string | undefined, flags: ChangeFlags, out: Out, plan: (input: PlanInput) => PromotionPlan | Promise<PromotionPlan>): Promise<number> {
  const { root, manifestPath } = folderManifest(folder ?? '.');
  const db = openStore(root);
  try {
    const planned = await plan({ root, manifestPath, text: readFileSync(manifestPath, 'utf8'), db });
    return await finish(planned, db, out, { force: flags.force, dryRun: flags['dry-run'], mlflowAlias: flags['mlflow-alias'] ? root : undefined });
  } catch (error) {
    return refused(error, out);
  } finally {
    db.close();
  }
}

export function historyCommand(args: string[], out: Out): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out.stdout(HISTORY_HELP);
    return EXIT_OK;
  }
  if (positionals.length < 1 || positionals.length > 2) throw new UsageError('history takes a model and at most one folder');
  const { root } = folderManifest(positionals[1] ?? '.');
  const db = openStore(root);
  let events: AuditEvent[];
  try {
    events = history(db, positionals[0]);
  } finally {
    db.close();
  }
  if (values.json) out.stdout(JSON.stringify(events, null, 2) + '\n');
  else if (events.length === 0) out.stdout(`No promotions or rollbacks of ${positionals[0]} are recorded.\n`);
  else out.stdout(events.map((e) => `#${e.id} ${new Date(e.time).toISOString()} ${e.user} ${e.action}: ${e.evidence.summary}`).join('\n') + '\n');
  return EXIT_OK;
}

/** `mlflowAlias`: the workspace root whose MLflow registry gets the aliases too. */
async function finish(plan: PromotionPlan, db: Database, out: Out, options: { force?: boolean; dryRun?: boolean; mlflowAlias?: string }): Promise<number> {
  out.stdout(
    `${plan.action === 'promote' ? 'Promote' : 'Roll back'} ${plan.model}${plan.action === 'promote' ? ` version "${plan.version}"` : ''}: ${plan.evidence.summary}\n`,
  );
  for (const g of plan.evidence.gates) out.stdout(`  ${g.pass === true ? 'pass' : g.pass === false ? 'FAIL' : 'n/a '}  ${g.metric}: ${g.detail}\n`);
  const nothing = plan.edits.length === 0;
  if (options.dryRun) {
    for (const e of plan.edits)
      out.stdout(
        `  edit ${e.range.start.line + 1}:${e.range.start.character + 1}-${e.range.end.line + 1}:${e.range.end.character + 1} → ${JSON.stringify(e.newText)}\n`,
      );
    if (options.mlflowAlias)
      for (const [alias, version] of Object.entries(aliasChanges(plan.from, plan.to)))
        out.stdout(`  MLflow alias ${alias} → ${version === null ? 'removed' : `version ${version}`}\n`);
    return EXIT_OK;
  }
  if (nothing || (plan.blocked.length > 0 && !options.force)) {
    for (const b of plan.blocked) out.stderr(`mlops: ${b}\n`);
    if (!nothing) out.stderr('mlops: nothing changed; --force to go ahead anyway\n');
    return EXIT_FINDINGS;
  }
  // The registry first: when it cannot take the aliases, nothing has changed yet.
  if (options.mlflowAlias) {
    const changes = await syncMlflowAliases(options.mlflowAlias, plan);
    for (const c of changes) out.stdout(`${describeMlflowChange(c)}\n`);
    plan = { ...plan, evidence: { ...plan.evidence, mlflow: changes } };
  }
  writeFileSync(plan.manifest, applyEdits(readFileSync(plan.manifest, 'utf8'), plan.edits));
  const event = recordEvent(db, plan);
  out.stdout(`Updated ${plan.manifest}; audit event #${event.id}.\n`);
  return EXIT_OK;
}

function refused(error: unknown, out: Out): number {
  if (!(error instanceof PromotionError)) throw error;
  out.stderr(`mlops: ${error.message}\n`);
  return EXIT_FINDINGS;
}
