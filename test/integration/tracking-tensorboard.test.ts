// The TensorBoard reader against the real event files in ../shared/fixtures/tensorboard (Lightning,
// Keras with train/ and validation/, HuggingFace Trainer), checked against test/helpers/
// tfevents_truth.py, which decodes the frames and the protobuf wire format with Python's standard
// library alone; then broken and growing files, and the index: found by scanning, read on from the
// offset already indexed.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { listTensorboardRuns, readEventFile, ScalarColumns, tensorboardRun, type EventFileState } from '../../server/src/tracking/tensorboard';
import { historyPoints } from '../../server/src/tracking/packed-run';
import { TrackingService } from '../../server/src/tracking/service';
import { resolveTrackingSources } from '../../server/src/tracking/sources';
import { maskedCrc32c } from '../../server/src/util/crc32c';
import { frame, scalarEvent } from '../helpers/tfevents';
import { seededRandom } from '../../server/src/util/random';
import { CLI, REPO, SHARED_FIXTURES, tempDir } from '../helpers/paths';

interface FileTruth {
  records: number;
  points: Record<string, number>;
  last: Record<string, [number, number]>;
  first_wall: number | null;
  last_wall: number | null;
  hparams: Record<string, string>;
}

const ROOT = join(SHARED_FIXTURES, 'tensorboard');
const LOGDIRS = [
  join(ROOT, 'Abdul-AA_Text-Generation-With-LSTM', 'lightning_logs'),
  join(ROOT, 'snehankekre_streamlit-tensorboard', 'examples', 'logs', 'fit'),
  join(ROOT, 'AguLeon_LoRA_RoBERTa_AGNews', 'runs'),
];

function truth(file: string, prefix: string): FileTruth {
  return JSON.parse(execFileSync('python3', [join(REPO, 'test', 'helpers', 'tfevents_truth.py'), file, prefix], { encoding: 'utf8', maxBuffer: 64 << 20 })) as FileTruth;
}

for (const logdir of LOGDIRS) {
  test(`TensorBoard runs in ${relative(ROOT, logdir)}: records, scalars per tag, last values, times and hparams as Python decodes them`, () => {
    const runs = listTensorboardRuns(logdir);
    assert.ok(runs.length > 0);
    for (const run of runs) {
      const states: EventFileState[] = [];
      const columns = new ScalarColumns();
      const expected = { records: 0, points: {} as Record<string, number>, last: {} as Record<string, [number, number]>, hparams: {} as Record<string, string>, first: Infinity, lastWall: -Infinity };
      for (const { file, prefix } of run.files) {
        const read = readEventFile(file, undefined, columns, prefix);
        assert.deepEqual(read.issues, [], file);
        states.push(read.state);
        const t = truth(file, prefix);
        expected.records += t.records;
        for (const [k, n] of Object.entries(t.points)) expected.points[k] = (expected.points[k] ?? 0) + n;
        Object.assign(expected.last, t.last);
        Object.assign(expected.hparams, t.hparams);
        if (t.first_wall !== null) expected.first = Math.min(expected.first, t.first_wall);
        if (t.last_wall !== null) expected.lastWall = Math.max(expected.lastWall, t.last_wall);
      }
      const { run: record, history } = tensorboardRun(logdir, run, states, [columns], []);
      const where = record.runId;
      assert.equal(Number(record.tags['tensorboard.records']), expected.records, `${where}: records`);
      const counts: Record<string, number> = {};
      const last: Record<string, [number, number]> = {};
      for (const p of historyPoints(history)) {
        counts[p.key] = (counts[p.key] ?? 0) + 1;
        last[p.key] = [p.step, p.value];
      }
      assert.deepEqual(counts, expected.points, `${where}: scalars per tag`);
      assert.deepEqual(last, expected.last, `${where}: last value per tag`);
      for (const [k, v] of Object.entries(expected.hparams)) assert.equal(record.params[k], v, `${where}: hparam ${k}`);
      assert.equal(record.startTime, expected.first);
      assert.equal(record.endTime, expected.lastWall);
    }
  });
}

test("the fixtures README's counts: Lightning's 15,445 records with 3 hparams-plugin ones; Keras' train and validation in one run; five Trainer runs", () => {
  const [lightning] = listTensorboardRuns(LOGDIRS[0]);
  const columns = new ScalarColumns();
  const state = readEventFile(lightning.files[0].file, undefined, columns).state;
  assert.equal(state.records, 15_445);
  const record = tensorboardRun(LOGDIRS[0], lightning, [state], [columns], []);
  // hparams.yaml and the hparams plugin agree.
  assert.deepEqual(record.run.params, { hidden_units: '512', lr: '0.001', num_chars: '29', num_layers: '2', seq_length: '100' });
  const keras = listTensorboardRuns(LOGDIRS[1]);
  assert.equal(keras.length, 1);
  assert.deepEqual([...new Set(keras[0].files.map((f) => f.prefix))], ['train/', 'validation/']);
  const kerasColumns = new ScalarColumns();
  const kerasRun = tensorboardRun(LOGDIRS[1], keras[0], keras[0].files.map((f) => readEventFile(f.file, undefined, kerasColumns, f.prefix).state), [kerasColumns], []);
  const kerasKeys = new Set(historyPoints(kerasRun.history).map((m) => m.key));
  assert.ok(kerasKeys.has('validation/epoch_loss') && kerasKeys.has('train/epoch_loss'));
  assert.match(kerasRun.run.tags['tensorboard.skipped'], /histograms \d+/);
  assert.equal(listTensorboardRuns(LOGDIRS[2]).length, 5);
});

test('a file still being written: a cut-off last frame waits, and the next read goes on from the offset with the new points only', () => {
  const [lightning] = listTensorboardRuns(LOGDIRS[0]);
  const bytes = readFileSync(lightning.files[0].file);
  const dir = tempDir('tb-growing');
  const file = join(dir, 'events.out.tfevents.1.host');
  // Cut in the middle of a frame, far in.
  writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  const growing = new ScalarColumns();
  const first = readEventFile(file, undefined, growing);
  assert.deepEqual(first.issues, [], 'a cut-off frame at the end is not a problem');
  assert.ok(first.state.offset < Math.floor(bytes.length * 0.6) && first.state.offset > 0);
  const pointsBefore = first.state.points;
  appendFileSync(file, bytes.subarray(Math.floor(bytes.length * 0.6)));
  const second = readEventFile(file, first.state, growing);
  assert.equal(second.restarted, false);
  const wholeColumns = new ScalarColumns();
  const whole = readEventFile(lightning.files[0].file, undefined, wholeColumns);
  assert.equal(second.state.records, whole.state.records);
  assert.equal(second.state.points, whole.state.points);
  assert.ok(pointsBefore > 0 && pointsBefore < whole.state.points);
  assert.deepEqual(growing.counts(), wholeColumns.counts());
  const history = (c: ScalarColumns) => historyPoints(tensorboardRun(LOGDIRS[0], lightning, [whole.state], [c], []).history);
  assert.deepEqual(history(growing), history(wholeColumns));
  // The same file replaced by a shorter one is read from its start, and says so.
  writeFileSync(file, bytes.subarray(0, 4096));
  assert.equal(readEventFile(file, second.state, new ScalarColumns()).restarted, true);
});

test('broken files (a flipped byte, zeroes, random bytes, an absurd length) give a located read problem and keep what came before', () => {
  const [lightning] = listTensorboardRuns(LOGDIRS[0]);
  const bytes = readFileSync(lightning.files[0].file);
  const dir = tempDir('tb-fuzz');
  const random = seededRandom(3);
  const cases: [string, Buffer][] = [['random bytes', Buffer.from(Array.from({ length: 4096 }, () => Math.floor(random() * 256)))]];
  for (let k = 0; k < 10; k++) {
    const copy = Buffer.from(bytes);
    const at = 200 + Math.floor(random() * (copy.length - 400));
    if (k % 2 === 0) copy[at] ^= 0x40;
    else copy.fill(0, at, at + 64);
    cases.push([`damaged at ${at}`, copy]);
  }
  const huge = Buffer.alloc(12);
  huge.writeBigUInt64LE(1n << 40n);
  huge.writeUInt32LE(maskedCrc32c(huge.subarray(0, 8)), 8);
  cases.push(['an absurd length', huge]);
  cases.push(['a frame that is not an Event', frame(Buffer.from([0xff, 0xff, 0xff]))]);
  for (const [what, data] of cases) {
    const file = join(dir, `events.out.tfevents.${what.replace(/\W+/g, '-')}`);
    writeFileSync(file, data);
    const read = readEventFile(file, undefined, new ScalarColumns());
    assert.ok(read.issues.length > 0, `${what}: a problem is said`);
    assert.match(read.issues[0].message, /^byte \d+: /, what);
    assert.ok(read.state.records <= 15_445);
  }
});

test('mlops runs finds TensorBoard logs by scanning and lists every run with its scalars; an appended record shows in the next listing', () => {
  const workspace = tempDir('tb-cli');
  cpSync(join(ROOT, 'AguLeon_LoRA_RoBERTa_AGNews', 'runs'), join(workspace, 'runs'), { recursive: true });
  cpSync(join(ROOT, 'snehankekre_streamlit-tensorboard', 'examples', 'logs'), join(workspace, 'logs'), { recursive: true });
  assert.deepEqual(
    resolveTrackingSources(workspace).sources.map((s) => [s.kind, relative(workspace, s.path)]).sort(),
    [
      ['tensorboard', join('logs', 'fit')],
      ['tensorboard', 'runs'],
    ],
  );
  const runs = () => {
    const r = spawnSync(process.execPath, [CLI, 'runs', workspace, '--json', '--all'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { run_id: string; name: string; metrics: Record<string, number> }[];
  };
  const before = runs();
  assert.deepEqual(before.map((r) => r.name).sort(), ['20210613-221927', 'run0', 'run1', 'run2', 'run3', 'run4']);
  const run0 = before.find((r) => r.name === 'run0')!;
  assert.equal(typeof run0.metrics['eval/accuracy'], 'number');
  // One more scalar, as a writer appends it: a Summary with one simple_value at a later step (1,000,000) than any the Trainer logged.
  const file = listTensorboardRuns(join(workspace, 'runs')).find((r) => r.dir.endsWith('run0'))!.files[0].file;
  appendFileSync(file, scalarEvent('eval/accuracy', 0.975, 1_000_000, 1_900_000_000));
  const after = runs().find((r) => r.name === 'run0')!;
  assert.equal(after.metrics['eval/accuracy'], Math.fround(0.975));
});

test('while watching, a scalar appended to a live event file reaches the index, read on from the offset already indexed', async () => {
  const workspace = tempDir('tb-live');
  cpSync(join(ROOT, 'Abdul-AA_Text-Generation-With-LSTM', 'lightning_logs'), join(workspace, 'lightning_logs'), { recursive: true });
  const file = listTensorboardRuns(join(workspace, 'lightning_logs'))[0].files[0].file;
  const want = truth(file, '').points;
  const service = TrackingService.open(workspace);
  await service.refresh();
  const run = () => service.runs().find((r) => r.runId === 'tensorboard:version_0');
  assert.equal(run()?.params.lr, '0.001');
  const started = Date.now();
  const seen = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the appended scalar never reached the index')), 10_000);
    service.watch(
      () => {
        if (run()?.metrics.live_loss === Math.fround(0.125)) {
          clearTimeout(timer);
          resolve(Date.now() - started);
        }
      },
      () => undefined,
    );
  });
  // Appended until seen: the watcher attaches asynchronously.
  let step = 1_000_000;
  const writer = setInterval(() => appendFileSync(file, scalarEvent('live_loss', 0.125, step++, 1_900_000_000)), 100);
  try {
    const ms = await seen;
    assert.ok(ms < 10_000);
    assert.equal(Number(run()!.tags['tensorboard.records']) >= 15_446, true, 'every record, the old ones once');
    const counts = Object.fromEntries(service.repo.metricHistory('tensorboard:version_0').map((h) => [h.key, h.steps.length]));
    assert.ok(counts.live_loss >= 1);
    delete counts.live_loss;
    assert.deepEqual(counts, want, 'the stored history holds each earlier point once');
  } finally {
    clearInterval(writer);
    await service.close();
  }
});

test('the index follows a run whose files come and go: a second event file adds its points, a replaced or removed file is read again from the start', async () => {
  const workspace = tempDir('tb-files');
  cpSync(join(ROOT, 'Abdul-AA_Text-Generation-With-LSTM', 'lightning_logs'), join(workspace, 'lightning_logs'), { recursive: true });
  const [lightning] = listTensorboardRuns(join(workspace, 'lightning_logs'));
  const first = lightning.files[0].file;
  const want = truth(first, '').points;
  const service = TrackingService.open(workspace);
  const counts = () => Object.fromEntries(service.repo.metricHistory('tensorboard:version_0').map((h) => [h.key, h.steps.length]));
  try {
    await service.refresh();
    assert.deepEqual(counts(), want);
    // A resumed run writes a new file beside the first.
    const second = join(lightning.dir, 'events.out.tfevents.1900000000.host.2');
    writeFileSync(second, Buffer.concat([scalarEvent('resumed', 1, 1, 1_900_000_000), scalarEvent('resumed', 2, 2, 1_900_000_001)]));
    await service.refresh();
    assert.deepEqual(counts(), { ...want, resumed: 2 });
    appendFileSync(second, scalarEvent('resumed', 3, 3, 1_900_000_002));
    await service.refresh();
    assert.deepEqual(counts(), { ...want, resumed: 3 });
    // Replaced by a shorter file at the same path: what it held before is gone.
    writeFileSync(second, scalarEvent('resumed', 9, 1, 1_900_000_000));
    await service.refresh();
    assert.deepEqual(counts(), { ...want, resumed: 1 });
    assert.equal(service.repo.latestMetric('tensorboard:version_0', 'resumed'), 9);
    // The first file removed: only the second's points are left.
    rmSync(first);
    await service.refresh();
    assert.deepEqual(counts(), { resumed: 1 });
  } finally {
    await service.close();
  }
});
