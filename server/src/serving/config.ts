import { readFileSync } from 'node:fs';
import { isInside, realRoot, resolveLinks } from '../workspace/links';
import { dirname, resolve } from 'node:path';
import { parseManifest } from '../manifest/parse';
import { DEFAULT_CACHE_MAX_BYTES, DEFAULT_CACHE_MAX_ENTRIES, type CacheLimits } from './cache';
import { effectiveDeploy, type AutoscalingMetric, type EffectiveDeploy } from '../manifest/deploy';
import { readManifestModel, type ManifestModel } from '../manifest/model';
import { datasetsOf, type DatasetSpec } from '../validation';

/**
 * What to serve, read from the plain-object form of mlops.yaml (`document.toJS()`). Small and
 * self-contained on purpose: it checks only what serving needs and says exactly where it is wrong.
 */

export interface VersionConfig {
  id: string;
  /** Absolute path of the .onnx file, inside the workspace. */
  path: string;
}

export interface ModelConfig {
  name: string;
  versions: Map<string, VersionConfig>;
  /** alias → version id */
  aliases: Map<string, string>;
}

export interface TrafficShare {
  version: string;
  percent: number;
}

export interface EndpointConfig {
  name: string;
  model: string;
  /**
   * Sorted by version id (numeric-aware), whatever order the manifest lists them in: the order is
   * part of the sticky mapping, and YAML-to-object conversion would reorder numeric keys anyway.
   */
  traffic: TrafficShare[];
  /** Lower-case request header whose value pins a caller to a version. */
  stickyHeader?: string;
  mirror?: TrafficShare;
  batching?: { maxBatchSize: number; maxDelayMs: number };
  /** The prediction cache; off when absent. */
  cache?: CacheLimits;
  /** Requests checked against the model's input data set (`validate: warn|reject`); off when absent. */
  validation?: { mode: 'warn' | 'reject'; dataset: string; spec: DatasetSpec };
  /** Kubernetes sizing for `mlops export` (the endpoint's `deploy` over its model's); absent when neither says anything. */
  deploy?: DeploySpec;
}

/** Effective `deploy` settings, as plain values; quantities as written (checked by `mlops check`, not here). */
export interface DeploySpec {
  requests?: { cpu?: string; memory?: string };
  limits?: { cpu?: string; memory?: string };
  minReplicas?: number;
  maxReplicas?: number;
  autoscaling?: { metric: AutoscalingMetric; target: number };
  /** Base URI of the model files (`<base>/<model>/<version>`). */
  storageUri?: string;
}

export interface ServingConfig {
  host?: string;
  port?: number;
  /** The Open Inference Protocol over gRPC on this port (0 = a free one); off when absent. */
  grpcPort?: number;
  /** Name of the environment variable holding the bearer token (the token never sits in the manifest). */
  tokenEnv?: string;
  models: Map<string, ModelConfig>;
  endpoints: EndpointConfig[];
}

export class ServingConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

export const DEFAULT_BATCHING = { maxBatchSize: 32, maxDelayMs: 2 };

/** Read mlops.yaml and derive the serving configuration; throws ServingConfigError listing every problem. */
export function loadServingConfig(manifestPath: string, workspaceRoot: string): ServingConfig {
  let text: string;
  try {
    text = readFileSync(manifestPath, 'utf8');
  } catch (error) {
    throw new ServingConfigError([`cannot read ${manifestPath}: ${(error as Error).message}`]);
  }
  const parsed = parseManifest(text);
  const errors = parsed.findings.filter((f) => f.severity === 'error');
  if (!parsed.document || errors.length > 0) {
    throw new ServingConfigError(errors.map((f) => `${manifestPath}:${f.range.start.line + 1}:${f.range.start.character + 1}: ${f.message}`));
  }
  const model = readManifestModel(parsed);
  const datasets = new Map(datasetsOf(model).map((d) => [d.spec.name, d.spec]));
  const config = readServingConfig(parsed.document.toJS(), dirname(manifestPath), workspaceRoot, datasets);
  attachDeploy(config, model);
  return config;
}

/** Each endpoint's effective `deploy`; the local server ignores it, the export writes it. */
export function attachDeploy(config: ServingConfig, model: ManifestModel): void {
  for (const endpoint of config.endpoints) {
    const d = effectiveDeploy(model, endpoint.name);
    if (d) endpoint.deploy = deploySpec(d);
  }
}

export function deploySpec(d: EffectiveDeploy): DeploySpec {
  const list = (r: EffectiveDeploy['requests']) => (r.cpu || r.memory ? { ...(r.cpu ? { cpu: r.cpu.value } : {}), ...(r.memory ? { memory: r.memory.value } : {}) } : undefined);
  const spec: DeploySpec = {};
  const requests = list(d.requests);
  const limits = list(d.limits);
  if (requests) spec.requests = requests;
  if (limits) spec.limits = limits;
  if (d.replicas.min) spec.minReplicas = d.replicas.min.value;
  if (d.replicas.max) spec.maxReplicas = d.replicas.max.value;
  if (d.autoscaling) spec.autoscaling = { metric: d.autoscaling.metric.value, target: d.autoscaling.target.value };
  if (d.storageUri) spec.storageUri = d.storageUri.value;
  return spec;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function readServingConfig(doc: unknown, manifestDir: string, workspaceRoot: string, datasets: ReadonlyMap<string, DatasetSpec> = new Map()): ServingConfig {
  const problems: string[] = [];
  const root = isObj(doc) ? doc : {};
  // A model's input data set, for endpoints that validate requests.
  const inputOf = (model: string): { name: string; spec?: DatasetSpec } | undefined => {
    const m = isObj(root.models) ? root.models[model] : undefined;
    const name = isObj(m) && typeof m.input === 'string' ? m.input : undefined;
    return name === undefined ? undefined : { name, spec: datasets.get(name) };
  };
  const models = readModels(root.models, manifestDir, workspaceRoot, problems);
  const serving = root.serving === undefined || root.serving === null ? {} : root.serving;
  if (!isObj(serving)) problems.push('serving: must be a mapping');
  const s = isObj(serving) ? serving : {};
  const config: ServingConfig = { models, endpoints: [] };
  if (s.host !== undefined) {
    if (typeof s.host === 'string' && s.host.length > 0) config.host = s.host;
    else problems.push('serving.host: must be a host name or address');
  }
  if (s.port !== undefined) {
    if (Number.isInteger(s.port) && (s.port as number) >= 0 && (s.port as number) <= 65535) config.port = s.port as number;
    else problems.push(`serving.port: must be an integer from 0 to 65535, not ${JSON.stringify(s.port)}`);
  }
  if (s.grpc !== undefined) {
    const g = s.grpc as Obj;
    if (!isObj(g)) problems.push('serving.grpc: must be a mapping such as { port: 8081 }');
    else if (!Number.isInteger(g.port) || (g.port as number) < 0 || (g.port as number) > 65535) problems.push(`serving.grpc.port: must be an integer from 0 to 65535, not ${JSON.stringify(g.port)}`);
    else config.grpcPort = g.port as number;
  }
  if (s.token_env !== undefined) {
    if (typeof s.token_env === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(s.token_env)) config.tokenEnv = s.token_env;
    else problems.push(`serving.token_env: must name an environment variable, e.g. MLOPS_TOKEN, not ${JSON.stringify(s.token_env)}`);
  }
  if (s.endpoints === undefined || s.endpoints === null) {
    // No endpoints declared: every model is served under its own name.
    for (const model of models.values()) {
      const endpoint = readEndpoint(model.name, { model: model.name }, models, problems, inputOf);
      if (endpoint) config.endpoints.push(endpoint);
    }
  } else if (!isObj(s.endpoints)) {
    problems.push('serving.endpoints: must be a mapping of endpoint name to {model, traffic, ...}');
  } else {
    for (const [name, raw] of Object.entries(s.endpoints)) {
      const endpoint = readEndpoint(name, raw, models, problems, inputOf);
      if (endpoint) config.endpoints.push(endpoint);
    }
  }
  if (problems.length === 0 && config.endpoints.length === 0) problems.push('nothing to serve: declare models (and optionally serving.endpoints) in mlops.yaml');
  if (problems.length > 0) throw new ServingConfigError(problems);
  return config;
}

function readModels(raw: unknown, manifestDir: string, workspaceRoot: string, problems: string[]): Map<string, ModelConfig> {
  const models = new Map<string, ModelConfig>();
  if (raw === undefined || raw === null) return models;
  if (!isObj(raw)) {
    problems.push('models: must be a mapping of model name to {versions, aliases}');
    return models;
  }
  for (const [name, m] of Object.entries(raw)) {
    const at = `models.${name}`;
    const model: ModelConfig = { name, versions: new Map(), aliases: new Map() };
    const versions = isObj(m) ? m.versions : undefined;
    if (!isObj(versions) || Object.keys(versions).length === 0) problems.push(`${at}.versions: declare at least one version, e.g. "1": { path: model.onnx }`);
    for (const [id, v] of Object.entries(isObj(versions) ? versions : {})) {
      const path = isObj(v) ? v.path : undefined;
      if (typeof path !== 'string' || path.length === 0) {
        problems.push(`${at}.versions.${id}.path: must be the path of an .onnx file`);
        continue;
      }
      const resolved = confined(path, manifestDir, workspaceRoot);
      if (typeof resolved === 'string') model.versions.set(id, { id, path: resolved });
      else problems.push(`${at}.versions.${id}.path: ${resolved.problem}`);
    }
    const aliases = isObj(m) ? m.aliases : undefined;
    if (aliases !== undefined && aliases !== null && !isObj(aliases)) problems.push(`${at}.aliases: must be a mapping of alias to version`);
    for (const [alias, version] of Object.entries(isObj(aliases) ? aliases : {})) {
      const id = String(version);
      if (model.versions.has(id)) model.aliases.set(alias, id);
      else problems.push(`${at}.aliases.${alias}: version "${id}" is not declared under ${at}.versions`);
    }
    models.set(name, model);
  }
  return models;
}

/**
 * A manifest path resolved against its folder, refused when it, or where its links lead, leaves the
 * workspace. Links are followed without asking the target to exist: a dangling link that points
 * outside is refused now, not only once something appears at its target.
 */
function confined(path: string, manifestDir: string, workspaceRoot: string): string | { problem: string } {
  const absolute = resolve(manifestDir, path);
  if (!isInside(absolute, resolve(workspaceRoot))) return { problem: `${path} is outside the workspace` };
  const target = resolveLinks(absolute);
  if (!isInside(target, realRoot(workspaceRoot))) return { problem: `${path} links to ${target}, outside the workspace` };
  return absolute;
}

function readEndpoint(name: string, raw: unknown, models: Map<string, ModelConfig>, problems: string[], inputOf: (model: string) => { name: string; spec?: DatasetSpec } | undefined): EndpointConfig | undefined {
  const at = `serving.endpoints.${name}`;
  if (!isObj(raw)) {
    problems.push(`${at}: must be a mapping with at least model`);
    return undefined;
  }
  const model = typeof raw.model === 'string' ? models.get(raw.model) : undefined;
  if (!model) {
    const known = [...models.keys()].join(', ') || 'none';
    problems.push(`${at}.model: ${JSON.stringify(raw.model)} is not a model declared under models (declared: ${known})`);
    return undefined;
  }
  const before = problems.length;
  const resolveVersion = (key: unknown, where: string): string | undefined => {
    const id = String(key);
    const version = model.versions.has(id) ? id : model.aliases.get(id);
    if (version === undefined) problems.push(`${where}: "${id}" is neither a version nor an alias of model ${model.name}`);
    return version;
  };
  const endpoint: EndpointConfig = { name, model: model.name, traffic: readTraffic(raw.traffic, model, at, problems, resolveVersion) };
  if (raw.sticky !== undefined) {
    const match = typeof raw.sticky === 'string' ? /^header:([A-Za-z0-9-]+)$/.exec(raw.sticky) : null;
    if (match) endpoint.stickyHeader = match[1].toLowerCase();
    else problems.push(`${at}.sticky: must be header:<name>, e.g. header:x-user-id`);
  }
  if (raw.mirror !== undefined) {
    const m = isObj(raw.mirror) ? raw.mirror : {};
    const version = resolveVersion(m.version, `${at}.mirror.version`);
    const percent = readPercent(m.percent, `${at}.mirror.percent`, problems);
    if (version !== undefined && percent !== undefined) endpoint.mirror = { version, percent };
  }
  if (raw.batching !== undefined) endpoint.batching = readBatching(raw.batching, `${at}.batching`, problems);
  if (raw.cache !== undefined) endpoint.cache = readCache(raw.cache, `${at}.cache`, problems);
  if (raw.validate !== undefined && raw.validate !== 'off') {
    const input = inputOf(model.name);
    if (raw.validate !== 'warn' && raw.validate !== 'reject') problems.push(`${at}.validate: must be off, warn or reject, not ${JSON.stringify(raw.validate)}`);
    else if (!input) problems.push(`${at}.validate: model ${model.name} names no input data set (models.${model.name}.input) to check requests against`);
    else if (!input.spec) problems.push(`${at}.validate: models.${model.name}.input names ${JSON.stringify(input.name)}, which is not a data set under data:`);
    else endpoint.validation = { mode: raw.validate, dataset: input.name, spec: input.spec };
  }
  return problems.length === before ? endpoint : undefined;
}

function readTraffic(
  raw: unknown,
  model: ModelConfig,
  at: string,
  problems: string[],
  resolveVersion: (key: unknown, where: string) => string | undefined,
): TrafficShare[] {
  if (raw === undefined || raw === null) {
    // Without a split: the production alias, else the only version.
    const version = model.aliases.get('production') ?? (model.versions.size === 1 ? [...model.versions.keys()][0] : undefined);
    if (version === undefined && model.versions.size > 0) {
      problems.push(`${at}.traffic: model ${model.name} has several versions and no production alias; say which gets the traffic, e.g. traffic: { "1": 100 }`);
    }
    return version === undefined ? [] : [{ version, percent: 100 }];
  }
  if (!isObj(raw)) {
    problems.push(`${at}.traffic: must map versions to percentages, e.g. { "1": 70, "2": 30 }`);
    return [];
  }
  const shares: TrafficShare[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const version = resolveVersion(key, `${at}.traffic.${key}`);
    const percent = readPercent(value, `${at}.traffic.${key}`, problems);
    if (version === undefined || percent === undefined) continue;
    const existing = shares.find((s) => s.version === version);
    if (existing) existing.percent += percent;
    else shares.push({ version, percent });
  }
  shares.sort((a, b) => a.version.localeCompare(b.version, 'en', { numeric: true }));
  const sum = shares.reduce((n, s) => n + s.percent, 0);
  if (shares.length > 0 && Math.abs(sum - 100) > 1e-9) problems.push(`${at}.traffic: percentages sum to ${sum}, not 100`);
  return shares;
}

function readPercent(value: unknown, where: string, problems: string[]): number | undefined {
  if (typeof value === 'number' && value >= 0 && value <= 100) return value;
  problems.push(`${where}: must be a percentage from 0 to 100, not ${JSON.stringify(value)}`);
  return undefined;
}

function readBatching(raw: unknown, at: string, problems: string[]): EndpointConfig['batching'] {
  if (!isObj(raw)) {
    problems.push(`${at}: must be { max_batch_size, max_delay_ms }`);
    return undefined;
  }
  const size = raw.max_batch_size ?? DEFAULT_BATCHING.maxBatchSize;
  const delay = raw.max_delay_ms ?? DEFAULT_BATCHING.maxDelayMs;
  if (!Number.isInteger(size) || (size as number) < 1) problems.push(`${at}.max_batch_size: must be an integer ≥ 1, not ${JSON.stringify(size)}`);
  if (typeof delay !== 'number' || delay < 0 || delay > 10_000) problems.push(`${at}.max_delay_ms: must be a number of milliseconds from 0 to 10000, not ${JSON.stringify(delay)}`);
  return { maxBatchSize: size as number, maxDelayMs: delay as number };
}

function readCache(raw: unknown, at: string, problems: string[]): CacheLimits | undefined {
  if (!isObj(raw)) {
    problems.push(`${at}: must be { max_entries, max_bytes, ttl_s } (\`{}\` for the defaults)`);
    return undefined;
  }
  const entries = raw.max_entries ?? DEFAULT_CACHE_MAX_ENTRIES;
  const bytes = raw.max_bytes ?? DEFAULT_CACHE_MAX_BYTES;
  const before = problems.length;
  if (!Number.isSafeInteger(entries) || (entries as number) < 1) problems.push(`${at}.max_entries: must be an integer ≥ 1, not ${JSON.stringify(entries)}`);
  if (!Number.isSafeInteger(bytes) || (bytes as number) < 1) problems.push(`${at}.max_bytes: must be a whole number of bytes ≥ 1, not ${JSON.stringify(bytes)}`);
  if (raw.ttl_s !== undefined && (typeof raw.ttl_s !== 'number' || !Number.isFinite(raw.ttl_s) || raw.ttl_s <= 0)) problems.push(`${at}.ttl_s: must be a number of seconds > 0, not ${JSON.stringify(raw.ttl_s)}`);
  if (problems.length > before) return undefined;
  const limits: CacheLimits = { maxEntries: entries as number, maxBytes: bytes as number };
  if (raw.ttl_s !== undefined) limits.ttlMs = (raw.ttl_s as number) * 1000;
  return limits;
}
