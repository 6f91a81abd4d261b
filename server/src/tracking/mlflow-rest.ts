import { createHash } from 'node:crypto';
import type { ExperimentRecord, MetricPoint, ModelVersionRecord, ReadIssue, RegisteredModelRecord, RunRecord, RunStatus } from './model';

/**
 * Reader for an MLflow tracking server, through its documented REST API (2.0):
 * `POST experiments/search`, `POST runs/search`, `GET metrics/get-history`,
 * `GET registered-models/search` and `GET model-versions/search`, each followed page by page
 * (`page_token` → `next_page_token`). Errors come back as MlflowServerError with a message fit
 * for the user; nothing else is thrown.
 */

export interface RemoteOptions {
  /** Sent as `Authorization: Bearer <token>`, as MLflow's client does with MLFLOW_TRACKING_TOKEN. */
  token?: string;
  /** max_results asked of every search; the server may answer with fewer. */
  pageSize?: number;
  /** Per request. */
  timeoutMs?: number;
}

export class MlflowServerError extends Error {}

export interface RemoteRun {
  runId: string;
  /** Changes whenever the run's attributes, params, tags or latest metrics change. */
  fingerprint: string;
  /** Read in full (with metric histories) only when its fingerprint is not the known one. */
  run?: RunRecord;
}

export interface RemoteRead {
  experiments: ExperimentRecord[];
  runs: RemoteRun[];
  registeredModels: RegisteredModelRecord[];
  issues: ReadIssue[];
}

const DEFAULT_PAGE_SIZE = 1000;
/** MLflow caps registered-models/search at 1000 per page. */
const REGISTRY_PAGE_SIZE = 1000;
const DEFAULT_TIMEOUT_MS = 30_000;
/** Histories are fetched this many at a time. */
const PARALLEL = 8;
const STATUSES = new Set<RunStatus>(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);

type Json = Record<string, unknown>;

const NETWORK_HINTS: Record<string, string> = {
  ECONNREFUSED: 'nothing listens there: is the server running?',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be resolved now',
  EHOSTUNREACH: 'the host cannot be reached',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_SOCKET: 'the connection was closed',
  ECONNRESET: 'the connection was reset',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server presents a self-signed certificate',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
};

/**
 * Everything the server holds: experiments (active and deleted), runs (all view types) and the
 * model registry. Runs whose fingerprint is in `known` unchanged are listed but not re-read.
 */
export async function readMlflowServer(baseUrl: string, options: RemoteOptions, known: Map<string, string | null> = new Map()): Promise<RemoteRead> {
  const client = new MlflowRestClient(baseUrl, options);
  const issues: ReadIssue[] = [];
  const experiments = (await client.pages('POST', 'experiments/search', 'experiments', { view_type: 'ALL' })).map(toExperiment);
  const runs: RemoteRun[] = [];
  const toRead: { remote: RemoteRun; json: Json }[] = [];
  const ids = experiments.map((e) => e.experimentId);
  // A few experiments per search keeps each request small whatever the server's limits.
  for (let i = 0; i < ids.length; i += 50) {
    const page = await client.pages('POST', 'runs/search', 'runs', { experiment_ids: ids.slice(i, i + 50), run_view_type: 'ALL' });
    for (const json of page) {
      const info = obj(json.info);
      const runId = str(info.run_id) ?? str(info.run_uuid);
      if (!runId) {
        issues.push({ path: baseUrl, message: 'runs/search returned a run without run_id; skipped' });
        continue;
      }
      const remote: RemoteRun = { runId, fingerprint: fingerprint(json) };
      runs.push(remote);
      if (known.get(runId) !== remote.fingerprint) toRead.push({ remote, json });
    }
  }
  for (let i = 0; i < toRead.length; i += PARALLEL) {
    await Promise.all(
      toRead.slice(i, i + PARALLEL).map(async ({ remote, json }) => {
        remote.run = await readRun(client, json, remote.runId);
      }),
    );
  }
  const registeredModels: RegisteredModelRecord[] = [];
  for (const model of await client.pages('GET', 'registered-models/search', 'registered_models', {}, REGISTRY_PAGE_SIZE)) {
    const name = str(model.name);
    if (name === null) continue;
    const versions = await client.pages('GET', 'model-versions/search', 'model_versions', { filter: `name=${quote(name)}` });
    registeredModels.push(toRegisteredModel(model, name, versions));
  }
  registeredModels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { experiments, runs, registeredModels, issues };
}

class MlflowRestClient {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly options: RemoteOptions,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  /** Every item of a paged search: `field` of each page, following next_page_token. */
  async pages(method: 'GET' | 'POST', path: string, field: string, params: Json, pageSize = this.options.pageSize ?? DEFAULT_PAGE_SIZE): Promise<Json[]> {
    const items: Json[] = [];
    const seen = new Set<string>();
    let token: string | undefined;
    for (;;) {
      const page = await this.call(method, path, { ...params, max_results: pageSize, ...(token ? { page_token: token } : {}) });
      const list = page[field];
      if (list !== undefined && !Array.isArray(list)) throw new MlflowServerError(`${this.base}: ${path} answered without a list of ${field}`);
      for (const item of list ?? []) items.push(obj(item));
      token = str(page.next_page_token) ?? undefined;
      if (!token) return items;
      // A server that hands out the same token twice would have us loop forever.
      if (seen.has(token)) throw new MlflowServerError(`${this.base}: ${path} returned the same next_page_token twice`);
      seen.add(token);
    }
  }

  async call(method: 'GET' | 'POST', path: string, params: Json): Promise<Json> {
    const url = new URL(`${this.base}/api/2.0/mlflow/${path}`);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let body: string | undefined;
    if (method === 'GET') {
      for (const [key, value] of Object.entries(params)) {
        for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(v));
      }
    } else {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(params);
    }
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let response: Response | undefined;
    for (let attempt = 1; !response; attempt++) {
      try {
        response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
      } catch (error) {
        const name = (error as Error).name;
        if (name === 'TimeoutError' || name === 'AbortError')
          throw new MlflowServerError(`the tracking server did not answer ${path} within ${Math.round(timeoutMs / 1000)} s`);
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        // A kept-alive connection the server has since closed (it restarted): one fresh try.
        if (attempt === 1 && (cause?.code === 'UND_ERR_SOCKET' || cause?.code === 'ECONNRESET')) continue;
        const code = cause?.code ?? '';
        throw new MlflowServerError(
          `cannot reach the tracking server: ${code ? `${code}${NETWORK_HINTS[code] ? ` (${NETWORK_HINTS[code]})` : ''}` : (cause?.message ?? (error as Error).message)}`,
        );
      }
    }
    const text = await response.text().catch(() => '');
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (response.status === 401 || response.status === 403) {
      const detail = describeError(json) ?? response.statusText;
      // First what happened and what to do (a tree row shows the start of it); the server's words after.
      const what = this.options.token ? 'the tracking server did not accept the token' : 'the tracking server asks for a token';
      throw new MlflowServerError(
        `${what}: run "MLOps: Set MLflow Tracking Token" in the editor, or set MLFLOW_TRACKING_TOKEN for the CLI (${response.status}${detail ? ` ${detail}` : ''})`,
      );
    }
    if (!response.ok) {
      throw new MlflowServerError(
        `the tracking server answered ${path} with ${response.status}${describeError(json) ? `: ${describeError(json)}` : ` ${response.statusText}`}`,
      );
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new MlflowServerError(`${this.base} answered ${path} with something other than a JSON object; is it an MLflow tracking server?`);
    }
    return json as Json;
  }
}

async function readRun(client: MlflowRestClient, json: Json, runId: string): Promise<RunRecord> {
  const info = obj(json.info);
  const data = obj(json.data);
  const params = keyValues(data.params);
  const tags = keyValues(data.tags);
  const metrics: MetricPoint[] = [];
  const keys = [
    ...new Set(
      list(data.metrics)
        .map((m) => str(obj(m).key))
        .filter((k): k is string => k !== null),
    ),
  ].sort();
  for (const key of keys) {
    for (const point of await client.pages('GET', 'metrics/get-history', 'metrics', { run_id: runId, metric_key: key })) {
      const m = toMetric(point, key);
      if (m) metrics.push(m);
    }
  }
  const status = str(info.status)?.toUpperCase() as RunStatus | undefined;
  return {
    runId,
    experimentId: str(info.experiment_id) ?? '',
    name: tags['mlflow.runName'] ?? str(info.run_name) ?? '',
    status: status && STATUSES.has(status) ? status : 'RUNNING',
    startTime: num(info.start_time),
    endTime: num(info.end_time),
    lifecycleStage: str(info.lifecycle_stage) === 'deleted' ? 'deleted' : 'active',
    artifactUri: str(info.artifact_uri),
    parentRunId: tags['mlflow.parentRunId'] ?? null,
    userId: str(info.user_id),
    params,
    tags,
    metrics,
  };
}

function toExperiment(json: Json): ExperimentRecord {
  const id = str(json.experiment_id) ?? '';
  return {
    experimentId: id,
    name: str(json.name) ?? id,
    artifactLocation: str(json.artifact_location),
    lifecycleStage: str(json.lifecycle_stage) === 'deleted' ? 'deleted' : 'active',
    creationTime: num(json.creation_time),
    lastUpdateTime: num(json.last_update_time),
    tags: keyValues(json.tags),
  };
}

function toRegisteredModel(json: Json, name: string, versionsJson: Json[]): RegisteredModelRecord {
  const aliases: Record<string, string> = {};
  for (const a of list(json.aliases)) {
    const alias = str(obj(a).alias);
    const version = str(obj(a).version);
    if (alias !== null && version !== null) aliases[alias] = version;
  }
  const versions: ModelVersionRecord[] = versionsJson
    .map((v) => {
      const version = str(v.version) ?? '';
      const own = list(v.aliases)
        .map(str)
        .filter((a): a is string => a !== null);
      return {
        name,
        version,
        stage: str(v.current_stage) ?? 'None',
        aliases: [...new Set([...own, ...Object.keys(aliases).filter((a) => aliases[a] === version)])].sort(),
        runId: str(v.run_id) || null,
        source: str(v.source),
        status: str(v.status),
        creationTime: num(v.creation_timestamp),
        lastUpdatedTime: num(v.last_updated_timestamp),
        description: str(v.description) || null,
        tags: keyValues(v.tags),
      };
    })
    .filter((v) => v.version !== '' && v.stage !== 'Deleted_Internal')
    .sort((a, b) => Number(a.version) - Number(b.version));
  return {
    name,
    description: str(json.description) || null,
    creationTime: num(json.creation_timestamp),
    lastUpdatedTime: num(json.last_updated_timestamp),
    tags: keyValues(json.tags),
    aliases,
    versions,
  };
}

function toMetric(json: Json, key: string): MetricPoint | undefined {
  const value = metricValue(json.value);
  const timestamp = num(json.timestamp);
  if (value === undefined || timestamp === null) return undefined;
  return { key, value, timestamp, step: num(json.step) ?? 0 };
}

/** MLflow's JSON writes non-finite doubles as the strings "NaN", "Infinity" and "-Infinity". */
function metricValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  const n = Number(value);
  return value.trim() !== '' && !Number.isNaN(n) ? n : undefined;
}

/** A stable digest of what runs/search says of a run (lists sorted: their order is the server's). */
function fingerprint(run: Json): string {
  const info = obj(run.info);
  const data = obj(run.data);
  const sorted = (v: unknown) =>
    list(v)
      .map((x) => JSON.stringify(x))
      .sort();
  const canonical = JSON.stringify([
    ['run_name', 'status', 'start_time', 'end_time', 'lifecycle_stage', 'artifact_uri', 'experiment_id', 'user_id'].map((k) => info[k] ?? null),
    sorted(data.params),
    sorted(data.tags),
    sorted(data.metrics),
  ]);
  return `remote:${createHash('sha256').update(canonical).digest('hex').slice(0, 32)}`;
}

function describeError(json: unknown): string | undefined {
  const e = obj(json);
  const code = str(e.error_code);
  const message = str(e.message);
  return code || message ? [code, message].filter(Boolean).join(': ') : undefined;
}

/** A filter value in quotes MLflow's search syntax accepts. */
function quote(value: string): string {
  return value.includes("'") ? `"${value.replace(/"/g, '\\"')}"` : `'${value}'`;
}

function keyValues(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list(value)) {
    const key = str(obj(item).key);
    if (key !== null) out[key] = str(obj(item).value) ?? '';
  }
  return out;
}

function obj(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function str(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

/** int64 fields arrive as JSON numbers from MLflow, as strings from other protobuf JSON writers. */
function num(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return null;
}
