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

const RANGES: readonly { min: number; max: number; names?: Readonly<Record<string, number>> }[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } },
  { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } },
];

/**
 * What croner would take but a POSIX cron (and GitHub's schedule) would not: L, W, #, ?, 7 for
 * Sunday, a value or range end outside the field, a range that runs backwards (6-sun), a step wider
 * than the field (*\/60 minutes). Each list element is `*`, `a` or `a-b`, optionally `/step`.
 */
function fieldProblem(value: string, index: number): { message: string; offset: number; length: number } | undefined {
  const range = RANGES[index];
  let offset = 0;
  for (const element of value.split(',')) {
    const at = offset;
    offset += element.length + 1;
    if (element === '') return { message: 'an empty list element', offset: Math.max(0, at - 1), length: 1 };
    const slash = element.indexOf('/');
    const base = slash < 0 ? element : element.slice(0, slash);
    const step = slash < 0 ? undefined : element.slice(slash + 1);
    const bounds = base === '*' ? [] : base.split('-');
    if (bounds.length > 2 || bounds.some((b) => b === '')) return { message: `"${element}" is not a value, a range a-b or *`, offset: at, length: element.length };
    const values: number[] = [];
    let within = at;
    for (const bound of bounds) {
      const v = /^\d+$/.test(bound) ? Number(bound) : range.names?.[bound.toLowerCase()];
      if (v === undefined) {
        const bad = /[^0-9*]/.exec(bound);
        const start = within + (bad?.index ?? 0);
        return { message: `"${bound}" is not POSIX cron (only numbers, *, lists, ranges, steps and month or day names)`, offset: start, length: within + bound.length - start };
      }
      if (index === 4 && v === 7) return { message: 'day of week runs 0–6 (0 is Sunday); GitHub does not take 7', offset: within, length: bound.length };
      if (v < range.min || v > range.max) return { message: `${v} is outside ${range.min}–${range.max}`, offset: within, length: bound.length };
      values.push(v);
      within += bound.length + 1;
    }
    if (values.length === 2 && values[1] < values[0]) return { message: `the range ${base} runs backwards`, offset: at, length: base.length };
    if (step !== undefined) {
      const stepAt = at + base.length + 1;
      if (!/^[1-9]\d*$/.test(step)) return { message: `the step "${step}" is not a whole number from 1`, offset: stepAt, length: Math.max(1, step.length) };
      if (Number(step) > range.max) return { message: `a step of ${step} is wider than the field (at most ${range.max})`, offset: stepAt, length: step.length };
    }
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
