import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { startModelServer } from '../../server/src/serving/server';
import { SHARED_FIXTURES } from '../helpers/paths';
import { concatModel, identityModel } from '../helpers/onnx-builder';
import { call, pool, workspace } from '../helpers/serving';
import { seededRandom } from '../../server/src/util/random';


interface BadRequest {
  path: string;
  method?: string;
  raw?: string | Uint8Array;
  type?: string;
  headers?: Record<string, string>;
}

const IRIS_ROW = [5.1, 3.5, 1.4, 0.2];
const good = { inputs: [{ name: 'float_input', datatype: 'FP32', shape: [1, 4], data: IRIS_ROW }] };

/** Mutations of a good V2 request: every field wrong in every way. */
function v2Mutations(r: () => number): unknown[] {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const junk = () => pick<unknown>([null, true, 0, -1, 1.5, '', 'x', '🎉', [], {}, [[]], [null], { a: 1 }, 1e308, -1e308, 'NaN', '\u0000', 'é'.repeat(50)]);
  const input = () => ({ name: 'float_input', datatype: 'FP32', shape: [1, 4], data: [...IRIS_ROW] }) as Record<string, unknown>;
  const out: unknown[] = [];
  for (const key of ['name', 'datatype', 'shape', 'data']) {
    for (let i = 0; i < 12; i++) out.push({ inputs: [{ ...input(), [key]: junk() }] });
    out.push({ inputs: [(({ [key]: _, ...rest }) => rest)(input())] });
  }
  for (let i = 0; i < 20; i++) {
    const d = input();
    (d.data as unknown[])[Math.floor(r() * 4)] = junk();
    out.push({ inputs: [d] });
  }
  const shapes = [[4], [1, 4, 1], [0, 4], [2, 4], [-1, 4], [1, -4], [1.5, 4], [2 ** 53, 4], [2 ** 30, 2 ** 30], ['1', '4'], [1, 4, 0], [], [1e308, 4]];
  for (const shape of shapes) out.push({ inputs: [{ ...input(), shape }] });
  for (const datatype of ['fp32', 'FLOAT', 'FP64', 'INT64', 'BYTES', 'BOOL', 'FP16', 'UINT8', 'float32', '']) out.push({ inputs: [{ ...input(), datatype }] });
  out.push({ ...good, id: 5 }, { ...good, id: '' }, { ...good, id: 'x'.repeat(300) }, { ...good, id: 'tab\there' }, { ...good, id: 'ünï' });
  out.push({ ...good, outputs: 'all' }, { ...good, outputs: [{ name: 'nope' }] }, { ...good, outputs: [{}] }, { ...good, outputs: [{ name: 'output_probability' }] });
  out.push({ ...good, parameters: [] }, { inputs: [input(), input()] }, { inputs: [{ ...input(), name: 'other' }] }, { inputs: {} }, { inputs: 'x' }, {}, [], null, 7, 'str');
  out.push({ inputs: [{ ...input(), parameters: { binary_data_size: 16 } }] });
  return out;
}

function badRequests(r: () => number): BadRequest[] {
  const requests: BadRequest[] = [];
  const goodText = JSON.stringify(good);
  const json = (path: string, body: unknown) => requests.push({ path, raw: JSON.stringify(body) ?? 'undefined', type: 'application/json' });

  // Bad JSON: every truncation of a good body, plus classics.
  for (let cut = 0; cut < goodText.length; cut += 2) requests.push({ path: '/v2/models/iris/infer', raw: goodText.slice(0, cut), type: 'application/json' });
  for (const raw of ['{', '}', '[', 'nul', 'undefined', "{'a':1}", '{"inputs":[1,]}', '\uFEFF{}', '{"a":NaN}', '{"a":Infinity}', '[1e999]', '{"inputs": [{"data": [01]}]}', '"\\ud800"']) {
    requests.push({ path: '/v2/models/iris/infer', raw, type: 'application/json' });
  }
  requests.push({ path: '/v2/models/iris/infer', raw: '['.repeat(100_000) + ']'.repeat(100_000), type: 'application/json' });
  requests.push({ path: '/v2/models/iris/infer', raw: `{"inputs":[{"name":"float_input","datatype":"FP32","shape":[1,4],"data":${'['.repeat(60)}1${']'.repeat(60)}}]}`, type: 'application/json' });
  // Empty and binary bodies; invalid UTF-8.
  for (const path of ['/v2/models/iris/infer', '/v1/models/iris:predict', '/invocations', '/v2/models/iris/feedback']) {
    requests.push({ path, raw: '' }, { path, raw: '   \n' });
    for (let i = 0; i < 8; i++) requests.push({ path, raw: Uint8Array.from({ length: 1 + Math.floor(r() * 300) }, () => Math.floor(r() * 256)), type: 'application/octet-stream' });
    requests.push({ path, raw: Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]), type: 'application/json' });
  }
  // Structurally wrong V2 requests, three rounds of random junk.
  for (let round = 0; round < 3; round++) for (const body of v2Mutations(r)) json('/v2/models/iris/infer', body);
  for (const body of v2Mutations(r).slice(0, 40)) json('/v2/models/iris/versions/2/infer', body);
  // Every datatype's model fed every other datatype's values.
  for (const t of ['id-int8', 'id-uint64', 'id-bool', 'id-bytes', 'id-fp16']) {
    for (const data of [[1.5], [-1], [2 ** 64], ['x'], [true], [null], [[1]], ['NaN'], ['-Infinity'], ['18446744073709551616'], [{}]]) {
      for (const datatype of ['INT8', 'UINT64', 'BOOL', 'BYTES', 'FP16']) json(`/v2/models/${t}/infer`, { inputs: [{ name: 'x', datatype, shape: [1], data }] });
    }
  }
  // V1 and MLflow bodies.
  const tables: unknown[] = [
    { instances: 'x' }, { instances: [] }, { instances: [[1, 2]] }, { instances: [[1, 2, 3, 4], [1]] }, { instances: [{ a: 1 }] }, { instances: [['a', 'b', 'c', 'd']] },
    { instances: null }, { predict: [] }, { dataframe_split: { columns: ['a'], data: [[1, 2]] } }, { dataframe_split: { data: 'x' } }, { dataframe_split: { columns: [1, {}], data: [] } },
    { dataframe_records: [] }, { dataframe_records: [{ a: 1 }, { b: 2 }] }, { dataframe_records: [1, 2] }, { inputs: { nope: [1] } }, { inputs: [[[1]]] }, { inputs: 5 },
    { instances: [[1, 2, 3, 4]], inputs: [[1, 2, 3, 4]] }, { dataframe_split: { columns: ['a', 'b', 'c', 'd'], data: [[1, 2, 3, 'NaN']] } }, { extra: 1 },
  ];
  for (const body of tables) {
    json('/v1/models/iris:predict', body);
    json('/invocations', body);
    json('/endpoints/concat/invocations', body);
    json('/v1/models/concat:predict', body);
  }
  for (const csv of ['', 'a,b\n1', 'a,b,c,d\n1,2,3', '"open\n1', 'a,b,c,d\nx,y,z,w', 'a,b,c,d\n1,2,3,4,5', '\n\n\n', 'a\n' + '1\n'.repeat(50)]) {
    requests.push({ path: '/invocations', raw: csv, type: 'text/csv' }, { path: '/endpoints/concat/invocations', raw: csv, type: 'text/csv' });
  }
  requests.push({ path: '/invocations', raw: goodText, type: 'application/xml' }, { path: '/invocations', raw: goodText, type: 'text/plain' });
  // Unknown models, versions and routes, with unicode and percent-encoding.
  const names = ['ghost', '%F0%9F%8E%89', '%E2%82%AC', '..', '%2e%2e', '%', '%zz', 'a'.repeat(2000), 'iris%00', 'IRIS', 'iris ', '%20', 'iris/versions'];
  for (const name of names) {
    for (const suffix of ['/infer', '', '/ready', '/versions/1/infer', '/versions/%F0%9F%8E%89/infer', '/feedback', '/bogus']) {
      requests.push({ path: `/v2/models/${name}${suffix}`, raw: goodText, type: 'application/json' });
      requests.push({ path: `/v2/models/${name}${suffix}`, method: 'GET' });
    }
    requests.push({ path: `/v1/models/${name}:predict`, raw: goodText, type: 'application/json' }, { path: `/endpoints/${name}/invocations`, raw: goodText, type: 'application/json' });
  }
  for (const path of ['/', '/v2/', '/v2/models', '/v2/models/', '/v3/models/iris/infer', '/v2/models/iris/versions/', '/v2/models/iris/versions//infer', '/v2/models//infer', '/metrics/x', '//', '/v2/health', '/invocations/x']) {
    requests.push({ path, method: 'GET' }, { path, raw: goodText, type: 'application/json' });
  }
  for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    for (const path of ['/v2/models/iris/infer', '/v2/health/live', '/invocations', '/metrics']) requests.push({ path, method, raw: method === 'DELETE' || method === 'OPTIONS' ? undefined : goodText });
  }
  // Feedback in every wrong shape.
  for (const body of [{}, { id: 1, label: 1 }, { id: 'x' }, { id: 'x', label: {} }, { id: 'x', value: 'NaN' }, { id: 'x', label: [1] }, { id: '', label: 1 }, [], null]) {
    json('/v2/models/iris/feedback', body);
  }
  // Bodies over the limit (64 KiB in this test), also far over it.
  for (const size of [65 * 1024, 200 * 1024, 2 * 1024 * 1024]) requests.push({ path: '/v2/models/iris/infer', raw: `{"inputs":[{"name":"float_input","datatype":"FP32","shape":[1,4],"data":[${'1,'.repeat(size / 2)}1]}]}`, type: 'application/json' });
  // Headers: request ids the server cannot echo, and a bad token on a tokenless server is simply ignored.
  requests.push({ path: '/v2/models/iris/infer', raw: goodText, type: 'application/json', headers: { 'x-request-id': 'x'.repeat(300) } });
  requests.push({ path: '/v2/models/iris/infer', raw: goodText, type: 'application/json', headers: { 'x-request-id': 'caf\u00e9' } });
  return requests;
}

test('over 1,000 generated bad requests: all refused with 4xx and a JSON error, the server stays healthy', async () => {
  const models: Record<string, string | Uint8Array> = {
    'models/logreg.onnx': readFileSync(join(SHARED_FIXTURES, 'onnx', 'logreg_iris.onnx')),
    'models/rf.onnx': readFileSync(join(SHARED_FIXTURES, 'onnx', 'rf_iris.onnx')),
    'models/concat.onnx': concatModel(),
  };
  const ids = ['INT8', 'UINT64', 'BOOL', 'BYTES', 'FP16'] as const;
  for (const t of ids) models[`models/id-${t}.onnx`] = identityModel(t);
  const manifest = `version: 1
models:
  iris: { versions: { "1": { path: models/logreg.onnx }, "2": { path: models/rf.onnx } }, aliases: { production: "1" } }
  concat: { versions: { "1": { path: models/concat.onnx } } }
${ids.map((t) => `  id_${t}: { versions: { "1": { path: models/id-${t}.onnx } } }`).join('\n')}
serving:
  endpoints:
    iris: { model: iris, traffic: { "1": 50, "2": 50 }, mirror: { version: "2", percent: 50 }, batching: { max_batch_size: 8, max_delay_ms: 1 } }
    concat: { model: concat }
${ids.map((t) => `    id-${t.toLowerCase()}: { model: id_${t} }`).join('\n')}
`;
  const dir = workspace('fuzz', { 'mlops.yaml': manifest, ...models });
  const server = await startModelServer({ workspaceRoot: dir, manifestPath: join(dir, 'mlops.yaml'), port: 0, watch: false, maxBodyBytes: 64 * 1024 });
  try {
    const requests = badRequests(seededRandom(42)) // deterministic, so a failure reproduces;
    assert.ok(requests.length >= 1000, `only ${requests.length} bad requests generated`);
    const answers = await pool(requests.length, 8, async (i) => {
      const q = requests[i];
      const res = await call(server.url, q.path, { method: q.method ?? (q.raw === undefined ? 'GET' : 'POST'), raw: q.raw, headers: { ...(q.type ? { 'content-type': q.type } : {}), ...q.headers } });
      return { q, res };
    });
    const serverErrors = answers.filter(({ res }) => res.status >= 500);
    assert.deepEqual(serverErrors.map(({ q, res }) => `${q.method ?? 'POST'} ${q.path.slice(0, 80)} → ${res.status} ${res.text.slice(0, 200)}`), []);
    const accepted = answers.filter(({ res }) => res.status < 400);
    // A few generated requests are, by chance, valid (e.g. GET /v2/models/iris): those may succeed.
    for (const { q, res } of accepted) assert.ok(q.method === 'GET' || /^\/v2\/models\/iris\/?$/.test(q.path) || res.status === 200, `${q.path} → ${res.status}`);
    for (const { q, res } of answers.filter(({ res }) => res.status >= 400)) {
      const error = (() => {
        try {
          return JSON.parse(res.text).error;
        } catch {
          return undefined;
        }
      })();
      assert.equal(typeof error, 'string', `${q.path.slice(0, 80)} → ${res.status} without a JSON error: ${res.text.slice(0, 200)}`);
      assert.ok(res.headers.get('x-request-id'), 'every answer carries a request id');
    }
    // Malformed HTTP itself is node's to refuse, with a 400 and a closed connection.
    for (const garbage of ['GARBAGE\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', 'POST /v2/models/iris/infer HTTP/1.1\r\nContent-Length: -5\r\n\r\n', '\u0000\u0001\u0002\r\n\r\n']) {
      const reply = await rawHttp(server.url, garbage);
      assert.match(reply, /^HTTP\/1\.1 4\d\d /, JSON.stringify(garbage));
    }
    assert.equal((await call(server.url, '/v2/health/ready')).status, 200);
    const still = await call(server.url, '/v2/models/iris/versions/1/infer', { body: good });
    assert.deepEqual(still.json().outputs[0].data, [0]);
  } finally {
    await server.close();
  }
});

function rawHttp(url: string, text: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(text));
    let reply = '';
    socket.on('data', (d) => (reply += d));
    socket.on('close', () => resolve(reply));
    socket.on('error', reject);
  });
}
