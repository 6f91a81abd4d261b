/**
 * `monitoring.<model>.retrain.schedule` as a GitHub Actions `on.schedule` entry.
 *
 * GitHub reads `cron` in UTC unless the entry has `timezone` (an IANA name); both GitHub's own
 * workflow parser and the SchemaStore workflow schema accept that key, so a non-UTC zone is written
 * as it is instead of being converted (a converted time would drift by an hour at every daylight
 * saving change).
 */

import { isTimeZone, parseSchedule, SCHEDULE_ALIASES } from '../monitoring/schedule';

/** The named schedules of the manifest schema, as five-field cron (the editor's and `mlops retrain`'s). */
export const NAMED_SCHEDULES = SCHEDULE_ALIASES;

export interface ScheduleEntry {
  cron: string;
  /** Absent for UTC. */
  timezone?: string;
}

/**
 * The entry for a schedule as the manifest writes it, or why there is none. The schedule is read as
 * the editor reads it (server/src/monitoring/schedule.ts), which takes only what GitHub takes too.
 */
export function scheduleEntry(schedule: string, timezone: string | undefined): ScheduleEntry | { problem: string } {
  const zone = timezone?.trim();
  if (zone && !isTimeZone(zone)) return { problem: `"${zone}" is not an IANA time zone` };
  const parsed = parseSchedule(schedule, zone || 'UTC');
  if (!parsed.ok) return { problem: `"${schedule}" is not daily, weekly, monthly or a five-field cron expression GitHub accepts (${parsed.problem.message})` };
  const cron = parsed.schedule.cron.split(/\s+/).join(' ');
  if (zone === undefined || zone === '' || isUtc(zone)) return { cron };
  return { cron, timezone: zone };
}

function isUtc(zone: string): boolean {
  return ['utc', 'etc/utc', 'gmt', 'etc/gmt', 'z', 'zulu', 'universal', 'etc/universal'].includes(zone.toLowerCase());
}

/** Whether GitHub's `schedule:` accepts the five-field expression (the test holds it against GitHub's parser). */
export function isGithubCron(cron: string): boolean {
  return !(cron.trim().toLowerCase() in SCHEDULE_ALIASES) && parseSchedule(cron).ok;
}
