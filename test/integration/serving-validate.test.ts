// The serving door (`validate: warn|reject` per endpoint): each request's inputs against the per-row
// expectations of the model's input data set, on a real server with a real ONNX model: reject answers
// 422 naming the row, column and expectation (and the refusal is logged), warn serves and counts, and
// float32 inputs are compared as float32s (a bound sent as written passes).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readManifestModel } from '../../server/src/manifest/model';
import { parseManifest } from '../../server/src/manifest/parse';
import { loadServingConfig, ServingConfigError } from '../../server/src/serving/config';
import { startModelServer, type ModelServer } from '../../server/src/serving/server';
import { openDatabase } from '../../server/src/store/store';
import { datasetsOf, RowChecker } from '../../server/src/validation';
import { windowViolations } from '../../server/src/drift/monitored';
import { SHARED_FIXTURES } from '../helpers/paths';
import { call, parsePrometheus, workspace } from '../helpers/serving';

const MANIFEST = `version: 1
models:
  iris:
    versions: { "1": { path: logreg.onnx } }
    input: flowers
data:
  flowers:
    path: flowers.csv
    columns:
      sepal_length: { type: number, min: 4.3, max: 7.9, max_null_share: 0 }
      sepal_width: { type: number, min: 2, max: 4.4 }
      petal_length: { type: number, min: 1, max: 6.9 }
      petal_width: { type: number, min: 0.1, max: 2.5 }
serving:
  endpoints:
    strict: { model: iris, validate: reject }
    lenient: { model: iris, validate: warn }
    open: { model: iris }
`;

let server: ModelServer;
let dir: string;

before(async () => {
  dir = workspace('serving-validate', { 'mlops.yaml': MANIFEST, 'logreg.onnx': readFileSync(join(SHARED_FIXTURES, 'onnx', 'logreg_iris.onnx')), 'flowers.csv': 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n' });
  server = await startModelServer({ workspaceRoot: dir, manifestPath: join(dir, 'mlops.yaml'), port: 0 });
});

after(() => server.close());

const infer = (endpoint: string, data: number[], id?: string) => call(server.url, `/v2/models/${endpoint}/infer`, { body: { ...(id ? { id } : {}), inputs: [{ name: 'float_input', datatype: 'FP32', shape: [data.length / 4, 4], data }] } });

test('reject: a value out of range is answered 422 naming its row, column and expectation, and logged as refused', async () => {
  const ok = await infer('strict', [5.1, 3.5, 1.4, 0.2, 7.9, 4.4, 6.9, 2.5]);
  assert.equal(ok.status, 200, ok.text);
  const bad = await infer('strict', [5.1, 3.5, 1.4, 0.2, 5.0, 3.0, 9.5, 1.0], 'refused-1');
  assert.equal(bad.status, 422);
  const error = (bad.json() as { error: string }).error;
  assert.match(error, /data set "flowers": row 2, `petal_length` = 9\.5: above max: 6\.9 \(max\)/);
  // JSON has no NaN; V2 clients send it as "NaN", which the decoder takes: a null where none is allowed.
  const nan = await infer('strict', ['NaN', 3.5, 1.4, 0.2] as unknown as number[]);
  assert.equal(nan.status, 422, nan.text);
  assert.match((nan.json() as { error: string }).error, /row 1, `sepal_length` = NaN: a null where max_null_share is 0 \(null\)/);
  await server.logSettled();
  const db = openDatabase(join(dir, '.mlops', 'index.db'));
  try {
    const row = db.prepare('SELECT status, error, violations FROM predictions WHERE request_id = ?').get('refused-1') as { status: number; error: string; violations: number };
    assert.equal(row.status, 422);
    assert.match(row.error, /petal_length/);
    assert.equal(row.violations, 1);
  } finally {
    db.close();
  }
});

test('warn: the same request is served, and its violations are counted by column and expectation in /metrics', async () => {
  const served = await infer('lenient', [5.1, 3.5, 1.4, 0.2, 5.0, 3.0, 9.5, 1.0, 3.0, 5.0, 1.0, 0.1], 'warned-1');
  assert.equal(served.status, 200, served.text);
  await server.logSettled();
  const db = openDatabase(join(dir, '.mlops', 'index.db'));
  try {
    // Served, and logged with how many of its values broke an expectation (rows 2 and 3: three values).
    const row = db.prepare('SELECT status, violations FROM predictions WHERE request_id = ?').get('warned-1') as { status: number; violations: number };
    assert.deepEqual({ ...row }, { status: 200, violations: 3 });
  } finally {
    db.close();
  }
  const open = await infer('open', [50, 50, 50, 50]);
  assert.equal(open.status, 200, 'an endpoint without validate checks nothing');
  const samples = parsePrometheus((await call(server.url, '/metrics')).text).filter((s) => s.name === 'mlops_validation_violations_total' && s.labels.endpoint === 'lenient');
  const byKey = Object.fromEntries(samples.map((s) => [`${s.labels.column}:${s.labels.expectation}`, s.value]));
  assert.deepEqual(byKey, { 'petal_length:max': 1, 'sepal_length:min': 1, 'sepal_width:max': 1 });
  // /mlops/stats (what the Serving view's tooltips show) has them by column.
  const stats = (await call(server.url, '/mlops/stats')).json() as { series: { endpoint: string; violations?: Record<string, number> }[] };
  assert.deepEqual(stats.series.find((v) => v.endpoint === 'lenient')?.violations, { petal_length: 1, sepal_length: 1, sepal_width: 1 });
});

test('the drift report counts the window\'s requests that broke the expectations, by endpoint', async () => {
  await server.logSettled();
  const db = openDatabase(join(dir, '.mlops', 'index.db'));
  try {
    // strict refused two requests of one violation each; lenient served one with three.
    assert.deepEqual(windowViolations(db, ['strict'], 0, Date.now()), { requests: 2, values: 2 });
    assert.deepEqual(windowViolations(db, ['lenient'], 0, Date.now()), { requests: 1, values: 3 });
    assert.deepEqual(windowViolations(db, ['open'], 0, Date.now()), { requests: 0, values: 0 });
    assert.deepEqual(windowViolations(db, ['strict', 'lenient'], Date.now() + 1000, Date.now() + 2000), { requests: 0, values: 0 });
  } finally {
    db.close();
  }
});

test('the row checker: named inputs, a [N, k] input, float32 bounds, categories and nulls', () => {
  const spec = datasetsOf(
    readManifestModel(
      parseManifest(`version: 1
data:
  d:
    path: d.csv
    columns:
      plan: { type: category, values: [a, b] }
      age: { type: integer, min: 0, max_null_share: 0 }
      score: { type: number, max: 0.1, values: [0.1, 0.05] }
`),
    ),
  )[0].spec;
  const checker = new RowChecker(spec);
  const named = checker.check(
    new Map([
      ['plan', { shape: [3, 1], data: ['a', 'c', 'b'], datatype: 'BYTES' }],
      ['age', { shape: [3, 1], data: new Float64Array([3, NaN, 2.5]), datatype: 'FP64' }],
      ['score', { shape: [3, 1], data: new Float32Array([0.1, 0.05, 0.2]), datatype: 'FP32' }],
    ]),
  );
  assert.deepEqual(named.map((v) => `${v.row}:${v.column}:${v.expectation}`), ['2:plan:values', '2:age:null', '3:age:type', '3:score:max']);
  // One [N, 3] input: the listed columns in order.
  const wide = checker.check(new Map([['x', { shape: [1, 3], data: new Float32Array([1, -1, 0.1]), datatype: 'FP32' }]]));
  assert.deepEqual(wide.map((v) => `${v.column}:${v.expectation}`), ['plan:type', 'age:min']);
});

test('a validating endpoint whose model names no input data set is a configuration error', () => {
  const bad = workspace('serving-validate-bad', { 'mlops.yaml': MANIFEST.replace('    input: flowers\n', ''), 'logreg.onnx': readFileSync(join(SHARED_FIXTURES, 'onnx', 'logreg_iris.onnx')) });
  assert.throws(() => loadServingConfig(join(bad, 'mlops.yaml'), bad), (e: unknown) => e instanceof ServingConfigError && /strict\.validate: model iris names no input data set/.test(e.message));
});
