// The Open Inference Protocol over gRPC, checked with a client we did not write: Debian's
// python3-grpcio, with stubs compiled by python3-grpc-tools from the protocol's .proto.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GRPC_PREDICT_V2_PROTO } from '../../server/src/serving/grpc/proto';
import { startModelServer, type ModelServer } from '../../server/src/serving/server';
import { openDatabase } from '../../server/src/store/store';
import { REPO, SHARED_FIXTURES, tempDir } from '../helpers/paths';
import { identityModel, scaleModel } from '../helpers/onnx-builder';
import { call, workspace } from '../helpers/serving';
import { inferenceClient } from '../helpers/grpc';
import { readTensorProto, toJsonValues } from '../helpers/tensor-proto';
import { decodeValues } from '../../server/src/serving/dtypes';
import { fromRaw, toRaw } from '../../server/src/serving/raw-tensors';
import { seededRandom } from '../../server/src/util/random';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const IRIS = [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3];

interface Result {
  ok?: Record<string, unknown> & { outputs?: { name: string; datatype: string; shape: string[]; contents?: Record<string, unknown[]> }[]; raw_output_contents?: string[] };
  metadata?: Record<string, string>;
  code?: string;
  details?: string;
}

/** Stubs compiled once from the same .proto text the server loads. */
function compileStubs(): string {
  const dir = tempDir('grpc-stubs');
  writeFileSync(join(dir, 'grpc_predict_v2.proto'), GRPC_PREDICT_V2_PROTO);
  execFileSync(PYTHON, ['-m', 'grpc_tools.protoc', `-I${dir}`, `--python_out=${dir}`, `--grpc_python_out=${dir}`, join(dir, 'grpc_predict_v2.proto')]);
  return dir;
}

/** The calls made by the Python client, in another process (the server answers on this one's event loop). */
function grpcCalls(address: string, protoDir: string, calls: { method: string; request?: object; metadata?: [string, string][] }[]): Promise<Result[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, [join(REPO, 'test', 'helpers', 'grpc_client.py')], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Result[]);
    });
    child.stdin!.end(JSON.stringify({ address, proto_dir: protoDir, calls }));
  });
}

const f32 = (values: number[]) => Buffer.from(new Float32Array(values).buffer).toString('base64');

describe('model server over gRPC, as python3-grpcio calls it', () => {
  let dir: string;
  let server: ModelServer;
  let protoDir: string;
  before(async () => {
    protoDir = compileStubs();
    dir = workspace('serve-grpc', {
      'mlops.yaml': `version: 1
models:
  iris: { versions: { "1": { path: models/logreg.onnx } } }
  scale: { versions: { "1": { path: models/scale1.onnx }, "2": { path: models/scale2.onnx } } }
  id_int64: { versions: { "1": { path: models/id-int64.onnx } } }
  id_fp16: { versions: { "1": { path: models/id-fp16.onnx } } }
  id_bytes: { versions: { "1": { path: models/id-bytes.onnx } } }
  id_bool: { versions: { "1": { path: models/id-bool.onnx } } }
serving:
  grpc: { port: 0 }
  endpoints:
    iris: { model: iris }
    split: { model: scale, traffic: { "1": 70, "2": 30 }, sticky: "header:x-user-id" }
    id-int64: { model: id_int64 }
    id-fp16: { model: id_fp16 }
    id-bytes: { model: id_bytes }
    id-bool: { model: id_bool }
`,
      'models/logreg.onnx': readFileSync(join(SHARED_FIXTURES, 'onnx', 'logreg_iris.onnx')),
      'models/scale1.onnx': scaleModel(1),
      'models/scale2.onnx': scaleModel(2),
      'models/id-int64.onnx': identityModel('INT64'),
      'models/id-fp16.onnx': identityModel('FP16'),
      'models/id-bytes.onnx': identityModel('BYTES'),
      'models/id-bool.onnx': identityModel('BOOL'),
    });
    server = await startModelServer({ workspaceRoot: dir, manifestPath: join(dir, 'mlops.yaml'), port: 0, watch: false });
  });
  after(() => server.close());

  test('health and metadata: live, ready, the server and a model with its signature', async () => {
    assert.match(server.grpcAddress ?? '', /^127\.0\.0\.1:\d+$/);
    const [live, ready, meta, model, modelReady, unknown] = await grpcCalls(server.grpcAddress!, protoDir, [
      { method: 'ServerLive' },
      { method: 'ServerReady' },
      { method: 'ServerMetadata' },
      { method: 'ModelMetadata', request: { name: 'iris' } },
      { method: 'ModelReady', request: { name: 'iris', version: '1' } },
      { method: 'ModelMetadata', request: { name: 'nope' } },
    ]);
    assert.deepEqual(live.ok, { live: true });
    assert.deepEqual(ready.ok, { ready: true });
    assert.equal(meta.ok?.name, 'mlops-workbench');
    // The same metadata as REST's, int64 dimensions in protobuf's JSON form (decimal strings).
    // ModelMetadataResponse has no parameters field: REST's note of non-tensor outputs stays on REST.
    const { parameters, ...rest } = JSON.parse((await call(server.url, '/v2/models/iris')).text) as { inputs: { shape: number[] }[]; outputs: { shape: number[] }[]; parameters?: unknown };
    assert.deepEqual(parameters, { non_tensor_outputs: ['output_probability'] });
    const dims = (ts: { shape: number[] }[]) => ts.map((t) => ({ ...t, shape: t.shape.map(String) }));
    assert.deepEqual(model.ok, { ...rest, inputs: dims(rest.inputs), outputs: dims(rest.outputs) });
    assert.deepEqual((model.ok?.inputs as unknown[])[0], { name: 'float_input', datatype: 'FP32', shape: ['-1', '4'] });
    assert.deepEqual(modelReady.ok, { ready: true });
    assert.equal(unknown.code, 'NOT_FOUND');
    assert.match(unknown.details ?? '', /unknown model "nope"; served: iris/);
  });

  test('ModelInfer with typed and with raw contents gives the same answer as REST; the id is echoed and the request is logged as grpc', async () => {
    const rest = await call(server.url, '/v2/models/iris/infer', { body: { inputs: [{ name: 'float_input', datatype: 'FP32', shape: [2, 4], data: IRIS }], outputs: [{ name: 'output_label' }] } });
    const restLabels = (JSON.parse(rest.text) as { outputs: { data: number[] }[] }).outputs[0].data;
    const [typed, raw] = await grpcCalls(server.grpcAddress!, protoDir, [
      { method: 'ModelInfer', request: { model_name: 'iris', id: 'typed-1', inputs: [{ name: 'float_input', datatype: 'FP32', shape: [2, 4], contents: { fp32_contents: IRIS } }], outputs: [{ name: 'output_label' }] } },
      { method: 'ModelInfer', request: { model_name: 'iris', inputs: [{ name: 'float_input', datatype: 'FP32', shape: [2, 4] }], raw_input_contents: [f32(IRIS)], outputs: [{ name: 'output_label' }] } },
    ]);
    assert.equal(typed.ok?.id, 'typed-1');
    assert.equal(typed.ok?.model_version, '1');
    assert.deepEqual(typed.ok?.outputs?.[0].contents?.int64_contents, restLabels.map(String));
    // Raw in, raw out: INT64 little-endian.
    const bytes = Buffer.from(raw.ok!.raw_output_contents![0], 'base64');
    assert.deepEqual(Array.from(new BigInt64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8), Number), restLabels);
    assert.match(String(raw.ok?.id), /^[0-9a-f-]{36}$/, 'without an id, the request id (for feedback)');
    assert.equal(raw.metadata?.['x-request-id'], raw.ok?.id);
    await server.logSettled();
    const db = openDatabase(join(dir, '.mlops', 'index.db'));
    try {
      const row = db.prepare("SELECT protocol, status FROM predictions WHERE request_id = 'typed-1'").get() as { protocol: string; status: number };
      assert.deepEqual({ ...row }, { protocol: 'grpc', status: 200 });
    } finally {
      db.close();
    }
  });

  test('raw contents of every width: INT64 beyond 2^53, FP16 (raw only), BYTES with length prefixes, BOOL', async () => {
    const int64 = Buffer.from(new BigInt64Array([9007199254740993n, -5n]).buffer).toString('base64');
    const half = Buffer.from(new Uint16Array([0x3c00, 0xc000]).buffer).toString('base64'); // 1.0, -2.0
    const strings = Buffer.concat(['héllo', ''].flatMap((s) => {
      const b = Buffer.from(s);
      const n = Buffer.alloc(4);
      n.writeUInt32LE(b.length);
      return [n, b];
    })).toString('base64');
    const [i64, typedI64, fp16, byt, bool] = await grpcCalls(server.grpcAddress!, protoDir, [
      { method: 'ModelInfer', request: { model_name: 'id-int64', inputs: [{ name: 'x', datatype: 'INT64', shape: [2] }], raw_input_contents: [int64] } },
      { method: 'ModelInfer', request: { model_name: 'id-int64', inputs: [{ name: 'x', datatype: 'INT64', shape: [2], contents: { int64_contents: ['9007199254740993', '-5'] } }] } },
      { method: 'ModelInfer', request: { model_name: 'id-fp16', inputs: [{ name: 'x', datatype: 'FP16', shape: [2] }], raw_input_contents: [half] } },
      { method: 'ModelInfer', request: { model_name: 'id-bytes', inputs: [{ name: 'x', datatype: 'BYTES', shape: [2] }], raw_input_contents: [strings] } },
      { method: 'ModelInfer', request: { model_name: 'id-bool', inputs: [{ name: 'x', datatype: 'BOOL', shape: [3], contents: { bool_contents: [true, false, true] } }] } },
    ]);
    assert.equal(i64.ok?.raw_output_contents?.[0], int64);
    assert.deepEqual(typedI64.ok?.outputs?.[0].contents?.int64_contents, ['9007199254740993', '-5']);
    assert.equal(fp16.ok?.raw_output_contents?.[0], half);
    assert.equal(byt.ok?.raw_output_contents?.[0], strings);
    assert.deepEqual(bool.ok?.outputs?.[0].contents?.bool_contents, [true, false, true]);
  });

  test("errors carry REST's message with the matching status; the server stays up", async () => {
    const results = await grpcCalls(server.grpcAddress!, protoDir, [
      { method: 'ModelInfer', request: { model_name: 'nope', inputs: [{ name: 'x', datatype: 'FP32', shape: [1], contents: { fp32_contents: [1] } }] } },
      { method: 'ModelInfer', request: { model_name: 'iris', model_version: '9', inputs: [{ name: 'float_input', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }] } },
      { method: 'ModelInfer', request: { model_name: 'iris', inputs: [{ name: 'float_input', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } }] } },
      { method: 'ModelInfer', request: { model_name: 'iris', inputs: [{ name: 'float_input', datatype: 'FP64', shape: [1, 4], contents: { fp64_contents: [1, 2, 3, 4] } }] } },
      { method: 'ModelInfer', request: { model_name: 'iris', inputs: [{ name: 'float_input', datatype: 'FP32', shape: [1, 4] }], raw_input_contents: [Buffer.alloc(15).toString('base64')] } },
      { method: 'ModelInfer', request: { model_name: 'iris', inputs: [{ name: 'float_input', datatype: 'FP32', shape: ['-1', 4], contents: { fp32_contents: [1, 2, 3, 4] } }] } },
      { method: 'ModelInfer', request: { model_name: 'iris', inputs: [{ name: 'float_input', datatype: 'FP32', shape: ['9223372036854775807', 4], contents: { fp32_contents: [1, 2, 3, 4] } }] } },
      { method: 'ModelInfer', request: { model_name: 'iris', inputs: [{ name: 'float_input', datatype: 'FP32', shape: [1, 4], contents: { int_contents: [1, 2, 3, 4] } }] } },
      { method: 'ModelInfer', request: { model_name: 'iris', inputs: [] } },
      { method: 'ServerLive' },
    ]);
    const codes = results.map((r) => r.code ?? 'OK');
    assert.deepEqual(codes, ['NOT_FOUND', 'NOT_FOUND', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'OK']);
    assert.match(results[1].details!, /has no version or alias "9"/);
    assert.match(results[2].details!, /expected shape \[-1, 4\] \(FP32\), got \[1, 3\]/);
    assert.match(results[3].details!, /the model expects datatype FP32, the request says FP64/);
    assert.match(results[4].details!, /raw contents of 15 bytes are not a whole number of FP32 elements \(4 bytes each\)/);
    assert.match(results[5].details!, /shape must be a list of non-negative integers/);
    assert.match(results[7].details!, /FP32 data goes in contents.fp32_contents, not contents.int_contents/);
  });

  test('the traffic split holds over gRPC, and a sticky key in the metadata keeps a caller on one version', async () => {
    const calls = Array.from({ length: 400 }, (_, i) => ({ method: 'ModelInfer', request: { model_name: 'split', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 1, 1, 1] } }] }, metadata: [['x-user-id', `user-${i}`]] as [string, string][] }));
    const results = await grpcCalls(server.grpcAddress!, protoDir, calls);
    const v1 = results.filter((r) => r.ok?.model_version === '1').length;
    // 70% of 400 is 280; sd = sqrt(400 × 0.7 × 0.3) ≈ 9.2: within 4 sd.
    assert.ok(Math.abs(v1 - 280) < 37, `version 1 got ${v1} of 400`);
    const again = await grpcCalls(server.grpcAddress!, protoDir, calls.slice(0, 20));
    assert.deepEqual(again.map((r) => r.ok?.model_version), results.slice(0, 20).map((r) => r.ok?.model_version));
  });
});

test('with a token, a gRPC call without "authorization: Bearer <token>" metadata is UNAUTHENTICATED', async () => {
  const protoDir = compileStubs();
  const dir = workspace('serve-grpc-token', { 'mlops.yaml': 'version: 1\nmodels:\n  s: { versions: { "1": { path: m.onnx } } }\nserving: { endpoints: { s: { model: s } } }\n', 'm.onnx': scaleModel(1) });
  const server = await startModelServer({ workspaceRoot: dir, manifestPath: join(dir, 'mlops.yaml'), port: 0, grpcPort: 0, watch: false, token: 's3cret' });
  try {
    const [none, wrong, right] = await grpcCalls(server.grpcAddress!, protoDir, [
      { method: 'ServerLive' },
      { method: 'ServerLive', metadata: [['authorization', 'Bearer nope']] },
      { method: 'ServerLive', metadata: [['authorization', 'Bearer s3cret']] },
    ]);
    assert.equal(none.code, 'UNAUTHENTICATED');
    assert.equal(wrong.code, 'UNAUTHENTICATED');
    assert.deepEqual(right.ok, { live: true });
  } finally {
    await server.close();
  }
});

test('hot swap under gRPC load: a replaced model file and a changed split, zero failed calls', async () => {
  const manifest = (traffic: string) => `version: 1\nmodels:\n  s: { versions: { "1": { path: v1.onnx }, "2": { path: v2.onnx } } }\nserving:\n  grpc: { port: 0 }\n  endpoints:\n    e: { model: s, traffic: ${traffic} }\n`;
  const dir = workspace('grpc-swap', { 'mlops.yaml': manifest('{ "1": 100 }'), 'v1.onnx': scaleModel(1), 'v2.onnx': scaleModel(2) });
  const server = await startModelServer({ workspaceRoot: dir, manifestPath: join(dir, 'mlops.yaml'), port: 0, watch: false });
  const client = inferenceClient(server.grpcAddress!);
  let phase = 0;
  let running = true;
  const seen: { phase: number; factor: number; error?: string }[] = [];
  const worker = async () => {
    while (running) {
      const started = phase;
      try {
        const reply = await client.call('ModelInfer', { model_name: 'e', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 1, 1, 1] } }] });
        seen.push({ phase: started, factor: ((reply.outputs as { contents: { fp32_contents: number[] } }[])[0]).contents.fp32_contents[0] });
      } catch (error) {
        seen.push({ phase: started, factor: NaN, error: (error as Error).message });
      }
    }
  };
  const load = Promise.all(Array.from({ length: 6 }, worker));
  const served = async (n: number) => {
    const until = seen.length + n;
    while (seen.length < until) await new Promise((r) => setImmediate(r));
  };
  try {
    await served(200);
    writeFileSync(join(dir, 'mlops.yaml'), manifest('{ "2": 100 }'));
    assert.equal((await server.reload()).ok, true);
    phase = 1;
    await served(200);
    writeFileSync(join(dir, 'v2.onnx'), scaleModel(3));
    assert.equal((await server.reload()).ok, true);
    phase = 2;
    await served(200);
  } finally {
    running = false;
    await load;
    client.close();
    await server.close();
  }
  const failed = seen.filter((s) => s.error !== undefined);
  assert.deepEqual(failed, [], `${failed.length} of ${seen.length} calls failed`);
  // A call started before a reload may be answered by either side of the swap; never by anything else.
  const factors = [1, 2, 3];
  for (let p = 0; p < factors.length; p++) {
    const started = seen.filter((s) => s.phase === p);
    const allowed = new Set(factors.slice(p, p + 2));
    assert.ok(started.every((s) => allowed.has(s.factor)), `phase ${p}: factors ${[...new Set(started.map((s) => s.factor))]}`);
    assert.ok(started.filter((s) => s.factor === factors[p]).length >= 100, `phase ${p}: ${started.length} calls`);
  }
});

test('broken gRPC messages (random bytes, cut-off fields, huge and negative dimensions, wrong raw lengths) get a status with a message; the server stays up', async () => {
  const dir = workspace('grpc-fuzz', { 'mlops.yaml': 'version: 1\nmodels:\n  s: { versions: { "1": { path: m.onnx } } }\nserving: { grpc: { port: 0 }, endpoints: { s: { model: s } } }\n', 'm.onnx': scaleModel(1) });
  const server = await startModelServer({ workspaceRoot: dir, manifestPath: join(dir, 'mlops.yaml'), port: 0, watch: false });
  const client = inferenceClient(server.grpcAddress!);
  const random = seededRandom(7);
  const statuses = new Map<string, number>();
  const note = (error: unknown) => {
    const e = error as { code?: number; details?: string };
    assert.ok(typeof e.code === 'number' && e.code !== 0, `a status: ${String(error)}`);
    assert.ok((e.details ?? '').length > 0, 'with a message');
    const key = grpcStatusName(e.code);
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
  };
  try {
    for (let i = 0; i < 300; i++) {
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 64) }, () => Math.floor(random() * 256)));
      await client.raw('ModelInfer', bytes).then(
        () => undefined, // some random bytes are a valid (empty-ish) message: then it is refused as a request, or answered
        note,
      );
    }
    const dims = [['-1', '4'], ['9223372036854775807', '4'], ['4294967296', '4294967296'], ['0', '4'], ['1', '-4']];
    for (const shape of dims) await client.call('ModelInfer', { model_name: 's', inputs: [{ name: 'x', datatype: 'FP32', shape, contents: { fp32_contents: [1, 2, 3, 4] } }] }).then(() => assert.fail(`shape ${shape} answered`), note);
    for (const length of [0, 3, 15, 17, 1 << 16]) {
      await client.call('ModelInfer', { model_name: 's', inputs: [{ name: 'x', datatype: 'FP32', shape: ['1', '4'] }], raw_input_contents: [Buffer.alloc(length)] }).then(() => assert.fail(`raw length ${length} answered`), note);
    }
    await client.call('ModelInfer', { model_name: 's', inputs: [{ name: 'x', datatype: 'FP32', shape: ['1', '4'] }, { name: 'x', datatype: 'FP32', shape: ['1', '4'] }], raw_input_contents: [Buffer.alloc(16)] }).then(() => assert.fail('two inputs, one raw'), note);
    // Still serving.
    const reply = await client.call('ModelInfer', { model_name: 's', inputs: [{ name: 'x', datatype: 'FP32', shape: ['1', '4'], contents: { fp32_contents: [1, 2, 3, 4] } }] });
    assert.deepEqual(((reply.outputs as { contents: { fp32_contents: number[] } }[])[0]).contents.fp32_contents, [1, 2, 3, 4]);
    assert.ok((statuses.get('INVALID_ARGUMENT') ?? 0) > 0, JSON.stringify([...statuses]));
  } finally {
    client.close();
    await server.close();
  }
});

function grpcStatusName(code: number): string {
  return ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'][code] ?? String(code);
}

describe('ONNX backend test cases over gRPC, raw tensors in and out, as Python sends them', () => {
  const root = join(SHARED_FIXTURES, 'onnx', 'onnx-backend-tests');
  const cases = readdirSync(root).flatMap((group) => readdirSync(join(root, group)).map((name) => ({ name, dir: join(root, group, name) })));
  let server: ModelServer;
  let protoDir: string;
  before(async () => {
    protoDir = compileStubs();
    const models = cases.map((c) => `  ${c.name}: { versions: { "1": { path: cases/${c.name}.onnx } } }`).join('\n');
    const ws: Record<string, string | Uint8Array> = { 'mlops.yaml': `version: 1\nmodels:\n${models}\nserving: { grpc: { port: 0 } }\n` };
    for (const c of cases) ws[`cases/${c.name}.onnx`] = readFileSync(join(c.dir, 'model.onnx'));
    const dir = workspace('grpc-backend', ws);
    server = await startModelServer({ workspaceRoot: dir, manifestPath: join(dir, 'mlops.yaml'), port: 0, watch: false });
  });
  after(() => server.close());

  test('each case that loads answers its expected outputs', async () => {
    let ran = 0;
    for (const c of cases) {
      const [ready] = await grpcCalls(server.grpcAddress!, protoDir, [{ method: 'ModelReady', request: { name: c.name } }]);
      if (!ready.ok?.ready) continue; // the REST suite checks that such a model fails in onnxruntime itself
      const data = join(c.dir, 'test_data_set_0');
      const inputs = readdirSync(data).filter((f) => /^input_\d+\.pb$/.test(f)).sort().map((f) => readTensorProto(join(data, f)));
      const outputs = readdirSync(data).filter((f) => /^output_\d+\.pb$/.test(f)).sort().map((f) => readTensorProto(join(data, f)));
      const [meta] = await grpcCalls(server.grpcAddress!, protoDir, [{ method: 'ModelMetadata', request: { name: c.name } }]);
      const names = (meta.ok?.inputs as { name: string }[]).map((i) => i.name);
      const outNames = (meta.ok?.outputs as { name: string }[]).map((o) => o.name);
      const request = {
        model_name: c.name,
        inputs: inputs.map((t, i) => ({ name: t.name || names[i], datatype: t.datatype, shape: t.dims })),
        raw_input_contents: inputs.map((t) => toRaw({ datatype: t.datatype, shape: t.dims, data: decodeValues(t.datatype, toJsonValues(t), t.name) }).toString('base64')),
      };
      const [answer] = await grpcCalls(server.grpcAddress!, protoDir, [{ method: 'ModelInfer', request }]);
      assert.ok(answer.ok, `${c.name}: ${answer.code} ${answer.details}`);
      const got = answer.ok.outputs!;
      outputs.forEach((expected, i) => {
        const k = got.findIndex((o) => o.name === (expected.name || outNames[i]));
        assert.ok(k >= 0, `${c.name}: output ${expected.name}`);
        assert.equal(got[k].datatype, expected.datatype);
        assert.deepEqual(got[k].shape.map(Number), expected.dims);
        const values = fromRaw(expected.datatype, Buffer.from(answer.ok!.raw_output_contents![k], 'base64'), expected.name);
        expected.values.forEach((e, j) => {
          const g = (values as ArrayLike<number | bigint | string>)[j];
          if (typeof e === 'bigint') assert.equal(BigInt(g), e);
          else if (typeof e === 'boolean') assert.equal(g, e ? 1 : 0);
          else if (typeof e === 'number') assert.ok(Math.abs(Number(g) - e) <= 1e-5 * Math.abs(e) + 1e-7, `${c.name}[${j}]: ${g} vs ${e}`);
          else assert.equal(g, e);
        });
      });
      ran++;
    }
    assert.ok(ran >= 5, `${ran} cases ran`);
  });
});
