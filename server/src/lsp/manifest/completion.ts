import { relative } from 'node:path';
import { CompletionItemKind, type CompletionItem, type Position } from 'vscode-languageserver/node';
import { LIVE_METRICS } from '../../manifest/metrics';
import { nodeAt, type ManifestModel } from '../../manifest/model';
import { schemaAt } from '../../manifest/schema';
import { formatValue } from '../../tracking/tree';
import type { Analysis } from './analysis';
import type { ManifestFacts } from './facts';
import { findFiles } from './files';
import { dataFileHeader, firstDataFile } from '../../manifest/validate-data';

/**
 * Completion: keys from the schema (only those not written yet); and values that the workspace knows —
 * model names, version ids, aliases, endpoints, metric names from the runs, run ids, .onnx and .csv paths.
 */
export function complete(a: Analysis, position: Position, facts: ManifestFacts): CompletionItem[] {
  const at = nodeAt(a.parsed, position);
  if (!at) return rootKeys(a.model);
  const p = at.path.map(String);
  // On a key being typed, or on a blank line inside a mapping: keys of that mapping.
  if (at.onKey) return keysFor(a, p.slice(0, -1), facts);
  if (at.kind === 'map') return keysFor(a, p, facts);
  if (at.kind === 'seq') return [];
  return valuesFor(a, p, facts);
}

function rootKeys(model: ManifestModel): CompletionItem[] {
  return keysFromSchema([], new Set(Object.keys(model).filter((k) => model[k as keyof ManifestModel] !== undefined)));
}

function keysFor(a: Analysis, parent: string[], facts: ManifestFacts): CompletionItem[] {
  const present = presentKeys(a, parent);
  const m = a.model;
  // Maps whose keys are names the workspace knows.
  if (parent[0] === 'serving' && parent[1] === 'endpoints' && parent[3] === 'traffic' && parent.length === 4) {
    const modelName = m.serving?.endpoints?.entries.get(parent[2])?.model?.value;
    return versionIds(m, modelName).filter((v) => !present.has(v)).map((v) => ({ label: v, kind: CompletionItemKind.EnumMember, insertText: `"${v}": `, detail: `version of ${modelName}` }));
  }
  if (parent[0] === 'models' && parent[2] === 'gates' && parent.length === 3) {
    return metricNames(facts).filter((n) => !present.has(n)).map((n) => ({ label: n, kind: CompletionItemKind.Field, insertText: `${n}: { min: }`, detail: (LIVE_METRICS as readonly string[]).includes(n) ? 'live serving metric' : 'logged by runs' }));
  }
  if (parent[0] === 'models' && parent[2] === 'versions' && parent.length === 3) {
    const ids = versionIds(m, parent[1]).map(Number).filter(Number.isFinite);
    const next = String(ids.length ? Math.max(...ids) + 1 : 1);
    return [{ label: `"${next}"`, kind: CompletionItemKind.EnumMember, insertText: `"${next}": { path: }`, detail: 'next version' }];
  }
  if (parent[0] === 'data' && parent[2] === 'columns' && parent.length === 3) {
    const path = m.data?.entries.get(parent[1])?.path?.value;
    const file = path ? firstDataFile(path, a.path) : undefined;
    const header = file ? dataFileHeader(file) : undefined;
    return (header ?? []).filter((c) => !present.has(c)).map((c) => ({ label: c, kind: CompletionItemKind.Field, insertText: `${/^[A-Za-z_][\w-]*$/.test(c) ? c : JSON.stringify(c)}: { type: }`, detail: `column of ${path}` }));
  }
  if (parent[0] === 'monitoring' && parent.length === 1) {
    return [...(m.models?.entries.keys() ?? [])].filter((n) => !present.has(n)).map((n) => ({ label: n, kind: CompletionItemKind.Module, insertText: `${n}:`, detail: 'model' }));
  }
  return keysFromSchema(parent, present);
}

function keysFromSchema(path: string[], present: Set<string>): CompletionItem[] {
  const schema = schemaAt(path);
  return Object.entries(schema?.properties ?? {})
    .filter(([key]) => !present.has(key))
    .map(([key, s]) => ({
      label: key,
      kind: CompletionItemKind.Property,
      detail: Array.isArray(s.type) ? s.type.join(' | ') : s.type,
      documentation: s.description,
      insertText: s.type === 'object' || s.type === 'array' ? `${key}:` : `${key}: `,
    }));
}

function presentKeys(a: Analysis, path: string[]): Set<string> {
  let node: unknown = a.parsed.document?.toJS({ maxAliasCount: 50 });
  for (const segment of path) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[segment] : undefined;
  return new Set(node && typeof node === 'object' && !Array.isArray(node) ? Object.keys(node) : []);
}

function valuesFor(a: Analysis, p: string[], facts: ManifestFacts): CompletionItem[] {
  const m = a.model;
  const last = p[p.length - 1];
  const endpointModel = (name: string | undefined) => m.serving?.endpoints?.entries.get(name ?? '')?.model?.value;
  if (p[0] === 'serving' && p[1] === 'endpoints' && last === 'model') return names(m.models?.entries.keys(), CompletionItemKind.Module, 'model');
  if (p[0] === 'serving' && p[3] === 'mirror' && last === 'version') return versions(m, endpointModel(p[2]));
  if (p[0] === 'models' && p[2] === 'aliases' && p.length === 4) return versions(m, p[1]);
  if (p[0] === 'experiments' && p.length === 3) {
    if (last === 'endpoint') return names(m.serving?.endpoints?.entries.keys(), CompletionItemKind.Interface, 'endpoint');
    if (last === 'control' || last === 'treatment') return versions(m, endpointModel(m.experiments?.entries.get(p[1])?.endpoint?.value));
    if (last === 'metric') return metricNames(facts).map((n) => ({ label: n, kind: CompletionItemKind.Field }));
  }
  if (p[0] === 'models' && p[2] === 'versions' && last === 'run') {
    return facts.runs().map((r) => ({
      label: r.runId,
      kind: CompletionItemKind.Reference,
      detail: `${r.name || '(no name)'} · ${r.experimentName}`,
      documentation: Object.entries(r.metrics).map(([k, v]) => `${k}=${formatValue(v)}`).join(', '),
      filterText: `${r.runId} ${r.name}`,
    }));
  }
  if (p[0] === 'models' && p[2] === 'versions' && last === 'path') return files(a.dir, '.onnx');
  if (p[0] === 'monitoring' && last === 'reference') return files(a.dir, '.csv');
  if (p[0] === 'models' && p.length === 3 && last === 'input') return names(m.data?.entries.keys(), CompletionItemKind.Module, 'data set');
  if (p[0] === 'data' && p.length === 3 && (last === 'path' || last === 'reference')) return ['.csv', '.jsonl', '.parquet'].flatMap((ext) => files(a.dir, ext));
  const schema = schemaAt(p);
  if (schema?.enum) return schema.enum.map((v) => ({ label: String(v), kind: CompletionItemKind.EnumMember }));
  // A value written short or long (`type: integer` or `type: { value: integer, … }`) lists its choices as examples.
  if (schema?.pattern && schema.examples) return schema.examples.map((v) => ({ label: String(v), kind: CompletionItemKind.EnumMember }));
  return [];
}

function versionIds(m: ManifestModel, modelName: string | undefined): string[] {
  return [...(m.models?.entries.get(modelName ?? '')?.versions?.entries.keys() ?? [])];
}

function versions(m: ManifestModel, modelName: string | undefined): CompletionItem[] {
  const model = m.models?.entries.get(modelName ?? '');
  return versionIds(m, modelName).map((id) => ({
    label: id,
    kind: CompletionItemKind.EnumMember,
    insertText: `"${id}"`,
    detail: model?.versions?.entries.get(id)?.path?.value,
  }));
}

function names(keys: Iterable<string> | undefined, kind: CompletionItemKind, detail: string): CompletionItem[] {
  return [...(keys ?? [])].map((label) => ({ label, kind, detail }));
}

function metricNames(facts: ManifestFacts): string[] {
  const names = new Set<string>(LIVE_METRICS);
  for (const r of facts.runs()) for (const k of Object.keys(r.metrics)) names.add(k);
  return [...names].sort();
}

/** Files with an extension below the manifest's folder, as paths relative to it. */
function files(dir: string, extension: string): CompletionItem[] {
  return findFiles(dir, extension).map((f) => ({ label: relative(dir, f).split('\\').join('/'), kind: CompletionItemKind.File }));
}
