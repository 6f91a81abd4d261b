import { encodeAll, isDatatype, type HostTensor } from './dtypes';
import { fromRaw, toRaw } from './raw-tensors';
import { badRequest } from './errors';
import { describeValue } from './json';
import type { ModelSignature, TensorSpec } from './sessions';
import { describeSpec, flattenNested, type RawInput } from './tensors';

/**
 * Open Inference Protocol (KServe V2) REST: JSON, and the binary tensor data extension (Triton's and
 * KServe's clients): an `Inference-Header-Content-Length` header says how much of the body is the
 * JSON; inputs with `parameters.binary_data_size` take their data, raw little-endian, from the bytes
 * after it, in order. Outputs asked for with `parameters.binary_data: true` (or all of them, with the
 * request's `parameters.binary_data_output: true`) are answered the same way.
 */

export interface V2Request {
  id?: string;
  inputs: RawInput[];
  /** Output names the caller asked for; all tensor outputs when absent. */
  outputs?: string[];
  /** Outputs to answer as binary data: every one, or these names. */
  binaryOutputs?: 'all' | Set<string>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Check the request's structure (the model-specific checks come later, in toHostTensors). */
export function parseV2Request(body: unknown, binary?: Buffer): V2Request {
  if (!isObj(body)) throw badRequest(`the body must be a JSON object {"inputs": [...]}, got ${describeValue(body)}`);
  if (body.id !== undefined && typeof body.id !== 'string') throw badRequest(`id must be a string, got ${describeValue(body.id)}`);
  if (body.parameters !== undefined && !isObj(body.parameters)) throw badRequest('parameters must be an object');
  if (!Array.isArray(body.inputs) || body.inputs.length === 0) {
    throw badRequest('inputs must be a non-empty list of {name, shape, datatype, data}');
  }
  let offset = 0;
  const inputs = body.inputs.map((input, i): RawInput => {
    const at = `inputs[${i}]`;
    if (!isObj(input)) throw badRequest(`${at} must be an object {name, shape, datatype, data}, got ${describeValue(input)}`);
    if (typeof input.name !== 'string') throw badRequest(`${at}.name must be a string`);
    const label = `input '${input.name}'`;
    if (input.datatype === undefined) throw badRequest(`${label}: datatype is required`);
    if (input.shape === undefined) throw badRequest(`${label}: shape is required`);
    if (input.parameters !== undefined && !isObj(input.parameters)) throw badRequest(`${label}: parameters must be an object`);
    const size = isObj(input.parameters) ? input.parameters.binary_data_size : undefined;
    if (size !== undefined) {
      if (binary === undefined) throw badRequest(`${label}: binary_data_size needs the binary extension's Inference-Header-Content-Length header, saying how long the JSON part of the body is`);
      if (!Number.isSafeInteger(size) || (size as number) < 0) throw badRequest(`${label}: binary_data_size must be a non-negative integer, got ${describeValue(size)}`);
      if (input.data !== undefined) throw badRequest(`${label}: give its data as JSON or as binary_data_size bytes after the JSON, not both`);
      if (!isDatatype(input.datatype)) throw badRequest(`${label}: unknown datatype ${describeValue(input.datatype)}`);
      if (offset + (size as number) > binary.length) throw badRequest(`${label}: binary_data_size ${size} at byte ${offset} of the binary data runs past its end (${binary.length} bytes)`);
      const data = fromRaw(input.datatype, binary.subarray(offset, offset + (size as number)), label);
      offset += size as number;
      return { name: input.name, datatype: input.datatype, shape: input.shape, values: [], data };
    }
    if (input.data === undefined) throw badRequest(`${label}: data is required`);
    return { name: input.name, datatype: input.datatype, shape: input.shape, values: flattenNested(input.data, label).values };
  });
  if (binary !== undefined && offset !== binary.length) throw badRequest(`the body has ${binary.length - offset} bytes of binary data after the last input's (binary_data_size of the inputs adds up to ${offset})`);
  const request: V2Request = { inputs };
  if (isObj(body.parameters) && body.parameters.binary_data_output !== undefined) {
    if (typeof body.parameters.binary_data_output !== 'boolean') throw badRequest('parameters.binary_data_output must be true or false');
    if (body.parameters.binary_data_output) request.binaryOutputs = 'all';
  }
  if (body.id !== undefined) request.id = body.id as string;
  if (body.outputs !== undefined) {
    if (!Array.isArray(body.outputs)) throw badRequest('outputs must be a list of {name}');
    request.outputs = body.outputs.map((o, i) => {
      if (!isObj(o) || typeof o.name !== 'string') throw badRequest(`outputs[${i}] must be an object {name}`);
      const wanted = isObj(o.parameters) ? o.parameters.binary_data : undefined;
      if (wanted !== undefined && typeof wanted !== 'boolean') throw badRequest(`outputs[${i}].parameters.binary_data must be true or false`);
      if (wanted && request.binaryOutputs !== 'all') {
        const named = request.binaryOutputs ?? new Set<string>();
        named.add(o.name);
        request.binaryOutputs = named;
      }
      return o.name;
    });
  }
  return request;
}

/** The requested outputs, checked against the model: unknown names and non-tensor outputs are named. */
export function selectOutputs(requested: readonly string[] | undefined, signature: ModelSignature): string[] {
  const tensors = signature.outputs.map((o) => o.name);
  if (requested === undefined) return tensors;
  for (const name of requested) {
    if (signature.nonTensorOutputs.includes(name)) {
      throw badRequest(`output '${name}' is a sequence or map (e.g. skl2onnx's ZipMap), which onnxruntime-node cannot return; tensor outputs: ${tensors.join(', ')}`);
    }
    if (!tensors.includes(name)) throw badRequest(`unknown output ${describeValue(name)}; the model's outputs are ${signature.outputs.map(describeSpec).join(', ')}`);
  }
  return [...new Set(requested)];
}

/** {model_name, model_version, id, outputs: [{name, datatype, shape, data}]}, written directly: this runs for every request. */
export function v2Response(model: string, version: string, id: string, outputs: ReadonlyMap<string, HostTensor>, names: readonly string[]): string {
  const parts = names.map((name) => {
    const t = outputs.get(name) as HostTensor;
    return `{"name":${JSON.stringify(name)},"datatype":${JSON.stringify(t.datatype)},"shape":${JSON.stringify(t.shape)},"data":${encodeAll(t.datatype, t.data)}}`;
  });
  return `{"model_name":${JSON.stringify(model)},"model_version":${JSON.stringify(version)},"id":${JSON.stringify(id)},"outputs":[${parts.join(',')}]}`;
}

/**
 * The binary extension's answer: the JSON (outputs answered as binary carry binary_data_size and
 * no data) followed by their bytes in order; `headerLength` is the JSON's length in bytes.
 */
export function v2BinaryResponse(model: string, version: string, id: string, outputs: ReadonlyMap<string, HostTensor>, names: readonly string[], binary: 'all' | Set<string>): { body: Buffer; headerLength: number } {
  const blobs: Buffer[] = [];
  const parts = names.map((name) => {
    const t = outputs.get(name) as HostTensor;
    const head = `{"name":${JSON.stringify(name)},"datatype":${JSON.stringify(t.datatype)},"shape":${JSON.stringify(t.shape)}`;
    if (binary !== 'all' && !binary.has(name)) return `${head},"data":${encodeAll(t.datatype, t.data)}}`;
    const bytes = toRaw(t);
    blobs.push(bytes);
    return `${head},"parameters":{"binary_data_size":${bytes.length}}}`;
  });
  const json = Buffer.from(`{"model_name":${JSON.stringify(model)},"model_version":${JSON.stringify(version)},"id":${JSON.stringify(id)},"outputs":[${parts.join(',')}]}`);
  return { body: Buffer.concat([json, ...blobs]), headerLength: json.length };
}

const specJson = (s: TensorSpec) => ({ name: s.name, datatype: s.datatype, shape: s.shape });

export function v2ModelMetadata(name: string, versions: readonly string[], signature: ModelSignature): object {
  const metadata: Obj = {
    name,
    versions,
    platform: 'onnx_onnxv1',
    inputs: signature.inputs.map(specJson),
    outputs: signature.outputs.map(specJson),
  };
  if (signature.nonTensorOutputs.length > 0) metadata.parameters = { non_tensor_outputs: signature.nonTensorOutputs };
  return metadata;
}
