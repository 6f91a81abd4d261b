import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Deployment, DeploymentSet, LiveEndpoint, LiveVersion } from './deployment';
import type { HostTensor } from './dtypes';
import { RequestError, badRequest, notFound } from './errors';
import type { Metrics } from './metrics';
import { tensorsJson, type PredictionLog, type PredictionRecord } from './prediction-log';
import { mlflowMediaType, mlflowResponse, parseMlflowCsv, parseMlflowJson } from './protocol-mlflow';
import { parseV1Request, v1Response } from './protocol-v1';
import { parseV2Request, selectOutputs, v2BinaryResponse, v2Response } from './protocol-v2';
import { mirrorTarget, routeRequest } from './router';
import type { ModelSignature } from './sessions';
import { toHostTensors, type RawInput } from './tensors';

/** How a request came: REST in one of three forms, or the Open Inference Protocol over gRPC. */
export type Protocol = 'v2' | 'v1' | 'mlflow' | 'grpc';

/** What the HTTP side and the inference pipeline share. */
export interface ServingApp {
  deployments: DeploymentSet;
  log: PredictionLog;
  metrics: Metrics;
  /** The product version, for /version and server metadata. */
  version: string;
  /** Inputs are logged for this fraction of requests (0..1), and only up to maxBytes of JSON. */
  logInputs: { sample: number; maxBytes: number };
}

export interface InferenceRequest {
  protocol: Protocol;
  /** Undefined for MLflow's bare /invocations: the first endpoint in mlops.yaml. */
  endpoint?: string;
  /** A version id or alias from /versions/{v}/. */
  pinned?: string;
  body: Buffer;
  /** Decodes inputs a transport carried itself (gRPC's messages); the body is then not read. */
  decodeInputs?: () => Decoded;
  contentType?: string;
  headers: IncomingHttpHeaders;
  /** The client's x-request-id (already checked) or a new one; a V2 body's id takes precedence. */
  requestId: string;
  started: number;
}

export interface Reply {
  status: number;
  /** The encoded answer (empty for gRPC, which encodes `outputs` itself), or a JSON error. */
  body: string | Buffer;
  /** Headers the answer's form needs (the binary extension's). */
  headers?: Record<string, string>;
  requestId: string;
  version?: string;
  /** On success: the outputs answered, in the order asked for. */
  outputs?: Map<string, HostTensor>;
  /** A refusal's message, for transports that do not send the JSON body. */
  error?: string;
}

/**
 * A UUIDv7 (RFC 9562): unique like any UUID, but ordered by creation time, so the prediction log's
 * request_id index grows at its end instead of taking random inserts everywhere.
 */
export function newRequestId(): string {
  const now = Date.now();
  // Many requests share a millisecond: its part of the id is formatted once.
  if (now !== idMs) {
    idMs = now;
    const ms = now.toString(16).padStart(12, '0');
    idPrefix = `${ms.slice(0, 8)}-${ms.slice(8)}-7`;
  }
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx
  return idPrefix + random.slice(15, 18) + '-' + random.slice(19);
}
let idMs = -1;
let idPrefix = '';

/** Request ids are echoed in a header: printable ASCII only. */
const REQUEST_ID = /^[\x20-\x7e]{1,256}$/;
export const isValidRequestId = (id: string): boolean => REQUEST_ID.test(id);

export interface Decoded {
  inputs: RawInput[];
  id?: string;
  outputs?: string[];
  /** V2 REST's binary extension: outputs to answer as binary data. */
  binaryOutputs?: 'all' | Set<string>;
}

/**
 * Route, decode, check, run, encode, log; the reply is returned only after its log row is
 * journaled. A mirror version, if one is due, runs after the reply on the same deployment.
 */
export async function infer(app: ServingApp, request: InferenceRequest): Promise<Reply> {
  const deployment = app.deployments.acquire();
  let requestId = request.requestId;
  let endpointName = request.endpoint ?? deployment.config.endpoints[0]?.name ?? '';
  let endpoint: LiveEndpoint | undefined;
  let version: LiveVersion | undefined;
  let mirroring = false;
  /** Values that broke the input data set's expectations (`validate:`), logged with the request. */
  let violations = 0;
  const row = (status: number, error: string | null, inputs?: Map<string, HostTensor>, outputs?: Map<string, HostTensor>, cached = false) => {
    const record = predictionRow(app, { requestId, endpoint: endpointName.slice(0, 128), model: endpoint?.model.name ?? null, version: version?.id ?? null }, request, status, error, inputs, outputs, cached);
    if (violations > 0) record.violations = violations;
    return record;
  };
  try {
    endpoint = deployment.endpoints.get(endpointName);
    if (!endpoint) throw notFound(`unknown model ${JSON.stringify(endpointName)}; served: ${[...deployment.endpoints.keys()].join(', ')}`);
    version = pickVersion(deployment, endpoint, request);
    const session = version.session;
    if (!session) throw new RequestError(503, `version ${version.id} of model ${endpoint.model.name} is not loaded: ${version.error}`);
    const decoded = decode(request, session.signature);
    if (decoded.id !== undefined) {
      if (!isValidRequestId(decoded.id)) throw badRequest('id must be 1 to 256 printable ASCII characters (it is echoed in the x-request-id header)');
      requestId = decoded.id;
    }
    const fetch = request.protocol === 'v2' || request.protocol === 'grpc' ? selectOutputs(decoded.outputs, session.signature) : session.signature.outputs.map((o) => o.name);
    const inputs = toHostTensors(decoded.inputs, session.signature);
    if (endpoint.rows) {
      const checked = checkRows(app, endpoint, endpointName, version.id, inputs);
      violations = checked.count;
      if (checked.refusal) throw new RequestError(422, checked.refusal);
    }
    const answer = await run(deployment, endpoint, version, inputs);
    const outputs = pick(answer.outputs, fetch);
    const encoded = encode(request.protocol, endpointName, version.id, requestId, outputs, fetch, decoded.binaryOutputs);
    await commit(app, row(200, null, inputs, outputs, answer.cached));
    app.metrics.observe(endpointName, version.id, 200, performance.now() - request.started, false, request.protocol);
    const mirror = mirrorTarget(endpoint.config, version.id);
    if (mirror) {
      mirroring = true;
      setImmediate(() => void shadow(app, deployment, endpoint as LiveEndpoint, mirror, request, requestId).finally(() => app.deployments.release(deployment)));
    }
    // Fields spelt out, no spread: this runs for every request.
    const reply: Reply = { status: 200, body: encoded.body, requestId, version: version.id, outputs };
    if (encoded.headers) reply.headers = encoded.headers;
    return reply;
  } catch (error) {
    let refusal = asRefusal(error);
    try {
      await commit(app, row(refusal.status, refusal.message));
    } catch (logFailure) {
      // The refusal cannot be logged either: say why it was refused, then why it is not in the log.
      const unlogged = asRefusal(logFailure);
      refusal = unlogged.message === refusal.message ? unlogged : { ...unlogged, message: `${refusal.message} (not logged: ${unlogged.message})` };
    }
    app.metrics.observe(endpoint ? endpointName : 'unknown', version?.id ?? '', refusal.status, performance.now() - request.started, false, request.protocol);
    return { status: refusal.status, body: JSON.stringify({ error: refusal.message }), requestId, version: version?.id, error: refusal.message };
  } finally {
    if (!mirroring) app.deployments.release(deployment);
  }
}

/**
 * `validate:` — the inputs against the model's input data set's per-row expectations: violations are
 * counted; with `reject` the request is answered 422, naming the rows, columns and expectations.
 */
function checkRows(app: ServingApp, endpoint: LiveEndpoint, endpointName: string, version: string, inputs: Map<string, HostTensor>): { count: number; refusal?: string } {
  const violations = endpoint.rows!.check(inputs);
  if (violations.length === 0) return { count: 0 };
  app.metrics.countViolations(endpointName, version, violations);
  const validation = endpoint.config.validation!;
  if (validation.mode !== 'reject') return { count: violations.length };
  const shown = violations.slice(0, 5).map((v) => `${v.message} (${v.expectation})`).join('; ');
  return { count: violations.length, refusal: `the inputs break the expectations of data set ${JSON.stringify(validation.dataset)}: ${shown}${violations.length > 5 ? `; and ${violations.length - 5} more` : ''}` };
}

function pickVersion(deployment: Deployment, endpoint: LiveEndpoint, request: InferenceRequest): LiveVersion {
  if (request.pinned === undefined) return endpoint.versions.get(routeRequest(endpoint.config, request.headers).version) as LiveVersion;
  const version = deployment.version(endpoint, request.pinned);
  if (!version) throw notFound(`model ${JSON.stringify(endpoint.config.name)} has no version or alias ${JSON.stringify(request.pinned)}; versions: ${[...endpoint.versions.keys()].join(', ')}`);
  return version;
}

function decode(request: InferenceRequest, signature: ModelSignature): Decoded {
  if (request.decodeInputs) return request.decodeInputs();
  if (request.protocol === 'mlflow' && mlflowMediaType(request.contentType) === 'csv') {
    return { inputs: parseMlflowCsv(utf8(request.body), signature) };
  }
  if (request.protocol === 'v2') {
    const split = binaryExtension(request);
    return split ? parseV2Request(parseJson(split.json), split.binary) : parseV2Request(parseJson(request.body));
  }
  const body = parseJson(request.body);
  if (request.protocol === 'v1') return { inputs: parseV1Request(body, signature) };
  return { inputs: parseMlflowJson(body, signature) };
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function utf8(body: Buffer): string {
  try {
    return decoder.decode(body);
  } catch {
    throw badRequest('the body is not valid UTF-8');
  }
}

export function parseJson(body: Buffer): unknown {
  const text = utf8(body);
  if (text.trim() === '') throw badRequest('the body is empty; send a JSON object');
  // Checked before parsing: deeper values would only cost time here and stack further on.
  if (nestingExceeds(text, MAX_JSON_DEPTH)) throw badRequest(`the body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; no request needs that many`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`the body is not valid JSON: ${(error as Error).message}`);
  }
}

/** How deeply a request body may nest arrays and objects (a rank-8 tensor in a V2 request needs 12). */
export const MAX_JSON_DEPTH = 64;

/** Whether JSON text nests `[` and `{` deeper than `limit` (strings and their escapes skipped); stops at the first level too many. */
function nestingExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * Every tensor output of the version for these inputs: from the endpoint's cache when it has the
 * answer (`cached`), else from the session (and then kept there).
 */
function run(deployment: Deployment, endpoint: LiveEndpoint, version: LiveVersion, inputs: Map<string, HostTensor>): Promise<{ outputs: Map<string, HostTensor>; cached: boolean }> {
  if (endpoint.cache) return endpoint.cache.run(version.id, inputs, () => runSession(deployment, version, inputs));
  return runSession(deployment, version, inputs).then(uncached);
}

const uncached = (outputs: Map<string, HostTensor>) => ({ outputs, cached: false });

async function runSession(deployment: Deployment, version: LiveVersion, inputs: Map<string, HostTensor>): Promise<Map<string, HostTensor>> {
  try {
    return await deployment.infer(version, inputs);
  } catch (error) {
    // The inputs passed the signature check, so what onnxruntime still refuses (mismatched dynamic
    // dimensions, out-of-range indices) is about this request's values.
    throw badRequest(`the model could not run on this input: ${(error as Error).message.split('\n')[0]}`);
  }
}

function pick(outputs: Map<string, HostTensor>, names: readonly string[]): Map<string, HostTensor> {
  return new Map(names.map((n) => [n, outputs.get(n) as HostTensor]));
}

/** The binary extension's body split at Inference-Header-Content-Length: the JSON, then the tensors' bytes. */
function binaryExtension(request: InferenceRequest): { json: Buffer; binary: Buffer } | undefined {
  const header = request.headers['inference-header-content-length'];
  if (header === undefined) return undefined;
  const length = Number(header);
  if (typeof header !== 'string' || !/^\d+$/.test(header.trim()) || length > request.body.length) {
    throw badRequest(`Inference-Header-Content-Length must be the byte length of the JSON at the start of the body (at most ${request.body.length}), got ${JSON.stringify(header)}`);
  }
  return { json: request.body.subarray(0, length), binary: request.body.subarray(length) };
}

function encode(protocol: Protocol, endpoint: string, version: string, id: string, outputs: Map<string, HostTensor>, names: string[], binary?: 'all' | Set<string>): { body: string | Buffer; headers?: Record<string, string> } {
  if (protocol === 'grpc') return { body: '' };
  if (protocol === 'v2' && binary) {
    const { body, headerLength } = v2BinaryResponse(endpoint, version, id, outputs, names, binary);
    return { body, headers: { 'inference-header-content-length': String(headerLength), 'content-type': 'application/octet-stream' } };
  }
  if (protocol === 'v2') return { body: v2Response(endpoint, version, id, outputs, names) };
  return { body: protocol === 'v1' ? v1Response(outputs) : mlflowResponse(outputs) };
}

/** Shadow traffic: the same request on the mirror version; logged, measured, never answered. */
async function shadow(app: ServingApp, deployment: Deployment, endpoint: LiveEndpoint, versionId: string, request: InferenceRequest, requestId: string): Promise<void> {
  const version = endpoint.versions.get(versionId) as LiveVersion;
  const started = performance.now();
  const ids = { requestId, endpoint: endpoint.config.name, model: endpoint.model.name, version: versionId };
  let record: PredictionRecord;
  try {
    if (!version.session) throw new RequestError(503, `version ${versionId} is not loaded: ${version.error}`);
    const inputs = toHostTensors(decode(request, version.session.signature).inputs, version.session.signature);
    const answer = await run(deployment, endpoint, version, inputs);
    record = predictionRow(app, ids, { ...request, started }, 200, null, inputs, answer.outputs, answer.cached);
  } catch (error) {
    const refusal = asRefusal(error);
    record = predictionRow(app, ids, { ...request, started }, refusal.status, refusal.message);
  }
  record.mirrored = true;
  await app.log.record(record).catch(() => undefined);
  app.metrics.observe(endpoint.config.name, versionId, record.status, record.latencyMs, true);
}

function predictionRow(
  app: ServingApp,
  ids: { requestId: string; endpoint: string; model: string | null; version: string | null },
  request: InferenceRequest,
  status: number,
  error: string | null,
  inputs?: Map<string, HostTensor>,
  outputs?: Map<string, HostTensor>,
  cached = false,
): PredictionRecord {
  const sampled = inputs && Math.random() < app.logInputs.sample ? tensorsJson(inputs, app.logInputs.maxBytes) : undefined;
  // Fields spelt out: on this hot path `{ ...ids, ... }` costs microseconds per row in V8.
  return {
    requestId: ids.requestId,
    endpoint: ids.endpoint,
    model: ids.model,
    version: ids.version,
    time: Date.now(),
    protocol: request.protocol,
    inputs: sampled?.json ?? null,
    inputsBytes: sampled?.bytes ?? null,
    outputs: outputs ? tensorsJson(outputs, app.logInputs.maxBytes).json : null,
    latencyMs: performance.now() - request.started,
    status,
    error,
    mirrored: false,
    cached,
  };
}

/** Answer only what is in the log: a failed commit turns the reply into a 503. */
async function commit(app: ServingApp, record: PredictionRecord): Promise<void> {
  try {
    await app.log.record(record);
  } catch (error) {
    throw new RequestError(503, `the prediction log could not be written (${(error as Error).message}); the request was not answered`);
  }
}

export function asRefusal(error: unknown): RequestError {
  if (error instanceof RequestError) return error;
  return new RequestError(500, `internal error: ${error instanceof Error ? error.message : String(error)}`);
}

/** Feedback body {id, label} or {id, value}: the ground truth for an earlier prediction. */
export function parseFeedback(body: unknown): { id: string; label?: string | number | boolean; value?: number } {
  const b = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : undefined) as Record<string, unknown> | undefined;
  if (!b || typeof b.id !== 'string' || !isValidRequestId(b.id)) throw badRequest('feedback must be {"id": "<request id>", "label": ...} or {"id": ..., "value": <number>}');
  const { label, value } = b;
  if (label === undefined && value === undefined) throw badRequest('feedback needs label (classification) or value (regression)');
  if (label !== undefined && !['string', 'number', 'boolean'].includes(typeof label)) throw badRequest(`label must be a string, number or boolean, got ${JSON.stringify(label)}`);
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) throw badRequest(`value must be a finite number, got ${JSON.stringify(value)}`);
  return { id: b.id, label: label as string | number | boolean | undefined, value: value as number | undefined };
}
