/**
 * `deploy:` blocks: the Kubernetes sizing of an endpoint (resources, replicas, autoscaling, where
 * the model files live) that `mlops export` writes into InferenceServices and Seldon Models.
 *
 * A model's `deploy` applies to every endpoint serving it; an endpoint's own `deploy` overrides it
 * field by field: `resources.requests.cpu`, `.requests.memory`, `.limits.cpu`, `.limits.memory`,
 * `replicas.min`, `replicas.max` and `storage_uri` each on their own, `autoscaling` as a whole (a
 * target means nothing without its metric).
 */
import type { Range } from '../contract';
import { compareQuantities, parseQuantity, quantityValue, suggestQuantity } from '../export/quantity';
import type { DeployDecl, EndpointDecl, Field, ManifestModel, ModelDecl, QuantityField } from './model';

export const AUTOSCALING_METRICS = ['concurrency', 'rps', 'cpu', 'memory'] as const;
export type AutoscalingMetric = (typeof AUTOSCALING_METRICS)[number];

/** One effective setting: its value, where it is written, and whose `deploy` it comes from. */
export interface DeploySetting<T> {
  value: T;
  range: Range;
  from: 'endpoint' | 'model';
}

export interface EffectiveResources {
  cpu?: DeploySetting<string>;
  memory?: DeploySetting<string>;
}

/** What an endpoint is sized as, each setting traced to the endpoint's or the model's `deploy`. */
export interface EffectiveDeploy {
  endpoint: string;
  model: string;
  requests: EffectiveResources;
  limits: EffectiveResources;
  replicas: { min?: DeploySetting<number>; max?: DeploySetting<number> };
  autoscaling?: { metric: DeploySetting<AutoscalingMetric>; target: DeploySetting<number> };
  storageUri?: DeploySetting<string>;
}

/**
 * The effective deploy settings of an endpoint, from the manifest as `readManifestModel` reads it:
 * the endpoint's `deploy` over its model's. Without `serving.endpoints` every model is served under
 * its own name, so the name is a model's then. Undefined when there is no such endpoint, or neither
 * block says anything. Values of the wrong type are absent (the schema reports them).
 */
export function effectiveDeploy(manifest: ManifestModel, endpointName: string): EffectiveDeploy | undefined {
  const endpoints = manifest.serving?.endpoints;
  let endpoint: EndpointDecl | undefined;
  let modelName: string | undefined;
  if (endpoints) {
    endpoint = endpoints.entries.get(endpointName);
    modelName = endpoint?.model?.value;
  } else if (manifest.models?.entries.has(endpointName)) {
    modelName = endpointName;
  }
  if (modelName === undefined) return undefined;
  const model: ModelDecl | undefined = manifest.models?.entries.get(modelName);
  const result = mergeDeploy(endpointName, modelName, endpoint?.deploy, model?.deploy);
  return isEmpty(result) ? undefined : result;
}

/** The endpoint's `deploy` over the model's, field by field. */
export function mergeDeploy(endpointName: string, modelName: string, own: DeployDecl | undefined, inherited: DeployDecl | undefined): EffectiveDeploy {
  const pick = <T, U = T>(get: (d: DeployDecl) => Field<T> | undefined, map: (v: T) => U | undefined = (v) => v as unknown as U): DeploySetting<U> | undefined => {
    for (const [decl, from] of [[own, 'endpoint'], [inherited, 'model']] as const) {
      const field = decl && get(decl);
      const value = field && map(field.value);
      if (field && value !== undefined) return { value, range: field.range, from };
    }
    return undefined;
  };
  const quantity = (get: (d: DeployDecl) => QuantityField | undefined) => pick(get, (v) => quantityText(v));
  const autoscaling = (own?.autoscaling ? [[own, 'endpoint'] as const] : inherited?.autoscaling ? [[inherited, 'model'] as const] : []).map(([decl, from]) => {
    const a = decl.autoscaling!;
    const metric = a.metric && (AUTOSCALING_METRICS as readonly string[]).includes(a.metric.value) ? a.metric : undefined;
    return metric && a.target ? { metric: { value: metric.value as AutoscalingMetric, range: metric.range, from }, target: { value: a.target.value, range: a.target.range, from } } : undefined;
  })[0];
  return {
    endpoint: endpointName,
    model: modelName,
    requests: compact({ cpu: quantity((d) => d.resources?.requests?.cpu), memory: quantity((d) => d.resources?.requests?.memory) }),
    limits: compact({ cpu: quantity((d) => d.resources?.limits?.cpu), memory: quantity((d) => d.resources?.limits?.memory) }),
    replicas: compact({ min: pick((d) => d.replicas?.min), max: pick((d) => d.replicas?.max) }),
    ...(autoscaling ? { autoscaling } : {}),
    ...compact({ storageUri: pick((d) => d.storageUri) }),
  };
}

/** A quantity's text as the manifests write it: strings trimmed, YAML numbers as JavaScript spells them. */
export function quantityText(value: string | number): string {
  return typeof value === 'number' ? String(value) : value.trim();
}

function isEmpty(d: EffectiveDeploy): boolean {
  return Object.keys(d.requests).length + Object.keys(d.limits).length + Object.keys(d.replicas).length === 0 && !d.autoscaling && !d.storageUri;
}

function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

// ---- checks

export type DeployReport = (range: Range, severity: 'error' | 'warning', code: string, message: string, replacement?: string) => void;

/**
 * Quantities as written in one `deploy` block: each must be a Kubernetes quantity, not negative;
 * memory in millibytes (`512m`) is a quantity but surely a slip.
 */
export function checkDeployQuantities(decl: DeployDecl, report: DeployReport): void {
  for (const kind of ['requests', 'limits'] as const) {
    const list = decl.resources?.[kind];
    for (const resource of ['cpu', 'memory'] as const) {
      const field = list?.[resource];
      if (field) checkQuantity(field, `${kind}.${resource}`, resource, report);
    }
  }
}

function checkQuantity(field: QuantityField, where: string, resource: 'cpu' | 'memory', report: DeployReport): void {
  const text = quantityText(field.value);
  const q = parseQuantity(field.value);
  if (!q) {
    const suggestions = typeof field.value === 'string' ? suggestQuantity(field.value, resource) : [];
    const examples = resource === 'cpu' ? '`500m` (half a core), `0.5` or `2`' : '`512Mi`, `1Gi` (binary) or `1G` (decimal)';
    const tail = suggestions.length > 0 ? `; did you mean ${suggestions.map((s) => `\`${s}\``).join(' or ')}?` : `, e.g. ${examples}.`;
    report(field.range, 'error', 'deploy-quantity', `\`${text}\` (${where}) is not a Kubernetes quantity: a number and an optional suffix, no space${tail}`, suggestions[0]);
    return;
  }
  if (q.negative) {
    report(field.range, 'error', 'deploy-quantity', `${where} is ${text}; a resource quantity cannot be negative.`, text.replace(/^-/, ''));
    return;
  }
  const milli = resource === 'memory' ? /^(\d+(?:\.\d*)?|\.\d+)m$/.exec(text) : null;
  if (milli) {
    report(field.range, 'warning', 'deploy-quantity', `\`${text}\` (${where}) is ${milli[1]} millibytes, ${quantityValue(q)} bytes; did you mean \`${milli[1]}Mi\` (mebibytes) or \`${milli[1]}M\` (megabytes)?`, `${milli[1]}Mi`);
  }
}

/**
 * What cannot hold in effective settings: replicas.min above max, a limit below its request.
 * Reported on the setting written closer to the endpoint (the endpoint's over the model's); when
 * both come from one block, on the limit, and on that block's `replicas` (`replicasRange`) for the
 * replica counts. `subject` names whose settings they are in the message (`Endpoint \`churn\``).
 */
export function checkDeployOrder(d: EffectiveDeploy, subject: string, report: DeployReport, replicasRange?: (from: 'endpoint' | 'model') => Range | undefined): void {
  const { min, max } = d.replicas;
  if (min && max && min.value > max.value) {
    const range = min.from === max.from ? (replicasRange?.(min.from) ?? max.range) : min.from === 'endpoint' ? min.range : max.range;
    const inherited = min.from !== max.from ? ` (${min.from === 'endpoint' ? 'max' : 'min'} comes from model \`${d.model}\`'s deploy)` : '';
    report(range, 'error', 'deploy-replicas-order', `${subject} asks for at least ${min.value} and at most ${max.value} replicas${inherited}: no count satisfies both. Lower \`min\` or raise \`max\`.`);
  }
  for (const resource of ['cpu', 'memory'] as const) {
    const request = d.requests[resource];
    const limit = d.limits[resource];
    const rq = request && parseQuantity(request.value);
    const lq = limit && parseQuantity(limit.value);
    if (!request || !limit || !rq || !lq || rq.negative || lq.negative || compareQuantities(lq, rq) >= 0) continue;
    const on = limit.from === request.from || limit.from === 'endpoint' ? limit : request;
    const inherited = limit.from !== request.from ? ` (the ${on === limit ? 'request' : 'limit'} comes from model \`${d.model}\`'s deploy)` : '';
    report(
      on.range,
      'error',
      'deploy-limit-below-request',
      `The ${resource} limit ${limit.value} of ${subject.charAt(0).toLowerCase()}${subject.slice(1)} is below its request ${request.value}${inherited}: Kubernetes refuses a pod whose limit is less than its request. Raise the limit or lower the request.`,
    );
  }
}

/** Every `deploy` block of a manifest with its owner, for the checks. */
export function deployBlocks(manifest: ManifestModel): { decl: DeployDecl; owner: 'model' | 'endpoint'; name: string }[] {
  const out: { decl: DeployDecl; owner: 'model' | 'endpoint'; name: string }[] = [];
  for (const m of manifest.models?.entries.values() ?? []) if (m.deploy) out.push({ decl: m.deploy, owner: 'model', name: m.name });
  for (const e of manifest.serving?.endpoints?.entries.values() ?? []) if (e.deploy) out.push({ decl: e.deploy, owner: 'endpoint', name: e.name });
  return out;
}
