import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseJsonLine, readJsonlFolder, readJsonlRun } from '../../server/src/tracking/jsonl';
import { latestMetrics } from '../../server/src/tracking/model';
import { tempDir } from '../helpers/paths';

/** Epoch milliseconds; small numbers would be taken for seconds. */
const T = 1_732_700_000_000;
const line = (record: unknown): string => `${JSON.stringify(record)}\n`;

function file(name: string, text: string): string {
  const path = join(tempDir('jsonl'), name);
  writeFileSync(path, text);
  return path;
}

test('reads a whole run log: start, metrics, params, tags, end', () => {
  const path = file(
    'lr-v1.jsonl',
    line({ type: 'run_start', experiment: 'churn', name: 'lr v1', time: T + 1000, params: { C: 1 }, tags: { team: 'ml' } }) +
      line({ type: 'metric', key: 'loss', value: 0.5, step: 0, time: T + 2000 }) +
      line({ type: 'metric', metrics: { loss: 0.25, acc: 0.9 }, step: 1, time: T + 3000 }) +
      line({ type: 'param', key: 'layers', value: 3 }) +
      line({ type: 'tag', tags: { dataset: 'v2' } }) +
      line({ type: 'run_end', status: 'finished', time: T + 4000 }),
  );
  const { run, issues, state } = readJsonlRun(path);
  assert.deepEqual(issues, []);
  assert.ok(run);
  assert.equal(run.runId, 'lr-v1');
  assert.equal(run.experimentId, 'churn');
  assert.equal(run.name, 'lr v1');
  assert.equal(run.status, 'FINISHED');
  assert.equal(run.startTime, T + 1000);
  assert.equal(run.endTime, T + 4000);
  assert.deepEqual(run.params, { C: '1', layers: '3' });
  assert.deepEqual(run.tags, { team: 'ml', dataset: 'v2' });
  assert.deepEqual(run.metrics, [
    { key: 'loss', value: 0.5, step: 0, timestamp: T + 2000 },
    { key: 'loss', value: 0.25, step: 1, timestamp: T + 3000 },
    { key: 'acc', value: 0.9, step: 1, timestamp: T + 3000 },
  ]);
  assert.equal(state.line, 6);
});

test('the offset stops after the last complete line; a half-written line is read once it ends', () => {
  const first = line({ type: 'metric', key: 'loss', value: 1, time: T + 1000 });
  const path = file('run.jsonl', `${first}{"type":"metric","key":"lo`);
  const a = readJsonlRun(path);
  assert.equal(a.state.offset, Buffer.byteLength(first));
  assert.equal(a.run?.status, 'RUNNING');
  assert.deepEqual(a.added.map((p) => p.value), [1]);
  assert.deepEqual(a.issues, [], 'a partial last line is not an error');

  appendFileSync(path, 'ss","value":2,"time":2000}\n');
  const b = readJsonlRun(path, a.state);
  assert.deepEqual(b.issues, []);
  assert.deepEqual(b.added.map((p) => [p.value, p.step]), [[2, 1]]);
  assert.equal(b.run?.metrics.length, 2);
  assert.equal(b.state.line, 2);

  const c = readJsonlRun(path, b.state);
  assert.deepEqual(c.added, [], 'nothing new, nothing re-read');
  assert.equal(c.state.offset, b.state.offset);
});

test('offsets count bytes, not characters', () => {
  const first = line({ type: 'run_start', name: 'größe → 大きさ' });
  const path = file('utf8.jsonl', first + '{"type":"tag","key":"ünï');
  const a = readJsonlRun(path);
  assert.equal(a.state.offset, Buffer.byteLength(first));
  appendFileSync(path, 'code","value":"✓"}\n');
  const b = readJsonlRun(path, a.state);
  assert.equal(b.run?.name, 'größe → 大きさ');
  assert.deepEqual(b.run?.tags, { ünïcode: '✓' });
});

test('a state is a value: reading from the same state twice gives the same run', () => {
  const path = file('r.jsonl', line({ type: 'metric', key: 'a', value: 1 }));
  const a = readJsonlRun(path);
  appendFileSync(path, line({ type: 'metric', key: 'a', value: 2 }) + line({ type: 'param', key: 'p', value: 'x' }));
  const b1 = readJsonlRun(path, a.state);
  const b2 = readJsonlRun(path, a.state);
  assert.deepEqual(b1.run, b2.run);
  assert.equal(a.run?.metrics.length, 1);
  assert.deepEqual(a.run?.params, {});
});

test('bad lines are skipped and located by line and column; the rest is read', () => {
  const path = file(
    'bad.jsonl',
    line({ type: 'metric', key: 'a', value: 1 }) +
      '{"type":"metric","key":"a","value":}\n' + // V8 gives no position for this one
      '{"type":"metric", "key":"a" "value":2}\n' +
      '[1,2]\n' +
      line({ type: 'metric', key: 'a', value: 'high' }) +
      line({ type: 'what' }) +
      line({ type: 'run_end', status: 'DONE' }) +
      '\n' +
      line({ type: 'metric', key: 'a', value: 3 }),
  );
  const { run, issues } = readJsonlRun(path);
  assert.deepEqual(run?.metrics.map((p) => p.value), [1, 3]);
  const located = issues.map((i) => [i.line, i.column]);
  assert.deepEqual(located, [
    [2, 36],
    [3, 29],
    [4, 1],
    [5, 28],
    [6, 2],
    [7, 19],
  ]);
  assert.match(issues[0].message, /not valid JSON/);
  assert.match(issues[5].message, /unknown status "DONE"/);
  assert.equal(run?.status, 'FINISHED');
});

test('non-finite values: strings, Python bare tokens, and null', () => {
  const path = file(
    'nan.jsonl',
    '{"type": "metric", "key": "a", "value": NaN}\n' +
      '{"type": "metric", "metrics": {"b": Infinity, "c": -Infinity}}\n' +
      line({ type: 'metric', metrics: { d: 'NaN', e: 'Infinity', f: '-Infinity', g: '-inf', h: null } }),
  );
  const { run, issues } = readJsonlRun(path);
  assert.deepEqual(issues, []);
  const values = Object.fromEntries(run!.metrics.map((p) => [p.key, p.value]));
  assert.deepEqual(values, { a: NaN, b: Infinity, c: -Infinity, d: NaN, e: Infinity, f: -Infinity, g: -Infinity, h: NaN });
});

test('steps: explicit steps are kept, missing ones continue per metric', () => {
  const path = file(
    's.jsonl',
    line({ type: 'metric', key: 'loss', value: 3 }) +
      line({ type: 'metric', key: 'loss', value: 2 }) +
      line({ type: 'metric', key: 'acc', value: 0.5 }) +
      line({ type: 'metric', key: 'loss', value: 1, step: 10 }) +
      line({ type: 'metric', key: 'loss', value: 0.5 }),
  );
  const { run } = readJsonlRun(path);
  assert.deepEqual(run!.metrics.map((p) => `${p.key}@${p.step}`), ['loss@0', 'loss@1', 'acc@0', 'loss@10', 'loss@11']);
  assert.equal(latestMetrics(run!.metrics).get('loss')?.value, 0.5);
});

test('times: lines inherit the latest time; seconds are scaled to milliseconds', () => {
  const path = file('t.jsonl', line({ type: 'run_start', time: 1732700000.5 }) + line({ type: 'metric', key: 'a', value: 1 }) + line({ type: 'run_end' }));
  const { run } = readJsonlRun(path);
  assert.equal(run!.startTime, 1732700000500);
  assert.equal(run!.metrics[0].timestamp, 1732700000500);
  assert.equal(run!.endTime, 1732700000500);
});

test('run_id from run_start overrides the file name; CRLF and a BOM are fine', () => {
  const path = file('named.jsonl', '\uFEFF{"type":"run_start","run_id":"abc123"}\r\n{"type":"metric","key":"a","value":1}\r\n');
  const { run, issues, state } = readJsonlRun(path);
  assert.deepEqual(issues, []);
  assert.equal(run!.runId, 'abc123');
  assert.equal(run!.experimentId, 'Default');
  assert.equal(run!.metrics.length, 1);
  assert.equal(state.offset, Buffer.byteLength('\uFEFF{"type":"run_start","run_id":"abc123"}\r\n{"type":"metric","key":"a","value":1}\r\n'));
});

test('a truncated or rewritten file is read again from its start', () => {
  const path = file('w.jsonl', line({ type: 'run_start', time: T + 1000 }) + line({ type: 'metric', key: 'a', value: 1 }) + line({ type: 'metric', key: 'a', value: 2 }));
  const a = readJsonlRun(path);
  assert.equal(a.run!.metrics.length, 2);

  writeFileSync(path, line({ type: 'run_start', time: T + 5000 })); // shorter: truncated and restarted
  const b = readJsonlRun(path, a.state);
  assert.equal(b.run!.metrics.length, 0);
  assert.equal(b.run!.startTime, T + 5000);

  // Longer than before, and different from the first byte on: replaced, not appended to.
  const replacement = join(path, '..', 'w.tmp');
  writeFileSync(replacement, line({ type: 'run_start', time: T + 9000 }) + line({ type: 'metric', key: 'b', value: 7 }).repeat(5));
  writeFileSync(path, line({ type: 'run_start', time: T + 7000 }) + line({ type: 'metric', key: 'b', value: 7 }).repeat(5));
  const c = readJsonlRun(path, b.state);
  assert.equal(c.run!.startTime, T + 7000);
  assert.equal(c.run!.metrics.length, 5);
  renameSync(replacement, path); // a new inode, as editors and atomic writers produce
  const d = readJsonlRun(path, c.state);
  assert.equal(d.run!.startTime, T + 9000);
  assert.equal(d.run!.metrics.length, 5);
});

test('an unreadable path is an issue, not an exception', () => {
  const dir = tempDir('jsonl');
  mkdirSync(join(dir, 'folder.jsonl'));
  const missing = readJsonlRun(join(dir, 'missing.jsonl'));
  assert.equal(missing.run, null);
  assert.match(missing.issues[0].message, /no such file/);
  const folder = readJsonlRun(join(dir, 'folder.jsonl'));
  assert.equal(folder.run, null);
  assert.match(folder.issues[0].message, /not a regular file/);
});

test('a folder of run logs: one run per file, experiments by name', () => {
  const dir = tempDir('jsonl');
  writeFileSync(join(dir, 'a.jsonl'), line({ type: 'run_start', experiment: 'churn' }));
  writeFileSync(join(dir, 'b.jsonl'), line({ type: 'run_start', experiment: 'churn' }));
  writeFileSync(join(dir, 'c.jsonl'), line({ type: 'metric', key: 'x', value: 1 }));
  writeFileSync(join(dir, 'notes.txt'), 'not a run');
  const snapshot = readJsonlFolder(dir);
  assert.deepEqual(snapshot.runs.map((r) => r.runId), ['a', 'b', 'c']);
  assert.deepEqual(snapshot.experiments.map((e) => e.experimentId), ['churn', 'Default']);
});

test('parseJsonLine: plain JSON, Python tokens, and error offsets', () => {
  assert.deepEqual(parseJsonLine('{"a":[1,"x",null]}'), { value: { a: [1, 'x', null] } });
  assert.deepEqual(parseJsonLine('[NaN, -Infinity]'), { value: [NaN, -Infinity] });
  const cases: [string, number][] = [
    ['{"a":}', 5],
    ['{"a":1', 6],
    ['{"a" 1}', 5],
    ['{"a":tru}', 5],
    ['{"a":1} x', 8],
    ['', 0],
    ['{"a":"\\q"}', 5],
  ];
  for (const [text, offset] of cases) {
    const result = parseJsonLine(text);
    assert.ok('error' in result, text);
    assert.equal(result.offset, offset, text);
  }
});
