import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { journalLines, journalName, replayJournals, type JournalEntry, type RowValues } from '../../server/src/store/prediction-journal';
import { openSqlite } from '../../server/src/sqlite';
import { openStore } from '../../server/src/store/store';
import { bundleProgram } from '../helpers/bundle';
import { REPO, tempDir } from '../helpers/paths';

const row = (id: string): RowValues => [id, 1_700_000_000_000, 'ep', 'm', '1', 'v2', null, null, '{"y":{"datatype":"FP32","shape":[1],"data":[0.25]}}', 1.5, 200, null, 0];

/** The id of a process that has exited: its journals are no longer live. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid as number;
}

const journals = (dir: string) => readdirSync(join(dir, '.mlops')).filter((f) => f.endsWith('.journal'));
const ids = (dir: string) => {
  const db = openStore(dir);
  try {
    return db.prepare('SELECT request_id FROM predictions ORDER BY id').pluck().all() as string[];
  } finally {
    db.close();
  }
};

test("a dead server's journal is replayed once when the store is opened: whole lines after the applied mark, then deleted", () => {
  const dir = tempDir('journal-replay');
  openStore(dir).close();
  const pid = deadPid();
  const name = journalName(pid, 0);
  const applied = journalLines([row('a'), row('b')]);
  // c and d were answered; the line cut short was being written when the process died.
  const text = applied + journalLines([row('c'), row('d')]) + JSON.stringify(row('torn')).slice(0, 20);
  const db = openStore(dir);
  db.prepare('INSERT INTO prediction_journals (file, applied) VALUES (?, ?)').run(name, Buffer.byteLength(applied));
  db.close();
  writeFileSync(join(dir, '.mlops', name), text);

  assert.deepEqual(ids(dir), ['c', 'd']);
  assert.deepEqual(journals(dir), []);
  // Opened again (another process that had read the file before it was deleted): nothing twice.
  writeFileSync(join(dir, '.mlops', name), text);
  assert.deepEqual(ids(dir), ['c', 'd']);
});

test('a live journal is left to its server, and a line the table refuses is skipped without losing the rest', () => {
  const dir = tempDir('journal-live');
  const db = openStore(dir);
  try {
    writeFileSync(join(dir, '.mlops', journalName(process.pid, 0)), journalLines([row('live')]));
    const bad = row('bad');
    bad[2] = null; // endpoint is NOT NULL
    writeFileSync(join(dir, '.mlops', journalName(deadPid(), 0)), journalLines([row('x'), bad, row('y')]) + 'not json\n');
    assert.equal(replayJournals(db, join(dir, '.mlops')), 2);
    assert.deepEqual(db.prepare('SELECT request_id FROM predictions ORDER BY id').pluck().all(), ['x', 'y']);
    assert.deepEqual(journals(dir), [journalName(process.pid, 0)]);
  } finally {
    db.close();
  }
});

test("a journal under this process's own pid but another writer's token is a dead server's (a restarted container): replayed, feedback too", () => {
  const dir = tempDir('journal-same-pid');
  const db = openStore(dir);
  try {
    const other = journalName(process.pid, 0, 'aaaaaaaaaaaaaaaa');
    const legacy = `predictions-${process.pid}-3.journal`;
    const mine = journalName(process.pid, 7);
    const feedback: JournalEntry = { feedback: ['p1', 1_700_000_000_500, 'ep', 1, null] };
    writeFileSync(join(dir, '.mlops', other), journalLines([row('p1'), feedback]));
    writeFileSync(join(dir, '.mlops', legacy), journalLines([row('p2')]));
    writeFileSync(join(dir, '.mlops', mine), journalLines([row('live')]));
    assert.equal(replayJournals(db, join(dir, '.mlops')), 2);
    assert.deepEqual(db.prepare('SELECT request_id FROM predictions ORDER BY id').pluck().all(), ['p1', 'p2']);
    assert.deepEqual(db.prepare('SELECT request_id, label FROM feedback').raw().all(), [['p1', 1]]);
    assert.deepEqual(journals(dir), [mine]);
  } finally {
    db.close();
  }
});

test('a journal whose replay finds the store locked is left for the next open, not lost', async () => {
  const dir = tempDir('journal-locked-replay');
  openStore(dir).close();
  const name = journalName(deadPid(), 0);
  writeFileSync(join(dir, '.mlops', name), journalLines([row('waits')]));
  const holder = openSqlite(join(dir, '.mlops', 'index.db'));
  holder.exec('BEGIN IMMEDIATE');
  const blocked = openSqlite(join(dir, '.mlops', 'index.db'), { timeoutMs: 50 });
  try {
    assert.equal(replayJournals(blocked, join(dir, '.mlops')), 0);
    assert.deepEqual(journals(dir), [name]);
  } finally {
    blocked.close();
    holder.exec('ROLLBACK');
    holder.close();
  }
  assert.deepEqual(ids(dir), ['waits']);
  assert.deepEqual(journals(dir), []);
});

test('killed while its writer is locked out of the database: every answered row is in the log after the next open', async () => {
  const dir = tempDir('journal-kill');
  const entry = await bundleProgram('test/helpers/journal-child.ts', 'journal-child');
  const child = spawn(process.execPath, [entry, dir, '500'], { env: { ...process.env, NODE_PATH: join(REPO, 'node_modules') }, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  assert.equal((await lines.next()).value, 'ready');

  // Hold the write lock: the writer thread cannot move a single row into the table.
  const blocker = openStore(dir);
  blocker.prepare('BEGIN IMMEDIATE').run();
  child.stdin!.write('go\n');
  assert.equal((await lines.next()).value, 'answered 500');
  assert.equal(await exited, 'SIGKILL');
  assert.equal(blocker.prepare('SELECT count(*) FROM predictions').pluck().get(), 0);
  blocker.prepare('ROLLBACK').run();
  blocker.close();
  assert.equal(journals(dir).length, 1);

  const logged = ids(dir);
  assert.equal(logged.length, 500);
  assert.equal(new Set(logged).size, 500);
  assert.deepEqual(journals(dir), []);
});

test('journal rows of every format replay: before the cached column (13 values), before violations (14), and now (15)', () => {
  const dir = tempDir('journal-formats');
  openStore(dir).close();
  const name = journalName(deadPid(), 0);
  writeFileSync(join(dir, '.mlops', name), journalLines([row('old'), [...row('cached'), 1], [...row('checked'), 0, 3]]));
  const db = openStore(dir);
  try {
    const rows = db.prepare('SELECT request_id, cached, violations FROM predictions ORDER BY id').all() as { request_id: string; cached: number; violations: number }[];
    assert.deepEqual(rows.map((r) => ({ ...r })), [
      { request_id: 'old', cached: 0, violations: 0 },
      { request_id: 'cached', cached: 1, violations: 0 },
      { request_id: 'checked', cached: 0, violations: 3 },
    ]);
  } finally {
    db.close();
  }
});
