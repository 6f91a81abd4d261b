/**
 * The language server's side of monitoring: drift reports and model health for the editor, from
 * the same cores as `mlops drift` and `mlops monitor`. It re-checks every monitored model's health
 * periodically; a changed state refreshes the Models view, and a retrain that should be offered is
 * announced to the client (which asks the user and runs the task). No decisions are made here.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Connection } from 'vscode-languageserver/node';
import { Notifications, type DriftPanelData, type HealthState, type ModelHealth, type MonitoredModel, type TreeNode } from '../contract';
import { DriftInputError, monitoredDrift } from '../drift/index';
import { readManifestModel, type ManifestModel } from '../manifest/model';
import { parseManifest } from '../manifest/parse';
import type { RunLookup } from '../manifest/validate';
import { modelHealth, recordRetrain } from '../monitoring/index';
import { StatsError } from '../stats/index';
import { withStore } from '../store/store';
import { scanWorkspace } from '../workspace/scan';

export interface MonitoringDeps {
  connection: Connection;
  folders: () => string[];
  openText: (path: string) => string | undefined;
  runs: () => RunLookup | undefined;
  /** A model's health state changed: the Models view should be rebuilt. */
  onHealthChanged: () => void;
  /** The models the local model server serves right now. */
  served?: () => ReadonlySet<string>;
}

const ICONS: Record<HealthState, string> = { ok: 'pass', drift: 'warning', degraded: 'error', unknown: 'circle-outline' };
const WORDS: Record<HealthState, string> = { ok: 'healthy', drift: 'drift', degraded: 'degraded', unknown: 'no data yet' };

export class MonitoringHost {
  private readonly health = new Map<string, ModelHealth>();
  private readonly suggested = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: MonitoringDeps) {}

  /** Check health now and then every `intervalMs`. */
  start(intervalMs = 60_000): void {
    this.check();
    this.timer = setInterval(() => this.check(), intervalMs);
    this.timer.unref();
  }

  dispose(): void {
    clearInterval(this.timer);
    clearTimeout(this.soon);
  }

  private soon: NodeJS.Timeout | undefined;

  /** Check shortly (debounced: indexing a large store changes the index many times). */
  scheduleCheck(delayMs = 500): void {
    clearTimeout(this.soon);
    this.soon = setTimeout(() => this.check(), delayMs);
    this.soon.unref();
  }

  /** Every (manifest, model) pair declared under `monitoring:`. */
  monitored(): MonitoredModel[] {
    const out: MonitoredModel[] = [];
    for (const folder of this.deps.folders()) {
      for (const manifest of scanWorkspace(folder).manifests) {
        for (const model of this.manifestModel(manifest)?.monitoring?.entries.keys() ?? []) {
          const h = this.health.get(key(manifest, model));
          const due = h?.retrain.trigger ? { retrain: { reasons: h.retrain.reasons, message: h.retrain.message } } : {};
          out.push({ manifest, model, state: h?.state ?? 'unknown', ...due });
        }
      }
    }
    return out;
  }

  /** Recompute every monitored model's health; returns whether any state changed. */
  check(): boolean {
    let changed = false;
    const seen = new Set<string>();
    for (const { manifest, model } of this.monitored()) {
      const k = key(manifest, model);
      seen.add(k);
      let h: ModelHealth;
      try {
        h = this.modelHealth({ manifest, model });
      } catch (error) {
        this.deps.connection.console.warn(`Monitoring ${model} (${manifest}): ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      const before = this.health.get(k);
      // An unjudged model's row counts its requests, so a new count is a change too.
      if (before?.state !== h.state || before?.retrain.trigger !== h.retrain.trigger || (h.state === 'unknown' && (before?.performance?.overall.requests ?? 0) !== (h.performance?.overall.requests ?? 0))) changed = true;
      this.health.set(k, h);
      // Announce a retrain once per time it becomes due.
      if (h.retrain.trigger && !this.suggested.has(k)) {
        this.suggested.add(k);
        void this.deps.connection.sendNotification(Notifications.retrainSuggested.method, h);
      } else if (!h.retrain.trigger) this.suggested.delete(k);
    }
    for (const k of [...this.health.keys()]) if (!seen.has(k)) (this.health.delete(k), (changed = true));
    if (changed) this.deps.onHealthChanged();
    return changed;
  }

  /** Decorate the Models view's node of a manifest-declared model with its health. */
  decorate(node: TreeNode, manifest: string, model: string): void {
    const h = this.health.get(key(manifest, model));
    if (!h) return;
    node.icon = ICONS[h.state];
    const word = h.state === 'degraded' && h.drift?.dataset_drift ? 'degraded, drift' : h.state === 'unknown' ? this.unjudged(h, model) : WORDS[h.state];
    // The health is the one figure the row shows; versions and aliases move to the tooltip.
    const was = node.description;
    node.description = word;
    const lines = [`Health: **${word}**`, was ?? ''];
    if (h.drift) lines.push(`Drift: ${h.drift.drifted_features} of ${h.drift.features} features${h.drift.dataset_drift ? ' — data set drift' : ''}`);
    else if (h.drift_error) lines.push(`Drift: ${h.drift_error}`);
    for (const a of h.performance?.alerts ?? []) lines.push(`${a.severity}: ${a.message}`);
    lines.push(h.retrain.message);
    node.tooltip = [node.tooltip, ...lines].filter(Boolean).join('\n\n');
    // A due retrain gets the row's inline Retrain action (package.json menus).
    if (h.retrain.trigger) node.contextValue = 'model.retrainDue';
  }

  /** Why a model has no health yet, in the words of what the user can see. */
  private unjudged(h: ModelHealth, model: string): string {
    const requests = h.performance?.overall.requests ?? 0;
    if (requests > 0) return `${requests.toLocaleString('en-US')} requests, awaiting feedback`;
    return this.deps.served?.().has(model) ? 'serving, no requests yet' : 'not served yet';
  }

  driftReport(p: { manifest?: string; model: string; window?: string }): DriftPanelData {
    const manifest = p.manifest ?? this.monitored().find((m) => m.model === p.model)?.manifest;
    if (!manifest) return { manifest: null, model: p.model, window: p.window ?? null, report: null, message: `No mlops.yaml in the workspace monitors a model "${p.model}".` };
    const parsed = this.manifestModel(manifest);
    if (!parsed) return { manifest, model: p.model, window: p.window ?? null, report: null, message: `${manifest} cannot be read.` };
    try {
      const r = withStore(dirname(manifest), (db) => monitoredDrift({ manifestPath: manifest, manifest: parsed, model: p.model, db, window: p.window }));
      return { manifest, model: p.model, window: r.window, report: r.report, violations: r.violations };
    } catch (error) {
      if (!(error instanceof DriftInputError || error instanceof StatsError)) throw error;
      return { manifest, model: p.model, window: p.window ?? null, report: null, message: error.message };
    }
  }

  modelHealth(p: { manifest?: string; model: string }): ModelHealth {
    const manifest = p.manifest ?? this.monitored().find((m) => m.model === p.model)?.manifest;
    const parsed = manifest ? this.manifestModel(manifest) : undefined;
    if (!manifest || !parsed) throw new Error(`No mlops.yaml in the workspace monitors a model "${p.model}".`);
    return withStore(dirname(manifest), (db) => modelHealth({ manifestPath: manifest, manifest: parsed, model: p.model, db, runs: this.deps.runs() }));
  }

  retrainStarted(p: { manifest: string; model: string }): { ok: true } {
    const h = this.health.get(key(p.manifest, p.model));
    const parsed = this.manifestModel(p.manifest);
    const command = parsed?.monitoring?.entries.get(p.model)?.retrain?.command?.value;
    if (!command) throw new Error(`monitoring.${p.model}.retrain.command is not set in ${p.manifest}`);
    withStore(dirname(p.manifest), (db) => recordRetrain(db, { manifest: p.manifest, model: p.model, reasons: h?.retrain.reasons ?? [], command }));
    this.check();
    return { ok: true };
  }

  private manifestModel(path: string): ManifestModel | undefined {
    try {
      return readManifestModel(parseManifest(this.deps.openText(path) ?? readFileSync(path, 'utf8')));
    } catch {
      return undefined;
    }
  }
}

function key(manifest: string, model: string): string {
  return `${manifest}\u0000${model}`;
}
