// REST's binary tensor data extension, as Triton's and KServe's clients send it: the JSON header's
// length in Inference-Header-Content-Length, input tensors as raw little-endian bytes after it
// (parameters.binary_data_size), outputs answered the same way when asked for.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startModelServer, type ModelServer } from '../../server/src/serving/server';
import { SHARED_FIXTURES } from '../helpers/paths';
import { identityModel } from '../helpers/onnx-builder';
import { call, workspace } from '../helpers/serving';

const IRIS = [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3];

/** A binary-extension request: the JSON, then each tensor's bytes. */
function binaryRequest(json: object, ...tensors: Buffer[]): { body: Buffer; headers: Record<string, string> } {
  const head = Buffer.from(JSON.stringify(json));
  return { body: Buffer.concat([head, ...tensors]), headers: { 'inference-header-content-length': String(head.length), 'content-type': 'application/octet-stream' } };
}

async function post(url: string, path: string, request: { body: Buffer; headers: Record<string, string> }) {
  const res = await fetch(url + path, { method: 'POST', body: request.body, headers: request.headers });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** A binary answer split at its header length: the JSON and the bytes after it. */
function splitAnswer(answer: { headers: Headers; bytes: Buffer }): { json: { outputs: { name: string; datatype: string; shape: number[]; data?: unknown[]; parameters?: { binary_data_size: number } }[] }; tail: Buffer } {
  const length = Number(answer.headers.get('inference-header-content-length'));
  return { json: JSON.parse(answer.bytes.subarray(0, length).toString('utf8')), tail: answer.bytes.subarray(length) };
}

describe('V2 REST with the binary tensor data extension', () => {
  let server: ModelServer;
  before(async () => {
    const dir = workspace('serve-binary', {
      'mlops.yaml': 'version: 1\nmodels:\n  iris: { versions: { "1": { path: logreg.onnx } } }\n  idbytes: { versions: { "1": { path: id-bytes.onnx } } }\n  idf16: { versions: { "1": { path: id-fp16.onnx } } }\nserving:\n  endpoints:\n    iris: { model: iris }\n    id-bytes: { model: idbytes }\n    id-fp16: { model: idf16 }\n',
      'logreg.onnx': readFileSync(join(SHARED_FIXTURES, 'onnx', 'logreg_iris.onnx')),
      'id-bytes.onnx': identityModel('BYTES'),
      'id-fp16.onnx': identityModel('FP16'),
    });
    server = await startModelServer({ workspaceRoot: dir, manifestPath: join(dir, 'mlops.yaml'), port: 0, watch: false });
  });
  after(() => server.close());

  test('binary inputs give the JSON answer of the same request sent as JSON; outputs asked for as binary come back as bytes', async () => {
    const asJson = await call(server.url, '/v2/models/iris/infer', { body: { inputs: [{ name: 'float_input', datatype: 'FP32', shape: [2, 4], data: IRIS }], outputs: [{ name: 'output_label' }] } });
    const labels = (JSON.parse(asJson.text) as { outputs: { data: number[] }[] }).outputs[0].data;
    const input = Buffer.from(new Float32Array(IRIS).buffer);
    const jsonOut = await post(server.url, '/v2/models/iris/infer', binaryRequest({ inputs: [{ name: 'float_input', datatype: 'FP32', shape: [2, 4], parameters: { binary_data_size: input.length } }], outputs: [{ name: 'output_label' }] }, input));
    assert.equal(jsonOut.status, 200);
    assert.deepEqual((JSON.parse(jsonOut.bytes.toString('utf8')) as { outputs: { data: number[] }[] }).outputs[0].data, labels);

    const binaryOut = await post(server.url, '/v2/models/iris/infer', binaryRequest({ inputs: [{ name: 'float_input', datatype: 'FP32', shape: [2, 4], parameters: { binary_data_size: input.length } }], outputs: [{ name: 'output_label', parameters: { binary_data: true } }] }, input));
    assert.equal(binaryOut.status, 200);
    assert.equal(binaryOut.headers.get('content-type'), 'application/octet-stream');
    const { json, tail } = splitAnswer(binaryOut);
    assert.deepEqual(json.outputs, [{ name: 'output_label', datatype: 'INT64', shape: [2], parameters: { binary_data_size: 16 } }]);
    assert.deepEqual(Array.from(new BigInt64Array(tail.buffer.slice(tail.byteOffset, tail.byteOffset + 16)), Number), labels);

    // binary_data_output: every output as bytes, in the order of the outputs.
    const all = await post(server.url, '/v2/models/iris/infer', binaryRequest({ inputs: [{ name: 'float_input', datatype: 'FP32', shape: [2, 4], parameters: { binary_data_size: input.length } }], parameters: { binary_data_output: true } }, input));
    const whole = splitAnswer(all);
    assert.equal(whole.tail.length, whole.json.outputs.reduce((n, o) => n + (o.parameters?.binary_data_size ?? 0), 0));
    assert.ok(whole.json.outputs.every((o) => o.data === undefined));
  });

  test('BYTES and FP16 tensors as bytes: length-prefixed strings, IEEE half bits', async () => {
    const strings = Buffer.concat(['né', 'x'].flatMap((s) => {
      const b = Buffer.from(s);
      const n = Buffer.alloc(4);
      n.writeUInt32LE(b.length);
      return [n, b];
    }));
    const bytes = await post(server.url, '/v2/models/id-bytes/infer', binaryRequest({ inputs: [{ name: 'x', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: strings.length } }] }, strings));
    assert.equal(bytes.status, 200, bytes.bytes.toString());
    assert.deepEqual((JSON.parse(bytes.bytes.toString('utf8')) as { outputs: { data: string[] }[] }).outputs[0].data, ['né', 'x']);
    const half = Buffer.from(new Uint16Array([0x3c00, 0xc000]).buffer);
    const fp16 = await post(server.url, '/v2/models/id-fp16/infer', binaryRequest({ inputs: [{ name: 'x', datatype: 'FP16', shape: [2], parameters: { binary_data_size: 4 } }], parameters: { binary_data_output: true } }, half));
    assert.ok(splitAnswer(fp16).tail.equals(half));
  });

  test('malformed binary requests are 400s that say what is wrong', async () => {
    const input = Buffer.from(new Float32Array(IRIS).buffer);
    const base = (parameters: object) => ({ inputs: [{ name: 'float_input', datatype: 'FP32', shape: [2, 4], parameters }] });
    const cases: [string, { body: Buffer; headers: Record<string, string> }, RegExp][] = [
      ['a size past the end', binaryRequest(base({ binary_data_size: 64 }), input), /binary_data_size 64 at byte 0 of the binary data runs past its end \(32 bytes\)/],
      ['bytes left over', binaryRequest(base({ binary_data_size: 16 }), input), /16 bytes of binary data after the last input's/],
      ['a size that is not whole elements', binaryRequest(base({ binary_data_size: 30 }), input.subarray(0, 30)), /raw contents of 30 bytes are not a whole number of FP32 elements/],
      ['a negative size', binaryRequest(base({ binary_data_size: -4 }), input), /binary_data_size must be a non-negative integer/],
      ['a header length beyond the body', { ...binaryRequest(base({ binary_data_size: 32 }), input), headers: { 'inference-header-content-length': '99999' } }, /Inference-Header-Content-Length must be the byte length of the JSON/],
      ['the wrong element count', binaryRequest(base({ binary_data_size: 16 }), input.subarray(0, 16)), /shape \[2, 4\] holds 8 elements, the data has 4/],
    ];
    for (const [what, request, message] of cases) {
      const answer = await post(server.url, '/v2/models/iris/infer', request);
      assert.equal(answer.status, 400, what);
      assert.match((JSON.parse(answer.bytes.toString()) as { error: string }).error, message, what);
    }
    // Without the header, binary_data_size is refused with the reason.
    const plain = await call(server.url, '/v2/models/iris/infer', { body: base({ binary_data_size: 32 }) });
    assert.equal(plain.status, 400);
    assert.match(plain.text, /needs the binary extension's Inference-Header-Content-Length header/);
  });
});
