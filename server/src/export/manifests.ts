import { relative } from 'node:path';
import { stringify } from 'yaml';
import type { DeploySpec, EndpointConfig, ServingConfig } from '../serving/config';

/**
 * Kubernetes manifests for the endpoints of an mlops.yaml: KServe InferenceServices
 * (serving.kserve.io/v1beta1) or Seldon Core v2 Models and Experiments (mlops.seldon.io/v1alpha1).
 * Pure functions of the serving configuration: the same manifest always gives the same bytes.
 */

export type ExportTarget = 'kserve' | 'seldon';
export const EXPORT_TARGETS: readonly ExportTarget[] = ['kserve', 'seldon'];

/** Clearly a placeholder, yet a valid URI: the manifests apply, and the model pods say where they looked. */
export const DEFAULT_STORAGE_URI = 's3://your-bucket/mlops-models';

export interface ExportOptions {
  target: ExportTarget;
  /**
   * Where the model files are uploaded; each version lives at `<base>/<model>/<version>/`. Given
   * (`--storage-uri`), it is used for every endpoint; otherwise each endpoint's `deploy.storage_uri`,
   * else DEFAULT_STORAGE_URI.
   */
  storageUri?: string;
  namespace?: string;
  /** For the upload list: paths are shown relative to this folder. */
  workspaceRoot: string;
}

export interface K8sResource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

export interface ExportFile {
  /** File name inside the output folder, e.g. `churn.inferenceservice.yaml`. */
  name: string;
  resources: K8sResource[];
  /** A later step (KServe's canary) changes a resource of an earlier file: apply it once that one is Ready. */
  later?: boolean;
  note?: string;
}

export interface ExportResult {
  files: ExportFile[];
  /** Which local model file goes to which storage location. */
  uploads: { file: string; uri: string }[];
  /** What the target cannot express (dropped) and other things worth a word. */
  warnings: string[];
  /** Some endpoint's files are placed under DEFAULT_STORAGE_URI: no URI was given for it. */
  placeholder: boolean;
}

/** Builds (and lists for upload, once) the storage URI of an endpoint's model version. */
type VersionUri = (endpoint: EndpointConfig, version: string) => string;

const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'mlops-workbench' };

export function exportManifests(config: ServingConfig, options: ExportOptions): ExportResult {
  const endpoints = [...config.endpoints].sort((a, b) => compareIds(a.name, b.name));
  const result: ExportResult = { files: [], uploads: [], warnings: [], placeholder: false };
  const uploaded = new Set<string>();
  const versionUri: VersionUri = (endpoint, version) => {
    const given = options.storageUri ?? endpoint.deploy?.storageUri;
    if (given === undefined) result.placeholder = true;
    const model = endpoint.model;
    const uri = `${(given ?? DEFAULT_STORAGE_URI).replace(/\/+$/, '')}/${model}/${version}`;
    if (!uploaded.has(uri)) {
      uploaded.add(uri);
      const path = config.models.get(model)?.versions.get(version)?.path;
      if (path) result.uploads.push({ file: relative(options.workspaceRoot, path) || path, uri: `${uri}/model.onnx` });
    }
    return uri;
  };
  if (options.target === 'kserve') {
    for (const endpoint of endpoints) result.files.push(...kserveFiles(endpoint, config, options, versionUri, result.warnings));
  } else {
    const models = new Map<string, SeldonModel>();
    for (const endpoint of endpoints) {
      const experiment = seldonEndpoint(endpoint, config, options, versionUri, models, result.warnings);
      if (experiment) result.files.push({ name: `${experiment.metadata.name}.experiment.yaml`, resources: [experiment] });
    }
    // Models first: an Experiment refers to them by name.
    const modelFiles = [...models.values()]
      .map((m) => m.resource)
      .sort((a, b) => compareIds(a.metadata.name, b.metadata.name))
      .map((m) => ({ name: `${m.metadata.name}.model.yaml`, resources: [m] }));
    result.files.unshift(...modelFiles);
  }
  result.uploads.sort((a, b) => compareIds(a.uri, b.uri));
  return result;
}

// ---- KServe

/**
 * KServe splits a predictor's traffic between two revisions: the one rolled out before and the
 * latest, which gets `canaryTrafficPercent`. So a two-version split is two steps: apply the stable
 * version, then the canary. More versions than two cannot be said in one InferenceService.
 */
function kserveFiles(
  endpoint: EndpointConfig,
  config: ServingConfig,
  options: ExportOptions,
  versionUri: VersionUri,
  warnings: string[],
): ExportFile[] {
  const name = dnsName(endpoint.name);
  const shares = endpoint.traffic.filter((s) => s.percent > 0);
  if (endpoint.mirror)
    warnings.push(
      `endpoint ${endpoint.name}: KServe has no traffic mirroring; the mirror to version ${endpoint.mirror.version} is left out (Seldon Core's Experiment has one: --target seldon)`,
    );
  if (shares.length > 2) {
    warnings.push(
      `endpoint ${endpoint.name}: KServe splits traffic between two revisions only, and this endpoint has ${shares.length} versions; skipped (use --target seldon)`,
    );
    return [];
  }
  if (shares.length === 0) {
    warnings.push(`endpoint ${endpoint.name}: no version gets traffic; skipped`);
    return [];
  }
  const stable = stableShare(endpoint, config, shares);
  const sizing = kserveSizing(endpoint, warnings);
  const service = (version: string, canaryPercent?: number): K8sResource => ({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: metadata(name, options, { 'mlops.workbench/model': dnsName(endpoint.model), 'mlops.workbench/version': labelValue(version) }),
    spec: {
      predictor: {
        ...(canaryPercent === undefined ? {} : { canaryTrafficPercent: canaryPercent }),
        ...sizing.predictor,
        ...(endpoint.batching
          ? { batcher: { maxBatchSize: endpoint.batching.maxBatchSize, maxLatency: Math.max(1, Math.round(endpoint.batching.maxDelayMs)) } }
          : {}),
        model: {
          modelFormat: { name: 'onnx' },
          protocolVersion: 'v2',
          storageUri: versionUri(endpoint, version),
          ...sizing.model,
        },
      },
    },
  });
  const files: ExportFile[] = [{ name: `${name}.inferenceservice.yaml`, resources: [service(stable.version)] }];
  const canary = shares.find((s) => s !== stable);
  if (canary) {
    files.push({
      name: `${name}.canary.inferenceservice.yaml`,
      resources: [service(canary.version, canary.percent)],
      later: true,
      note: `apply after ${name}.inferenceservice.yaml is Ready: version ${canary.version} then gets ${canary.percent}% as the canary revision`,
    });
  }
  if (endpoint.stickyHeader)
    warnings.push(`endpoint ${endpoint.name}: KServe's canary split is per request; sticky routing by ${endpoint.stickyHeader} is left out`);
  if (endpoint.cache) warnings.push(`endpoint ${endpoint.name}: an InferenceService has no prediction cache; cache is left out`);
  if (endpoint.validation) warnings.push(`endpoint ${endpoint.name}: an InferenceService does not check requests against a data set; validate is left out`);
  return files;
}

/** The predictor's replica and autoscaling fields and the model container's resources, from `deploy`. */
function kserveSizing(endpoint: EndpointConfig, warnings: string[]): { predictor: Record<string, unknown>; model: Record<string, unknown> } {
  const d = endpoint.deploy;
  if (!d) return { predictor: {}, model: {} };
  const predictor: Record<string, unknown> = {};
  if (d.minReplicas !== undefined) predictor.minReplicas = d.minReplicas;
  if (d.maxReplicas !== undefined) predictor.maxReplicas = d.maxReplicas;
  if (d.autoscaling) {
    predictor.scaleMetric = d.autoscaling.metric;
    predictor.scaleTarget = d.autoscaling.target;
    const metric = d.autoscaling.metric;
    // A utilization target is a percentage of the request: without one the autoscaler has nothing to scale against.
    if ((metric === 'cpu' || metric === 'memory') && !d.requests?.[metric])
      warnings.push(`endpoint ${endpoint.name}: scaling on ${metric} aims at ${d.autoscaling.target}% of the ${metric} request, and deploy sets no resources.requests.${metric}`);
  }
  const resources = { ...(d.requests ? { requests: { ...d.requests } } : {}), ...(d.limits ? { limits: { ...d.limits } } : {}) };
  return { predictor, model: Object.keys(resources).length > 0 ? { resources } : {} };
}

// ---- Seldon Core v2

/** A Model and the endpoint that first needed it (whose deploy settings it carries). */
interface SeldonModel {
  resource: K8sResource;
  endpoint: string;
}

/**
 * A Model takes one memory figure (what the scheduler places it by, so the request, else the
 * limit) and replica counts; it has no CPU field and scales on its own between minReplicas and
 * maxReplicas, so cpu and the autoscaling target are left out, with a warning.
 */
function seldonSizing(endpoint: EndpointConfig, warnings: string[]): Record<string, unknown> {
  const d: DeploySpec | undefined = endpoint.deploy;
  if (!d) return {};
  const out: Record<string, unknown> = {};
  const memory = d.requests?.memory ?? d.limits?.memory;
  if (memory !== undefined) out.memory = memory;
  // Started with at least one replica, so the Model serves once loaded; minReplicas 0 still lets it scale to zero.
  if (d.minReplicas !== undefined) out.replicas = Math.max(1, d.minReplicas);
  if (d.minReplicas !== undefined) out.minReplicas = d.minReplicas;
  if (d.maxReplicas !== undefined) out.maxReplicas = d.maxReplicas;
  const cpu = [d.requests?.cpu && `request ${d.requests.cpu}`, d.limits?.cpu && `limit ${d.limits.cpu}`].filter(Boolean);
  if (cpu.length > 0) warnings.push(`endpoint ${endpoint.name}: a Seldon Model has no CPU field; the CPU ${cpu.join(' and ')} ${cpu.length > 1 ? 'are' : 'is'} left out (set them on the Seldon Server that hosts it)`);
  if (d.requests?.memory !== undefined && d.limits?.memory !== undefined)
    warnings.push(`endpoint ${endpoint.name}: a Seldon Model takes one memory figure, the request ${d.requests.memory}; the limit ${d.limits.memory} is left out`);
  if (d.autoscaling)
    warnings.push(`endpoint ${endpoint.name}: Seldon Core v2 scales a Model on its own between minReplicas and maxReplicas; autoscaling on ${d.autoscaling.metric} (target ${d.autoscaling.target}) is left out`);
  return out;
}

function seldonEndpoint(
  endpoint: EndpointConfig,
  config: ServingConfig,
  options: ExportOptions,
  versionUri: VersionUri,
  models: Map<string, SeldonModel>,
  warnings: string[],
): K8sResource | undefined {
  const sizing = seldonSizing(endpoint, warnings);
  const modelName = (version: string): string => {
    const name = dnsName(`${endpoint.model}-v${version}`);
    const spec = { storageUri: versionUri(endpoint, version), requirements: ['onnx'], ...sizing };
    const existing = models.get(name);
    if (!existing) {
      models.set(name, {
        endpoint: endpoint.name,
        resource: {
          apiVersion: 'mlops.seldon.io/v1alpha1',
          kind: 'Model',
          metadata: metadata(name, options, { 'mlops.workbench/model': dnsName(endpoint.model), 'mlops.workbench/version': labelValue(version) }),
          spec,
        },
      });
    } else if (existing.endpoint !== endpoint.name && JSON.stringify(existing.resource.spec) !== JSON.stringify(spec)) {
      // One Model per version, shared by the endpoints that serve it: the first endpoint (by name) sizes it.
      warnings.push(`endpoint ${endpoint.name}: Model ${name} is also served by endpoint ${existing.endpoint}, whose deploy settings and storage it keeps; this endpoint's differ and are left out`);
    }
    return name;
  };
  const shares = endpoint.traffic.filter((s) => s.percent > 0);
  if (shares.length === 0) {
    warnings.push(`endpoint ${endpoint.name}: no version gets traffic; skipped`);
    return undefined;
  }
  const candidates = shares.map((s) => ({ name: modelName(s.version), weight: weight(s.percent, endpoint, warnings) }));
  const mirror =
    endpoint.mirror && endpoint.mirror.percent > 0
      ? { name: modelName(endpoint.mirror.version), percent: weight(endpoint.mirror.percent, endpoint, warnings) }
      : undefined;
  if (endpoint.stickyHeader)
    warnings.push(`endpoint ${endpoint.name}: Seldon's Experiment splits per request; sticky routing by ${endpoint.stickyHeader} is left out`);
  if (endpoint.cache) warnings.push(`endpoint ${endpoint.name}: a Seldon Model has no prediction cache; cache is left out`);
  if (endpoint.validation) warnings.push(`endpoint ${endpoint.name}: a Seldon Model does not check requests against a data set; validate is left out`);
  // One version and no mirror: the Model alone serves the endpoint, no Experiment needed.
  if (candidates.length === 1 && !mirror) return undefined;
  return {
    apiVersion: 'mlops.seldon.io/v1alpha1',
    kind: 'Experiment',
    metadata: metadata(dnsName(endpoint.name), options, { 'mlops.workbench/model': dnsName(endpoint.model) }),
    spec: {
      default: modelName(stableShare(endpoint, config, shares).version),
      candidates,
      ...(mirror ? { mirror } : {}),
    },
  };
}

/** Seldon weights and percents are int32; a fractional percentage is rounded, and said so. */
function weight(percent: number, endpoint: EndpointConfig, warnings: string[]): number {
  const rounded = Math.round(percent);
  if (rounded !== percent) warnings.push(`endpoint ${endpoint.name}: ${percent}% rounded to ${rounded} (the manifests take whole numbers)`);
  return rounded;
}

// ---- shared

/** The version that serves when the experiment ends: production's, else the larger share, else the first. */
function stableShare(endpoint: EndpointConfig, config: ServingConfig, shares: EndpointConfig['traffic']): EndpointConfig['traffic'][number] {
  const production = config.models.get(endpoint.model)?.aliases.get('production');
  return shares.find((s) => s.version === production) ?? [...shares].sort((a, b) => b.percent - a.percent || compareIds(a.version, b.version))[0];
}

function metadata(name: string, options: ExportOptions, labels: Record<string, string>): K8sResource['metadata'] {
  return { name, ...(options.namespace ? { namespace: options.namespace } : {}), labels: { ...MANAGED_BY, ...labels } };
}

/** A DNS-1123 label, as Kubernetes names must be: lower-case letters, digits and '-', ≤ 63 characters, starting with a letter. */
export function dnsName(text: string): string {
  let name = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(name)) name = `m-${name}`;
  return name.slice(0, 63).replace(/-+$/, '');
}

/** A label value: ≤ 63 of [A-Za-z0-9._-], starting and ending alphanumeric. */
function labelValue(text: string): string {
  return (
    text
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .slice(0, 63)
      .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '') || 'none'
  );
}

function compareIds(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** YAML for one or more resources, as a multi-document stream; keys in the order they were built. */
export function toYaml(resources: K8sResource[]): string {
  return resources.map((r) => `---\n${stringify(r, { lineWidth: 0 })}`).join('');
}
