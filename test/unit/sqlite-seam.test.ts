import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadableSqliteDrivers, openSqliteWith, sqliteDriverStatus, SQLITE_DRIVERS, type SqliteDatabase, type SqliteDriverName } from '../../server/src/sqlite';
import { loadNodeSqlite } from '../../server/src/sqlite/node-sqlite';
import { sqliteCodeName } from '../../server/src/sqlite/codes';
import { migrate } from '../../server/src/store/store';
import { MIGRATIONS } from '../../server/src/store/migrations';
import { CLI, SHARED_FIXTURES, tempDir } from '../helpers/paths';

/**
 * The same behaviour from both drivers. Each test runs on every driver that loads in this process:
 * better-sqlite3 on the Node it was built for, node:sqlite on Node ≥ 22.13 (CI runs this file on
 * Node 20 and on Node 24, so each driver is covered on each run where it loads).
 */
const drivers = loadableSqliteDrivers();

test('at least one driver loads, and the one in use is the first that does', () => {
  assert.ok(drivers.length > 0, JSON.stringify(sqliteDriverStatus()));
  const status = sqliteDriverStatus();
  if (!status.forced) assert.equal(status.driver, drivers[0]);
  assert.deepEqual(status.tried.map((t) => t.driver), SQLITE_DRIVERS.slice(0, status.tried.length));
});

test('SQLite result codes are named as sqlite3.h names them', () => {
  assert.equal(sqliteCodeName(5), 'SQLITE_BUSY');
  assert.equal(sqliteCodeName(517), 'SQLITE_BUSY_SNAPSHOT');
  assert.equal(sqliteCodeName(2067), 'SQLITE_CONSTRAINT_UNIQUE');
  assert.equal(sqliteCodeName(1555), 'SQLITE_CONSTRAINT_PRIMARYKEY');
  assert.equal(sqliteCodeName(26), 'SQLITE_NOTADB');
  assert.equal(sqliteCodeName(14 | (99 << 8)), 'SQLITE_CANTOPEN');
});

test("node:sqlite's ExperimentalWarning is kept out of the output; every other warning still goes through", async () => {
  try {
    loadNodeSqlite();
  } catch {
    // Node 20: no node:sqlite, but the filter is in place all the same.
  }
  const seen: string[] = [];
  const listener = (w: Error) => seen.push(`${w.name}: ${w.message}`);
  process.on('warning', listener);
  process.emitWarning('SQLite is an experimental feature and might change at any time', 'ExperimentalWarning');
  process.emitWarning('something else is experimental', 'ExperimentalWarning');
  await new Promise((resolve) => setImmediate(resolve));
  process.off('warning', listener);
  assert.deepEqual(seen, ['ExperimentalWarning: something else is experimental']);
});

for (const driver of drivers) {
  describe(`driver ${driver}`, () => {
    const open = (file: string, options = {}) => openSqliteWith(driver, file, options);
    const fresh = (name: string) => join(tempDir(`seam-${name}`), 'db.sqlite');

    test('rows are plain objects; pluck, raw and iterate shape them as better-sqlite3 does', () => {
      const db = open(':memory:');
      try {
        assert.equal(db.driver, driver);
        db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)');
        const insert = db.prepare('INSERT INTO t (name, score) VALUES (?, ?)');
        assert.deepEqual(insert.run('a', 1.5), { changes: 1, lastInsertRowid: 1 });
        insert.run('b', null);
        const row = db.prepare('SELECT * FROM t WHERE id = ?').get(1);
        assert.equal(Object.getPrototypeOf(row), Object.prototype);
        assert.deepStrictEqual(row, { id: 1, name: 'a', score: 1.5 });
        assert.equal(db.prepare('SELECT * FROM t WHERE id = ?').get(99), undefined);
        assert.deepStrictEqual(db.prepare('SELECT name FROM t ORDER BY id').pluck().all(), ['a', 'b']);
        assert.deepStrictEqual(db.prepare('SELECT id, name, score FROM t ORDER BY id').raw().all(), [[1, 'a', 1.5], [2, 'b', null]]);
        assert.deepStrictEqual([...db.prepare('SELECT id FROM t ORDER BY id').pluck().iterate()], [1, 2]);
        assert.deepStrictEqual([...db.prepare('SELECT id, name FROM t ORDER BY id').iterate()], [{ id: 1, name: 'a' }, { id: 2, name: 'b' }]);
        const named = db.prepare('SELECT name FROM t WHERE id = @id').pluck();
        assert.equal(named.get({ id: 2 }), 'b');
      } finally {
        db.close();
      }
      assert.equal(db.open, false);
    });

    test('integers beyond 2^53 read as (rounded) numbers; BLOBs round-trip byte for byte', () => {
      const db = open(':memory:');
      try {
        db.exec('CREATE TABLE t (big INTEGER, data BLOB)');
        const values = new Float64Array([Math.PI, -0, Number.MAX_VALUE, Number.NaN]);
        db.prepare('INSERT INTO t VALUES (?, ?)').run(2n ** 62n + 1n, Buffer.from(values.buffer));
        db.prepare('INSERT INTO t VALUES (?, ?)').run(-(2n ** 63n), null);
        const rows = db.prepare('SELECT big, data FROM t ORDER BY rowid').all() as { big: number; data: Uint8Array | null }[];
        assert.equal(rows[0].big, Number(2n ** 62n + 1n));
        assert.equal(rows[1].big, Number(-(2n ** 63n)));
        assert.ok(rows[0].data instanceof Uint8Array);
        assert.deepEqual([...new Float64Array(new Uint8Array(rows[0].data).buffer)], [...values]);
        assert.deepEqual(db.prepare('SELECT big FROM t ORDER BY rowid').pluck().all(), [Number(2n ** 62n + 1n), Number(-(2n ** 63n))]);
        assert.deepEqual([...db.prepare('SELECT big FROM t ORDER BY rowid').raw().iterate()], [[Number(2n ** 62n + 1n)], [Number(-(2n ** 63n))]]);
      } finally {
        db.close();
      }
    });

    test('transactions commit, roll back on a throw, and nest as savepoints', () => {
      const db = open(':memory:');
      try {
        db.exec('CREATE TABLE t (x INTEGER UNIQUE)');
        const insert = db.prepare('INSERT INTO t VALUES (?)');
        const count = () => db.prepare('SELECT count(*) FROM t').pluck().get();
        const many = db.transaction((xs: number[]) => {
          for (const x of xs) insert.run(x);
          return xs.length;
        });
        assert.equal(many([1, 2]), 2);
        assert.equal(db.inTransaction, false);
        assert.throws(() => many([3, 1]), (e: { code?: string }) => e.code === 'SQLITE_CONSTRAINT_UNIQUE');
        assert.equal(count(), 2, 'the failed transaction left nothing');
        db.transaction(() => {
          insert.run(10);
          assert.equal(db.inTransaction, true);
          assert.throws(() => many([11, 10]));
          insert.run(12);
        }).immediate();
        assert.deepEqual(db.prepare('SELECT x FROM t ORDER BY x').pluck().all(), [1, 2, 10, 12]);
        db.exec('BEGIN');
        assert.equal(db.inTransaction, true);
        db.exec('COMMIT');
        assert.equal(db.inTransaction, false);
      } finally {
        db.close();
      }
    });

    test('WAL, user_version migrations and a pragma as better-sqlite3 answers it', () => {
      const file = fresh('wal');
      const db = open(file);
      try {
        assert.equal(db.pragma('journal_mode = WAL', { simple: true }), 'wal');
        assert.deepEqual(db.pragma('journal_mode'), [{ journal_mode: 'wal' }]);
        assert.equal(migrate(db), MIGRATIONS.length);
        assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
        assert.equal(migrate(db), MIGRATIONS.length, 'migrating again changes nothing');
        assert.equal(db.pragma('foreign_keys', { simple: true }), 1, 'on by default, on both drivers');
      } finally {
        db.close();
      }
    });

    test('a lock held by another connection waits busy_timeout, then fails as SQLITE_BUSY', () => {
      const file = fresh('busy');
      const holder = open(file);
      holder.exec('CREATE TABLE t (x)');
      holder.exec('BEGIN IMMEDIATE');
      const waiter = open(file, { timeoutMs: 150 });
      try {
        const started = Date.now();
        assert.throws(() => waiter.exec('INSERT INTO t VALUES (1)'), (e: { code?: string; message?: string }) => e.code === 'SQLITE_BUSY' && /locked/.test(e.message ?? ''));
        assert.ok(Date.now() - started >= 100, 'it waited');
        holder.exec('COMMIT');
        waiter.exec('INSERT INTO t VALUES (1)');
      } finally {
        waiter.close();
        holder.close();
      }
    });

    test("a user's MLflow database opens read-only: no write, and no -wal or -shm left behind", () => {
      const dir = tempDir('seam-ro');
      const file = join(dir, 'mlflow.db');
      copyFileSync(join(SHARED_FIXTURES, 'mlflow-db', 'mlflow-1.x-2022.db'), file);
      const db = open(file, { readonly: true });
      try {
        assert.equal(db.readonly, true);
        assert.ok((db.prepare('SELECT count(*) FROM runs').pluck().get() as number) > 0);
        assert.throws(() => db.exec("UPDATE runs SET status = 'FAILED'"), (e: { code?: string }) => /^SQLITE_(READONLY|ERROR)/.test(e.code ?? ''));
      } finally {
        db.close();
      }
      assert.deepEqual(readdirSync(dir), ['mlflow.db']);
      assert.throws(() => open(join(dir, 'missing.db'), { readonly: true }), (e: { code?: string }) => e.code === 'SQLITE_CANTOPEN');
      assert.throws(() => open(join(dir, 'missing.db'), { fileMustExist: true }), (e: { code?: string }) => e.code === 'SQLITE_CANTOPEN');
      assert.equal(existsSync(join(dir, 'missing.db')), false);
    });

    test('a file that is not a database fails as SQLITE_NOTADB', () => {
      const file = join(tempDir('seam-notadb'), 'x.db');
      copyFileSync(__filename, file);
      assert.throws(() => {
        const db = open(file, { readonly: true });
        try {
          db.prepare('SELECT * FROM sqlite_master').all();
        } finally {
          db.close();
        }
      }, (e: { code?: string }) => e.code === 'SQLITE_NOTADB');
    });

    test('the online backup is a whole, readable copy', async () => {
      const file = fresh('backup');
      const db = open(file);
      let copy: SqliteDatabase | undefined;
      try {
        db.pragma('journal_mode = WAL');
        db.exec('CREATE TABLE t (x)');
        const insert = db.prepare('INSERT INTO t VALUES (?)');
        db.transaction(() => {
          for (let i = 0; i < 5000; i++) insert.run(i);
        })();
        const target = `${file}.bak`;
        await db.backup(target);
        copy = open(target, { readonly: true });
        assert.equal(copy.prepare('SELECT count(*) FROM t').pluck().get(), 5000);
        assert.equal(copy.prepare('PRAGMA integrity_check').pluck().get(), 'ok');
      } finally {
        copy?.close();
        db.close();
      }
    });

    test('the other driver reads what this one wrote (same file format, same values)', (t) => {
      const other = drivers.find((d) => d !== driver) as SqliteDriverName | undefined;
      if (!other) return t.skip('only one driver loads on this Node');
      const file = fresh('cross');
      const db = open(file);
      db.exec('CREATE TABLE t (a INTEGER, b REAL, c TEXT, d BLOB)');
      db.prepare('INSERT INTO t VALUES (?, ?, ?, ?)').run(1_700_000_000_123, 0.1, 'ü', Buffer.from([1, 2, 3]));
      db.close();
      const reader = openSqliteWith(other, file, { readonly: true });
      try {
        const row = reader.prepare('SELECT * FROM t').get() as { a: number; b: number; c: string; d: Uint8Array };
        assert.deepEqual([row.a, row.b, row.c, [...row.d]], [1_700_000_000_123, 0.1, 'ü', [1, 2, 3]]);
      } finally {
        reader.close();
      }
    });
  });
}

test('the CLI prints no ExperimentalWarning on this Node', () => {
  const r = spawnSync(process.execPath, [CLI, 'doctor'], { encoding: 'utf8' });
  assert.doesNotMatch(r.stderr, /ExperimentalWarning/);
});
