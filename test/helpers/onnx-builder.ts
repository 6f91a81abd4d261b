/**
 * Tiny ONNX models written straight in the protobuf wire format, for tests that need a model of a
 * given dtype or shape: Identity (every dtype), Mul by a constant (versions that answer differently),
 * and Concat of two inputs (multi-input models).
 */

import { encodeVarint } from '../../server/src/onnx/export';

const ELEM_TYPES = {
  FP32: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, BYTES: 8, BOOL: 9, FP16: 10, FP64: 11, UINT32: 12, UINT64: 13,
} as const;
export type ElemType = keyof typeof ELEM_TYPES;


/** The product's own varint writer, as bytes in an array. */
const varint = (value: number | bigint): number[] => [...encodeVarint(value)];

type Field = number[];
const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, value: number | bigint): Field => [...key(field, 0), ...varint(value)];
const bytes = (field: number, data: Uint8Array | number[]): Field => [...key(field, 2), ...varint(data.length), ...data];
const str = (field: number, text: string): Field => bytes(field, [...Buffer.from(text, 'utf8')]);
const msg = (field: number, ...parts: Field[]): Field => bytes(field, parts.flat());

function valueInfo(name: string, elem: ElemType, shape: (number | string)[]): Field {
  const dims = shape.map((d) => msg(1, typeof d === 'number' ? int(1, d) : str(2, d)));
  return [...str(1, name), ...msg(2, msg(1, int(1, ELEM_TYPES[elem]), msg(2, ...dims)))];
}

interface Graph {
  nodes: { op: string; inputs: string[]; outputs: string[]; attributes?: Field[] }[];
  inputs: { name: string; elem: ElemType; shape: (number | string)[] }[];
  outputs: { name: string; elem: ElemType; shape: (number | string)[] }[];
  initializers?: Field[];
}

function model(graph: Graph, opset = 13): Buffer {
  const nodes = graph.nodes.map((n) => msg(1, ...n.inputs.map((i) => str(1, i)), ...n.outputs.map((o) => str(2, o)), str(4, n.op), ...(n.attributes ?? [])));
  const g = [
    ...nodes.flat(),
    ...str(2, 'test'),
    ...(graph.initializers ?? []).flat(),
    ...graph.inputs.flatMap((i) => msg(11, valueInfo(i.name, i.elem, i.shape))),
    ...graph.outputs.flatMap((o) => msg(12, valueInfo(o.name, o.elem, o.shape))),
  ];
  return Buffer.from([...int(1, 7), ...str(2, 'mlops-tests'), ...msg(7, g), ...msg(8, str(1, ''), int(2, opset))]);
}

/** y = x, for any dtype. */
export function identityModel(elem: ElemType, shape: (number | string)[] = ['N']): Buffer {
  return model({ nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }], inputs: [{ name: 'x', elem, shape }], outputs: [{ name: 'y', elem, shape }] });
}

/** y = x * factor, x FP32 [N, width]: versions that can be told apart by their answers. */
export function scaleModel(factor: number, width = 4): Buffer {
  const floats = Buffer.alloc(4);
  floats.writeFloatLE(factor);
  const initializer = msg(5, int(1, 1), int(2, 1), bytes(4, [...floats]), str(8, 'k'));
  return model({
    nodes: [{ op: 'Mul', inputs: ['x', 'k'], outputs: ['y'] }],
    inputs: [{ name: 'x', elem: 'FP32', shape: ['N', width] }],
    outputs: [{ name: 'y', elem: 'FP32', shape: ['N', width] }],
    initializers: [initializer],
  });
}

/** y = concat(a, b) along axis 1; a and b FP32 [N, 1]: a model with two inputs. */
export function concatModel(): Buffer {
  const axis = msg(5, str(1, 'axis'), int(3, 1), int(20, 2)); // AttributeProto: name, i, type=INT
  return model({
    nodes: [{ op: 'Concat', inputs: ['a', 'b'], outputs: ['y'], attributes: [axis] }],
    inputs: [
      { name: 'a', elem: 'FP32', shape: ['N', 1] },
      { name: 'b', elem: 'FP32', shape: ['N', 1] },
    ],
    outputs: [{ name: 'y', elem: 'FP32', shape: ['N', 2] }],
  });
}

/** y = sum over the batch (ReduceSum axis 0, keepdims): an output that is not per row. */
export function batchSumModel(): Buffer {
  return model({
    nodes: [{ op: 'ReduceSum', inputs: ['x'], outputs: ['y'], attributes: [msg(5, str(1, 'keepdims'), int(3, 1), int(20, 2)), msg(5, str(1, 'axes'), int(8, 0), int(20, 7))] }],
    inputs: [{ name: 'x', elem: 'FP32', shape: ['N', 2] }],
    outputs: [{ name: 'y', elem: 'FP32', shape: [1, 2] }],
  }, 11);
}

/**
 * A model that loads but fails every request: `x` (FP32 [N, width]) reshaped to [-1, divisor], which
 * ONNX Runtime refuses at run time when N × width is not a multiple of the divisor. Its input is
 * the same as a real model's, so an endpoint may route to both: a deliberately broken canary.
 */
export function failingModel(input: string, width: number, divisor: number): Buffer {
  const raw = Buffer.alloc(16);
  raw.writeBigInt64LE(-1n, 0);
  raw.writeBigInt64LE(BigInt(divisor), 8);
  const shape = msg(5, int(1, 2), int(2, ELEM_TYPES.INT64), bytes(9, [...raw]), str(8, 'shape'));
  return model({
    nodes: [{ op: 'Reshape', inputs: [input, 'shape'], outputs: ['y'] }],
    inputs: [{ name: input, elem: 'FP32', shape: ['N', width] }],
    outputs: [{ name: 'y', elem: 'FP32', shape: ['M', divisor] }],
    initializers: [shape],
  });
}
