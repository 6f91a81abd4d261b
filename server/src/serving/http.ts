import { createHash, timingSafeEqual } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { PredictionCache } from './cache';
import type { LiveEndpoint } from './deployment';
import { RequestError, badRequest, notFound } from './errors';
import { asRefusal, infer, isValidRequestId, newRequestId, parseFeedback, parseJson, type Protocol, type ServingApp } from './inference';
import { v2ModelMetadata } from './protocol-v2';
import type { ExternalSample } from './metrics';

export interface HttpOptions {
  /** Required on every request when set: `Authorization: Bearer <token>`. */
  token?: string;
  maxBodyBytes: number;
}

interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  started: number;
}

/** Beyond this many bytes past the limit an oversized body is no longer drained: the connection is cut. */
const DRAIN_FACTOR = 16;

const JSON_TYPE = 'application/json; charset=utf-8';

/** The request handler for node:http: routes, auth, body limits, and JSON errors that say what was wrong. */
export function createHandler(app: ServingApp, options: HttpOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const tokenDigest = options.token === undefined ? undefined : sha256(options.token);
  return (req, res) => {
    const started = performance.now();
    const header = req.headers['x-request-id'];
    const clientId = typeof header === 'string' && isValidRequestId(header) ? header : undefined;
    const call: Call = { req, res, requestId: clientId ?? newRequestId(), started };
    handle(app, options, tokenDigest, call, clientId).catch((error) => {
      const refusal = asRefusal(error);
      sendJson(call, refusal.status, JSON.stringify({ error: refusal.message }), refusal.status === 413 ? { connection: 'close' } : {});
    });
  };
}

async function handle(app: ServingApp, options: HttpOptions, tokenDigest: Buffer | undefined, call: Call, clientId: string | undefined): Promise<void> {
  const { req } = call;
  if (tokenDigest && !authorized(req.headers.authorization, tokenDigest)) {
    call.res.setHeader('www-authenticate', 'Bearer');
    throw new RequestError(401, 'missing or wrong bearer token: send Authorization: Bearer <token>');
  }
  if (req.headers['x-request-id'] !== undefined && clientId === undefined) {
    throw badRequest('x-request-id must be 1 to 256 printable ASCII characters');
  }
  // Not new URL(): a path such as //x would parse as a host. Only the path matters here.
  const pathname = (req.url ?? '/').split(/[?#]/)[0];
  const segments = pathname.split('/').filter((s) => s !== '').map(decodeSegment);
  const method = req.method ?? 'GET';
  const route = match(method, segments);
  if (!route) throw notFound(`no route for ${method} ${pathname}`);
  if (route.kind === 'wrong-method') {
    call.res.setHeader('allow', route.allow);
    throw new RequestError(405, `${pathname} takes ${route.allow}, not ${method}`);
  }
  if (route.kind === 'infer') {
    const body = await readBody(req, options.maxBodyBytes);
    const { protocol, endpoint, pinned } = route.target;
    const reply = await infer(app, { protocol, endpoint, pinned, body, contentType: req.headers['content-type'], headers: req.headers, requestId: call.requestId, started: call.started });
    call.requestId = reply.requestId;
    const headers: Record<string, string> = reply.version === undefined ? {} : { 'x-model-version': reply.version };
    if (reply.headers) {
      const { 'content-type': type, ...rest } = reply.headers;
      send(call, reply.status, reply.body, type ?? JSON_TYPE, Object.assign(headers, rest));
    } else sendJson(call, reply.status, reply.body, headers);
    return;
  }
  await answerOther(app, call, route);
}

type Route =
  | { kind: 'infer'; target: { protocol: Protocol; endpoint?: string; pinned?: string } }
  | { kind: 'wrong-method'; allow: string }
  | { kind: 'live' | 'ready' | 'server' | 'metrics' | 'stats' | 'ping' | 'version' }
  | { kind: 'model' | 'model-ready' | 'v1-model'; endpoint: string; pinned?: string }
  | { kind: 'feedback'; endpoint: string };

/** URL → route. GET routes answered to POST (and the reverse) get a 405 naming the right method. */
function match(method: string, s: string[]): Route | undefined {
  const get = (route: Route): Route => (method === 'GET' || method === 'HEAD' ? route : { kind: 'wrong-method', allow: 'GET' });
  const post = (route: Route): Route => (method === 'POST' ? route : { kind: 'wrong-method', allow: 'POST' });
  const path = s.join('/');
  if (path === 'v2/health/live') return get({ kind: 'live' });
  if (path === 'v2/health/ready') return get({ kind: 'ready' });
  if (path === 'v2') return get({ kind: 'server' });
  if (path === 'metrics') return get({ kind: 'metrics' });
  if (path === 'mlops/stats') return get({ kind: 'stats' });
  if (path === 'ping' || path === 'health') return get({ kind: 'ping' });
  if (path === 'version') return get({ kind: 'version' });
  if (path === 'invocations') return post({ kind: 'infer', target: { protocol: 'mlflow' } });
  if (s.length === 3 && s[0] === 'endpoints' && s[2] === 'invocations') return post({ kind: 'infer', target: { protocol: 'mlflow', endpoint: s[1] } });
  if (s[0] === 'v1' && s[1] === 'models' && s.length === 3) {
    const predict = /^(.+):predict$/.exec(s[2]);
    return predict ? post({ kind: 'infer', target: { protocol: 'v1', endpoint: predict[1] } }) : get({ kind: 'v1-model', endpoint: s[2] });
  }
  if (s[0] !== 'v2' || s[1] !== 'models' || s.length < 3) return undefined;
  const endpoint = s[2];
  const pinned = s[3] === 'versions' && s.length >= 5 ? s[4] : undefined;
  const rest = s.slice(pinned === undefined ? 3 : 5).join('/');
  if (pinned === undefined && s[3] === 'versions') return undefined;
  if (rest === '') return get({ kind: 'model', endpoint, pinned });
  if (rest === 'ready') return get({ kind: 'model-ready', endpoint, pinned });
  if (rest === 'infer') return post({ kind: 'infer', target: { protocol: 'v2', endpoint, pinned } });
  if (rest === 'feedback' && pinned === undefined) return post({ kind: 'feedback', endpoint });
  return undefined;
}

async function answerOther(app: ServingApp, call: Call, route: Exclude<Route, { kind: 'infer' | 'wrong-method' }>): Promise<void> {
  const deployment = app.deployments.current;
  const problems = () => serverProblems(app);
  const endpointOf = (name: string): LiveEndpoint => {
    const endpoint = deployment.endpoints.get(name);
    if (!endpoint) throw notFound(`unknown model ${JSON.stringify(name)}; served: ${[...deployment.endpoints.keys()].join(', ')}`);
    return endpoint;
  };
  switch (route.kind) {
    case 'live':
      return sendJson(call, 200, JSON.stringify({ live: true }));
    case 'ready': {
      const p = problems();
      return sendJson(call, p.length === 0 ? 200 : 503, JSON.stringify(p.length === 0 ? { ready: true } : { ready: false, error: p.join('; ') }));
    }
    case 'ping':
      return sendText(call, problems().length === 0 ? 200 : 503, '\n');
    case 'version':
      return sendText(call, 200, app.version);
    case 'server':
      return sendJson(call, 200, JSON.stringify({ name: 'mlops-workbench', version: app.version, extensions: SERVER_EXTENSIONS }));
    case 'metrics':
      return sendText(call, 200, app.metrics.render(externalSamples(app)), 'text/plain; version=0.0.4; charset=utf-8');
    case 'stats':
      return sendJson(call, 200, JSON.stringify({ endpoints: describeEndpoints(app), series: app.metrics.snapshot(), memory: process.memoryUsage(), pending: app.log.pending }));
    case 'feedback': {
      const endpoint = endpointOf(route.endpoint);
      const feedback = parseFeedback(parseJson(await readBody(call.req, 64 * 1024)));
      const { matched } = await app.log.feedback({ requestId: feedback.id, endpoint: endpoint.config.name, label: feedback.label, value: feedback.value });
      return sendJson(call, 200, JSON.stringify({ id: feedback.id, matched }));
    }
    case 'v1-model': {
      const endpoint = endpointOf(route.endpoint);
      return sendJson(call, 200, JSON.stringify({ name: endpoint.config.name, ready: deployment.problems(endpoint).length === 0 }));
    }
    case 'model':
    case 'model-ready': {
      const endpoint = endpointOf(route.endpoint);
      const id = route.pinned ?? primaryVersion(endpoint);
      const version = deployment.version(endpoint, id);
      if (!version) throw notFound(`model ${JSON.stringify(route.endpoint)} has no version or alias ${JSON.stringify(id)}`);
      const headers = { 'x-model-version': version.id };
      if (route.kind === 'model-ready') {
        const problem = route.pinned === undefined ? deployment.problems(endpoint) : version.session ? [] : [`version ${version.id} is not loaded: ${version.error}`];
        const body = problem.length === 0 ? { name: endpoint.config.name, ready: true } : { name: endpoint.config.name, ready: false, error: problem.join('; ') };
        return sendJson(call, problem.length === 0 ? 200 : 503, JSON.stringify(body), headers);
      }
      if (!version.session) throw new RequestError(503, `version ${version.id} of model ${endpoint.model.name} is not loaded: ${version.error}`);
      return sendJson(call, 200, JSON.stringify(v2ModelMetadata(endpoint.config.name, [...endpoint.versions.keys()], version.session.signature)), headers);
    }
  }
}

/** Protocol extensions the server speaks (in server metadata, REST and gRPC alike). */
export const SERVER_EXTENSIONS = ['binary_tensor_data'];

/** Why the server is not ready; none when it is. A log that can no longer keep rows makes it unready: it would refuse every inference. */
export function serverProblems(app: ServingApp): string[] {
  const deployment = app.deployments.current;
  return [...(app.log.problem ? [app.log.problem] : []), ...[...deployment.endpoints.values()].flatMap((e) => deployment.problems(e))];
}

/** The version with the largest traffic share: what unpinned metadata describes. */
export function primaryVersion(endpoint: LiveEndpoint): string {
  return [...endpoint.config.traffic].sort((a, b) => b.percent - a.percent)[0]?.version ?? [...endpoint.versions.keys()][0];
}

export interface EndpointSummary {
  name: string;
  model: string;
  traffic: Record<string, number>;
  versions: { id: string; loaded: boolean; error?: string; batching: boolean }[];
  sticky?: string;
  mirror?: { version: string; percent: number };
  /** The prediction cache's bounds and what it holds now (emptied by each reload). */
  cache?: { maxEntries: number; maxBytes: number; ttlSeconds?: number; entries: number; bytes: number };
}

export function describeEndpoints(app: ServingApp): EndpointSummary[] {
  return [...app.deployments.current.endpoints.values()].map((e) => ({
    name: e.config.name,
    model: e.model.name,
    traffic: Object.fromEntries(e.config.traffic.map((t) => [t.version, t.percent])),
    versions: [...e.versions.values()].map((v) => ({ id: v.id, loaded: v.session !== undefined, ...(v.error ? { error: v.error } : {}), batching: v.batcher !== undefined })),
    ...(e.config.stickyHeader ? { sticky: `header:${e.config.stickyHeader}` } : {}),
    ...(e.config.mirror ? { mirror: e.config.mirror } : {}),
    ...(e.cache ? { cache: cacheSummary(e.cache) } : {}),
  }));
}

function cacheSummary(cache: PredictionCache): EndpointSummary['cache'] {
  const { maxEntries, maxBytes, ttlMs } = cache.limits;
  return { maxEntries, maxBytes, ...(ttlMs === undefined ? {} : { ttlSeconds: ttlMs / 1000 }), entries: cache.entries, bytes: cache.bytes };
}

function externalSamples(app: ServingApp): ExternalSample[] {
  const samples: ExternalSample[] = [];
  for (const e of app.deployments.current.endpoints.values()) {
    if (e.cache) {
      const labels = { endpoint: e.config.name };
      samples.push({ name: 'mlops_cache_entries', type: 'gauge', help: "Entries in the endpoint's prediction cache (emptied by each reload).", labels, value: e.cache.entries });
      samples.push({ name: 'mlops_cache_bytes', type: 'gauge', help: "Estimated bytes the endpoint's prediction cache holds: keys, tensors and bookkeeping (at most its max_bytes).", labels, value: e.cache.bytes });
    }
    for (const v of e.versions.values()) {
      const labels = { endpoint: e.config.name, version: v.id };
      samples.push({ name: 'mlops_model_loaded', type: 'gauge', help: 'Whether the version has a live session (1) or failed to load (0).', labels, value: v.session ? 1 : 0 });
      if (v.session) samples.push({ name: 'mlops_session_runs_total', type: 'counter', help: 'session.run calls made for the version (batching makes these fewer than requests).', labels, value: v.session.runsFor(v.caller) });
    }
  }
  samples.push({ name: 'mlops_prediction_log_pending', type: 'gauge', help: 'Prediction log rows not yet in the predictions table (journaled, or queued for the journal).', labels: {}, value: app.log.pending });
  return samples;
}

/**
 * The body, up to `limit` bytes. A larger one is drained (so the client can read the 413 rather than
 * see its upload cut), unless it is far larger still.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new RequestError(413, `the body is larger than the limit of ${limit} bytes`);
    const declared = Number(req.headers['content-length']);
    if (declared > limit * DRAIN_FACTOR) {
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > limit * DRAIN_FACTOR) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge());
      }
    });
    req.on('end', () => (size > limit ? reject(tooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function decodeSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`the URL segment ${JSON.stringify(segment)} is not valid percent-encoding`);
  }
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Compares digests in constant time, so response timing says nothing about the token. */
export function authorized(header: string | undefined, tokenDigest: Buffer): boolean {
  const match = /^Bearer (.+)$/i.exec(header ?? '');
  return match !== null && timingSafeEqual(sha256(match[1]), tokenDigest);
}

function sendJson(call: Call, status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
  send(call, status, body, JSON_TYPE, headers);
}

function sendText(call: Call, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  send(call, status, body, type, {});
}

function send(call: Call, status: number, body: string | Buffer, type: string, headers: Record<string, string>): void {
  const { res } = call;
  if (res.headersSent || res.destroyed) return;
  // Not `{ ...headers, 'content-type': ... }`: in V8 that literal costs microseconds per response.
  const all: Record<string, string | number> = Object.assign({}, headers);
  all['content-type'] = type;
  all['content-length'] = Buffer.byteLength(body);
  all['x-request-id'] = call.requestId;
  res.writeHead(status, all);
  res.end(call.req.method === 'HEAD' ? undefined : body);
}

/** Node's HTTP parser errors, as a client can be told them. */
const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'the request line and headers are larger than 16 KiB; send long inputs in the body'],
  HPE_UNEXPECTED_CONTENT_LENGTH: [400, 'malformed HTTP: a Content-Length the request cannot have (with Transfer-Encoding, or twice)'],
  HPE_INVALID_CONTENT_LENGTH: [400, 'malformed HTTP: the Content-Length is not a valid length, or is given twice'],
  HPE_INVALID_CHUNK_SIZE: [400, 'malformed HTTP: a chunk size of the chunked body is not valid'],
  HPE_INVALID_TRANSFER_ENCODING: [400, 'malformed HTTP: the Transfer-Encoding is not valid'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'the request took too long to arrive'],
};

/**
 * A request node's parser refuses (garbage bytes, a bad chunked body, a URL over the header limit)
 * gets a JSON error like every other refusal, wherever the socket can still take one.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable || (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, message] = CLIENT_ERRORS[error.code ?? ''] ?? [400, `malformed HTTP: ${error.message.replace(/^Parse Error: /, '')}`];
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
