/**
 * The language server's side of promotion, rollback and experiment analysis: it finds the text and
 * the store, and calls the cores (promotion/, experiments/). No decisions are made here.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AbDashboardData, AuditEvent, ExperimentReport, MlflowAliasChange, PromotionChoices, PromotionPlan } from '../contract';
import { analyzeExperiment } from '../experiments/analysis';
import { readManifestModel } from '../manifest/model';
import { parseManifest } from '../manifest/parse';
import type { RunLookup } from '../manifest/validate';
import { findMlflowRegistry, syncMlflowAliases } from '../promotion/mlflow-alias';
import { planPromotion, planRollback, recordEvent } from '../promotion/promotion';
import { withStore } from '../store/store';
import { scanWorkspace } from '../workspace/scan';

export interface PromotionDeps {
  folders: () => string[];
  /** The open document's text of a manifest path, when it is open. */
  openText: (path: string) => string | undefined;
  runs: () => RunLookup | undefined;
}

export class PromotionHost {
  constructor(private readonly deps: PromotionDeps) {}

  choices(): PromotionChoices {
    const manifests: PromotionChoices['manifests'] = [];
    for (const folder of this.deps.folders()) {
      for (const manifest of scanWorkspace(folder).manifests) {
        const model = readManifestModel(parseManifest(this.text(manifest)));
        manifests.push({
          manifest,
          models: [...(model.models?.entries.values() ?? [])].map((m) => ({
            name: m.name,
            versions: [...(m.versions?.entries.keys() ?? [])],
            aliases: Object.fromEntries([...(m.aliases?.entries ?? [])].map(([a, v]) => [a, v.value])),
            mlflowRegistry: findMlflowRegistry(dirname(manifest), m.name)?.path,
          })),
          experiments: [...(model.experiments?.entries.keys() ?? [])],
        });
      }
    }
    return { manifests };
  }

  planPromotion(p: { manifest: string; text?: string; model: string; version: string; alias?: string; canary?: boolean }): PromotionPlan {
    return withStore(dirname(p.manifest), (db) =>
      planPromotion({
        manifestPath: p.manifest,
        text: p.text ?? this.text(p.manifest),
        model: p.model,
        version: p.version,
        alias: p.alias,
        canary: p.canary,
        runs: this.deps.runs(),
        db,
      }),
    );
  }

  planRollback(p: { manifest: string; text?: string; model: string }): PromotionPlan {
    return withStore(dirname(p.manifest), (db) =>
      planRollback({
        manifestPath: p.manifest,
        text: p.text ?? this.text(p.manifest),
        model: p.model,
        db,
      }),
    );
  }

  /** The plan's alias moves on the MLflow registered model of the same name, next to the manifest. */
  setMlflowAliases(plan: PromotionPlan): Promise<MlflowAliasChange[]> {
    return syncMlflowAliases(dirname(plan.manifest), plan);
  }

  record(plan: PromotionPlan): AuditEvent {
    return withStore(dirname(plan.manifest), (db) => recordEvent(db, plan));
  }

  analyze(p: { manifest: string; experiment: string }): ExperimentReport {
    const manifest = readManifestModel(parseManifest(this.text(p.manifest)));
    return withStore(dirname(p.manifest), (db) => analyzeExperiment(db, manifest, p.experiment));
  }

  /** The A/B dashboard's data: the analysis with the metric over time, and the manifest's other experiments. */
  dashboard(p: { manifest: string; experiment: string; buckets?: number }): AbDashboardData {
    const manifest = readManifestModel(parseManifest(this.text(p.manifest)));
    const report = withStore(dirname(p.manifest), (db) => analyzeExperiment(db, manifest, p.experiment, { buckets: p.buckets }));
    return {
      manifest: p.manifest,
      experiment: p.experiment,
      experiments: [...(manifest.experiments?.entries.keys() ?? [])],
      report,
      computedAt: Date.now(),
    };
  }

  private text(path: string): string {
    return this.deps.openText(path) ?? readFileSync(path, 'utf8');
  }

}
