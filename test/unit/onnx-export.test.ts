import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as OrtTypes from 'onnxruntime-node';
import { encodeOnnxModel, encodeVarint, logisticRegressionModel, type GraphSpec, type ModelSpec } from '../../server/src/onnx/export';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ort = require('onnxruntime-node') as typeof OrtTypes;
ort.env.logLevel = 'error';

type Feeds = Record<string, OrtTypes.Tensor>;

async function run(spec: ModelSpec, feeds: Feeds): Promise<{ session: OrtTypes.InferenceSession; outputs: Record<string, OrtTypes.Tensor> }> {
  const session = await ort.InferenceSession.create(encodeOnnxModel(spec), { logSeverityLevel: 3 });
  return { session, outputs: (await session.run(feeds)) as Record<string, OrtTypes.Tensor> };
}

const f32 = (values: number[], dims: number[]) => new ort.Tensor('float32', Float32Array.from(values), dims);
const graph = (g: Partial<GraphSpec> & Pick<GraphSpec, 'nodes' | 'inputs' | 'outputs'>): ModelSpec => ({ graph: { name: 'test', ...g } });

test('varints are base-128, little end first; negative int64 takes ten bytes', () => {
  assert.deepEqual([...encodeVarint(0)], [0]);
  assert.deepEqual([...encodeVarint(1)], [1]);
  assert.deepEqual([...encodeVarint(127)], [0x7f]);
  assert.deepEqual([...encodeVarint(300)], [0xac, 0x02]);
  assert.deepEqual([...encodeVarint(2 ** 35)], [0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
  assert.deepEqual([...encodeVarint(-1)], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  assert.deepEqual([...encodeVarint(2n ** 63n - 1n)], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
  assert.throws(() => encodeVarint(1.5), /not an integer/);
});

test('Add with a broadcast initializer', async () => {
  const spec = graph({
    nodes: [{ opType: 'Add', inputs: ['x', 'b'], outputs: ['y'] }],
    initializers: [{ name: 'b', elemType: 'float', dims: [3], values: [10, 20.5, -1] }],
    inputs: [{ name: 'x', elemType: 'float', shape: ['N', 3] }],
    outputs: [{ name: 'y', elemType: 'float', shape: ['N', 3] }],
  });
  const { outputs } = await run(spec, { x: f32([1, 2, 3, 4, 5, 6], [2, 3]) });
  assert.deepEqual(outputs.y.dims, [2, 3]);
  assert.deepEqual([...(outputs.y.data as Float32Array)], [11, 22.5, 2, 14, 25.5, 5]);
});

test('MatMul by a [k, 1] weight matrix', async () => {
  const spec = graph({
    nodes: [{ opType: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
    initializers: [{ name: 'w', elemType: 'float', dims: [3, 1], values: [1, -2, 0.5] }],
    inputs: [{ name: 'x', elemType: 'float', shape: ['N', 3] }],
    outputs: [{ name: 'y', elemType: 'float', shape: ['N', 1] }],
  });
  const { outputs } = await run(spec, { x: f32([1, 2, 4, -3, 0, 8, 0, 0, 0], [3, 3]) });
  assert.deepEqual(outputs.y.dims, [3, 1]);
  assert.deepEqual([...(outputs.y.data as Float32Array)], [1 - 4 + 2, -3 + 0 + 4, 0]);
});

test('Gather on axis 1 with int64 indices picks and reorders columns', async () => {
  const spec = graph({
    nodes: [{ opType: 'Gather', inputs: ['x', 'columns'], outputs: ['y'], attributes: { axis: { int: 1 } } }],
    initializers: [{ name: 'columns', elemType: 'int64', dims: [3], values: [3, 0, 3] }],
    inputs: [{ name: 'x', elemType: 'float', shape: ['N', 4] }],
    outputs: [{ name: 'y', elemType: 'float', shape: ['N', 3] }],
  });
  const { outputs } = await run(spec, { x: f32([0, 1, 2, 3, 10, 11, 12, 13], [2, 4]) });
  assert.deepEqual(outputs.y.dims, [2, 3]);
  assert.deepEqual([...(outputs.y.data as Float32Array)], [3, 0, 3, 13, 10, 13]);
});

test('Sigmoid (ONNX Runtime approximates it to about 1e-7 absolute)', async () => {
  const spec = graph({
    nodes: [{ opType: 'Sigmoid', inputs: ['x'], outputs: ['y'] }],
    inputs: [{ name: 'x', elemType: 'float', shape: ['N'] }],
    outputs: [{ name: 'y', elemType: 'float', shape: ['N'] }],
  });
  const xs = [0, 1, -1, 4, -20, 20];
  const { outputs } = await run(spec, { x: f32(xs, [xs.length]) });
  const ys = [...(outputs.y.data as Float32Array)];
  assert.equal(ys[0], 0.5);
  xs.forEach((x, i) => {
    const want = 1 / (1 + Math.exp(-x));
    assert.ok(Math.abs(ys[i] - want) <= 2e-7, `sigmoid(${x}) = ${ys[i]}, want ${want}`);
  });
});

test('Greater against a scalar threshold, then Cast to int64', async () => {
  const spec = graph({
    nodes: [
      { opType: 'Greater', inputs: ['x', 'threshold'], outputs: ['above'] },
      { opType: 'Cast', inputs: ['above'], outputs: ['label'], attributes: { to: { int: 7 } } },
    ],
    initializers: [{ name: 'threshold', elemType: 'float', dims: [], values: [0.5] }],
    inputs: [{ name: 'x', elemType: 'float', shape: ['N', 1] }],
    outputs: [{ name: 'label', elemType: 'int64', shape: ['N', 1] }],
  });
  const { session, outputs } = await run(spec, { x: f32([0.2, 0.5, 0.50001, 1], [4, 1]) });
  assert.equal(outputs.label.type, 'int64');
  assert.deepEqual(outputs.label.dims, [4, 1]);
  assert.deepEqual([...(outputs.label.data as BigInt64Array)], [0n, 0n, 1n, 1n]);
  assert.deepEqual(session.outputMetadata.map((m) => (m.isTensor ? [m.name, m.type, [...m.shape]] : [m.name])), [['label', 'int64', ['N', 1]]]);
});

test('a model with two outputs: float and int64 attributes of other types load too', async () => {
  const spec = graph({
    nodes: [
      { opType: 'Concat', inputs: ['a', 'b'], outputs: ['ab'], attributes: { axis: { int: -1 } } },
      { opType: 'LeakyRelu', inputs: ['ab'], outputs: ['y'], attributes: { alpha: { float: 0.25 } } },
      { opType: 'Shape', inputs: ['y'], outputs: ['shape'] },
    ],
    inputs: [
      { name: 'a', elemType: 'float', shape: ['N', 1] },
      { name: 'b', elemType: 'float', shape: ['N', 2] },
    ],
    outputs: [
      { name: 'y', elemType: 'float', shape: ['N', 3] },
      { name: 'shape', elemType: 'int64', shape: [2] },
    ],
  });
  const { outputs } = await run(spec, { a: f32([-4, 2], [2, 1]), b: f32([1, -8, 3, 0], [2, 2]) });
  assert.deepEqual([...(outputs.y.data as Float32Array)], [-1, 1, -2, 2, 3, 0]);
  assert.deepEqual([...(outputs.shape.data as BigInt64Array)], [2n, 3n]);
});

test('the logistic-regression graph computes 1 / (1 + exp(−z)), z = (x[:, cols] − mean) / std · w + b, and its label', async () => {
  const spec = logisticRegressionModel({ inputWidth: 4, columns: [2, 0], mean: [1, 2], std: [2, 4], weights: [1, -1], bias: 0.5, threshold: 0.5 });
  const rows = [
    [2, 9, 3, 9], // (3−1)/2·1 − (2−2)/4·1 + 0.5 = 1.5
    [6, 9, 1, 9], // 0 − 1 + 0.5 = −0.5
    [2, 0, 1, 0], // 0 − 0 + 0.5 = 0.5
  ];
  const { session, outputs } = await run(spec, { features: f32(rows.flat(), [3, 4]) });
  assert.deepEqual(
    session.inputMetadata.map((m) => (m.isTensor ? [m.name, m.type, [...m.shape]] : [])),
    [['features', 'float32', ['N', 4]]],
  );
  assert.deepEqual(
    session.outputMetadata.map((m) => (m.isTensor ? [m.name, m.type, [...m.shape]] : [])),
    [
      ['probability', 'float32', ['N', 1]],
      ['label', 'int64', ['N', 1]],
    ],
  );
  const p = [...(outputs.probability.data as Float32Array)];
  [1.5, -0.5, 0.5].forEach((z, i) => assert.ok(Math.abs(p[i] - 1 / (1 + Math.exp(-z))) < 1e-7, `row ${i}: ${p[i]}`));
  assert.deepEqual([...(outputs.label.data as BigInt64Array)], [1n, 0n, 1n]);
  assert.ok(spec.graph.nodes.some((n) => n.opType === 'Gather'), 'a column subset is gathered inside the graph');

  // Far in the tails the probability keeps its relative precision, and never becomes NaN.
  const tails = await run(logisticRegressionModel({ inputWidth: 1, mean: [0], std: [1], weights: [1], bias: 0 }), { features: f32([-30, -12, 12, 30, -200, 200], [6, 1]) });
  const q = [...(tails.outputs.probability.data as Float32Array)];
  [-30, -12, 12, 30].forEach((z, i) => {
    const want = 1 / (1 + Math.exp(-z));
    assert.ok(Math.abs(q[i] - want) <= 1e-6 * want, `z = ${z}: ${q[i]}, want ${want}`);
  });
  assert.deepEqual(q.slice(4), [0, 1]);
  const all = logisticRegressionModel({ inputWidth: 2, mean: [0, 0], std: [1, 1], weights: [1, 1], bias: 0 });
  assert.ok(!all.graph.nodes.some((n) => n.opType === 'Gather'), 'no Gather when every column is used in order');
});

// ---- the bytes themselves, read back with a small independent protobuf reader -------------------

type Fields = Map<number, (bigint | Uint8Array)[]>;

function readFields(bytes: Uint8Array): Fields {
  const fields: Fields = new Map();
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = bytes[at++];
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const field = key >> 3;
    let value: bigint | Uint8Array;
    if ((key & 7) === 0) value = varint();
    else if ((key & 7) === 2) {
      const length = Number(varint());
      value = bytes.subarray(at, at + length);
      at += length;
    } else if ((key & 7) === 5) {
      value = bytes.subarray(at, at + 4);
      at += 4;
    } else throw new Error(`wire type ${key & 7}`);
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

const text = (v: bigint | Uint8Array | undefined) => new TextDecoder().decode(v as Uint8Array);

test('the model header: IR version 8, producer, opset 17 of the default domain, metadata in order', () => {
  const bytes = encodeOnnxModel({
    ...logisticRegressionModel({ inputWidth: 1, mean: [0], std: [1], weights: [2], bias: 0, metadata: { feature_names: '["x"]', run_id: 'r1' } }),
    producerVersion: '1.2.3',
  });
  const model = readFields(bytes);
  assert.deepEqual(model.get(1), [8n]);
  assert.equal(text(model.get(2)?.[0]), 'mlops-workbench');
  assert.equal(text(model.get(3)?.[0]), '1.2.3');
  const opset = readFields(model.get(8)?.[0] as Uint8Array);
  assert.equal(text(opset.get(1)?.[0]), '');
  assert.deepEqual(opset.get(2), [17n]);
  const metadata = (model.get(14) ?? []).map((entry) => {
    const e = readFields(entry as Uint8Array);
    return [text(e.get(1)?.[0]), text(e.get(2)?.[0])];
  });
  assert.deepEqual(metadata, [
    ['feature_names', '["x"]'],
    ['run_id', 'r1'],
  ]);
  // The input's shape: a symbolic batch dimension "N" and a fixed width.
  const graphFields = readFields(model.get(7)?.[0] as Uint8Array);
  const input = readFields(graphFields.get(11)?.[0] as Uint8Array);
  assert.equal(text(input.get(1)?.[0]), 'features');
  const tensorType = readFields(readFields(input.get(2)?.[0] as Uint8Array).get(1)?.[0] as Uint8Array);
  assert.deepEqual(tensorType.get(1), [1n]); // FLOAT
  const dims = (readFields(tensorType.get(2)?.[0] as Uint8Array).get(1) ?? []).map((d) => readFields(d as Uint8Array));
  assert.equal(text(dims[0].get(2)?.[0]), 'N');
  assert.deepEqual(dims[1].get(1), [1n]);
  // Initializers hold little-endian float32 raw_data.
  const weights = (graphFields.get(5) ?? []).map((t) => readFields(t as Uint8Array)).find((t) => text(t.get(8)?.[0]) === 'weights');
  assert.ok(weights);
  assert.deepEqual(weights.get(1), [1n, 1n]);
  assert.deepEqual(weights.get(2), [1n]);
  assert.deepEqual([...(weights.get(9)?.[0] as Uint8Array)], [0, 0, 0, 0x40]); // 2.0f
});

test('the same spec always gives the same bytes', () => {
  const spec = () => logisticRegressionModel({ inputWidth: 3, columns: [1], mean: [0.1], std: [0.3], weights: [0.7], bias: -0.2, metadata: { a: '1' } });
  assert.deepEqual(encodeOnnxModel(spec()), encodeOnnxModel(spec()));
});

test('graphs that read undefined values, define a name twice or miss an output are refused', () => {
  const io = { inputs: [{ name: 'x', elemType: 'float' as const, shape: ['N'] }], outputs: [{ name: 'y', elemType: 'float' as const, shape: ['N'] }] };
  assert.throws(() => encodeOnnxModel(graph({ ...io, nodes: [{ opType: 'Add', inputs: ['x', 'nope'], outputs: ['y'] }] })), /reads "nope"/);
  assert.throws(() => encodeOnnxModel(graph({ ...io, nodes: [{ opType: 'Relu', inputs: ['x'], outputs: ['x'] }] })), /defined twice/);
  assert.throws(() => encodeOnnxModel(graph({ ...io, nodes: [] })), /output "y" is not produced/);
  assert.throws(() => encodeOnnxModel(graph({ ...io, nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'] }], initializers: [{ name: 'w', elemType: 'float', dims: [2], values: [1] }] })), /1 values for dims \[2\]/);
  assert.throws(() => logisticRegressionModel({ inputWidth: 2, columns: [2], mean: [0], std: [1], weights: [1], bias: 0 }), /outside the input/);
});
