import { encodeAll, type HostTensor } from './dtypes';
import { badRequest } from './errors';
import { describeValue } from './json';
import type { ModelSignature, TensorSpec } from './sessions';
import { describeSpec, flattenNested, type RawInput } from './tensors';

/** Open Inference Protocol (KServe V2) REST, JSON form. The binary tensor extension is not supported. */

export interface V2Request {
  id?: string;
  inputs: RawInput[];
  /** Output names the caller asked for; all tensor outputs when absent. */
  outputs?: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Check the request's structure (the model-specific checks come later, in toHostTensors). */
export function parseV2Request(body: unknown): V2Request {
  if (!isObj(body)) throw badRequest(`the body must be a JSON object {"inputs": [...]}, got ${describeValue(body)}`);
  if (body.id !== undefined && typeof body.id !== 'string') throw badRequest(`id must be a string, got ${describeValue(body.id)}`);
  if (body.parameters !== undefined && !isObj(body.parameters)) throw badRequest('parameters must be an object');
  if (!Array.isArray(body.inputs) || body.inputs.length === 0) {
    throw badRequest('inputs must be a non-empty list of {name, shape, datatype, data}');
  }
  const inputs = body.inputs.map((input, i): RawInput => {
    const at = `inputs[${i}]`;
    if (!isObj(input)) throw badRequest(`${at} must be an object {name, shape, datatype, data}, got ${describeValue(input)}`);
    if (typeof input.name !== 'string') throw badRequest(`${at}.name must be a string`);
    const label = `input '${input.name}'`;
    if (input.datatype === undefined) throw badRequest(`${label}: datatype is required`);
    if (input.shape === undefined) throw badRequest(`${label}: shape is required`);
    if (input.data === undefined) throw badRequest(`${label}: data is required`);
    if (isObj(input.parameters) && input.parameters.binary_data_size !== undefined) {
      throw badRequest(`${label}: the binary tensor extension is not supported; send data as JSON`);
    }
    return { name: input.name, datatype: input.datatype, shape: input.shape, values: flattenNested(input.data, label).values };
  });
  const request: V2Request = { inputs };
  if (body.id !== undefined) request.id = body.id as string;
  if (body.outputs !== undefined) {
    if (!Array.isArray(body.outputs)) throw badRequest('outputs must be a list of {name}');
    request.outputs = body.outputs.map((o, i) => {
      if (!isObj(o) || typeof o.name !== 'string') throw badRequest(`outputs[${i}] must be an object {name}`);
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
