/**
 * The language server's side of monitoring: drift reports and model health for the editor, from
 * the same cores as `mlops drift` and `mlops monitor`. It re-checks every monitored model's health
 * periodically; a changed state refreshes the Models view, and a retrain that should be offered is
 * announced to the client (which asks the user and runs the task). No decisions are made here.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Connection } from 'vscode-languageserver/node';
import { Notifications, type DriftPanelData, type RetrainCause, type HealthState, type ModelHealth, type MonitoredModel, type TreeNode } from '../contract';
import { DriftInputError, monitoredDrift } from '../drift/index';
import { readManifestModel, type ManifestModel } from '../manifest/model';
import { parseManifest } from '../manifest/parse';
import type { RunLookup } from '../manifest/validate';
import { finishRetrain, markScheduleOffered, modelHealth, recordRetrain, skipScheduled } from '../monitoring/index';
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
  /** What was announced per model: its reasons and scheduled time, so a new reason is announced again. */
  private readonly suggested = new Map<string, string>();
  private wake: NodeJS.Timeout | undefined;
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
    clearTimeout(this.wake);
  }

  /** Check again right after the soonest scheduled retrain, rather than up to a minute late. */
  private wakeAt(at: number | undefined): void {
    clearTimeout(this.wake);
    if (at === undefined) return;
    const delay = at - Date.now() + 250;
    // Timers hold 2^31 ms at most; the periodic check covers anything that far out.
    if (delay <= 0 || delay > 2 ** 31 - 1) return;
    this.wake = setTimeout(() => this.check(), delay);
    this.wake.unref();
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
          const next = h?.retrain.schedule?.next;
          const schedule = h?.retrain.schedule && next != null ? { nextRetrain: { at: next, timezone: h.retrain.schedule.timezone, schedule: h.retrain.schedule.text } } : {};
          out.push({ manifest, model, state: h?.state ?? 'unknown', ...due, ...schedule });
        }
      }
    }
    return out;
  }

  /** Recompute every monitored model's health; returns whether any state changed. */
  check(): boolean {
    let changed = false;
    let nextScheduled: number | undefined;
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
      // Announce a retrain once per time it becomes due; a scheduled time once at all, also across
      // editor sessions (a run missed while the editor was closed is offered on start, once).
      const scheduled = h.retrain.schedule?.due ?? null;
      const announce = `${h.retrain.reasons.join(',')}@${scheduled ?? ''}`;
      const onlyScheduled = h.retrain.reasons.length === 1 && scheduled !== null;
      if (h.retrain.trigger && this.suggested.get(k) !== announce && !(onlyScheduled && h.retrain.schedule?.offered)) {
        this.suggested.set(k, announce);
        if (scheduled !== null) withStore(dirname(manifest), (db) => markScheduleOffered(db, manifest, model, scheduled));
        void this.deps.connection.sendNotification(Notifications.retrainSuggested.method, h);
      } else if (!h.retrain.trigger) this.suggested.delete(k);
      const next = h.retrain.schedule?.next;
      if (next != null && (nextScheduled === undefined || next < nextScheduled)) nextScheduled = next;
    }
    this.wakeAt(nextScheduled);
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
    // The health is the one figure the row shows; the tooltip already holds the versions and aliases.
    node.description = word;
    const lines = [`Health: **${word}**`];
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

  retrainStarted(p: { manifest: string; model: string; cause: RetrainCause; scheduledFor?: number | null }): { id: number } {
    const h = this.health.get(key(p.manifest, p.model));
    const command = this.retrainCommand(p.manifest, p.model);
    const id = withStore(dirname(p.manifest), (db) =>
      recordRetrain(db, { manifest: p.manifest, model: p.model, reasons: h?.retrain.reasons ?? [], command, cause: p.cause, scheduledFor: p.scheduledFor ?? null }),
    );
    this.check();
    return { id };
  }

  retrainFinished(p: { manifest: string; id: number; exitCode: number | null; durationMs: number }): { ok: true } {
    withStore(dirname(p.manifest), (db) => finishRetrain(db, p.id, { exitCode: p.exitCode, durationMs: p.durationMs }));
    return { ok: true };
  }

  retrainSkipped(p: { manifest: string; model: string; scheduledFor: number }): { ok: true } {
    const command = this.retrainCommand(p.manifest, p.model);
    withStore(dirname(p.manifest), (db) => skipScheduled(db, { manifest: p.manifest, model: p.model, command, scheduledFor: p.scheduledFor }));
    this.check();
    return { ok: true };
  }

  private retrainCommand(manifest: string, model: string): string {
    const command = this.manifestModel(manifest)?.monitoring?.entries.get(model)?.retrain?.command?.value;
    if (!command) throw new Error(`monitoring.${model}.retrain.command is not set in ${manifest}`);
    return command;
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
