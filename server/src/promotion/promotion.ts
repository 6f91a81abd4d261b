/**
 * Promotion and rollback of model versions as text edits of mlops.yaml: an alias (`production: "2"`)
 * and/or the traffic split of the endpoints serving the model (a canary steps 10 → 50 → 100). The
 * edits are computed from the manifest model's ranges, so the CLI writes them to the file and the
 * editor applies the very same ones as a WorkspaceEdit. Each applied change is an audit event in the
 * store; a rollback restores the `from` state of the latest promotion not rolled back yet.
 */
import { userInfo } from 'node:os';
import type { AuditEvent, DeploymentState, GateEvidence, ManifestEdit, PromotionPlan, Range } from '../contract';
import { isLiveMetric } from '../manifest/metrics';
import { readManifestModel, type Group, type Field, type ManifestModel, type ModelDecl } from '../manifest/model';
import { parseManifest } from '../manifest/parse';
import { gateFailure, resolveVersion, type RunLookup } from '../manifest/validate';
import type { Database } from '../store/store';

export type { AuditEvent, DeploymentState, GateEvidence, ManifestEdit, PromotionPlan } from '../contract';

/** The canary's traffic steps, in percent of the endpoint's requests. */
export const CANARY_STEPS = [10, 50, 100] as const;

export class PromotionError extends Error {}

export interface PromotionInput {
  manifestPath: string;
  /** The manifest's text the edits apply to. */
  text: string;
  model: string;
  version: string;
  /** Alias to point at the version; default `production`. */
  alias?: string;
  /** Take the next canary step instead (the alias moves only when the step reaches 100%). */
  canary?: boolean;
  /** Indexed runs, for the gates on run metrics. */
  runs?: RunLookup;
  /** The store, for live metrics of the prediction log. */
  db?: Database;
}

/** The aliases of a model and the traffic of the endpoints serving it. */
export function deploymentState(manifest: ManifestModel, modelName: string): DeploymentState {
  const m = manifest.models?.entries.get(modelName);
  const state: DeploymentState = { aliases: {}, traffic: {} };
  if (!m) return state;
  for (const [alias, target] of m.aliases?.entries ?? []) state.aliases[alias] = target.value;
  for (const [name, e] of manifest.serving?.endpoints?.entries ?? []) {
    if (e.model?.value !== modelName || !e.traffic) continue;
    const split: Record<string, number> = {};
    for (const [key, share] of e.traffic.entries) {
      const v = resolveVersion(m, key) ?? key;
      split[v] = (split[v] ?? 0) + share.value;
    }
    state.traffic[name] = split;
  }
  return state;
}

/** Evaluate the gates and compute the edits that promote a version. */
export function planPromotion(input: PromotionInput): PromotionPlan {
  const manifest = readManifestModel(parseManifest(input.text));
  const m = modelOf(manifest, input.model);
  if (!m.versions?.entries.has(input.version)) {
    throw new PromotionError(
      `model "${input.model}" has no version "${input.version}" (versions: ${[...(m.versions?.entries.keys() ?? [])].join(', ') || 'none'})`,
    );
  }
  const from = deploymentState(manifest, input.model);
  const to: DeploymentState = {
    aliases: { ...from.aliases },
    traffic: structuredClone(from.traffic),
  };
  const alias = input.alias ?? 'production';
  const steps: string[] = [];
  if (input.canary) {
    const endpoints = servingEndpoints(manifest, input.model);
    if (endpoints.length === 0) throw new PromotionError(`no endpoint under serving.endpoints serves model "${input.model}", so there is no traffic to shift`);
    let reached = 0;
    for (const name of endpoints) {
      const split = to.traffic[name] ?? defaultSplit(m, from);
      const share = split[input.version] ?? 0;
      const next = CANARY_STEPS.find((s) => s > share) ?? 100;
      const base = Object.entries(split)
        .filter(([v]) => v !== input.version)
        .sort((a, b) => b[1] - a[1])[0]?.[0];
      to.traffic[name] = next === 100 || base === undefined ? { [input.version]: 100 } : { [base]: 100 - next, [input.version]: next };
      reached = Math.max(reached, next);
      steps.push(`endpoint ${name}: "${input.version}" ${share}% → ${next}%`);
    }
    if (reached === 100) to.aliases[alias] = input.version;
  } else {
    to.aliases[alias] = input.version;
    // Promoting to production moves the traffic too: the endpoints then serve the new version.
    if (alias === 'production') for (const name of Object.keys(to.traffic)) to.traffic[name] = { [input.version]: 100 };
  }
  if (from.aliases[alias] !== to.aliases[alias])
    steps.unshift(`alias ${alias}: ${from.aliases[alias] ? `"${from.aliases[alias]}"` : 'none'} → "${input.version}"`);
  for (const [name, split] of Object.entries(to.traffic)) {
    if (!input.canary && !sameSplit(from.traffic[name], split)) steps.push(`endpoint ${name}: ${describeSplit(from.traffic[name])} → ${describeSplit(split)}`);
  }

  const gates = evaluateGates(m, input.version, input.runs, input.db);
  const blocked = gates.filter((g) => g.pass === false).map((g) => `gate ${g.metric} fails: ${g.detail}`);
  const edits = editsTo(input.text, manifest, input.model, to);
  if (edits.length === 0) blocked.push(`nothing to change: ${input.canary ? 'the canary is complete' : `${alias} is "${input.version}" already`}`);
  const passed = gates.filter((g) => g.pass === true).length;
  const summary = `${steps.join('; ') || 'no change'}. Gates: ${passed} of ${gates.length} pass${gates.some((g) => g.pass === null) ? `, ${gates.filter((g) => g.pass === null).length} not verifiable` : ''}.`;
  return {
    action: 'promote',
    manifest: input.manifestPath,
    model: input.model,
    version: input.version,
    edits,
    from,
    to,
    evidence: { gates, summary },
    blocked,
  };
}

/** The edits restoring the state before the model's latest promotion that is not rolled back yet. */
export function planRollback(input: { manifestPath: string; text: string; model: string; db: Database }): PromotionPlan {
  const manifest = readManifestModel(parseManifest(input.text));
  modelOf(manifest, input.model);
  const from = deploymentState(manifest, input.model);
  const target = lastPromotion(input.db, input.model);
  if (!target) {
    return {
      action: 'rollback',
      manifest: input.manifestPath,
      model: input.model,
      edits: [],
      from,
      to: from,
      evidence: { gates: [], summary: 'No promotion to roll back.' },
      blocked: [`no promotion of "${input.model}" is recorded in the audit log (or every one is rolled back)`],
    };
  }
  const to = target.from;
  const blocked: string[] = [];
  if (!sameState(from, target.to))
    blocked.push(`mlops.yaml changed since promotion #${target.id}: rolling back restores ${describeState(to)} and drops those changes`);
  const edits = editsTo(input.text, manifest, input.model, to);
  const when = new Date(target.time).toISOString();
  return {
    action: 'rollback',
    manifest: input.manifestPath,
    model: input.model,
    version: target.to.aliases.production,
    edits,
    from,
    to,
    evidence: {
      gates: [],
      summary: `Rolls back promotion #${target.id} (${when}, by ${target.user}): ${describeState(from)} → ${describeState(to)}.`,
      rollsBack: target.id,
    },
    blocked,
  };
}

/** Record an applied plan. */
export function recordEvent(db: Database, plan: PromotionPlan, time = Date.now()): AuditEvent {
  const user = currentUser();
  const info = db
    .prepare('INSERT INTO audit_events (time, user, model, action, from_json, to_json, evidence_json, manifest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(time, user, plan.model, plan.action, JSON.stringify(plan.from), JSON.stringify(plan.to), JSON.stringify(plan.evidence), plan.manifest);
  return {
    id: Number(info.lastInsertRowid),
    time,
    user,
    model: plan.model,
    action: plan.action,
    from: plan.from,
    to: plan.to,
    evidence: plan.evidence,
    manifest: plan.manifest,
  };
}

/** The model's audit events, newest first. */
export function history(db: Database, model: string): AuditEvent[] {
  const rows = db.prepare('SELECT * FROM audit_events WHERE model = ? ORDER BY id DESC').all(model) as {
    id: number;
    time: number;
    user: string;
    model: string;
    action: 'promote' | 'rollback';
    from_json: string;
    to_json: string;
    evidence_json: string;
    manifest: string;
  }[];
  return rows.map((r) => ({
    id: r.id,
    time: r.time,
    user: r.user,
    model: r.model,
    action: r.action,
    from: JSON.parse(r.from_json),
    to: JSON.parse(r.to_json),
    evidence: JSON.parse(r.evidence_json),
    manifest: r.manifest,
  }));
}

function lastPromotion(db: Database, model: string): AuditEvent | undefined {
  const events = history(db, model);
  const undone = new Set(events.flatMap((e) => (e.action === 'rollback' && e.evidence.rollsBack !== undefined ? [e.evidence.rollsBack] : [])));
  return events.find((e) => e.action === 'promote' && !undone.has(e.id));
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

// ---------------------------------------------------------------------------------------------
// Gates

/** Every gate of the model against the version: its run's metric, or the live metric from the prediction log. */
export function evaluateGates(m: ModelDecl, version: string, runs: RunLookup | undefined, db: Database | undefined): GateEvidence[] {
  const runId = m.versions?.entries.get(version)?.run?.value;
  const run = runId !== undefined ? runs?.get(runId) : undefined;
  const live = db && [...(m.gates?.entries.keys() ?? [])].some(isLiveMetric) ? liveMetrics(db, m.name, version) : undefined;
  const out: GateEvidence[] = [];
  for (const gate of m.gates?.entries.values() ?? []) {
    const min = gate.min?.value;
    const max = gate.max?.value;
    const bounds = [min !== undefined ? `≥ ${min}` : '', max !== undefined ? `≤ ${max}` : ''].filter(Boolean).join(' and ');
    let value: number | undefined;
    let source: GateEvidence['source'] = 'none';
    if (run && Object.hasOwn(run.metrics, gate.name)) {
      value = run.metrics[gate.name];
      source = 'run';
    } else if (isLiveMetric(gate.name) && live?.[gate.name] !== undefined) {
      value = live[gate.name];
      source = 'live';
    }
    if (value === undefined) {
      const why = isLiveMetric(gate.name)
        ? 'no served requests of this version in the prediction log'
        : runId === undefined
          ? 'the version names no run'
          : run
            ? `run ${runId} logs no ${gate.name}`
            : `run ${runId} is not indexed`;
      out.push({
        metric: gate.name,
        min,
        max,
        source,
        pass: null,
        detail: `needs ${bounds}; not verifiable: ${why}`,
      });
      continue;
    }
    const missed = gateFailure(value, min, max);
    const where = source === 'run' ? `run ${runId}` : `the last ${live!.requests} requests`;
    out.push({
      metric: gate.name,
      min,
      max,
      value,
      source,
      pass: missed === undefined,
      detail: `${Number(value.toPrecision(6))} in ${where}; needs ${bounds}`,
    });
  }
  return out;
}

/** Live metrics of a version over its latest requests (shadow runs included: they are its own answers). */
function liveMetrics(db: Database, model: string, version: string, limit = 10_000): (Record<string, number> & { requests: number }) | undefined {
  const rows = db
    .prepare('SELECT latency_ms AS l, status AS s FROM predictions WHERE model = ? AND version = ? ORDER BY id DESC LIMIT ?')
    .all(model, version, limit) as { l: number; s: number }[];
  if (rows.length === 0) return undefined;
  const latencies = Float64Array.from(rows.map((r) => r.l)).sort();
  const q = (p: number) => {
    const pos = (latencies.length - 1) * p;
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, latencies.length - 1);
    return latencies[lo] + (latencies[hi] - latencies[lo]) * (pos - lo);
  };
  const out: Record<string, number> & { requests: number } = {
    requests: rows.length,
    error_rate: rows.filter((r) => r.s >= 400).length / rows.length,
    mean_latency_ms: latencies.reduce((a, b) => a + b, 0) / latencies.length,
  };
  for (const p of [50, 90, 95, 99]) out[`p${p}_latency_ms`] = q(p / 100);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Edits

/** Text edits taking the manifest's aliases of the model and its endpoints' traffic to `to`. */
export function editsTo(text: string, manifest: ManifestModel, modelName: string, to: DeploymentState): ManifestEdit[] {
  const m = modelOf(manifest, modelName);
  const lines = text.split('\n');
  const edits: ManifestEdit[] = [];
  const current = deploymentState(manifest, modelName);

  if (!sameRecord(current.aliases, to.aliases)) {
    const group = m.aliases;
    if (group && sameKeys(group, to.aliases)) {
      for (const [alias, target] of group.entries)
        if (target.value !== to.aliases[alias])
          edits.push({
            range: target.range,
            newText: JSON.stringify(to.aliases[alias]),
          });
    } else if (group) {
      edits.push({
        range: group.range,
        newText: flowMap(to.aliases, (v) => JSON.stringify(v)),
      });
    } else {
      edits.push(insertBeforeFirstChild(lines, m, `aliases: ${flowMap(to.aliases, (v) => JSON.stringify(v))}`));
    }
  }

  for (const [name, e] of manifest.serving?.endpoints?.entries ?? []) {
    if (e.model?.value !== modelName) continue;
    const want = to.traffic[name];
    const have = current.traffic[name];
    if (sameRecord(have ?? {}, want ?? {}) && (have === undefined) === (want === undefined)) continue;
    if (!want) {
      if (e.traffic) edits.push(deleteLines(lines, e.traffic.keyRange, e.traffic.range, `the traffic of endpoint ${name}`));
      continue;
    }
    const group = e.traffic;
    if (group && sameKeys(group, want)) {
      for (const [key, share] of group.entries) if (share.value !== want[key]) edits.push({ range: share.range, newText: String(want[key]) });
    } else if (group) {
      edits.push({ range: group.range, newText: flowMap(want, String) });
    } else {
      const anchor = e.model;
      const line = lines[anchor.keyRange.start.line] ?? '';
      if (line.slice(0, anchor.keyRange.start.character).trim() !== '')
        throw new PromotionError(`endpoint ${name} is written inline; add a traffic split to it by hand first`);
      const at = { line: anchor.range.end.line + 1, character: 0 };
      edits.push({
        range: { start: at, end: at },
        newText: `${' '.repeat(anchor.keyRange.start.character)}traffic: ${flowMap(want, String)}\n`,
      });
    }
  }
  return edits;
}

/** Apply LSP text edits (non-overlapping) to a text. */
export function applyEdits(text: string, edits: readonly ManifestEdit[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const offset = (p: { line: number; character: number }) => (p.line >= starts.length ? text.length : Math.min(starts[p.line] + p.character, text.length));
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  return out;
}

function modelOf(manifest: ManifestModel, name: string): ModelDecl {
  const m = manifest.models?.entries.get(name);
  if (!m) throw new PromotionError(`no model "${name}" in mlops.yaml (models: ${[...(manifest.models?.entries.keys() ?? [])].join(', ') || 'none'})`);
  return m;
}

function servingEndpoints(manifest: ManifestModel, model: string): string[] {
  return [...(manifest.serving?.endpoints?.entries ?? [])].filter(([, e]) => e.model?.value === model).map(([n]) => n);
}

/** What an endpoint without a split serves: the production alias, else the only version. */
function defaultSplit(m: ModelDecl, state: DeploymentState): Record<string, number> {
  const v = state.aliases.production ?? (m.versions?.entries.size === 1 ? [...m.versions.entries.keys()][0] : undefined);
  return v !== undefined ? { [v]: 100 } : {};
}

function insertBeforeFirstChild(lines: string[], m: ModelDecl, entry: string): ManifestEdit {
  const children = [m.task, m.versions, m.gates].filter((c): c is NonNullable<typeof c> => c !== undefined);
  const first = children.sort((a, b) => a.keyRange.start.line - b.keyRange.start.line)[0];
  if (
    !first ||
    first.keyRange.start.line === m.keyRange.start.line ||
    lines[first.keyRange.start.line].slice(0, first.keyRange.start.character).trim() !== ''
  ) {
    throw new PromotionError(`model ${m.name} is written inline; add an aliases entry to it by hand first`);
  }
  const at = { line: first.keyRange.start.line, character: 0 };
  return {
    range: { start: at, end: at },
    newText: `${' '.repeat(first.keyRange.start.character)}${entry}\n`,
  };
}

/** Delete the whole lines a block entry takes (its key starts a line, its value ends one). */
function deleteLines(lines: string[], keyRange: Range, valueRange: Range, what: string): ManifestEdit {
  const before = lines[keyRange.start.line].slice(0, keyRange.start.character);
  const after = lines[valueRange.end.line]?.slice(valueRange.end.character) ?? '';
  if (before.trim() !== '' || !/^\s*(#.*)?$/.test(after)) throw new PromotionError(`${what} is written inline; remove it by hand`);
  return {
    range: {
      start: { line: keyRange.start.line, character: 0 },
      end: { line: valueRange.end.line + 1, character: 0 },
    },
    newText: '',
  };
}

function flowMap(record: Record<string, string | number>, value: (v: string | number) => string): string {
  const keys = Object.keys(record).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (keys.length === 0) return '{}';
  const key = (k: string) => (/^[A-Za-z_][\w-]*$/.test(k) && !/^(true|false|null|yes|no|on|off)$/i.test(k) ? k : JSON.stringify(k));
  return `{ ${keys.map((k) => `${key(k)}: ${value(record[k])}`).join(', ')} }`;
}

/** The group's keys are exactly the record's (literal keys: an alias used as a traffic key does not count). */
function sameKeys<T>(group: Group<Field<T>>, record: Record<string, unknown>): boolean {
  const keys = [...group.entries.keys()];
  return keys.length === Object.keys(record).length && keys.every((k) => Object.hasOwn(record, k));
}

function sameRecord(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function sameSplit(a: Record<string, number> | undefined, b: Record<string, number>): boolean {
  return a !== undefined && sameRecord(a, b);
}

function sameState(a: DeploymentState, b: DeploymentState): boolean {
  if (!sameRecord(a.aliases, b.aliases)) return false;
  const names = new Set([...Object.keys(a.traffic), ...Object.keys(b.traffic)]);
  return [...names].every((n) => a.traffic[n] !== undefined && b.traffic[n] !== undefined && sameRecord(a.traffic[n], b.traffic[n]));
}

function describeSplit(split: Record<string, number> | undefined): string {
  if (!split) return 'no split';
  return Object.entries(split)
    .map(([v, p]) => `"${v}" ${p}%`)
    .join(', ');
}

function describeState(s: DeploymentState): string {
  const aliases = Object.entries(s.aliases)
    .map(([a, v]) => `${a}="${v}"`)
    .join(', ');
  const traffic = Object.entries(s.traffic)
    .map(([e, split]) => `${e}: ${describeSplit(split)}`)
    .join('; ');
  return [aliases && `aliases ${aliases}`, traffic && `traffic ${traffic}`].filter(Boolean).join(', ') || 'nothing';
}
