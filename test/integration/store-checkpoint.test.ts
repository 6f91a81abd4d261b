import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BackgroundCheckpointer } from '../../server/src/store/checkpointer';
import { openStore } from '../../server/src/store/store';
import { tempDir } from '../helpers/paths';

test('WAL checkpoints run on the background thread while the committing connection never runs one', async () => {
  const dir = tempDir('checkpoint');
  const db = openStore(dir);
  const file = join(dir, '.mlops', 'index.db');
  const errors: string[] = [];
  const checkpointer = BackgroundCheckpointer.start(db, 50, (m) => errors.push(m));
  assert.ok(checkpointer);
  try {
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0);
    db.exec('CREATE TABLE blobs (b BLOB)');
    const insert = db.prepare('INSERT INTO blobs VALUES (?)');
    const before = statSync(file).size;
    for (let i = 0; i < 40; i++) db.transaction(() => insert.run(Buffer.alloc(100_000, i)))();
    // The rows reach the database file itself only through a checkpoint, and this connection runs none.
    const deadline = Date.now() + 10_000;
    while (statSync(file).size < before + 3_000_000) {
      assert.ok(Date.now() < deadline, `database file still ${statSync(file).size} bytes: no checkpoint ran`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((db.prepare('SELECT count(*) FROM blobs').pluck().get() as number), 40);
    assert.deepEqual(errors, []);
  } finally {
    await checkpointer?.stop();
    db.close();
  }
});

test('an in-memory database gets no checkpoint thread', () => {
  const db = openStore(tempDir('checkpoint-memory'));
  db.close();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Sqlite = require('better-sqlite3');
  const memory = new Sqlite(':memory:');
  assert.equal(BackgroundCheckpointer.start(memory), undefined);
  memory.close();
});
