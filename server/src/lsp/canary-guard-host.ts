/**
 * The language server's side of canary auto-rollback: after each poll of the model server's
 * numbers it asks the guard core about every guarded endpoint of the served manifest, and when a
 * canary trips its guard it writes the rollback to mlops.yaml (the model server reloads it),
 * records the audit event and tells the editor. Counts are taken from when the split took effect.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AutoRollbackEvent } from '../contract';
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

export class CanaryGuardHost {
  private readonly baselines = new Map<string, Baseline>();
  /** Splits already rolled back, so a slow reload does not roll back twice. */
  private readonly acted = new Set<string>();

  constructor(
    private readonly notify: (event: AutoRollbackEvent) => void,
    private readonly log: (message: string) => void,
  ) {}

  /** The model server of `folder` reported these numbers. */
  observe(folder: string, endpoints: EndpointSummary[], stats: SeriesStats[]): void {
    const manifestPath = MANIFEST_FILE_NAMES.map((n) => join(folder, n)).find((p) => existsSync(p));
    if (!manifestPath) return;
    const text = readFileSync(manifestPath, 'utf8');
    const targets = guardTargets(readManifestModel(parseManifest(text)));
    for (const target of targets) {
      const served = endpoints.find((e) => e.name === target.endpoint);
      // Judge only what the model server actually serves (it may not have reloaded an edit yet).
      if (!served || !(served.traffic[target.canary] > 0) || !(served.traffic[target.control] > 0)) continue;
      const split = `${folder}\u0000${target.endpoint}\u0000${JSON.stringify(Object.entries(served.traffic).sort())}`;
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
      this.rollBack(manifestPath, text, folder, target, decision);
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

  private rollBack(manifestPath: string, text: string, folder: string, target: GuardTarget, decision: Parameters<typeof planAutoRollback>[0]['decision']): void {
    const db = openStore(folder);
    try {
      const plan = planAutoRollback({ manifestPath, text, target, decision, db });
      writeFileSync(manifestPath, applyEdits(text, plan.edits));
      const event = recordEvent(db, plan);
      this.log(`${plan.evidence.summary} (audit event #${event.id})`);
      this.notify({
        manifest: manifestPath,
        model: target.model,
        endpoint: target.endpoint,
        canary: target.canary,
        control: target.control,
        eventId: event.id,
        summary: plan.evidence.summary,
      });
    } catch (error) {
      this.log(`Auto-rollback of canary "${target.canary}" on endpoint ${target.endpoint} failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      db.close();
    }
  }
}
