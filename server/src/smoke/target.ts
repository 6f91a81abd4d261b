/**
 * What a smoke test compares against, from mlops.yaml: the model and its endpoint, the local
 * version(s) whose ONNX answers are expected, the rows to send, and where in the manifest each
 * kind of finding is located.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { resolveModelRef, ScoreError } from '../batch/score';
import { readManifestModel, type ManifestModel } from '../manifest/model';
import { parseManifest } from '../manifest/parse';
import { loadServingConfig, ServingConfigError, type EndpointConfig, type ModelConfig } from '../serving/config';
import { datasetFiles, datasetsOf } from '../validation';
import { isInside } from '../workspace/links';

/** Bad arguments or a manifest the smoke test cannot use: exit 2, nothing was sent. */
export class SmokeUsageError extends Error {
  override name = 'SmokeUsageError';
}

/** A place in a file, 1-based. */
export interface Place {
  file: string;
  line?: number;
}

export interface SmokeTarget {
  model: ModelConfig;
  endpoint?: EndpointConfig;
  /** The name the endpoint is asked for. */
  remoteName: string;
  /** The version compared against when an answer does not name its own. */
  version: string;
  /** How `version` was chosen, for the report. */
  versionReason: string;
  /** Versions whose answers are accepted: the endpoint's split (with `version`), else `version` alone. */
  versions: Map<string, string>;
  /** The rows' file, absolute, and how the manifest names it. */
  rowsFile: { path: string; from: string };
  reference?: { names: string[]; path: string };
  /** Where model, endpoint and latency-gate findings point. */
  places: { manifest: string; model: Place; endpoint: Place; gate?: Place };
  /** models.<m>.gates.p95_latency_ms.max, the default latency budget. */
  gateP95Ms?: number;
}

export interface TargetRequest {
  manifestPath: string;
  workspaceRoot: string;
  /** A model or endpoint name; default: the manifest's only endpoint. */
  model?: string;
  remoteName?: string;
  version?: string;
  /** A table file to send instead of the manifest's. */
  input?: string;
}

export function resolveTarget(r: TargetRequest): SmokeTarget {
  let config;
  try {
    config = loadServingConfig(r.manifestPath, r.workspaceRoot);
  } catch (error) {
    if (error instanceof ServingConfigError) throw new SmokeUsageError(`${r.manifestPath} has problems:\n  ${error.problems.join('\n  ')}`);
    throw error;
  }
  const manifest = readManifestModel(parseManifest(readFileSync(r.manifestPath, 'utf8')));
  let endpoint: EndpointConfig | undefined;
  let model: ModelConfig | undefined;
  if (r.model === undefined) {
    if (config.endpoints.length !== 1) throw new SmokeUsageError(`${r.manifestPath} serves ${config.endpoints.length} endpoints (${config.endpoints.map((e) => e.name).join(', ')}): name one with --model`);
    endpoint = config.endpoints[0];
  } else {
    endpoint = config.endpoints.find((e) => e.name === r.model) ?? config.endpoints.find((e) => e.model === r.model);
    model = config.models.get(endpoint?.model ?? r.model);
    if (!model) throw new SmokeUsageError(`no model or endpoint "${r.model}" in ${r.manifestPath} (models: ${[...config.models.keys()].join(', ')}; endpoints: ${config.endpoints.map((e) => e.name).join(', ')})`);
  }
  model ??= config.models.get(endpoint!.model)!;

  let version: string;
  let versionReason: string;
  const ref = (v?: string) => {
    try {
      return resolveModelRef(r.manifestPath, r.workspaceRoot, v === undefined ? model.name : `${model.name}@${v}`);
    } catch (error) {
      if (error instanceof ScoreError) throw new SmokeUsageError(error.message);
      throw error;
    }
  };
  const top = endpoint ? [...endpoint.traffic].sort((a, b) => b.percent - a.percent)[0] : undefined;
  if (r.version !== undefined) {
    version = ref(r.version).version;
    versionReason = version === r.version ? '--version' : `--version ${r.version}`;
  } else if (model.aliases.has('production')) {
    version = model.aliases.get('production')!;
    versionReason = 'the production alias';
  } else if (top) {
    version = top.version;
    versionReason = `${top.percent}% of the endpoint's traffic`;
  } else {
    version = ref().version;
    versionReason = 'the highest version';
  }
  const resolved = ref(version);
  const versions = new Map<string, string>([[version, resolved.path]]);
  for (const share of endpoint?.traffic ?? []) if (share.percent > 0) versions.set(share.version, model.versions.get(share.version)!.path);

  const manifestFile = r.manifestPath;
  const at = (range: { start: { line: number } } | undefined): Place => ({ file: manifestFile, line: range ? range.start.line + 1 : undefined });
  const modelDecl = manifest.models?.entries.get(model.name);
  const endpointDecl = endpoint ? manifest.serving?.endpoints?.entries.get(endpoint.name) : undefined;
  const gate = modelDecl?.gates?.entries.get('p95_latency_ms');

  return {
    model,
    endpoint,
    remoteName: r.remoteName ?? endpoint?.name ?? model.name,
    version,
    versionReason,
    versions,
    rowsFile: rowsFile(r, manifest, model.name),
    reference: resolved.reference,
    places: { manifest: manifestFile, model: at(modelDecl?.keyRange), endpoint: at(endpointDecl?.keyRange ?? modelDecl?.keyRange), gate: gate ? at(gate.max?.range ?? gate.keyRange) : undefined },
    gateP95Ms: gate?.max?.value,
  };
}

/** --input, else monitoring.<m>.reference, else the first file of the data set models.<m>.input names. */
function rowsFile(r: TargetRequest, manifest: ManifestModel, model: string): SmokeTarget['rowsFile'] {
  if (r.input !== undefined) return { path: resolve(r.input), from: '--input' };
  const dir = dirname(r.manifestPath);
  const reference = manifest.monitoring?.entries.get(model)?.reference?.value;
  if (reference !== undefined) {
    const path = resolve(dir, reference);
    if (!isInside(path, r.workspaceRoot)) throw new SmokeUsageError(`monitoring.${model}.reference (${reference}) is outside the workspace`);
    return { path, from: `monitoring.${model}.reference` };
  }
  const input = manifest.models?.entries.get(model)?.input?.value;
  if (input !== undefined) {
    const set = datasetsOf(manifest).find((d) => d.spec.name === input);
    const files = set ? datasetFiles(set.spec, r.manifestPath, r.workspaceRoot).sort() : [];
    if (files.length > 0) return { path: files[0], from: `data.${input} (models.${model}.input)` };
    throw new SmokeUsageError(`models.${model}.input names data set "${input}", ${set ? 'whose path matches no file' : 'which is not under data:'}; give the rows with --input FILE`);
  }
  throw new SmokeUsageError(`model ${model} has no rows to send: declare monitoring.${model}.reference or models.${model}.input, or give --input FILE`);
}
