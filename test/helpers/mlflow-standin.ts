import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { statSync } from 'node:fs';
import { latestMetrics, type MetricPoint, type RunRecord, type TrackingSnapshot } from '../../server/src/tracking/model';
import { readFileStore } from '../../server/src/tracking/mlflow-files';
import { readMlflowDatabase } from '../../server/src/tracking/mlflow-sqlite';

/**
 * A stand-in for an MLflow tracking server: the read side of MLflow's documented REST API 2.0,
 * serving what a real MLflow store holds (read with this project's readers). JSON shapes, paging
 * with opaque page tokens, view types and error JSON `{error_code, message}` follow
 * https://mlflow.org/docs/latest/rest-api.html. Used by the tests and, for trying remote
 * tracking by hand, by `npm run mlflow-standin -- <mlruns folder or mlflow.db>`.
 */

export interface StandinOptions {
  snapshot: TrackingSnapshot;
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** The most items a page holds, whatever max_results asks (to exercise paging). */
  maxPageSize?: number;
  /** The same for metrics/get-history pages; default maxPageSize. */
  maxHistoryPageSize?: number;
  port?: number;
  host?: string;
}

export interface Standin {
  url: string;
  /** Requests served, by API path (e.g. "runs/search"). */
  requests: Map<string, number>;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Read an MLflow file store (`mlruns/`) or SQLite database (`*.db`). */
export function readStore(path: string): TrackingSnapshot {
  return statSync(path).isDirectory() ? readFileStore(path) : readMlflowDatabase(path);
}

export async function startMlflowStandin(options: StandinOptions): Promise<Standin> {
  const requests = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    void handle(req, res, options, requests).catch((error: unknown) => send(res, 500, { error_code: 'INTERNAL_ERROR', message: String(error) }));
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: StandinOptions, requests: Map<string, number>): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://standin');
  const path = url.pathname.replace(/^\/api\/2\.0\/mlflow\//, '');
  try {
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      res.setHeader('www-authenticate', 'Bearer');
      throw new ApiError(401, 'UNAUTHENTICATED', 'You are not authenticated: send Authorization: Bearer <token>.');
    }
    const body = req.method === 'POST' ? await readJson(req) : Object.fromEntries(url.searchParams);
    const route = ROUTES[`${req.method} ${path}`];
    if (!url.pathname.startsWith('/api/2.0/mlflow/') || !route) throw new ApiError(404, 'ENDPOINT_NOT_FOUND', `No API endpoint ${req.method} ${url.pathname}`);
    requests.set(path, (requests.get(path) ?? 0) + 1);
    send(res, 200, route(body, options, url.searchParams));
  } catch (error) {
    if (error instanceof ApiError) send(res, error.status, { error_code: error.code, message: error.message });
    else throw error;
  }
}

type Route = (body: Json, options: StandinOptions, query: URLSearchParams) => Json;

const ROUTES: Record<string, Route> = {
  'POST experiments/search': searchExperiments,
  'GET experiments/search': searchExperiments,
  'POST runs/search': searchRuns,
  'GET metrics/get-history': getHistory,
  'GET registered-models/search': searchRegisteredModels,
  'GET model-versions/search': searchModelVersions,
};

function searchExperiments(body: Json, options: StandinOptions): Json {
  const view = viewType(body.view_type, 'ACTIVE_ONLY');
  const experiments = options.snapshot.experiments
    .filter((e) => matchesView(e.lifecycleStage, view))
    .sort((a, b) => (b.lastUpdateTime ?? b.creationTime ?? 0) - (a.lastUpdateTime ?? a.creationTime ?? 0) || Number(a.experimentId) - Number(b.experimentId))
    .map((e) => ({
      experiment_id: e.experimentId,
      name: e.name,
      artifact_location: e.artifactLocation ?? '',
      lifecycle_stage: e.lifecycleStage,
      ...(e.lastUpdateTime !== null ? { last_update_time: e.lastUpdateTime } : {}),
      ...(e.creationTime !== null ? { creation_time: e.creationTime } : {}),
      tags: keyValues(e.tags),
    }));
  return page('experiments', experiments, body, options, 1000);
}

function searchRuns(body: Json, options: StandinOptions): Json {
  const ids = body.experiment_ids;
  if (!Array.isArray(ids)) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', 'experiment_ids must be a list of experiment ids');
  const wanted = new Set(ids.map(String));
  const view = viewType(body.run_view_type, 'ACTIVE_ONLY');
  // MLflow's default order: newest first, then run id.
  const runs = options.snapshot.runs
    .filter((r) => wanted.has(r.experimentId) && matchesView(r.lifecycleStage, view))
    .sort((a, b) => (b.startTime ?? 0) - (a.startTime ?? 0) || (a.runId < b.runId ? -1 : 1))
    .map(runJson);
  return page('runs', runs, body, options, 1000);
}

function getHistory(body: Json, options: StandinOptions): Json {
  const runId = String(body.run_id ?? body.run_uuid ?? '');
  const key = body.metric_key;
  if (!runId || typeof key !== 'string') throw new ApiError(400, 'INVALID_PARAMETER_VALUE', 'run_id and metric_key are required');
  const run = options.snapshot.runs.find((r) => r.runId === runId);
  if (!run) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${runId}' not found`);
  const points = run.metrics
    .filter((m) => m.key === key)
    .sort((a, b) => a.timestamp - b.timestamp || a.step - b.step)
    .map(metricJson);
  // Without max_results MLflow answers with the whole history in one page.
  if (body.max_results === undefined && body.page_token === undefined) return { metrics: points };
  return page('metrics', points, body, { ...options, maxPageSize: options.maxHistoryPageSize ?? options.maxPageSize }, 25000);
}

function searchRegisteredModels(body: Json, options: StandinOptions): Json {
  const models = [...options.snapshot.registeredModels]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((m) => ({
      name: m.name,
      ...(m.creationTime !== null ? { creation_timestamp: m.creationTime } : {}),
      ...(m.lastUpdatedTime !== null ? { last_updated_timestamp: m.lastUpdatedTime } : {}),
      ...(m.description ? { description: m.description } : {}),
      latest_versions: latestVersions(m.versions).map(versionJson),
      tags: keyValues(m.tags),
      aliases: Object.entries(m.aliases)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([alias, version]) => ({ alias, version })),
    }));
  return page('registered_models', models, body, options, 100);
}

function searchModelVersions(body: Json, options: StandinOptions): Json {
  const filter = typeof body.filter === 'string' ? body.filter.trim() : '';
  let name: string | undefined;
  if (filter !== '') {
    const match = /^name\s*=\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")$/.exec(filter);
    if (!match) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Unsupported filter '${filter}': the stand-in understands name='<model>'`);
    name = (match[1] ?? match[2]).replace(/\\(.)/g, '$1');
  }
  const versions = options.snapshot.registeredModels
    .filter((m) => name === undefined || m.name === name)
    .flatMap((m) =>
      m.versions.map((v) => ({
        ...v,
        aliases: Object.keys(m.aliases)
          .filter((a) => m.aliases[a] === v.version)
          .sort(),
      })),
    )
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : Number(b.version) - Number(a.version)))
    .map(versionJson);
  return page('model_versions', versions, body, options, 200_000);
}

// ---- shapes

function runJson(run: RunRecord): Json {
  return {
    info: {
      run_id: run.runId,
      run_uuid: run.runId,
      run_name: run.name,
      experiment_id: run.experimentId,
      ...(run.userId !== null ? { user_id: run.userId } : {}),
      status: run.status,
      ...(run.startTime !== null ? { start_time: run.startTime } : {}),
      ...(run.endTime !== null ? { end_time: run.endTime } : {}),
      artifact_uri: run.artifactUri ?? '',
      lifecycle_stage: run.lifecycleStage,
    },
    data: {
      metrics: [...latestMetrics(run.metrics).values()].sort((a, b) => (a.key < b.key ? -1 : 1)).map(metricJson),
      params: keyValues(run.params),
      tags: keyValues(run.tags),
    },
    inputs: {},
  };
}

function metricJson(m: MetricPoint): Json {
  return { key: m.key, value: Number.isFinite(m.value) ? m.value : String(m.value), timestamp: m.timestamp, step: m.step };
}

function versionJson(v: TrackingSnapshot['registeredModels'][number]['versions'][number]): Json {
  return {
    name: v.name,
    version: v.version,
    ...(v.creationTime !== null ? { creation_timestamp: v.creationTime } : {}),
    ...(v.lastUpdatedTime !== null ? { last_updated_timestamp: v.lastUpdatedTime } : {}),
    current_stage: v.stage,
    ...(v.description ? { description: v.description } : {}),
    ...(v.source !== null ? { source: v.source } : {}),
    ...(v.runId !== null ? { run_id: v.runId } : {}),
    ...(v.status !== null ? { status: v.status } : {}),
    tags: keyValues(v.tags),
    aliases: v.aliases,
  };
}

function latestVersions(versions: TrackingSnapshot['registeredModels'][number]['versions']) {
  const byStage = new Map<string, (typeof versions)[number]>();
  for (const v of versions) {
    const current = byStage.get(v.stage);
    if (!current || Number(v.version) > Number(current.version)) byStage.set(v.stage, v);
  }
  return [...byStage.values()];
}

function keyValues(map: Record<string, string>): { key: string; value: string }[] {
  return Object.entries(map)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, value]) => ({ key, value }));
}

// ---- paging, view types, transport

/** A page of `items`; the token is opaque to clients (base64 of the offset, as MLflow's SQL store does). */
function page(field: string, items: Json[], body: Json, options: StandinOptions, defaultMax: number): Json {
  const max = body.max_results === undefined ? defaultMax : Number(body.max_results);
  if (!Number.isInteger(max) || max < 1 || max > 50_000)
    throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid value ${String(body.max_results)} for parameter 'max_results'`);
  let offset = 0;
  if (body.page_token !== undefined && body.page_token !== '') {
    try {
      offset = (JSON.parse(Buffer.from(String(body.page_token), 'base64').toString('utf8')) as { offset: number }).offset;
    } catch {
      offset = NaN;
    }
    if (!Number.isInteger(offset) || offset < 0) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', 'Invalid page token, could not base64-decode');
  }
  const size = Math.min(max, options.maxPageSize ?? max);
  const slice = items.slice(offset, offset + size);
  const next = offset + size < items.length ? Buffer.from(JSON.stringify({ offset: offset + size })).toString('base64') : undefined;
  return { [field]: slice, ...(next ? { next_page_token: next } : {}) };
}

function viewType(value: unknown, fallback: string): string {
  const view = value === undefined ? fallback : String(value);
  const byNumber: Record<string, string> = { '1': 'ACTIVE_ONLY', '2': 'DELETED_ONLY', '3': 'ALL' };
  const name = byNumber[view] ?? view;
  if (!['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'].includes(name)) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid view type '${view}'`);
  return name;
}

function matchesView(stage: string, view: string): boolean {
  return view === 'ALL' || (view === 'ACTIVE_ONLY' ? stage === 'active' : stage === 'deleted');
}

async function readJson(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    const json = JSON.parse(text) as unknown;
    if (typeof json === 'object' && json !== null && !Array.isArray(json)) return json as Json;
  } catch {
    // fall through
  }
  throw new ApiError(400, 'MALFORMED_REQUEST', 'The request body is not a JSON object');
}

function send(res: ServerResponse, status: number, body: Json): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
