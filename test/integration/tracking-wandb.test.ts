// The W&B reader against the real run folders in ../shared/fixtures/wandb (wandb 0.12 and 0.25),
// checked against test/helpers/wandb_truth.py, which reads the log's blocks, CRCs and protobuf wire
// format with Python's standard library alone; then broken logs, and the index found by scanning.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveTrackingSources } from '../../server/src/tracking/sources';
import { listWandbRuns, readWandbLog, readWandbRun } from '../../server/src/tracking/wandb';
import { seededRandom } from '../../server/src/util/random';
import { CLI, REPO, SHARED_FIXTURES, tempDir } from '../helpers/paths';

interface Truth {
  records: number;
  kinds: Record<string, number>;
  history: Record<string, number>;
  last: Record<string, [number, number]>;
  run_id: string;
  display_name: string | null;
  project: string | null;
  exit_code: number | null;
  config_keys: string[];
  summary: Record<string, unknown>;
}

const ROOT = join(SHARED_FIXTURES, 'wandb');
const FOLDERS = ['ADL-Group-10_lab0', 'ARM-software_keyword-transformer'].flatMap((p) => listWandbRuns(join(ROOT, p, 'wandb')));

function truth(dir: string): Truth {
  return JSON.parse(execFileSync('python3', [join(REPO, 'test', 'helpers', 'wandb_truth.py'), dir], { encoding: 'utf8', maxBuffer: 64 << 20 })) as Truth;
}

test("the fixtures' run logs: 105 records, and 1,106 whole ones before the truncated last", () => {
  assert.equal(FOLDERS.length, 2);
  const counts = FOLDERS.map((dir) => readWandbRun(dir).run.tags['wandb.records']);
  assert.deepEqual(counts, ['105', '1106']);
});

for (const dir of FOLDERS) {
  test(`W&B run ${dir.slice(ROOT.length + 1)}: history per metric, last values, name, project, status, params and summary as Python reads them`, () => {
    const expected = truth(dir);
    const { run, experiment, issues } = readWandbRun(dir);
    assert.deepEqual(issues, []);
    assert.equal(Number(run.tags['wandb.records']), expected.records);
    assert.equal(run.runId, `wandb:${expected.run_id}`);
    assert.equal(run.name, expected.display_name || expected.run_id);
    assert.equal(experiment.name, expected.project || 'wandb');
    assert.equal(run.status, expected.exit_code === null ? 'RUNNING' : expected.exit_code === 0 ? 'FINISHED' : 'FAILED');
    const counts: Record<string, number> = {};
    const last: Record<string, [number, number]> = {};
    for (const p of run.metrics) {
      if (!(p.key in expected.history)) continue;
      counts[p.key] = (counts[p.key] ?? 0) + 1;
      last[p.key] = [p.step, p.value];
    }
    assert.deepEqual(counts, expected.history, 'history points per metric');
    assert.deepEqual(last, expected.last, 'last value per metric');
    // Params: every top-level key of config.yaml but wandb's own, each unwrapped (nested ones flattened).
    assert.deepEqual([...new Set(Object.keys(run.params).map((k) => k.split('.')[0]))].sort(), expected.config_keys);
    // Summary metrics the history lacks are there with the summary's value.
    for (const [key, value] of Object.entries(expected.summary)) {
      if (key.startsWith('_') || typeof value !== 'number' || key in expected.history) continue;
      assert.equal(run.metrics.find((m) => m.key === key)?.value, value, `summary ${key}`);
    }
    assert.ok(run.tags['wandb.host'] && run.tags['wandb.git.commit'] && run.tags['wandb.program'], JSON.stringify(run.tags));
  });
}

test('config.yaml values are unwrapped: the lab run’s learning rate and architecture', () => {
  const { run } = readWandbRun(FOLDERS[0]);
  assert.equal(run.params.learning_rate, '0.0001');
  assert.equal(run.params.architecture, 'AlexNet');
  assert.ok(!Object.keys(run.params).some((k) => k.startsWith('_wandb')));
});

test('broken logs (a flipped byte, zeroes, random bytes, no header) give a located read problem, never a crash', () => {
  const log = join(FOLDERS[1], 'run-3ojed7lz.wandb');
  const bytes = readFileSync(log);
  const dir = tempDir('wandb-fuzz');
  const random = seededRandom(11);
  const cases: [string, Buffer][] = [
    ['no header', Buffer.from('not a run log at all')],
    ['random bytes after the header', Buffer.concat([bytes.subarray(0, 7), Buffer.from(Array.from({ length: 40_000 }, () => Math.floor(random() * 256)))])],
  ];
  for (let k = 0; k < 8; k++) {
    const copy = Buffer.from(bytes);
    const at = 100 + Math.floor(random() * (copy.length - 200));
    if (k % 2 === 0) copy[at] ^= 0x20;
    else copy.fill(0x55, at, at + 32);
    cases.push([`damaged at ${at}`, copy]);
  }
  const whole = readWandbLog(log, []).records;
  for (const [what, data] of cases) {
    const path = join(dir, `${what.replace(/\W+/g, '-')}.wandb`);
    writeFileSync(path, data);
    const issues: { path: string; message: string }[] = [];
    const read = readWandbLog(path, issues);
    assert.ok(issues.length > 0, `${what}: a problem is said`);
    assert.ok(read.records <= whole, what);
  }
});

test('mlops runs finds a wandb/ folder by scanning and lists its runs with their metrics', () => {
  const workspace = tempDir('wandb-cli');
  cpSync(join(ROOT, 'ADL-Group-10_lab0', 'wandb'), join(workspace, 'wandb'), { recursive: true });
  assert.deepEqual(resolveTrackingSources(workspace).sources.map((s) => s.kind), ['wandb']);
  const r = spawnSync(process.execPath, [CLI, 'runs', workspace, '--json', '--all', '--filter', 'params.optimizer = "Adam"'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const runs = JSON.parse(r.stdout) as { run_id: string; name: string; metrics: Record<string, number> }[];
  assert.deepEqual(runs.map((x) => x.name), ['alexnet_feature_extraction']);
  const expected = truth(FOLDERS[0]);
  assert.equal(runs[0].metrics.training_loss, expected.last.training_loss[1]);
});
