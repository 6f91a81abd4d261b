/**
 * Time-based retraining (`monitoring.<model>.retrain.schedule`): `daily`, `weekly`, `monthly` or a
 * five-field cron expression in an IANA time zone. The cron grammar and the time-zone arithmetic
 * are croner's; this module is the only one that imports it. It keeps the expressions to what a
 * GitHub Actions `schedule:` also accepts (five POSIX fields, month and day names, day of week 0–6),
 * so the exported workflow runs on the same clock as the editor.
 */
import { Cron } from 'croner';

export const SCHEDULE_ALIASES: Readonly<Record<string, string>> = {
  daily: '0 0 * * *',
  weekly: '0 0 * * 1',
  monthly: '0 0 1 * *',
};

const FIELDS = ['minute', 'hour', 'day of month', 'month', 'day of week'] as const;
const NAMES = /^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat)$/i;

export interface Schedule {
  /** As written: an alias or the cron expression. */
  text: string;
  /** The five cron fields the text stands for. */
  cron: string;
  timezone: string;
  /** The first scheduled time strictly after `after` (ms since the epoch), or null if none ever comes. */
  next(after: number): number | null;
  /** The latest scheduled time at or before `at`, or null. */
  previous(at: number): number | null;
}

/** A problem with a schedule, at `offset` (length `length`) within the text as written. */
export interface ScheduleProblem {
  message: string;
  offset: number;
  length: number;
}

export type ScheduleParse = { ok: true; schedule: Schedule } | { ok: false; problem: ScheduleProblem };

export function parseSchedule(text: string, timezone = 'UTC'): ScheduleParse {
  const alias = SCHEDULE_ALIASES[text.trim().toLowerCase()];
  const cron = alias ?? text.trim();
  if (!alias) {
    const problem = cronProblem(text);
    if (problem) return { ok: false, problem };
  }
  if (!isTimeZone(timezone)) return { ok: false, problem: { message: `unknown time zone "${timezone}"`, offset: 0, length: text.length } };
  const job = new Cron(cron, { timezone, paused: true, mode: '5-part' } as ConstructorParameters<typeof Cron>[1]);
  const schedule: Schedule = {
    text,
    cron,
    timezone,
    next: (after) => job.nextRun(new Date(after))?.getTime() ?? null,
    previous: (at) => {
      // previousRuns looks strictly before its reference; one ms later includes `at` itself.
      const [last] = job.previousRuns(1, new Date(at + 1));
      return last ? last.getTime() : null;
    },
  };
  if (schedule.next(Date.UTC(2000, 0, 1)) === null) return { ok: false, problem: { message: 'this schedule never runs (no such date)', offset: 0, length: text.length } };
  return { ok: true, schedule };
}

/** The located problem of a cron expression, or undefined when croner and GitHub both accept it. */
function cronProblem(text: string): ScheduleProblem | undefined {
  const fields = [...text.matchAll(/\S+/g)].map((m) => ({ value: m[0], offset: m.index ?? 0 }));
  if (fields.length !== 5) {
    const aliases = Object.keys(SCHEDULE_ALIASES).join(', ');
    return {
      message: `a schedule is ${aliases} or five cron fields (minute hour day-of-month month day-of-week); this has ${fields.length} field${fields.length === 1 ? '' : 's'}`,
      offset: 0,
      length: text.length,
    };
  }
  for (const [i, field] of fields.entries()) {
    const local = fieldProblem(field.value, i);
    if (local) return { message: `${FIELDS[i]} "${field.value}": ${local.message}`, offset: field.offset + local.offset, length: local.length };
    // croner judges each field alone, in a pattern where the others match anything: the error is this field's.
    const probe = fields.map((f, j) => (j === i ? f.value : '*')).join(' ');
    try {
      new Cron(probe, { paused: true, mode: '5-part' } as ConstructorParameters<typeof Cron>[1]);
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error)).replace(/^CronPattern:\s*/, '');
      return { message: `${FIELDS[i]} "${field.value}": ${reason}`, offset: field.offset, length: field.value.length };
    }
  }
  return undefined;
}

/** What croner would take but a POSIX cron (and GitHub's schedule) would not: L, W, #, ?, 7 for Sunday. */
function fieldProblem(value: string, index: number): { message: string; offset: number; length: number } | undefined {
  for (const part of value.matchAll(/[^,\-/]+/g)) {
    const text = part[0];
    const at = part.index ?? 0;
    if (text === '*' || /^\d+$/.test(text) || NAMES.test(text)) continue;
    const bad = /[^0-9*]/.exec(text);
    const start = at + (bad?.index ?? 0);
    return { message: `"${text}" is not POSIX cron (only numbers, *, lists, ranges, steps and month or day names)`, offset: start, length: at + text.length - start };
  }
  if (index === 4) {
    const seven = /(^|[,\-])7(?=$|[,\-/])/.exec(value);
    if (seven) return { message: 'day of week runs 0–6 (0 is Sunday); GitHub does not take 7', offset: seven.index + seven[1].length, length: 1 };
  }
  return undefined;
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Every IANA zone this runtime knows (for "did you mean"). */
export function knownTimeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  return ['UTC', ...(intl.supportedValuesOf?.('timeZone') ?? [])];
}

/** "Mon 7 Dec 2026, 03:00 UTC" in the schedule's zone. */
export function formatScheduled(ms: number, timezone: string): string {
  const text = new Intl.DateTimeFormat('en-GB', {
    timeZone: timezone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(ms));
  return `${text} ${timezone}`;
}
