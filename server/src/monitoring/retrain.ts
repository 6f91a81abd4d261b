/**
 * Whether to run a model's retrain command: monitoring fired on something `retrain.on` lists
 * (drift, degradation), or its `retrain.schedule` fell due — and no retrain ran within the cooldown
 * (persisted in the store, so a new editor session or a restarted server keeps it). The editor
 * asks and runs the task; `mlops retrain` runs it in a terminal. Both record each run here.
 */
import type { RetrainCause, RetrainDecision, RetrainEvent, RetrainReason } from '../contract';
import type { Database } from '../store/store';
import { formatScheduled, parseSchedule } from './schedule';

export const DEFAULT_COOLDOWN_MS = 24 * 3_600_000;

export interface RetrainSettings {
  command?: string;
  on: readonly string[];
  auto?: boolean;
  cooldownMs?: number;
  schedule?: string;
  timezone?: string;
}

/** Where a model's schedule stands: the time it fell due (if it has and nothing covered it), and the next one. */
export interface ScheduleStatus {
  text: string;
  timezone: string;
  /** The latest scheduled time that no run answered yet, or null. */
  due: number | null;
  next: number | null;
  /** Whether `due` was announced already (offered once, also across editor sessions). */
  offered: boolean;
  /** Set when the schedule cannot be read (the manifest check says where). */
  error?: string;
}

export interface RetrainInput {
  retrain: RetrainSettings | undefined;
  /** null: not evaluated (no data). */
  drift: boolean | null;
  degraded: boolean | null;
  /** Time of the latest retrain of this model (not counting skipped ones), or null. */
  lastRun: number | null;
  schedule?: ScheduleStatus | null;
  now: number;
}

export function retrainDecision(i: RetrainInput): RetrainDecision {
  const r = i.retrain;
  const cooldown = r?.cooldownMs ?? DEFAULT_COOLDOWN_MS;
  const cooldownUntil = i.lastRun !== null ? i.lastRun + cooldown : null;
  const schedule = i.schedule ? { text: i.schedule.text, timezone: i.schedule.timezone, next: i.schedule.next, due: i.schedule.due, offered: i.schedule.offered, ...(i.schedule.error ? { error: i.schedule.error } : {}) } : null;
  const base = { command: r?.command ?? null, auto: r?.auto ?? false, cooldown_until: cooldownUntil, schedule };
  if (!r?.command) return { ...base, trigger: false, reasons: [], message: 'No retrain command is configured (monitoring.<model>.retrain.command).' };
  const reasons: RetrainReason[] = [];
  if (i.drift && r.on.includes('drift')) reasons.push('drift');
  if (i.degraded && r.on.includes('degradation')) reasons.push('degradation');
  if (schedule?.due != null) reasons.push('schedule');
  const nextText = schedule?.next != null ? ` Next scheduled retrain: ${formatScheduled(schedule.next, schedule.timezone)}.` : '';
  if (reasons.length === 0) {
    const fired = [i.drift ? 'drift' : undefined, i.degraded ? 'degradation' : undefined].filter(Boolean);
    const why = fired.length > 0 ? `${fired.join(' and ')} found, but retrain.on does not list it.` : 'Nothing calls for a retrain.';
    return { ...base, trigger: false, reasons, message: why + nextText };
  }
  // The schedule's due time is past the cooldown by construction (scheduleStatus); drift and degradation wait for it.
  if (cooldownUntil !== null && i.now < cooldownUntil && !reasons.includes('schedule')) {
    return { ...base, trigger: false, reasons, message: `${reasons.join(' and ')} found, but a retrain ran ${ago(i.now - i.lastRun!)} ago; the cooldown ends in ${ago(cooldownUntil - i.now)}.${nextText}` };
  }
  return { ...base, trigger: true, reasons, message: `${sentence(reasons, schedule)}: retrain with \`${r.command}\`.` };
}

function sentence(reasons: RetrainReason[], schedule: RetrainDecision['schedule']): string {
  const words = reasons.map((x) =>
    x === 'drift' ? 'data drift found' : x === 'degradation' ? 'quality degradation found' : `the scheduled retrain of ${formatScheduled(schedule!.due!, schedule!.timezone)} is due`,
  );
  return words.join(' and ').replace(/^./, (c) => c.toUpperCase());
}

function ago(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m < 60 ? `${Math.max(m, 1)} min` : m < 48 * 60 ? `${Math.round(m / 60)} h` : `${Math.round(m / 1440)} d`;
}

/** The latest retrain that ran (started) — what the cooldown counts from. */
export function lastRetrain(db: Database, manifest: string, model: string): number | null {
  const t = db.prepare('SELECT max(time) FROM retrain_events WHERE manifest = ? AND model = ? AND skipped = 0').pluck().get(manifest, model) as number | null;
  return t ?? null;
}

/**
 * The schedule's state, and its anchor kept in the store: a schedule counts from when it was first
 * seen (or last changed), so adding one never fires for the past. A scheduled time is due when no
 * run (of any cause) or skip came after it, and it is outside the cooldown of the run before it
 * (that run covers it). Of several missed times only the latest counts: it is offered once.
 */
export function scheduleStatus(db: Database, p: { manifest: string; model: string; settings: RetrainSettings | undefined; now: number }): ScheduleStatus | null {
  const text = p.settings?.schedule;
  if (!text) return null;
  const timezone = p.settings?.timezone ?? 'UTC';
  const parsed = parseSchedule(text, timezone);
  if (!parsed.ok) return { text, timezone, due: null, next: null, offered: false, error: parsed.problem.message };
  const row = db.prepare('SELECT schedule, timezone, since, offered_for FROM retrain_schedules WHERE manifest = ? AND model = ?').get(p.manifest, p.model) as
    | { schedule: string; timezone: string; since: number; offered_for: number | null }
    | undefined;
  let since = row?.since ?? p.now;
  if (!row || row.schedule !== text || row.timezone !== timezone) {
    since = p.now;
    db.prepare(
      'INSERT INTO retrain_schedules (manifest, model, schedule, timezone, since, offered_for) VALUES (?, ?, ?, ?, ?, NULL) ON CONFLICT (manifest, model) DO UPDATE SET schedule = excluded.schedule, timezone = excluded.timezone, since = excluded.since, offered_for = NULL',
    ).run(p.manifest, p.model, text, timezone, since);
  }
  const s = parsed.schedule;
  const next = s.next(p.now);
  const latest = s.previous(p.now);
  const answered = db
    .prepare('SELECT max(CASE WHEN skipped = 1 THEN coalesce(scheduled_for, time) ELSE max(time, coalesce(scheduled_for, 0)) END) FROM retrain_events WHERE manifest = ? AND model = ?')
    .pluck()
    .get(p.manifest, p.model) as number | null;
  const lastRun = lastRetrain(db, p.manifest, p.model);
  const cooldownUntil = lastRun !== null ? lastRun + (p.settings?.cooldownMs ?? DEFAULT_COOLDOWN_MS) : null;
  const due = latest !== null && latest > since && latest > (answered ?? -Infinity) && (cooldownUntil === null || latest >= cooldownUntil) ? latest : null;
  return { text, timezone, due, next, offered: due !== null && row?.offered_for === due };
}

/** Remember that the scheduled time `due` was announced, so a restart does not announce it again. */
export function markScheduleOffered(db: Database, manifest: string, model: string, due: number): void {
  db.prepare('UPDATE retrain_schedules SET offered_for = ? WHERE manifest = ? AND model = ?').run(due, manifest, model);
}

export interface RetrainStart {
  manifest: string;
  model: string;
  reasons: readonly string[];
  command: string;
  cause: RetrainCause;
  /** The scheduled time this run answers (cause schedule). */
  scheduledFor?: number | null;
  time?: number;
}

/** Record a retrain as it starts; returns its event id, for `finishRetrain`. */
export function recordRetrain(db: Database, e: RetrainStart): number {
  const info = db
    .prepare('INSERT INTO retrain_events (time, manifest, model, reasons_json, command, cause, scheduled_for) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(e.time ?? Date.now(), e.manifest, e.model, JSON.stringify(e.reasons), e.command, e.cause, e.scheduledFor ?? null);
  return Number(info.lastInsertRowid);
}

/** A scheduled time the user declined: it counts as answered, but not as a run (no cooldown). */
export function skipScheduled(db: Database, e: { manifest: string; model: string; command: string; scheduledFor: number; time?: number }): number {
  const info = db
    .prepare("INSERT INTO retrain_events (time, manifest, model, reasons_json, command, cause, scheduled_for, skipped) VALUES (?, ?, ?, '[\"schedule\"]', ?, 'schedule', ?, 1)")
    .run(e.time ?? Date.now(), e.manifest, e.model, e.command, e.scheduledFor);
  return Number(info.lastInsertRowid);
}

export function finishRetrain(db: Database, id: number, result: { exitCode: number | null; durationMs: number }): void {
  db.prepare('UPDATE retrain_events SET exit_code = ?, duration_ms = ? WHERE id = ?').run(result.exitCode, Math.round(result.durationMs), id);
}

/** A model's retrains, newest first. */
export function retrainHistory(db: Database, manifest: string, model: string, limit = 50): RetrainEvent[] {
  const rows = db
    .prepare('SELECT id, time, reasons_json, command, cause, scheduled_for, exit_code, duration_ms, skipped FROM retrain_events WHERE manifest = ? AND model = ? ORDER BY time DESC, id DESC LIMIT ?')
    .all(manifest, model, limit) as { id: number; time: number; reasons_json: string; command: string; cause: string; scheduled_for: number | null; exit_code: number | null; duration_ms: number | null; skipped: number }[];
  return rows.map((r) => ({
    id: r.id,
    time: r.time,
    model,
    reasons: JSON.parse(r.reasons_json) as string[],
    command: r.command,
    cause: r.cause as RetrainCause,
    scheduled_for: r.scheduled_for,
    exit_code: r.exit_code,
    duration_ms: r.duration_ms,
    skipped: r.skipped === 1,
  }));
}
