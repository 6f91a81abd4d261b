/**
 * `monitoring.<model>.retrain.schedule` as a GitHub Actions `on.schedule` entry.
 *
 * GitHub reads `cron` in UTC unless the entry has `timezone` (an IANA name); both GitHub's own
 * workflow parser and the SchemaStore workflow schema accept that key, so a non-UTC zone is written
 * as it is instead of being converted (a converted time would drift by an hour at every daylight
 * saving change).
 */

/** The named schedules of the manifest schema, as five-field cron. */
export const NAMED_SCHEDULES: Readonly<Record<string, string>> = {
  daily: '0 0 * * *',
  weekly: '0 0 * * 1',
  monthly: '0 0 1 * *',
};

export interface ScheduleEntry {
  cron: string;
  /** Absent for UTC. */
  timezone?: string;
}

/** The entry for a schedule as the manifest writes it, or why there is none. */
export function scheduleEntry(schedule: string, timezone: string | undefined): ScheduleEntry | { problem: string } {
  const cron = NAMED_SCHEDULES[schedule] ?? schedule.trim().split(/\s+/).join(' ');
  if (!isGithubCron(cron)) return { problem: `"${schedule}" is not daily, weekly, monthly or a five-field cron expression GitHub accepts` };
  const zone = timezone?.trim();
  if (zone === undefined || zone === '' || isUtc(zone)) return { cron };
  if (!isTimeZone(zone)) return { problem: `"${zone}" is not an IANA time zone` };
  return { cron, timezone: zone };
}

function isUtc(zone: string): boolean {
  return ['utc', 'etc/utc', 'gmt', 'etc/gmt', 'z', 'zulu', 'universal', 'etc/universal'].includes(zone.toLowerCase());
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

interface CronRange {
  min: number;
  max: number;
  names?: Readonly<Record<string, number>>;
}

const MONTHS = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DAYS = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const FIELDS: CronRange[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS },
  { min: 0, max: 6, names: DAYS },
];

/**
 * Whether GitHub accepts the expression: the rules of @actions/workflow-parser's isValidCron
 * (five fields; `*`, numbers and short names, `a-b`, `x/step`, lists), so a manifest schedule that
 * GitHub would reject is reported here rather than by a failed workflow.
 */
export function isGithubCron(cron: string): boolean {
  const parts = cron.split(/ +/);
  return parts.length === 5 && parts.every((part, i) => cronPart(part, FIELDS[i], true));
}

function cronPart(value: string, range: CronRange, separators: boolean): boolean {
  if (range.names && value.toLowerCase() in range.names) return true;
  if (value === '*') return true;
  if (value.includes(',')) return separators && value.split(',').every((v) => v !== '' && cronPart(v, range, true));
  if (value.includes('/')) {
    const [start, step, ...rest] = value.split('/');
    return separators && rest.length === 0 && !!start && /^[1-9][0-9]*$/.test(step ?? '') && cronPart(start, range, true) && cronPart(step, range, false);
  }
  if (value.includes('-')) {
    const [start, end, ...rest] = value.split('-');
    if (!separators || rest.length > 0 || !start || !end) return false;
    return cronPart(start, range, false) && cronPart(end, range, false) && toNumber(end, range) >= toNumber(start, range);
  }
  return /^[0-9]+$/.test(value) && Number(value) >= range.min && Number(value) <= range.max;
}

function toNumber(value: string, range: CronRange): number {
  return range.names?.[value.toLowerCase()] ?? Number(value);
}
