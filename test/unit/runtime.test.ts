import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { chooseRuntime, probeRuntime, runtimeCandidates, type RuntimeCandidate } from '../../client/src/runtime';
import { REPO, tempDir } from '../helpers/paths';

const CLI_MODULE = join(REPO, 'dist', 'server', 'cli.js');

function fakeNode(dir: string, script: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'node');
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
  return path;
}

test('candidates in order: the setting, node on PATH, the editor runtime as Node; no runtime twice', () => {
  const dir = tempDir('path');
  const empty = join(dir, 'empty');
  const notExec = join(dir, 'noexec');
  for (const d of [empty, notExec]) mkdirSync(d);
  writeFileSync(join(notExec, 'node'), '');
  chmodSync(join(notExec, 'node'), 0o644);
  const onPath = fakeNode(join(dir, 'bin'), 'exit 0');
  const setting = fakeNode(join(dir, 'setting'), 'exit 0');
  const { candidates, problems } = runtimeCandidates(setting, [empty, notExec, join(dir, 'bin')].join(':'));
  assert.deepEqual(problems, []);
  assert.deepEqual(
    candidates.map((c) => [c.path, c.origin, c.env, c.execArgv]),
    [
      [setting, 'setting', {}, []],
      [onPath, 'PATH', {}, []],
      [process.execPath, 'editor', { ELECTRON_RUN_AS_NODE: '1' }, []],
    ],
  );
  // The setting and PATH naming the same file: one candidate.
  assert.equal(runtimeCandidates(onPath, join(dir, 'bin')).candidates.filter((c) => c.path === onPath).length, 1);
});

test('a setting that is not an executable is named as a problem, and the other candidates remain', () => {
  const { candidates, problems } = runtimeCandidates('/no/such/node', '');
  assert.match(problems[0], /\/no\/such\/node/);
  assert.deepEqual(candidates.map((c) => c.origin), ['editor']);
});

test('a probe runs the server code on the candidate: this Node works, with the origin it was found by', async () => {
  const candidate: RuntimeCandidate = { path: process.execPath, origin: 'PATH', env: {}, execArgv: [] };
  const result = await probeRuntime(candidate, CLI_MODULE);
  assert.ok('status' in result, 'failure' in result ? result.failure : '');
  assert.equal(result.status.state, 'running');
  assert.equal(result.status.nodeVersion, process.version);
  assert.equal(result.status.runtimeOrigin, 'PATH');
  assert.ok(result.status.sqlite.driver);
  assert.match(result.status.runtimeSummary, /^Node v[\d.]+ \(node on PATH\) · SQLite via (better-sqlite3|node:sqlite) \d/);
});

test('runtimes that fail are skipped with their reason; the first that works is chosen', async () => {
  const dir = tempDir('fail');
  const broken = fakeNode(join(dir, 'broken'), 'echo "this is not node" >&2; exit 9');
  const noSqlite: RuntimeCandidate = { path: process.execPath, origin: 'setting', env: { MLOPS_SQLITE_DRIVER: 'none' }, execArgv: [] };
  const working: RuntimeCandidate = { path: process.execPath, origin: 'PATH', env: {}, execArgv: [] };
  const missing: RuntimeCandidate = { path: join(dir, 'gone', 'node'), origin: 'PATH', env: {}, execArgv: [] };
  const skipped: string[] = [];
  const chosen = await chooseRuntime(
    [missing, { path: broken, origin: 'setting', env: {}, execArgv: [] }, noSqlite, working],
    (c) => probeRuntime(c, CLI_MODULE),
    (c, reason) => skipped.push(`${c.path}: ${reason}`),
  );
  assert.equal(chosen?.candidate, working);
  assert.equal(skipped.length, 3);
  assert.match(skipped[0], /cannot be started: .*ENOENT/);
  assert.match(skipped[1], /exited with code 9: this is not node/);
  assert.match(skipped[2], /no SQLite driver loads/);
});

test('when no runtime works, the one that answered runs the server degraded', async () => {
  const noSqlite: RuntimeCandidate = { path: process.execPath, origin: 'PATH', env: { MLOPS_SQLITE_DRIVER: 'none' }, execArgv: [] };
  const chosen = await chooseRuntime([noSqlite], (c) => probeRuntime(c, CLI_MODULE), () => {});
  assert.equal(chosen?.candidate, noSqlite);
  assert.equal(chosen?.status?.state, 'degraded');
  assert.match(chosen!.status!.remedy!, /Node\.js 22\.13 or newer/);
});
