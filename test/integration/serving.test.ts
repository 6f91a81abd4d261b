import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { floatToHalf } from '../../server/src/serving/dtypes';
import { ServingConfigError, startModelServer, type ModelServer } from '../../server/src/serving/server';
import { openDatabase } from '../../server/src/store/store';
import { SHARED_FIXTURES } from '../helpers/paths';
import { concatModel, identityModel, scaleModel, batchSumModel, type ElemType } from '../helpers/onnx-builder';
import { call, parsePrometheus, pool, workspace } from '../helpers/serving';
import { readTensorProto, toJsonValues } from '../helpers/tensor-proto';

const ONNX = join(SHARED_FIXTURES, 'onnx');
const IRIS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.0, 5.2, 2.3],
  [5.9, 3.0, 4.2, 1.5],
];
const DTYPES: ElemType[] = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES'];

function manifest(): string {
  const dtypeModels = DTYPES.map((t) => `  id_${t}: { versions: { "1": { path: models/id-${t}.onnx } } }`).join('\n');
  const dtypeEndpoints = DTYPES.map((t) => `    id-${t.toLowerCase()}: { model: id_${t} }`).join('\n');
  return `version: 1
models:
  iris:
    versions:
      "1": { path: models/logreg.onnx }
      "2": { path: models/rf.onnx }
    aliases: { production: "1", staging: "2" }
  scale:
    versions:
      "1": { path: models/scale1.onnx }
      "2": { path: models/scale2.onnx }
  concat: { versions: { "1": { path: models/concat.onnx } } }
  sum: { versions: { "1": { path: models/sum.onnx } } }
${dtypeModels}
serving:
  endpoints:
    iris: { model: iris, traffic: { production: 100 } }
    split: { model: scale, traffic: { "1": 70, "2": 30 } }
    sticky: { model: scale, traffic: { "1": 50, "2": 50 }, sticky: "header:x-user-id" }
    mirror: { model: scale, traffic: { "1": 100 }, mirror: { version: "2", percent: 100 } }
    batched: { model: scale, traffic: { "1": 100 }, batching: { max_batch_size: 16, max_delay_ms: 5 } }
    summed: { model: sum, batching: { max_batch_size: 8, max_delay_ms: 5 } }
    patient: { model: scale, traffic: { "1": 100 }, batching: { max_batch_size: 16, max_delay_ms: 3000 } }
    concat: { model: concat }
${dtypeEndpoints}
`;
}

function files(): Record<string, string | Uint8Array> {
  const f: Record<string, string | Uint8Array> = {
    'mlops.yaml': manifest(),
    'models/logreg.onnx': readFileSync(join(ONNX, 'logreg_iris.onnx')),
    'models/rf.onnx': readFileSync(join(ONNX, 'rf_iris.onnx')),
    'models/scale1.onnx': scaleModel(1),
    'models/scale2.onnx': scaleModel(2),
    'models/concat.onnx': concatModel(),
    'models/sum.onnx': batchSumModel(),
  };
  for (const t of DTYPES) f[`models/id-${t}.onnx`] = identityModel(t);
  return f;
}

const v2 = (name: string, datatype: string, shape: number[], data: unknown, extra: object = {}) => ({ inputs: [{ name, datatype, shape, data }], ...extra });

describe('model server over HTTP', () => {
  let dir: string;
  let server: ModelServer;
  let url: string;
  const start = async () => {
    server = await startModelServer({ workspaceRoot: dir, manifestPath: join(dir, 'mlops.yaml'), port: 0, watch: false });
    url = server.url;
  };

  before(async () => {
    dir = workspace('serve', files());
    await start();
  });
  after(() => server.close());

  test('binds loopback by default; health, readiness and server metadata', async () => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual((await call(url, '/v2/health/live')).json(), { live: true });
    assert.deepEqual((await call(url, '/v2/health/ready')).json(), { ready: true });
    const meta = (await call(url, '/v2')).json();
    assert.equal(meta.name, 'mlops-workbench');
    assert.equal((await call(url, '/ping')).status, 200);
    assert.equal((await call(url, '/health')).status, 200);
    assert.equal((await call(url, '/version')).status, 200);
    const ready = await call(url, '/v2/models/iris/ready');
    assert.equal(ready.status, 200);
    assert.equal(ready.headers.get('x-model-version'), '1');
    assert.ok(ready.headers.get('x-request-id'));
  });

  test('model metadata comes from the ONNX file; ZipMap outputs are named, not offered', async () => {
    const meta = await call(url, '/v2/models/iris');
    assert.equal(meta.status, 200);
    assert.deepEqual(meta.json(), {
      name: 'iris',
      versions: ['1', '2'],
      platform: 'onnx_onnxv1',
      inputs: [{ name: 'float_input', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'output_label', datatype: 'INT64', shape: [1] }],
      parameters: { non_tensor_outputs: ['output_probability'] },
    });
    assert.equal((await call(url, '/v2/models/iris/versions/staging')).headers.get('x-model-version'), '2');
    assert.equal((await call(url, '/v2/models/nope')).status, 404);
    assert.equal((await call(url, '/v2/models/iris/versions/9')).status, 404);
    assert.deepEqual((await call(url, '/v1/models/iris')).json(), { name: 'iris', ready: true });
  });

  test('V2 infer with the skl2onnx models: tensor outputs only, int64 labels exact; ids honoured', async () => {
    const res = await call(url, '/v2/models/iris/infer', { body: v2('float_input', 'FP32', [3, 4], IRIS, { id: 'req-1' }) });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('x-model-version'), '1');
    assert.equal(res.headers.get('x-request-id'), 'req-1');
    const body = res.json();
    assert.deepEqual(body, { model_name: 'iris', model_version: '1', id: 'req-1', outputs: [{ name: 'output_label', datatype: 'INT64', shape: [3], data: [0, 2, 1] }] });
    const pinned = await call(url, '/v2/models/iris/versions/2/infer', { body: v2('float_input', 'FP32', [3, 4], IRIS.flat()), headers: { 'x-request-id': 'hdr-7' } });
    assert.equal(pinned.status, 200, pinned.text);
    assert.equal(pinned.headers.get('x-model-version'), '2');
    assert.equal(pinned.json().id, 'hdr-7');
    assert.deepEqual(pinned.json().outputs[0].data, [0, 2, 1]);
    const zipmap = await call(url, '/v2/models/iris/infer', { body: v2('float_input', 'FP32', [1, 4], IRIS[0], { outputs: [{ name: 'output_probability' }] }) });
    assert.equal(zipmap.status, 400);
    assert.match(zipmap.json().error, /output 'output_probability' is a sequence or map .*ZipMap.*tensor outputs: output_label/);
  });

  test('KServe V1 predict and MLflow /invocations in all five formats', async () => {
    const v1 = await call(url, '/v1/models/iris:predict', { body: { instances: IRIS } });
    assert.equal(v1.status, 200, v1.text);
    assert.deepEqual(v1.json(), { predictions: [0, 2, 1] });
    assert.equal(v1.headers.get('x-model-version'), '1');
    const bodies: [string, string, string][] = [
      ['application/json', JSON.stringify({ dataframe_split: { columns: ['a', 'b', 'c', 'd'], data: IRIS } }), 'dataframe_split'],
      ['application/json', JSON.stringify({ dataframe_records: IRIS.map(([a, b, c, d]) => ({ a, b, c, d })) }), 'dataframe_records'],
      ['application/json', JSON.stringify({ instances: IRIS }), 'instances'],
      ['application/json', JSON.stringify({ inputs: IRIS }), 'inputs'],
      ['text/csv', `a,b,c,d\n${IRIS.map((r) => r.join(',')).join('\n')}\n`, 'csv'],
    ];
    for (const [type, raw, label] of bodies) {
      const res = await call(url, '/invocations', { raw, headers: { 'content-type': type } });
      assert.equal(res.status, 200, `${label}: ${res.text}`);
      assert.deepEqual(res.json(), { predictions: [0, 2, 1] }, label);
      const named = await call(url, '/endpoints/iris/invocations', { raw, headers: { 'content-type': type } });
      assert.deepEqual(named.json(), { predictions: [0, 2, 1] }, label);
    }
    const multi = await call(url, '/endpoints/concat/invocations', { body: { dataframe_split: { columns: ['a', 'b'], data: [[1, 2], [3, 4]] } } });
    assert.deepEqual(multi.json(), { predictions: [[1, 2], [3, 4]] });
    const multiV1 = await call(url, '/v1/models/concat:predict', { body: { instances: [{ a: 1, b: 2 }] } });
    assert.deepEqual(multiV1.json(), { predictions: [[1, 2]] });
    const both = await call(url, '/invocations', { body: { instances: IRIS, inputs: IRIS } });
    assert.equal(both.status, 400);
    assert.match(both.json().error, /exactly one of/);
    const xml = await call(url, '/invocations', { raw: '<x/>', headers: { 'content-type': 'application/xml' } });
    assert.equal(xml.status, 415);
  });

  test('every datatype round-trips exactly through an Identity model', async () => {
    const cases: Record<string, unknown[]> = {
      BOOL: [true, false, true],
      UINT8: [0, 255, 7],
      UINT16: [0, 65535, 7],
      UINT32: [0, 4294967295, 7],
      UINT64: [0, '18446744073709551615', 9007199254740991],
      INT8: [-128, 127, 0],
      INT16: [-32768, 32767, 0],
      INT32: [-2147483648, 2147483647, 0],
      INT64: ['-9223372036854775808', '9223372036854775807', '9007199254740993'],
      FP16: [1, -2.5, 65504],
      FP32: [0.1, -3.4028234663852886e38, 1e-7],
      FP64: [0.1, Number.MAX_VALUE, -5e-324],
      BYTES: ['', 'héllo', '日本語 🎉'],
    };
    for (const [datatype, data] of Object.entries(cases)) {
      const res = await call(url, `/v2/models/id-${datatype.toLowerCase()}/infer`, { body: v2('x', datatype, [3], data) });
      assert.equal(res.status, 200, `${datatype}: ${res.text}`);
      const out = res.json().outputs[0];
      assert.equal(out.datatype, datatype);
      // Integers compare as digits (bigint or number alike); FP32 values as the float32 they were rounded to.
      // FP16 likewise: the shortest decimal that reads back as the same half (65504 prints as 65500).
      const same = (g: unknown, e: unknown) =>
        datatype === 'FP32' ? Math.fround(Number(e)) === Math.fround(Number(g)) : datatype === 'FP16' ? floatToHalf(Number(e)) === floatToHalf(Number(g)) : String(g) === String(e);
      data.forEach((e, i) => assert.ok(same(out.data[i], e), `${datatype}[${i}]: sent ${String(e)}, got ${String(out.data[i])}`));
    }
    // The int64 text is exact digits, not a rounded double.
    const text = (await call(url, '/v2/models/id-int64/infer', { body: v2('x', 'INT64', [1], ['9007199254740993']) })).text;
    assert.match(text, /"data":\[9007199254740993\]/);
  });

  test('NaN policy: "NaN", "Infinity", "-Infinity" strings in and out for float tensors; refused elsewhere', async () => {
    for (const datatype of ['FP16', 'FP32', 'FP64']) {
      const res = await call(url, `/v2/models/id-${datatype.toLowerCase()}/infer`, { body: v2('x', datatype, [3], ['NaN', 'Infinity', '-Infinity']) });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json().outputs[0].data, ['NaN', 'Infinity', '-Infinity'], datatype);
    }
    const int = await call(url, '/v2/models/id-int32/infer', { body: v2('x', 'INT32', [1], ['NaN']) });
    assert.equal(int.status, 400);
    assert.match(int.json().error, /input 'x' \(INT32\): element 0 is "NaN"; expected an integer/);
    const bare = await call(url, '/v2/models/id-fp32/infer', { raw: '{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[NaN]}]}' });
    assert.equal(bare.status, 400);
    assert.match(bare.json().error, /not valid JSON/);
    const word = await call(url, '/v2/models/id-fp32/infer', { body: v2('x', 'FP32', [1], ['nan']) });
    assert.match(word.json().error, /expected a number, or "NaN", "Infinity" or "-Infinity"/);
    const big = await call(url, '/v2/models/id-int64/infer', { body: v2('x', 'INT64', [1], [2 ** 60]) });
    assert.equal(big.status, 400);
    assert.match(big.json().error, /beyond 2\^53 as a decimal string/);
  });

  test('precise 400s: which input, the expected dtype and shape, and what came', async () => {
    const cases: [unknown, RegExp][] = [
      [v2('float_input', 'FP64', [1, 4], IRIS[0]), /input 'float_input': the model expects datatype FP32, the request says FP64/],
      [v2('float_input', 'FP32', [1, 5], [1, 2, 3, 4, 5]), /input 'float_input': expected shape \[-1, 4\] \(FP32\), got \[1, 5\]/],
      [v2('float_input', 'FP32', [2, 4], IRIS[0]), /shape \[2, 4\] holds 8 elements, the data has 4/],
      [v2('float_input', 'FP32', [1, 4], [1, 2, 'x', 4]), /input 'float_input' \(FP32\): element 2 is "x"/],
      [v2('petals', 'FP32', [1, 4], IRIS[0]), /unknown input "petals"; the model's inputs are float_input \(FP32 \[-1, 4\]\)/],
      [{ inputs: [] }, /inputs must be a non-empty list/],
      [v2('float_input', 'FP32', [1, 4], [[1, 2], [3]]), /ragged nested data at \[\]: expected 2 elements|ragged nested data at \[1\]/],
    ];
    for (const [body, message] of cases) {
      const res = await call(url, '/v2/models/iris/infer', { body });
      assert.equal(res.status, 400, res.text);
      assert.match(res.json().error, message);
      assert.ok(res.headers.get('x-request-id'));
    }
    const missing = await call(url, '/v2/models/concat/infer', { body: v2('a', 'FP32', [1, 1], [1]) });
    assert.match(missing.json().error, /missing input b \(FP32 \[-1, 1\]\)/);
    assert.equal((await call(url, '/v2/models/ghost/infer', { body: v2('x', 'FP32', [1], [1]) })).status, 404);
    assert.equal((await call(url, '/v2/models/iris/versions/7/infer', { body: v2('x', 'FP32', [1], [1]) })).status, 404);
    const wrongMethod = await call(url, '/v2/models/iris/infer');
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'POST');
  });

  test('the body size limit answers 413', async () => {
    const small = await startModelServer({ workspaceRoot: dir, manifestPath: join(dir, 'mlops.yaml'), port: 0, watch: false, maxBodyBytes: 1024 });
    try {
      const res = await call(small.url, '/v2/models/iris/infer', { raw: 'x'.repeat(4096), headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 413);
      assert.match(res.json().error, /larger than the limit of 1024 bytes/);
      assert.equal((await call(small.url, '/v2/health/live')).status, 200);
    } finally {
      await small.close();
    }
  });

  test('any address but loopback needs a token; with a token every request must carry it', async () => {
    await assert.rejects(
      startModelServer({ workspaceRoot: dir, manifestPath: join(dir, 'mlops.yaml'), port: 0, host: '0.0.0.0', watch: false }),
      (e: unknown) => e instanceof ServingConfigError && /binding to 0\.0\.0\.0 .* give a token/.test(e.message),
    );
    const guarded = await startModelServer({ workspaceRoot: dir, manifestPath: join(dir, 'mlops.yaml'), port: 0, watch: false, token: 's3cret' });
    try {
      for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: 's3cret' }, { authorization: 'Basic czNjcmV0' }]) {
        const res = await call(guarded.url, '/v2/health/live', { headers });
        assert.equal(res.status, 401, JSON.stringify(headers));
        assert.equal(res.headers.get('www-authenticate'), 'Bearer');
      }
      assert.equal((await call(guarded.url, '/v2/models/iris/infer', { body: v2('float_input', 'FP32', [1, 4], IRIS[0]) })).status, 401);
      const ok = await call(guarded.url, '/v2/models/iris/infer', { body: v2('float_input', 'FP32', [1, 4], IRIS[0]), headers: { authorization: 'Bearer s3cret' } });
      assert.equal(ok.status, 200);
    } finally {
      await guarded.close();
    }
    // serving.token_env names the variable that holds the token; naming an unset one is refused.
    const manifestPath = join(dir, 'guarded.yaml');
    writeFileSync(manifestPath, 'version: 1\nmodels:\n  iris: { versions: { "1": { path: models/logreg.onnx } } }\nserving: { token_env: MLOPS_TEST_SERVE_TOKEN }\n');
    delete process.env.MLOPS_TEST_SERVE_TOKEN;
    await assert.rejects(startModelServer({ workspaceRoot: dir, manifestPath, port: 0, watch: false }), /MLOPS_TEST_SERVE_TOKEN, which is not set/);
    process.env.MLOPS_TEST_SERVE_TOKEN = 'from-env';
    const fromEnv = await startModelServer({ workspaceRoot: dir, manifestPath, port: 0, watch: false });
    try {
      assert.equal((await call(fromEnv.url, '/v2/health/live')).status, 401);
      assert.equal((await call(fromEnv.url, '/v2/health/live', { headers: { authorization: 'Bearer from-env' } })).status, 200);
    } finally {
      await fromEnv.close();
      delete process.env.MLOPS_TEST_SERVE_TOKEN;
    }
  });

  test('traffic split 70/30 over 2,000 requests is within the binomial 99.9% bound', async () => {
    const versions = await pool(2000, 8, async (i) => {
      const res = await call(url, '/v2/models/split/infer', { body: v2('x', 'FP32', [1, 4], [i, 0, 0, 0]) });
      assert.equal(res.status, 200);
      const body = res.json();
      // Each version answers with its own factor, so the header and the output must agree.
      assert.equal(body.outputs[0].data[0], i * Number(body.model_version));
      assert.equal(res.headers.get('x-model-version'), body.model_version);
      return body.model_version as string;
    });
    const ones = versions.filter((v) => v === '1').length;
    const sd = Math.sqrt(2000 * 0.7 * 0.3);
    assert.ok(Math.abs(ones - 1400) <= 3.29 * sd, `version 1 got ${ones} of 2000`);
  });

  test('/metrics is Prometheus text with counters, histograms and latency quantiles per endpoint and version', async () => {
    const samples = await metrics(url);
    const requests = samples.filter((s) => s.name === 'mlops_requests_total' && s.labels.endpoint === 'split' && s.labels.code === '200');
    assert.deepEqual(requests.map((s) => s.labels.version).sort(), ['1', '2']);
    assert.equal(requests.reduce((n, s) => n + s.value, 0), 2000);
    const inf = samples.find((s) => s.name === 'mlops_request_duration_seconds_bucket' && s.labels.endpoint === 'iris' && s.labels.le === '+Inf');
    assert.ok(inf && inf.value > 0);
    for (const q of ['0.5', '0.95', '0.99']) assert.ok(samples.some((s) => s.name === 'mlops_request_latency_seconds' && s.labels.quantile === q));
    const stats = (await call(url, '/mlops/stats')).json();
    assert.ok(stats.series.some((s: { endpoint: string; p99: number }) => s.endpoint === 'split' && s.p99 > 0));
  });

  test('sticky routing: the same user always gets the same version, also after a restart', async () => {
    const users = Array.from({ length: 120 }, (_, i) => `user-${i}`);
    const route = async (user: string) => {
      const res = await call(url, '/v2/models/sticky/infer', { body: v2('x', 'FP32', [1, 4], [1, 1, 1, 1]), headers: { 'x-user-id': user } });
      assert.equal(res.status, 200);
      return res.headers.get('x-model-version');
    };
    const first = await pool(users.length, 8, (i) => route(users[i]));
    const again = await pool(users.length, 8, (i) => route(users[i]));
    assert.deepEqual(again, first);
    const twos = first.filter((v) => v === '2').length;
    assert.ok(twos > 30 && twos < 90, `a 50/50 split gave ${twos} of 120 users version 2`);
    await server.close();
    await start();
    assert.deepEqual(await pool(users.length, 8, (i) => route(users[i])), first);
  });

  test('mirror: the caller gets version 1, version 2 runs in the shadow, and both are logged', async () => {
    const res = await call(url, '/v2/models/mirror/infer', { body: v2('x', 'FP32', [1, 4], [1, 2, 3, 4], { id: 'mirror-1' }) });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json().outputs[0].data, [1, 2, 3, 4]);
    const db = openDatabase(join(dir, '.mlops', 'index.db'));
    try {
      let rows: { version: string; mirrored: number; outputs: string }[] = [];
      for (let i = 0; i < 100 && rows.length < 2; i++) {
        rows = db.prepare('SELECT version, mirrored, outputs FROM predictions WHERE request_id = ? ORDER BY mirrored').all('mirror-1') as typeof rows;
        if (rows.length < 2) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(rows.length, 2);
      assert.deepEqual(rows.map((r) => [r.version, r.mirrored]), [['1', 0], ['2', 1]]);
      assert.deepEqual(JSON.parse(rows[1].outputs).y.data, [2, 4, 6, 8]);
    } finally {
      db.close();
    }
  });

  test('batching: concurrent requests share session.run calls and each gets its own rows', async () => {
    const runsBefore = sessionRuns(await metrics(url), 'batched');
    const results = await Promise.all(
      Array.from({ length: 64 }, async (_, i) => {
        const res = await call(url, '/v2/models/batched/infer', { body: v2('x', 'FP32', [1, 4], [i, i + 0.5, -i - 1, 1]) });
        assert.equal(res.status, 200, res.text);
        return res.json().outputs[0];
      }),
    );
    results.forEach((out, i) => {
      assert.deepEqual(out.shape, [1, 4]);
      assert.deepEqual(out.data, [i, i + 0.5, -i - 1, 1]);
    });
    const runs = sessionRuns(await metrics(url), 'batched') - runsBefore;
    assert.ok(runs < 64, `64 requests took ${runs} session runs`);
    // Outputs that are not per row cannot be split: those requests run alone and stay correct.
    const sums = await Promise.all([1, 2, 3, 4].map((k) => call(url, '/v2/models/summed/infer', { body: v2('x', 'FP32', [2, 2], [k, k, k, k]) })));
    sums.forEach((res, i) => assert.deepEqual(res.json().outputs[0].data, [2 * (i + 1), 2 * (i + 1)]));
  });

  test('batching: a request that finds the model free runs at once, without waiting out max_delay_ms', async () => {
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const res = await call(url, '/v2/models/patient/infer', { body: v2('x', 'FP32', [1, 4], [i, 1, 2, 3]) });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json().outputs[0].data, [i, 1, 2, 3]);
      assert.ok(Date.now() - started < 1500, `a lone request took ${Date.now() - started} ms with max_delay_ms 3000`);
    }
    // Under load the same endpoint still batches: requests queue while a run is in flight.
    const runsBefore = sessionRuns(await metrics(url), 'patient');
    const answers = await Promise.all(Array.from({ length: 48 }, (_, i) => call(url, '/v2/models/patient/infer', { body: v2('x', 'FP32', [1, 4], [i, 0, 0, 0]) })));
    answers.forEach((res, i) => assert.deepEqual(res.json().outputs[0].data, [i, 0, 0, 0]));
    const runs = sessionRuns(await metrics(url), 'patient') - runsBefore;
    assert.ok(runs < 48, `48 concurrent requests took ${runs} session runs`);
  });

  test('feedback is stored against the request id', async () => {
    await call(url, '/v2/models/iris/infer', { body: v2('float_input', 'FP32', [1, 4], IRIS[0], { id: 'fb-1' }) });
    const fb = await call(url, '/v2/models/iris/feedback', { body: { id: 'fb-1', label: 0 } });
    assert.deepEqual(fb.json(), { id: 'fb-1', matched: true });
    assert.deepEqual((await call(url, '/v2/models/iris/feedback', { body: { id: 'never-seen', value: 2.5 } })).json(), { id: 'never-seen', matched: false });
    assert.equal((await call(url, '/v2/models/iris/feedback', { body: { id: 'fb-1' } })).status, 400);
    // Feedback found the prediction in the journal already; the table has it within milliseconds.
    await server.logSettled();
    const db = openDatabase(join(dir, '.mlops', 'index.db'));
    try {
      assert.deepEqual(db.prepare("SELECT label, value, endpoint FROM feedback WHERE request_id = 'fb-1'").get(), { label: 0, value: null, endpoint: 'iris' });
      const row = db.prepare("SELECT endpoint, model, version, protocol, status, inputs, outputs FROM predictions WHERE request_id = 'fb-1'").get() as Record<string, string>;
      assert.deepEqual({ ...row, inputs: JSON.parse(row.inputs), outputs: JSON.parse(row.outputs) }, {
        endpoint: 'iris', model: 'iris', version: '1', protocol: 'v2', status: 200,
        inputs: { float_input: { datatype: 'FP32', shape: [1, 4], data: IRIS[0] } },
        outputs: { output_label: { datatype: 'INT64', shape: [1], data: [0] } },
      });
    } finally {
      db.close();
    }
  });
});

describe('ONNX backend test cases over HTTP', () => {
  const root = join(SHARED_FIXTURES, 'onnx', 'onnx-backend-tests');
  const cases = readdirSync(root).flatMap((group) => readdirSync(join(root, group)).map((name) => ({ name, dir: join(root, group, name) })));
  let server: ModelServer;

  before(async () => {
    const models = cases.map((c) => `  ${c.name}: { versions: { "1": { path: cases/${c.name}.onnx } } }`).join('\n');
    const ws: Record<string, string | Uint8Array> = { 'mlops.yaml': `version: 1\nmodels:\n${models}\n` };
    for (const c of cases) ws[`cases/${c.name}.onnx`] = readFileSync(join(c.dir, 'model.onnx'));
    const dir = workspace('backend', ws);
    server = await startModelServer({ workspaceRoot: dir, manifestPath: join(dir, 'mlops.yaml'), port: 0, watch: false });
  });
  after(() => server.close());

  test('there are cases to run', () => assert.ok(cases.length >= 9));

  for (const c of cases) {
    test(c.name, async () => {
      const data = join(c.dir, 'test_data_set_0');
      const ready = await call(server.url, `/v2/models/${c.name}/ready`);
      if (ready.status !== 200) {
        // A model this onnxruntime cannot load is reported, with onnxruntime's reason, and answers 503.
        const runtime = await loadsInRuntime(join(c.dir, 'model.onnx'));
        assert.notEqual(runtime, true, `${c.name} loads in onnxruntime but the server says ${ready.text}`);
        assert.ok(ready.json().error.includes(runtime as string), ready.text);
        assert.equal((await call(server.url, `/v2/models/${c.name}/infer`, { body: { inputs: [] } })).status, 503);
        return;
      }
      const inputs = readdirSync(data).filter((f) => /^input_\d+\.pb$/.test(f)).sort().map((f) => readTensorProto(join(data, f)));
      const outputs = readdirSync(data).filter((f) => /^output_\d+\.pb$/.test(f)).sort().map((f) => readTensorProto(join(data, f)));
      const meta = (await call(server.url, `/v2/models/${c.name}`)).json();
      const body = { inputs: inputs.map((t, i) => ({ name: t.name || meta.inputs[i].name, datatype: t.datatype, shape: t.dims, data: toJsonValues(t) })) };
      const res = await call(server.url, `/v2/models/${c.name}/infer`, { body });
      assert.equal(res.status, 200, res.text);
      const got = res.json().outputs;
      outputs.forEach((expected, i) => {
        const out = got.find((o: { name: string }) => o.name === (expected.name || meta.outputs[i].name));
        assert.ok(out, `output ${expected.name}`);
        assert.equal(out.datatype, expected.datatype);
        assert.deepEqual(out.shape, expected.dims);
        expected.values.forEach((e, k) => {
          const g = out.data[k];
          if (typeof e === 'bigint') assert.equal(BigInt(g), e);
          else if (typeof e === 'number') assert.ok(Math.abs(g - e) <= 1e-5 * Math.abs(e) + 1e-7, `${c.name}[${k}]: ${g} vs ${e}`);
          else assert.equal(g, e);
        });
      });
    });
  }
});

async function loadsInRuntime(file: string): Promise<true | string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  try {
    const s = await ort.InferenceSession.create(file, { logSeverityLevel: 3 });
    await s.release();
    return true;
  } catch (error) {
    return (error as Error).message.split('\n')[0];
  }
}

async function metrics(url: string) {
  const res = await call(url, '/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parsePrometheus(res.text);
}

function sessionRuns(samples: ReturnType<typeof parsePrometheus>, endpoint: string): number {
  return samples.find((s) => s.name === 'mlops_session_runs_total' && s.labels.endpoint === endpoint && s.labels.version === '1')?.value ?? NaN;
}

