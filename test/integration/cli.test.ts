import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AS_UNPRIVILEGED, cliForAnyUser } from '../helpers/other-user';
import { SQLITE_DRIVERS } from '../../server/src/sqlite';
import type { ServerStatus } from '../../server/src/contract';
import { CLI, REPO, tempDir } from '../helpers/paths';

function mlops(args: string[], options: SpawnSyncOptions = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: REPO, encoding: 'utf8', timeout: 30_000, ...options });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

test('--help and --version', () => {
  const help = mlops(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: mlops <command>/);
  assert.match(mlops(['check', '--help']).stdout, /--format github/);
  assert.match(mlops(['--version']).stdout, /^\d+\.\d+\.\d+\n$/);
});

test('bad usage exits 2 with a message on stderr', () => {
  for (const args of [[], ['frobnicate'], ['check', '--format', 'xml'], ['check', '--nope'], ['check', 'does/not/exist'], ['check', 'a', 'b'], ['check', 'package.json']]) {
    const r = mlops(args);
    assert.equal(r.code, 2, `${args.join(' ')} → ${r.code} ${r.stderr}`);
    if (args.length > 0) assert.match(r.stderr, /^mlops: .+\nRun "mlops --help"/, args.join(' '));
  }
});

test('the bundled example is clean', () => {
  const r = mlops(['check', 'examples/churn']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /1 manifest checked: 0 errors, 0 warnings\./);
});

test('examples/broken gives a GitHub annotation with file, line and column, exit 1', () => {
  const r = mlops(['check', 'examples/broken', '--format', 'github']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^::error file=examples\/broken\/mlops\.yaml,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=mlops yaml-syntax::.+$/m);
});

test('--format json is an array of 1-based findings', () => {
  const r = mlops(['check', 'examples/broken', '--format', 'json']);
  assert.equal(r.code, 1);
  const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
  assert.ok(rows.length >= 1);
  assert.deepEqual(Object.keys(rows[0]).sort(), ['code', 'column', 'endColumn', 'endLine', 'file', 'line', 'message', 'severity']);
  assert.ok((rows[0].line as number) >= 1 && (rows[0].column as number) >= 1);
});

test('a single manifest file can be checked', () => {
  assert.equal(mlops(['check', 'examples/broken/mlops.yaml']).code, 1);
  assert.equal(mlops(['check', 'examples/churn/mlops.yaml']).code, 0);
});

test('warnings alone exit 0; a folder without manifests says what to do', () => {
  const dir = tempDir('warn');
  writeFileSync(join(dir, 'mlops.yaml'), '# nothing yet\n');
  const warn = mlops(['check', dir]);
  assert.equal(warn.code, 0);
  assert.match(warn.stdout, /warning \[manifest-empty\]/);
  const empty = mlops(['check', tempDir('none')]);
  assert.equal(empty.code, 0);
  assert.match(empty.stdout, /No mlops\.yaml found/);
});

test('binary, empty, huge and non-YAML manifests: located findings, no crash', () => {
  const cases: Record<string, Buffer | string> = {
    binary: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00]),
    empty: '',
    huge: Buffer.alloc(10 * 1024 * 1024, 'models: {}\n'),
    prose: 'This is not YAML: it is a sentence, with a colon.\nAnd: another: line\n',
  };
  const expected: Record<string, string> = { binary: 'manifest-binary', empty: 'manifest-empty', huge: 'manifest-too-large', prose: 'yaml-syntax' };
  for (const [name, content] of Object.entries(cases)) {
    const dir = tempDir(name);
    writeFileSync(join(dir, 'mlops.yaml'), content);
    const r = mlops(['check', dir, '--format', 'json']);
    assert.ok(r.code === 0 || r.code === 1, `${name}: exit ${r.code} ${r.stderr}`);
    assert.equal(r.stderr, '', name);
    const rows = JSON.parse(r.stdout) as { code: string; line: number; column: number }[];
    assert.equal(rows[0]?.code, expected[name], `${name}: ${r.stdout}`);
    assert.ok(rows[0].line >= 1 && rows[0].column >= 1);
  }
});

test('a folder without read permission is reported, and the rest is still checked', () => {
  const dir = tempDir('perm');
  mkdirSync(join(dir, 'locked'));
  writeFileSync(join(dir, 'locked', 'mlops.yaml'), 'version: 1\n');
  mkdirSync(join(dir, 'open'));
  writeFileSync(join(dir, 'open', 'mlops.yaml'), 'version: [1\n');
  chmodSync(join(dir, 'locked'), 0o000);
  chmodSync(dir, 0o755);
  // root reads everything, so as root the CLI runs as an unprivileged user to meet a real EACCES.
  const { node, cli } = cliForAnyUser();
  const run = spawnSync(node, [cli, 'check', dir, '--format', 'json'], { encoding: 'utf8', timeout: 30_000, cwd: '/', ...AS_UNPRIVILEGED });
  assert.equal(run.error, undefined);
  const r = { code: run.status, stdout: run.stdout, stderr: run.stderr };
  chmodSync(join(dir, 'locked'), 0o755);
  assert.equal(r.code, 1, r.stderr);
  const rows = JSON.parse(r.stdout) as { file: string; code: string; message: string }[];
  const codes = rows.map((row) => row.code).sort();
  assert.deepEqual(codes, ['unreadable', 'yaml-syntax']);
  assert.match(rows.find((row) => row.code === 'unreadable')!.message, /permission denied/);
});

test('symlink loops do not hang the scan', () => {
  const dir = tempDir('loop');
  mkdirSync(join(dir, 'a'));
  writeFileSync(join(dir, 'a', 'mlops.yaml'), 'version: 1\n');
  spawnSync('ln', ['-s', '..', join(dir, 'a', 'up')]);
  const r = mlops(['check', dir]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /1 manifest checked/);
});

test('doctor reports the runtime, the SQLite driver in use and onnxruntime-node on this Node', () => {
  const r = mlops(['doctor', '--json']);
  assert.equal(r.code, 0, r.stdout);
  const status = JSON.parse(r.stdout) as ServerStatus;
  assert.equal(status.state, 'running');
  assert.equal(status.nodeVersion, process.version);
  assert.equal(status.runtimeOrigin, 'command line');
  const driver = status.sqlite.driver!;
  assert.ok(SQLITE_DRIVERS.includes(driver), `driver ${driver}`);
  // better-sqlite3 first, wherever its binary loads; node:sqlite only after it failed.
  assert.equal(status.sqlite.tried[0].driver, 'better-sqlite3');
  if (driver === 'node:sqlite') assert.equal(status.sqlite.tried[0].ok, false);
  assert.deepEqual(status.natives.map((n) => [n.name, n.ok]), [[driver, true], ['onnxruntime-node', true]]);
  const text = mlops(['doctor']);
  assert.match(text.stdout, new RegExp(`SQLite driver: ${driver}`));
});

test('without a working SQLite driver: doctor and the commands that need SQLite say so in one line (exit 2); check, stats and export keep working', () => {
  const env = { ...process.env, MLOPS_SQLITE_DRIVER: 'none' };
  const doctor = mlops(['doctor', '--json'], { env });
  assert.equal(doctor.code, 1);
  const status = JSON.parse(doctor.stdout) as ServerStatus;
  assert.equal(status.state, 'degraded');
  assert.equal(status.sqlite.driver, undefined);
  assert.match(status.remedy!, /Node\.js 22\.13 or newer/);
  const runs = mlops(['runs', 'examples/churn'], { env });
  assert.equal(runs.code, 2);
  assert.doesNotMatch(runs.stderr, /internal error|\n\s+at /);
  assert.match(runs.stderr, /^mlops: runs needs SQLite: no SQLite driver loads on Node v[\d.]+ .*Node\.js 22\.13 or newer/);
  assert.equal(runs.stderr.trim().split('\n').length, 1, runs.stderr);
  const check = mlops(['check', 'examples/churn'], { env });
  assert.equal(check.code, 0, check.stdout + check.stderr);
  const exported = mlops(['export', 'kserve', 'examples/churn'], { env });
  assert.equal(exported.code, 0, exported.stderr);
});
