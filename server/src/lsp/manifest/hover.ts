import { resolve } from 'node:path';
import type { Hover, Position } from 'vscode-languageserver/node';
import { describeRange, isLiveMetric, metricRange } from '../../manifest/metrics';
import { nodeAt, type GateDecl, type ModelDecl, type VersionDecl } from '../../manifest/model';
import { schemaAt } from '../../manifest/schema';
import type { OnnxValueInfo } from '../../onnx/inspect';
import type { RunSummary } from '../../tracking/repository';
import { formatValue } from '../../tracking/tree';
import type { Analysis } from './analysis';
import type { ManifestFacts } from './facts';
import { columnHover } from './data';

/**
 * Hover: on a version, its run's metrics and params and the ONNX inputs and outputs; on a gate, each
 * version's current value and whether it passes; elsewhere, what the schema says the key means.
 */
export function hover(a: Analysis, position: Position, facts: ManifestFacts): Hover | null | Promise<Hover | null> {
  const at = nodeAt(a.parsed, position);
  if (!at || at.path.length === 0) return null;
  const p = at.path.map(String);
  // A data set's column: what its file holds (read once per change of the file).
  const dataset = p[0] === 'data' ? a.model.data?.entries.get(p[1]) : undefined;
  if (dataset && p[2] === 'columns' && p.length === 4 && at.onKey) return columnHover(a, dataset, p[3], facts);
  const model = p[0] === 'models' ? a.model.models?.entries.get(p[1]) : undefined;
  if (model && p[2] === 'versions' && p.length >= 4) {
    const v = model.versions?.entries.get(p[3]);
    if (v && (p.length === 4 || p[4] === 'path' || p[4] === 'run')) return markdown(versionHover(a, model, v, facts));
  }
  if (model && p[2] === 'gates' && p.length >= 4) {
    const gate = model.gates?.entries.get(p[3]);
    if (gate) return markdown(gateHover(model, gate, facts));
  }
  const description = schemaAt(at.path)?.description;
  return description && at.onKey ? markdown(`**${p[p.length - 1]}** — ${description}`) : null;
}

function markdown(value: string): Hover {
  return { contents: { kind: 'markdown', value } };
}

function versionHover(a: Analysis, model: ModelDecl, v: VersionDecl, facts: ManifestFacts): string {
  const lines = [`**${model.name}** version **${v.name}**`];
  const aliases = [...(model.aliases?.entries ?? [])].filter(([, t]) => t.value === v.name).map(([name]) => `@${name}`);
  if (aliases.length) lines.push(aliases.join(' '));
  const run = v.run?.value ? facts.run(v.run.value) : undefined;
  if (v.run?.value && !run) lines.push(`Run \`${v.run.value}\` is not in the index.`);
  if (run) lines.push(runTable(run));
  if (v.path?.value) {
    const inspection = facts.onnx(resolve(a.dir, v.path.value));
    if (!inspection) lines.push(`\`${v.path.value}\``);
    else if ('error' in inspection) lines.push(`\`${v.path.value}\`: ${inspection.error}`);
    else lines.push(`| Input | Type | Shape |\n|---|---|---|\n${inspection.inputs.map(row).join('\n')}`, `| Output | Type | Shape |\n|---|---|---|\n${inspection.outputs.map(row).join('\n')}`);
  }
  return lines.join('\n\n');
}

function row(info: OnnxValueInfo): string {
  return info.isTensor ? `| ${info.name} | ${info.type ?? '?'} | [${(info.shape ?? []).map((d) => (d === '' ? '?' : d)).join(', ')}] |` : `| ${info.name} | not a tensor (not returned) | |`;
}

function runTable(run: RunSummary): string {
  const metrics = Object.entries(run.metrics).sort(([x], [y]) => x.localeCompare(y));
  const params = Object.entries(run.params).sort(([x], [y]) => x.localeCompare(y)).slice(0, 20);
  const parts = [`Run **${run.name || run.runId}** (${run.status.toLowerCase()}) in ${run.experimentName}`];
  if (metrics.length) parts.push(`| Metric | Latest |\n|---|---|\n${metrics.map(([k, v]) => `| ${k} | ${formatValue(v)} |`).join('\n')}`);
  if (params.length) parts.push(`| Param | Value |\n|---|---|\n${params.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`).join('\n')}`);
  return parts.join('\n\n');
}

function gateHover(model: ModelDecl, gate: GateDecl, facts: ManifestFacts): string {
  const min = gate.min?.value;
  const max = gate.max?.value;
  const bound = [min !== undefined ? `≥ ${min}` : '', max !== undefined ? `≤ ${max}` : ''].filter(Boolean).join(' and ');
  const lines = [`**Gate** ${gate.name} ${bound}`];
  const range = metricRange(gate.name);
  if (range) lines.push(`Valid values: ${describeRange(range)}`);
  if (isLiveMetric(gate.name)) {
    lines.push('Measured live by the model server while a version serves traffic.');
    return lines.join('\n\n');
  }
  const rows: string[] = [];
  for (const v of model.versions?.entries.values() ?? []) {
    const run = v.run?.value ? facts.run(v.run.value) : undefined;
    const value = run?.metrics[gate.name];
    if (value === undefined) {
      rows.push(`| ${v.name} | — | ${run ? 'metric not logged' : 'no indexed run'} |`);
      continue;
    }
    const pass = (min === undefined || value >= min) && (max === undefined || value <= max);
    rows.push(`| ${v.name} | ${formatValue(value)} | ${pass ? '✓ pass' : '✗ fails'} |`);
  }
  if (rows.length) lines.push(`| Version | ${gate.name} | |\n|---|---|---|\n${rows.join('\n')}`);
  return lines.join('\n\n');
}
