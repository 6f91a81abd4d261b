// The HTTP edge under bad input, beyond serving-fuzz's mutations: over 2,000 generated bad requests (deep nesting, broken JSON, wrong
// types and shapes, odd names, huge and negative dimensions, bodies over the limit, raw socket
// garbage, malformed HTTP). No answer is a 5xx, every error is a JSON body with a reason, and the
// server still answers a good request exactly right afterwards.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startModelServer, type ModelServer } from '../../server/src/serving/server';
import { MAX_JSON_DEPTH } from '../../server/src/serving/inference';
import { seededRandom } from '../../server/src/util/random';
import { SHARED_FIXTURES } from '../helpers/paths';
import { call, parsePrometheus, workspace } from '../helpers/serving';

const IRIS_ROW = [5.1, 3.5, 1.4, 0.2];
let server: ModelServer;
let port: number;

before(async () => {
  const dir = workspace('fuzz', {
    'mlops.yaml': 'version: 1\nmodels:\n  iris: { versions: { "1": { path: models/logreg.onnx } } }\nserving:\n  endpoints:\n    iris: { model: iris }\n',
    'models/logreg.onnx': readFileSync(join(SHARED_FIXTURES, 'onnx', 'logreg_iris.onnx')),
  });
  server = await startModelServer({ workspaceRoot: dir, manifestPath: join(dir, 'mlops.yaml'), port: 0, watch: false, maxBodyBytes: 1024 * 1024 });
  port = Number(new URL(server.url).port);
});

after(() => server.close());

const PATHS = ['/v2/models/iris/infer', '/v2/models/iris/versions/1/infer', '/v1/models/iris:predict', '/invocations', '/v2/models/iris/feedback'];
const nest = (depth: number, inner: string) => '['.repeat(depth) + inner + ']'.repeat(depth);

/** Bodies that must be refused, each for a reason it can be told. */
function badBodies(count: number): { path: string; body: string | Uint8Array; type: string }[] {
  const random = seededRandom(20261202);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const good = JSON.stringify({ inputs: [{ name: 'float_input', shape: [1, 4], datatype: 'FP32', data: IRIS_ROW }] });
  const fixed: { path: string; body: string | Uint8Array; type: string }[] = [];
  for (const depth of [MAX_JSON_DEPTH + 1, 3_000, 10_000, 100_000]) {
    fixed.push({ path: PATHS[0], body: `{"inputs":${nest(depth, '1')}}`, type: 'application/json' });
    fixed.push({ path: PATHS[0], body: `{"inputs":[{"name":"float_input","datatype":"FP32","shape":${nest(depth, '1')},"data":[1]}]}`, type: 'application/json' });
    fixed.push({ path: PATHS[0], body: nest(depth, ''), type: 'application/json' });
    fixed.push({ path: PATHS[2], body: `{"instances":${nest(depth, '0')}}`, type: 'application/json' });
    fixed.push({ path: PATHS[3], body: `{"inputs":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`, type: 'application/json' });
  }
  const values = ['"NaN"', '"Infinity"', '"-Infinity"', 'null', 'true', '"x"', '1e999', '-0', '[]', '{}', '"\\ud800"'];
  const names = ['', 'float_input ', 'ünïcödé', '\u0000', '💥', 'a'.repeat(10_000), 'float_input'];
  const dims = [-1, -5, 0, 2 ** 31, 2 ** 53, 1e300, 1.5, 4];
  const types = ['FP32', 'FP64', 'INT64', 'BYTES', 'fp32', 'FLOAT', '', 'BOOL'];
  const mutations: (() => string)[] = [
    () => good.slice(0, Math.floor(random() * good.length)),
    () => good.replace(/[[\]{}:,"]/, ''),
    () => JSON.stringify({ inputs: [{ name: pick(names), shape: [1, 4], datatype: 'FP32', data: IRIS_ROW }] }),
    () => JSON.stringify({ inputs: [{ name: 'float_input', shape: [pick(dims), pick(dims)], datatype: 'FP32', data: IRIS_ROW }] }),
    () => JSON.stringify({ inputs: [{ name: 'float_input', shape: [1, 4], datatype: pick(types), data: IRIS_ROW.slice(0, 3) }] }),
    () => `{"inputs":[{"name":"float_input","shape":[1,4],"datatype":"FP32","data":[${Array.from({ length: 4 }, () => pick(values)).join(',')}]}]}`,
    () => JSON.stringify({ inputs: 'nope' }),
    () => JSON.stringify({ id: pick([1, null, {}, 'x'.repeat(1000)]), inputs: [] }),
    () => JSON.stringify({ instances: [[pick(values)]] }),
    () => JSON.stringify({ dataframe_split: { columns: [pick(names)], data: [[1]] }, instances: [] }),
    () => JSON.stringify({ inputs: [{ name: 'float_input', shape: [1, 4], datatype: 'FP32', data: IRIS_ROW }], outputs: [{ name: pick(names) }] }),
    () => `{"inputs": [${'{"name":"x"},'.repeat(50)}]`,
  ];
  const out = [...fixed];
  while (out.length < count) {
    const path = pick(PATHS);
    const r = random();
    if (r < 0.08) out.push({ path, body: Uint8Array.from({ length: 1 + Math.floor(random() * 300) }, () => Math.floor(random() * 256)), type: 'application/octet-stream' });
    else if (r < 0.12) out.push({ path, body: good, type: pick(['text/plain', 'text/csv', 'application/x-www-form-urlencoded', 'image/png']) });
    else out.push({ path, body: pick(mutations)(), type: 'application/json' });
  }
  return out;
}

/** A raw exchange over a socket: what came back, byte for byte, until the server closed it. */
function raw(bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.on('data', (chunk) => (got += chunk.toString('latin1')));
    socket.on('end', () => resolve(got));
    socket.on('close', () => resolve(got));
    socket.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve(got) : reject(error)));
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error(`no answer to ${JSON.stringify(String(bytes).slice(0, 80))}`));
    });
    socket.end(bytes);
  });
}

function assertJsonRefusal(status: number, text: string, what: string): void {
  assert.ok(status >= 400 && status < 500, `${what}: ${status} ${text.slice(0, 200)}`);
  const body = JSON.parse(text) as { error?: unknown };
  assert.equal(typeof body.error, 'string', `${what}: ${text.slice(0, 200)}`);
  assert.ok((body.error as string).length > 5);
}

async function goodAnswer(): Promise<void> {
  const r = await call(server.url, '/v2/models/iris/infer', { body: { id: 'after', inputs: [{ name: 'float_input', shape: [1, 4], datatype: 'FP32', data: IRIS_ROW }] } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json().id, 'after');
  assert.deepEqual(r.json().outputs, [{ name: 'output_label', datatype: 'INT64', shape: [1], data: [0] }]);
}

test(`2,000 generated bad bodies: each a 4xx with a JSON reason; nesting beyond ${MAX_JSON_DEPTH} levels is refused before it is parsed`, async () => {
  const cases = badBodies(2000);
  assert.ok(cases.length >= 2000);
  let deep = 0;
  for (let i = 0; i < cases.length; i += 8) {
    await Promise.all(
      cases.slice(i, i + 8).map(async (c) => {
        const r = await call(server.url, c.path, { raw: c.body, headers: { 'content-type': c.type } });
        // 200 only where a mutation happened to stay valid.
        if (r.status === 200) return;
        assertJsonRefusal(r.status, r.text, `${c.path} ${String(c.body).slice(0, 60)}`);
        if (/levels deep/.test(r.text)) deep++;
      }),
    );
  }
  assert.ok(deep >= 20, `${deep} refused for their depth`);
  await goodAnswer();
});

test('bodies over the limit, a 5 MB body, a URL over the header limit, garbage and malformed HTTP: a JSON error where the socket can take one', async () => {
  const big = await call(server.url, '/v2/models/iris/infer', { raw: `{"inputs":[${'0,'.repeat(2_500_000)}0]}`, headers: { 'content-type': 'application/json' } });
  assertJsonRefusal(big.status, big.text, '5 MB body');
  assert.equal(big.status, 413);

  const longUrl = await call(server.url, `/v2/models/${'x'.repeat(20_000)}/infer`, { body: {} });
  assertJsonRefusal(longUrl.status, longUrl.text, 'long URL');
  assert.equal(longUrl.status, 431);

  const answers = await Promise.all([
    raw('GARBAGE\r\n\r\n'),
    raw(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])),
    raw('POST /v2/models/iris/infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n'),
    raw('POST /v2/models/iris/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n{}{}{}{'),
    raw(`GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
    raw('GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX: \u0001\u0002\r\n\r\n'),
  ]);
  for (const answer of answers) {
    const m = /^HTTP\/1\.1 (\d{3}) [^\r]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(answer);
    assert.ok(m, `not an HTTP answer: ${JSON.stringify(answer.slice(0, 200))}`);
    assert.match(m[2], /content-type: application\/json/i);
    assertJsonRefusal(Number(m[1]), m[3], answer.slice(0, 40));
  }
  await goodAnswer();
  const live = await call(server.url, '/v2/health/live');
  assert.deepEqual(JSON.parse(live.text), { live: true });
});

test('two versions with byte-identical files share a session, not a run count: per-version counts add up to the requests', async () => {
  const model = readFileSync(join(SHARED_FIXTURES, 'onnx', 'logreg_iris.onnx'));
  const dir = workspace('fuzz-twins', {
    'mlops.yaml': 'version: 1\nmodels:\n  iris: { versions: { "1": { path: models/a.onnx }, "2": { path: models/b.onnx } } }\nserving:\n  endpoints:\n    iris: { model: iris, traffic: { "1": 50, "2": 50 } }\n',
    'models/a.onnx': model,
    'models/b.onnx': model,
  });
  const twins = await startModelServer({ workspaceRoot: dir, manifestPath: join(dir, 'mlops.yaml'), port: 0, watch: false });
  try {
    const served = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const r = await call(twins.url, '/v2/models/iris/infer', { body: { inputs: [{ name: 'float_input', shape: [1, 4], datatype: 'FP32', data: IRIS_ROW }] } });
      assert.equal(r.status, 200);
      const version = r.json().model_version as string;
      served.set(version, (served.get(version) ?? 0) + 1);
    }
    const runs = parsePrometheus((await call(twins.url, '/metrics')).text).filter((s) => s.name === 'mlops_session_runs_total');
    assert.deepEqual(
      Object.fromEntries(runs.map((s) => [s.labels.version, s.value])),
      Object.fromEntries([...served].map(([v, n]) => [v, n])),
    );
    assert.equal(runs.reduce((n, s) => n + s.value, 0), 40);
  } finally {
    await twins.close();
  }
});
