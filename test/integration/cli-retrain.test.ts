import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RetrainEvent } from '../../server/src/contract';
import { openStore } from '../../server/src/store/store';
import { CLI, tempDir } from '../helpers/paths';

function mlops(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** A workspace whose retrain command appends a line (with the reasons it got) to ran.txt. */
function workspace(schedule: string, command = `node -e "require('fs').appendFileSync('ran.txt', (process.env.MLOPS_RETRAIN_REASONS || 'none') + '\\\\n')"`): string {
  const dir = tempDir('cli-retrain');
  writeFileSync(
    join(dir, 'mlops.yaml'),
    `version: 1\nmodels:\n  m: {}\nmonitoring:\n  m:\n    retrain:\n      command: ${JSON.stringify(command)}\n      schedule: "${schedule}"\n      timezone: UTC\n      cooldown: 1h\n`,
  );
  return dir;
}

/** As if the schedule had been first seen `ms` ago (the editor or a terminal saw it then). */
function seenAgo(dir: string, ms: number): void {
  const db = openStore(dir);
  try {
    assert.equal(db.prepare('UPDATE retrain_schedules SET since = since - ?').run(ms).changes, 1);
  } finally {
    db.close();
  }
}

const lines = (dir: string) => (existsSync(join(dir, 'ran.txt')) ? readFileSync(join(dir, 'ran.txt'), 'utf8').trim().split('\n') : []);

test('mlops retrain --due: a new schedule waits for its next time; a missed one runs once; the audit log has it', () => {
  const dir = workspace('daily');
  const first = mlops(['retrain', 'm', '--due'], dir);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /m: not due\. Nothing calls for a retrain\. Next scheduled retrain: .* 00:00 UTC\./);
  assert.deepEqual(lines(dir), []);
  // Three days later (nothing ran meanwhile): only the latest missed time runs, and only once.
  seenAgo(dir, 3 * 86_400_000);
  const due = mlops(['retrain', 'm', '--due', '--json'], dir);
  assert.equal(due.code, 0, due.stderr);
  const report = JSON.parse(due.stdout) as { ran: boolean; event: RetrainEvent };
  assert.equal(report.ran, true);
  assert.equal(report.event.cause, 'schedule');
  assert.equal(report.event.exit_code, 0);
  assert.ok((report.event.duration_ms ?? 0) > 0);
  const midnight = new Date();
  midnight.setUTCHours(0, 0, 0, 0);
  assert.equal(report.event.scheduled_for, midnight.getTime());
  assert.deepEqual(lines(dir), ['schedule']);
  const again = mlops(['retrain', 'm', '--due'], dir);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /not due/);
  assert.deepEqual(lines(dir), ['schedule']);
  // Asked for, it runs whatever is due; and it is listed.
  assert.equal(mlops(['retrain', 'm'], dir).code, 0);
  assert.deepEqual(lines(dir), ['schedule', 'none']);
  const history = JSON.parse(mlops(['retrain', 'm', '--history', '--json'], dir).stdout) as RetrainEvent[];
  assert.deepEqual(
    history.map((e) => [e.cause, e.exit_code]),
    [
      ['manual', 0],
      ['schedule', 0],
    ],
  );
  assert.match(mlops(['retrain', 'm', '--history'], dir).stdout, /Retrains of m, newest first:\n.*manual .*exit 0, [\d.]+ s\n.*schedule \(\d{4}-\d\d-\d\dT00:00Z\) .*exit 0/);
});

test('mlops retrain: a failing command exits 1 and is recorded with its exit code', () => {
  const dir = workspace('weekly', 'node -e "process.exit(3)"');
  const r = mlops(['retrain', 'm'], dir);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /exit code 3 after/);
  const [event] = JSON.parse(mlops(['retrain', 'm', '--history', '--json'], dir).stdout) as RetrainEvent[];
  assert.deepEqual([event.cause, event.exit_code, event.skipped], ['manual', 3, false]);
});

test('mlops retrain: bad usage and a model without a retrain command exit 2', () => {
  const dir = workspace('daily');
  for (const args of [['retrain'], ['retrain', 'nope'], ['retrain', 'm', dir, 'extra'], ['retrain', 'm', '--every', '1h']]) {
    const r = mlops(args, dir);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^mlops: /);
  }
});

test('mlops retrain --watch runs a due schedule at once, then waits; Ctrl+C ends it with 0', async () => {
  const dir = workspace('*/5 * * * *');
  assert.equal(mlops(['retrain', 'm', '--due'], dir).code, 0);
  seenAgo(dir, 3_600_000);
  const child = spawn(process.execPath, [CLI, 'retrain', 'm', '--watch'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  // Waits on what it says: the run, then the next time it will look.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no next time announced: ${stderr}`)), 30_000);
    child.stderr.on('data', () => {
      if (/next scheduled retrain of m: /.test(stderr)) (clearTimeout(timer), resolve());
    });
  });
  assert.match(stderr, /exit code 0 after/);
  assert.deepEqual(lines(dir), ['schedule']);
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, stderr);
  assert.deepEqual(lines(dir), ['schedule']);
});
