import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import {
  finishRetrain,
  markScheduleOffered,
  recordRetrain,
  retrainDecision,
  retrainHistory,
  scheduleStatus,
  skipScheduled,
  parseSchedule,
  type RetrainSettings,
} from '../../server/src/monitoring/index';
import { openStore } from '../../server/src/store/store';
import { tempDir } from '../helpers/paths';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The UTC instants of `count` weekly local times after `from`, by Python's zoneinfo: an independent clock. */
function pythonWeekly(zone: string, weekday: number, hour: number, minute: number, from: string, count: number): string[] {
  const script = `
import sys, json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo
zone, weekday, hour, minute, start, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
tz = ZoneInfo(zone)
t = datetime.fromisoformat(start).astimezone(tz)
day = t.date()
out = []
while len(out) < count:
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
    if local.weekday() == weekday and local > t:
        out.append(local.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.000Z'))
    day += timedelta(days=1)
print(json.dumps(out))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', script, zone, String(weekday), String(hour), String(minute), from, String(count)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[];
}

test('schedules: the next times agree with Python zoneinfo across the change to and from summer time', () => {
  for (const [zone, from] of [
    ['Europe/Berlin', '2027-03-01T00:00:00+00:00'],
    ['America/New_York', '2026-10-20T00:00:00+00:00'],
    ['Asia/Seoul', '2026-12-03T00:00:00+00:00'],
  ] as const) {
    const parsed = parseSchedule('0 3 * * 1', zone);
    assert.ok(parsed.ok);
    const ours: string[] = [];
    let t = Date.parse(from);
    for (let i = 0; i < 8; i++) {
      t = parsed.schedule.next(t)!;
      ours.push(new Date(t).toISOString());
    }
    // Python's weekday(): Monday is 0.
    assert.deepEqual(ours, pythonWeekly(zone, 0, 3, 0, from, 8), zone);
  }
});

test('schedules: the aliases, the previous time, and the located problems', () => {
  const at = Date.parse('2026-12-03T15:00:00Z'); // a Thursday
  const cases: [string, string, string][] = [
    ['daily', '2026-12-04T00:00:00.000Z', '2026-12-03T00:00:00.000Z'],
    ['weekly', '2026-12-07T00:00:00.000Z', '2026-11-30T00:00:00.000Z'],
    ['Monthly', '2027-01-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
    ['*/15 14 * * *', '2026-12-04T14:00:00.000Z', '2026-12-03T14:45:00.000Z'],
    ['0 9 * * mon-fri', '2026-12-04T09:00:00.000Z', '2026-12-03T09:00:00.000Z'],
  ];
  for (const [text, next, previous] of cases) {
    const p = parseSchedule(text);
    assert.ok(p.ok, text);
    assert.equal(new Date(p.schedule.next(at)!).toISOString(), next, text);
    assert.equal(new Date(p.schedule.previous(at)!).toISOString(), previous, text);
  }
  // The time itself counts as the previous one (it is due at that instant), and not as the next.
  const daily = parseSchedule('daily');
  assert.ok(daily.ok);
  assert.equal(daily.schedule.previous(Date.parse('2026-12-03T00:00:00Z')), Date.parse('2026-12-03T00:00:00Z'));
  assert.equal(daily.schedule.next(Date.parse('2026-12-03T00:00:00Z')), Date.parse('2026-12-04T00:00:00Z'));

  const problems: [string, number, number, RegExp][] = [
    ['0 25 * * *', 2, 2, /hour "25"/],
    ['0 0 L * *', 4, 1, /"L" is not POSIX cron/],
    ['0 0 1W * *', 5, 1, /"1W" is not POSIX cron/],
    ['*/0 * * * *', 2, 1, /the step "0" is not a whole number from 1/],
    ['*/60 * * * *', 2, 2, /a step of 60 is wider than the field/],
    ['0 0 * * 6-sun', 8, 5, /the range 6-sun runs backwards/],
    ['0 0 4-32/3 * *', 6, 2, /32 is outside 1–31/],
    ['0 3 * * 1,7', 10, 1, /GitHub does not take 7/],
    ['0 3 * *', 0, 7, /five cron fields.*has 4 fields/],
    ['0 0 31 2 *', 0, 10, /never runs/],
    ['0 0 * * fri-sut', 12, 3, /"sut" is not POSIX cron/],
  ];
  for (const [text, offset, length, message] of problems) {
    const p = parseSchedule(text);
    assert.equal(p.ok, false, text);
    if (p.ok) continue;
    assert.match(p.problem.message, message, text);
    assert.deepEqual([p.problem.offset, p.problem.length], [offset, length], `${text}: ${p.problem.message}`);
  }
  assert.equal(parseSchedule('daily', 'Mars/Olympus').ok, false);
});

test('schedule state: first seen counts from now, falls due once, and a run, a skip or the cooldown answers it', () => {
  const root = tempDir('schedule');
  const db = openStore(root);
  const manifest = `${root}/mlops.yaml`;
  const settings: RetrainSettings = { command: 'make model', on: ['drift'], schedule: 'daily', timezone: 'UTC', cooldownMs: 12 * HOUR };
  const t0 = Date.parse('2026-12-03T10:00:00Z');
  try {
    const status = (now: number) => scheduleStatus(db, { manifest, model: 'm', settings, now })!;
    // A new schedule does not fire for the past: today's 00:00 is before it was first seen.
    assert.deepEqual(status(t0), { text: 'daily', timezone: 'UTC', due: null, next: Date.parse('2026-12-04T00:00:00Z'), offered: false });
    // Two days later (the editor was closed): of the two missed times only the latest is due.
    const later = t0 + 2 * DAY;
    const s = status(later);
    assert.equal(s.due, Date.parse('2026-12-05T00:00:00Z'));
    const decision = retrainDecision({ retrain: settings, drift: false, degraded: null, lastRun: null, schedule: s, now: later });
    assert.equal(decision.trigger, true);
    assert.deepEqual(decision.reasons, ['schedule']);
    assert.match(decision.message, /^The scheduled retrain of Sat, 5 Dec 2026, 00:00 UTC is due: retrain with `make model`\.$/);
    // Announced once: the store remembers it for the next session.
    markScheduleOffered(db, manifest, 'm', s.due!);
    assert.equal(status(later).offered, true);
    // Skipping answers it without starting a cooldown; the next day's is due again.
    skipScheduled(db, { manifest, model: 'm', command: 'make model', scheduledFor: s.due!, time: later });
    assert.equal(status(later).due, null);
    assert.equal(status(later + DAY).due, Date.parse('2026-12-06T00:00:00Z'));
    // A run (of any cause) after a scheduled time answers it; it is in the audit log with how it ended.
    const id = recordRetrain(db, { manifest, model: 'm', reasons: ['schedule'], command: 'make model', cause: 'schedule', scheduledFor: Date.parse('2026-12-06T00:00:00Z'), time: later + DAY });
    finishRetrain(db, id, { exitCode: 3, durationMs: 1234.4 });
    assert.equal(status(later + DAY).due, null);
    // 12 h cooldown: a drift retrain at 20:00 covers the next day's 00:00, but not the 00:00 after.
    recordRetrain(db, { manifest, model: 'm', reasons: ['drift'], command: 'make model', cause: 'monitoring', time: Date.parse('2026-12-06T20:00:00Z') });
    assert.equal(status(Date.parse('2026-12-07T06:00:00Z')).due, null);
    assert.equal(status(Date.parse('2026-12-08T06:00:00Z')).due, Date.parse('2026-12-08T00:00:00Z'));
    const history = retrainHistory(db, manifest, 'm');
    assert.deepEqual(
      history.map((e) => [e.cause, e.skipped, e.exit_code, e.duration_ms]),
      [
        ['monitoring', false, null, null],
        ['schedule', false, 3, 1234],
        ['schedule', true, null, null],
      ],
    );
    // Changing the schedule starts it afresh: nothing of the old one is due.
    assert.equal(scheduleStatus(db, { manifest, model: 'm', settings: { ...settings, schedule: '0 6 * * *' }, now: Date.parse('2026-12-08T07:00:00Z') })!.due, null);
    // An unreadable schedule says so and is never due.
    const bad = scheduleStatus(db, { manifest, model: 'm', settings: { ...settings, schedule: '0 0 L * *' }, now: later })!;
    assert.equal(bad.due, null);
    assert.match(bad.error ?? '', /not POSIX cron/);
  } finally {
    db.close();
  }
});

test('retrain decision: a due schedule and drift together, and drift alone waits for the cooldown', () => {
  const now = Date.parse('2026-12-07T03:00:30Z');
  const settings: RetrainSettings = { command: 'make', on: ['drift'], cooldownMs: DAY };
  const schedule = { text: '0 3 * * 1', timezone: 'UTC', due: Date.parse('2026-12-07T03:00:00Z'), next: Date.parse('2026-12-14T03:00:00Z'), offered: false };
  const both = retrainDecision({ retrain: settings, drift: true, degraded: null, lastRun: null, schedule, now });
  assert.deepEqual([both.trigger, both.reasons], [true, ['drift', 'schedule']]);
  const cooling = retrainDecision({ retrain: settings, drift: true, degraded: null, lastRun: now - HOUR, schedule: { ...schedule, due: null }, now });
  assert.equal(cooling.trigger, false);
  assert.match(cooling.message, /cooldown ends in 23 h\. Next scheduled retrain: Mon, 14 Dec 2026, 03:00 UTC\.$/);
});
