/**
 * Whether to offer a model's retrain command: monitoring fired on something `retrain.on` lists
 * (drift, degradation), and no retrain ran within the cooldown (persisted in the store, so a new
 * editor session or a restarted server keeps it). The editor only asks and runs the task.
 */
import type { RetrainDecision } from '../contract';
import type { Database } from '../store/store';

export const DEFAULT_COOLDOWN_MS = 24 * 3_600_000;

export interface RetrainSettings {
  command?: string;
  on: readonly string[];
  auto?: boolean;
  cooldownMs?: number;
}

export interface RetrainInput {
  retrain: RetrainSettings | undefined;
  /** null: not evaluated (no data). */
  drift: boolean | null;
  degraded: boolean | null;
  /** Time of the latest retrain of this model, or null. */
  lastRun: number | null;
  now: number;
}

export function retrainDecision(i: RetrainInput): RetrainDecision {
  const r = i.retrain;
  const cooldown = r?.cooldownMs ?? DEFAULT_COOLDOWN_MS;
  const cooldownUntil = i.lastRun !== null ? i.lastRun + cooldown : null;
  const base = { command: r?.command ?? null, auto: r?.auto ?? false, cooldown_until: cooldownUntil };
  if (!r?.command) return { ...base, trigger: false, reasons: [], message: 'No retrain command is configured (monitoring.<model>.retrain.command).' };
  const reasons: ('drift' | 'degradation')[] = [];
  if (i.drift && r.on.includes('drift')) reasons.push('drift');
  if (i.degraded && r.on.includes('degradation')) reasons.push('degradation');
  if (reasons.length === 0) {
    const fired = [i.drift ? 'drift' : undefined, i.degraded ? 'degradation' : undefined].filter(Boolean);
    return { ...base, trigger: false, reasons, message: fired.length > 0 ? `${fired.join(' and ')} found, but retrain.on does not list it.` : 'Nothing calls for a retrain.' };
  }
  if (cooldownUntil !== null && i.now < cooldownUntil) {
    return { ...base, trigger: false, reasons, message: `${reasons.join(' and ')} found, but a retrain ran ${ago(i.now - i.lastRun!)} ago; the cooldown ends in ${ago(cooldownUntil - i.now)}.` };
  }
  return { ...base, trigger: true, reasons, message: `${reasons.map((x) => (x === 'drift' ? 'data drift' : 'quality degradation')).join(' and ').replace(/^./, (c) => c.toUpperCase())} found: retrain with \`${r.command}\`.` };
}

function ago(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m < 60 ? `${Math.max(m, 1)} min` : m < 48 * 60 ? `${Math.round(m / 60)} h` : `${Math.round(m / 1440)} d`;
}

export function lastRetrain(db: Database, manifest: string, model: string): number | null {
  const t = db.prepare('SELECT max(time) FROM retrain_events WHERE manifest = ? AND model = ?').pluck().get(manifest, model) as number | null;
  return t ?? null;
}

export function recordRetrain(db: Database, e: { manifest: string; model: string; reasons: string[]; command: string; time?: number }): void {
  db.prepare('INSERT INTO retrain_events (time, manifest, model, reasons_json, command) VALUES (?, ?, ?, ?, ?)').run(e.time ?? Date.now(), e.manifest, e.model, JSON.stringify(e.reasons), e.command);
}
