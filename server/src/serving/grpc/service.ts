/**
 * The Open Inference Protocol over gRPC, on the same machinery as REST: requests go through
 * infer() (routing, split, sticky keys from metadata, mirror, pinned versions, batching, the
 * prediction log, metrics), and refusals carry REST's messages with the matching gRPC status.
 */
import { performance } from 'node:perf_hooks';
import { isDatatype, type Datatype, type HostTensor } from '../dtypes';
import { fromRaw, toRaw } from '../raw-tensors';
import { RequestError, badRequest, notFound } from '../errors';
import { authorized, primaryVersion, SERVER_EXTENSIONS, serverProblems } from '../http';
import { infer, newRequestId, type Decoded, type ServingApp } from '../inference';
import { v2ModelMetadata } from '../protocol-v2';
import type { RawInput } from '../tensors';
import type { CallMetadata, GrpcMethod, UnaryHandler } from './transport';

type Msg = Record<string, unknown>;
const EMPTY = Buffer.alloc(0);

/** The InferTensorContents field of each datatype (FP16 has none: raw contents only). */
const CONTENTS_FIELD: Partial<Record<Datatype, string>> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

export function grpcHandlers(app: ServingApp, tokenDigest: Buffer | undefined): Record<GrpcMethod, UnaryHandler> {
  const guard = (metadata: CallMetadata) => {
    if (tokenDigest && !authorized(metadata.authorization, tokenDigest)) throw new RequestError(401, 'missing or wrong bearer token: send the metadata authorization: Bearer <token>');
  };
  const endpointOf = (name: unknown) => {
    const endpoint = app.deployments.current.endpoints.get(String(name ?? ''));
    if (!endpoint) throw notFound(`unknown model ${JSON.stringify(name ?? '')}; served: ${[...app.deployments.current.endpoints.keys()].join(', ')}`);
    return endpoint;
  };
  const versionOf = (request: Msg) => {
    const endpoint = endpointOf(request.name);
    const id = typeof request.version === 'string' && request.version !== '' ? request.version : primaryVersion(endpoint);
    const version = app.deployments.current.version(endpoint, id);
    if (!version) throw notFound(`model ${JSON.stringify(endpoint.config.name)} has no version or alias ${JSON.stringify(id)}`);
    return { endpoint, version };
  };
  return {
    ServerLive: async (_request, metadata) => (guard(metadata), { reply: { live: true } }),
    ServerReady: async (_request, metadata) => (guard(metadata), { reply: { ready: serverProblems(app).length === 0 } }),
    ServerMetadata: async (_request, metadata) => (guard(metadata), { reply: { name: 'mlops-workbench', version: app.version, extensions: SERVER_EXTENSIONS } }),
    ModelReady: async (request, metadata) => {
      guard(metadata);
      const { endpoint, version } = versionOf(request);
      const pinned = typeof request.version === 'string' && request.version !== '';
      const problems = pinned ? (version.session ? [] : [version.error]) : app.deployments.current.problems(endpoint);
      return { reply: { ready: problems.length === 0 } };
    },
    ModelMetadata: async (request, metadata) => {
      guard(metadata);
      const { endpoint, version } = versionOf(request);
      if (!version.session) throw new RequestError(503, `version ${version.id} of model ${endpoint.model.name} is not loaded: ${version.error}`);
      return { reply: v2ModelMetadata(endpoint.config.name, [...endpoint.versions.keys()], version.session.signature) as Msg, metadata: { 'x-model-version': version.id } };
    },
    ModelInfer: async (request, metadata) => {
      guard(metadata);
      const started = performance.now();
      let raw = false;
      const reply = await infer(app, {
        protocol: 'grpc',
        endpoint: String(request.model_name ?? ''),
        pinned: typeof request.model_version === 'string' && request.model_version !== '' ? request.model_version : undefined,
        body: EMPTY,
        decodeInputs: () => {
          const decoded = decodeInferRequest(request);
          raw = decoded.raw;
          return decoded;
        },
        headers: metadata,
        requestId: newRequestId(),
        started,
      });
      if (reply.status !== 200 || !reply.outputs) throw new RequestError(reply.status, reply.error ?? 'the request was not answered');
      const id = typeof request.id === 'string' && request.id !== '' ? request.id : reply.requestId;
      return { reply: inferResponse(String(request.model_name), reply.version ?? '', id, reply.outputs, raw), metadata: { 'x-request-id': reply.requestId, 'x-model-version': reply.version ?? '' } };
    },
  };
}

/** A ModelInferRequest as the pipeline's decoded inputs; `raw` when they came as raw_input_contents. */
export function decodeInferRequest(request: Msg): Decoded & { raw: boolean } {
  const inputs = Array.isArray(request.inputs) ? (request.inputs as Msg[]) : [];
  if (inputs.length === 0) throw badRequest('inputs must be a non-empty list of tensors {name, datatype, shape, contents}');
  const raw = Array.isArray(request.raw_input_contents) ? (request.raw_input_contents as Buffer[]) : [];
  if (raw.length > 0 && raw.length !== inputs.length) throw badRequest(`raw_input_contents has ${raw.length} entries for ${inputs.length} inputs: give one per input, in the order of inputs`);
  const outputs = Array.isArray(request.outputs) && request.outputs.length > 0 ? (request.outputs as Msg[]).map((o) => String(o.name ?? '')) : undefined;
  const decoded: Decoded & { raw: boolean } = { inputs: inputs.map((t, i) => inputOf(t, raw.length > 0 ? raw[i] : undefined)), raw: raw.length > 0 };
  if (typeof request.id === 'string' && request.id !== '') decoded.id = request.id;
  if (outputs) decoded.outputs = outputs;
  return decoded;
}

function inputOf(tensor: Msg, raw: Buffer | undefined): RawInput {
  const name = String(tensor.name ?? '');
  const label = `input '${name}'`;
  const datatype = tensor.datatype;
  if (typeof datatype !== 'string' || datatype === '') throw badRequest(`${label}: datatype is required`);
  // int64 dimensions arrive as decimal strings: anything but a safe non-negative integer is refused later, by name.
  const shape = (Array.isArray(tensor.shape) ? tensor.shape : []).map((d) => Number(d));
  const contents = (tensor.contents ?? null) as Msg | null;
  const filled = contents ? Object.entries(contents).filter(([, v]) => Array.isArray(v) && v.length > 0).map(([k]) => k) : [];
  if (raw) {
    if (filled.length > 0) throw badRequest(`${label}: its data is in both contents and raw_input_contents; give one`);
    if (!isDatatype(datatype)) throw badRequest(`${label}: unknown datatype ${JSON.stringify(datatype)}`);
    return { name, datatype, shape, values: [], data: fromRaw(datatype, raw, label) };
  }
  if (!isDatatype(datatype)) return { name, datatype, shape, values: [] };
  const field = CONTENTS_FIELD[datatype];
  if (!field) throw badRequest(`${label}: ${datatype} data has no typed contents field; send it in raw_input_contents (little-endian)`);
  const wrong = filled.find((f) => f !== field);
  if (wrong) throw badRequest(`${label}: ${datatype} data goes in contents.${field}, not contents.${wrong}`);
  const values = (contents?.[field] as unknown[] | undefined) ?? [];
  return { name, datatype, shape, values: datatype === 'BYTES' ? values.map((b) => Buffer.from(b as Uint8Array).toString('utf8')) : values };
}

/** The response: raw little-endian outputs when the inputs came raw (or an output is FP16), typed contents otherwise. */
function inferResponse(model: string, version: string, id: string, outputs: Map<string, HostTensor>, raw: boolean): Msg {
  const asRaw = raw || [...outputs.values()].some((t) => t.datatype === 'FP16');
  const tensors: Msg[] = [];
  const rawContents: Buffer[] = [];
  for (const [name, t] of outputs) {
    const tensor: Msg = { name, datatype: t.datatype, shape: t.shape };
    if (asRaw) rawContents.push(toRaw(t));
    else tensor.contents = { [CONTENTS_FIELD[t.datatype] as string]: typedValues(t) };
    tensors.push(tensor);
  }
  return { model_name: model, model_version: version, id, outputs: tensors, raw_output_contents: rawContents };
}

function typedValues(t: HostTensor): unknown[] {
  if (t.datatype === 'BYTES') return (t.data as string[]).map((s) => Buffer.from(s, 'utf8'));
  if (t.datatype === 'BOOL') return Array.from(t.data as Uint8Array, (v) => v !== 0);
  if (t.datatype === 'INT64' || t.datatype === 'UINT64') return Array.from(t.data as BigInt64Array, (v) => v.toString());
  return Array.from(t.data as Float32Array);
}
