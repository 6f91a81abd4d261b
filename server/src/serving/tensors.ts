import { decodeValues, isDatatype, type HostTensor, type TensorData } from './dtypes';
import { badRequest } from './errors';
import { describeValue } from './json';
import type { ModelSignature, TensorSpec } from './sessions';

/** An input as a protocol decoded it, before it is checked against the model. */
export interface RawInput {
  name: string;
  /** Only V2 requests state a datatype; the other protocols take the model's. */
  datatype?: unknown;
  shape: unknown;
  /** Row-major elements, still JSON values (or protobuf's typed contents). */
  values: unknown[];
  /** Row-major elements already as tensor data (raw little-endian contents); `values` is then empty. */
  data?: TensorData;
}

/** Deeper nesting than any real tensor; bounds the recursion on hostile input. */
const MAX_RANK = 32;

export const describeSpec = (s: TensorSpec): string => `${s.name} (${s.datatype} [${s.shape.join(', ')}])`;
const shapeText = (shape: readonly unknown[]): string => `[${shape.map((d) => describeValue(d)).join(', ')}]`;

/** Nested JSON arrays as a shape and row-major elements; ragged nesting is an error. A non-array is a scalar. */
export function flattenNested(value: unknown, label: string): { shape: number[]; values: unknown[] } {
  const shape: number[] = [];
  for (let v = value; Array.isArray(v); v = v[0]) {
    shape.push(v.length);
    if (shape.length > MAX_RANK) throw badRequest(`${label}: nested deeper than ${MAX_RANK} levels`);
    if (v.length === 0) break;
  }
  if (shape.length === 1 && !(value as unknown[]).some(Array.isArray)) return { shape, values: value as unknown[] };
  const values: unknown[] = [];
  const path: number[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw badRequest(`${label}: ragged nested data at [${path.join(',')}]: expected a value, got an array`);
      values.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      const got = Array.isArray(v) ? `${v.length} elements` : describeValue(v);
      throw badRequest(`${label}: ragged nested data at [${path.join(',')}]: expected ${shape[depth]} elements, got ${got}`);
    }
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      walk(v[i], depth + 1);
      path.pop();
    }
  };
  walk(value, 0);
  return { shape, values };
}

/**
 * Rows (one entry per instance) as an input of `spec`: the first dimension is the row count. A
 * column of scalars fits an input of shape [-1, 1], the usual layout of one-feature-per-input models.
 */
export function rowsToInput(spec: TensorSpec, rows: unknown[], label: string): RawInput {
  const { shape, values } = flattenNested(rows, label);
  if (spec.shape.length === shape.length + 1 && spec.shape[spec.shape.length - 1] === 1) shape.push(1);
  return { name: spec.name, shape, values };
}

/**
 * Check decoded inputs against the model's signature and convert them to tensors. Every refusal
 * names the input, what the model expects and what came.
 */
export function toHostTensors(raw: readonly RawInput[], signature: ModelSignature): Map<string, HostTensor> {
  const specs = new Map(signature.inputs.map((s) => [s.name, s]));
  const tensors = new Map<string, HostTensor>();
  for (const input of raw) {
    const spec = specs.get(input.name);
    if (!spec) throw badRequest(`unknown input ${describeValue(input.name)}; the model's inputs are ${signature.inputs.map(describeSpec).join(', ')}`);
    if (tensors.has(input.name)) throw badRequest(`input '${input.name}' is given twice`);
    tensors.set(input.name, toHostTensor(input, spec));
  }
  const missing = signature.inputs.filter((s) => !tensors.has(s.name));
  if (missing.length > 0) throw badRequest(`missing input${missing.length > 1 ? 's' : ''} ${missing.map(describeSpec).join(', ')}`);
  return tensors;
}

function toHostTensor(input: RawInput, spec: TensorSpec): HostTensor {
  const label = `input '${spec.name}'`;
  if (input.datatype !== undefined && input.datatype !== spec.datatype) {
    const said = isDatatype(input.datatype) ? input.datatype : describeValue(input.datatype);
    throw badRequest(`${label}: the model expects datatype ${spec.datatype}, the request says ${said}`);
  }
  const shape = input.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw badRequest(`${label}: shape must be a list of non-negative integers, got ${describeValue(shape)}`);
  }
  const dims = shape as number[];
  const fits = dims.length === spec.shape.length && spec.shape.every((d, i) => d < 0 || d === dims[i]);
  if (!fits) throw badRequest(`${label}: expected shape [${spec.shape.join(', ')}] (${spec.datatype}), got ${shapeText(dims)}`);
  const count = dims.reduce((a, b) => a * b, 1);
  const given = input.data ? input.data.length : input.values.length;
  if (count !== given) {
    throw badRequest(`${label}: shape ${shapeText(dims)} holds ${count} elements, the data has ${given}`);
  }
  return { datatype: spec.datatype, shape: dims, data: input.data ?? decodeValues(spec.datatype, input.values, label) };
}
