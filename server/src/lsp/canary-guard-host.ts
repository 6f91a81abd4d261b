/**
 * The language server's side of canary auto-rollback: after each poll of the model server's
 * numbers it asks the guard core about every guarded endpoint of the served manifest, and when a
 * canary trips its guard it writes the rollback to mlops.yaml (the model server reloads it),
 * records the audit event and tells the editor. Counts are taken from when the split took effect.
 * When the editor holds unsaved edits of that mlops.yaml, the rollback goes into them too: saving
 * them must not hand the traffic back to the canary.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AutoRollbackEvent, ManifestEdit, PromotionPlan } from '../contract';
import { readManifestModel } from '../manifest/model';
import { MANIFEST_FILE_NAMES, parseManifest } from '../manifest/parse';
import { guardTargets, judgeCanary, planAutoRollback, type GuardTarget } from '../promotion/guard';
import { applyEdits, recordEvent } from '../promotion/promotion';
import type { EndpointSummary } from '../serving/http';
import type { SeriesStats } from '../serving/metrics';
import { openStore } from '../store/store';

interface Baseline {
  /** The served split it belongs to. */
  split: string;
  counts: Map<string, { requests: number; errors: number }>;
}

/** An mlops.yaml open in the editor: its text there, which may differ from the file. */
export interface OpenManifest {
  uri: string;
  version: number;
  text: string;
}

export interface CanaryGuardDeps {
  notify: (event: AutoRollbackEvent) => void;
  log: (message: string) => void;
  openManifest: (path: string) => OpenManifest | undefined;
  /** Applies edits to that open document (if it is still at that version); whether they were applied. */
  editOpen: (document: OpenManifest, edits: ManifestEdit[]) => Promise<boolean>;
}

type Decision = Parameters<typeof planAutoRollback>[0]['decision'];

export class CanaryGuardHost {
  private readonly baselines = new Map<string, Baseline>();
  /** Splits already rolled back, so a slow reload does not roll back twice. */
  private readonly acted = new Set<string>();

  constructor(private readonly deps: CanaryGuardDeps) {}

  /** The model server of `folder` reported these numbers. */
  observe(folder: string, endpoints: EndpointSummary[], stats: SeriesStats[]): void {
    this.forgetEndedSplits(folder, endpoints);
    const manifestPath = MANIFEST_FILE_NAMES.map((n) => join(folder, n)).find((p) => existsSync(p));
    if (!manifestPath) return;
    const text = readFileSync(manifestPath, 'utf8');
    const targets = guardTargets(readManifestModel(parseManifest(text)));
    for (const target of targets) {
      const served = endpoints.find((e) => e.name === target.endpoint);
      // Judge only what the model server actually serves (it may not have reloaded an edit yet).
      if (!served || !(served.traffic[target.canary] > 0) || !(served.traffic[target.control] > 0)) continue;
      const split = splitKey(folder, served);
      if (this.acted.has(split)) continue;
      const now = (version: string) => stats.find((s) => s.endpoint === target.endpoint && s.version === version);
      const baseline = this.baseline(split, target, now);
      const sample = (version: string) => {
        const s = now(version);
        const b = baseline.counts.get(version) ?? { requests: 0, errors: 0 };
        return { requests: (s?.requests ?? 0) - b.requests, errors: (s?.errors ?? 0) - b.errors, p95: s?.p95 ?? null };
      };
      const decision = judgeCanary(target.guard, sample(target.control), sample(target.canary));
      if (decision.action !== 'rollback') continue;
      this.acted.add(split);
      void this.rollBack(manifestPath, text, folder, target, decision);
    }
  }

  /** A split no longer served is history: should it be served again later, it is judged afresh. */
  private forgetEndedSplits(folder: string, endpoints: EndpointSummary[]): void {
    const served = new Set(endpoints.map((e) => splitKey(folder, e)));
    for (const key of [...this.acted, ...this.baselines.keys()]) {
      if (key.startsWith(`${folder}\u0000`) && !served.has(key)) {
        this.acted.delete(key);
        this.baselines.delete(key);
      }
    }
  }

  private baseline(split: string, target: GuardTarget, now: (version: string) => SeriesStats | undefined): Baseline {
    let b = this.baselines.get(split);
    const counts = () => new Map([target.control, target.canary].map((v) => [v, { requests: now(v)?.requests ?? 0, errors: now(v)?.errors ?? 0 }]));
    // A restarted model server counts from 0 again.
    const restarted = b && [...b.counts].some(([v, c]) => (now(v)?.requests ?? 0) < c.requests);
    if (!b || restarted) {
      b = { split, counts: b ? new Map([...b.counts.keys()].map((v) => [v, { requests: 0, errors: 0 }])) : counts() };
      this.baselines.set(split, b);
    }
    return b;
  }

  private async rollBack(manifestPath: string, text: string, folder: string, target: GuardTarget, decision: Decision): Promise<void> {
    const failed = (error: unknown) => this.deps.log(`Auto-rollback of canary "${target.canary}" on endpoint ${target.endpoint} failed: ${error instanceof Error ? error.message : String(error)}`);
    const open = this.deps.openManifest(manifestPath);
    const unsaved = open !== undefined && open.text !== text ? open : undefined;
    let plan: PromotionPlan;
    let unsavedPlan: PromotionPlan | undefined;
    let eventId: number;
    const db = openStore(folder);
    try {
      plan = planAutoRollback({ manifestPath, text, target, decision, db });
      // Planned before the event is recorded: the same history, so the same rollback.
      if (unsaved && parsesCleanly(unsaved.text)) unsavedPlan = tryPlan(() => planAutoRollback({ manifestPath, text: unsaved.text, target, decision, db }));
      writeFileSync(manifestPath, applyEdits(text, plan.edits));
      eventId = recordEvent(db, plan).id;
    } catch (error) {
      return failed(error);
    } finally {
      db.close();
    }
    let summary = plan.evidence.summary;
    if (unsaved) {
      const applied = unsavedPlan !== undefined && (unsavedPlan.edits.length === 0 || (await this.deps.editOpen(unsaved, unsavedPlan.edits).catch(() => false)));
      summary += applied
        ? ' The rollback was also made in your unsaved edits of mlops.yaml: save them over the file (overwrite it when asked) to keep both.'
        : ' mlops.yaml has unsaved edits that could not take the rollback: saving them would give the canary its traffic back.';
    }
    this.deps.log(`${summary} (audit event #${eventId})`);
    this.deps.notify({ manifest: manifestPath, model: target.model, endpoint: target.endpoint, canary: target.canary, control: target.control, eventId, summary });
  }
}

/** Edits are placed by the YAML's structure: a text with YAML errors does not take them safely. */
function parsesCleanly(text: string): boolean {
  return !parseManifest(text).findings.some((f) => f.severity === 'error');
}

/** A half-typed manifest may not take a plan; the file's rollback goes ahead regardless. */
function tryPlan(plan: () => PromotionPlan): PromotionPlan | undefined {
  try {
    return plan();
  } catch {
    return undefined;
  }
}

function splitKey(folder: string, endpoint: EndpointSummary): string {
  return `${folder}\u0000${endpoint.name}\u0000${JSON.stringify(Object.entries(endpoint.traffic).sort())}`;
}
