/**
 * A smoke test of a deployed endpoint: health, metadata against the local ONNX signature, N rows
 * sent (one request per row by default, so per-request behaviour shows) and each answer compared
 * with the local session's, and the latency of those requests against a budget.
 */
import { performance } from 'node:perf_hooks';
import { quantile } from '../monitoring/performance';
import type { ModelSignature, TensorSpec } from '../serving/sessions';
import { compareAnswer, type Mismatch, type Tolerance } from './compare';
import { localExpectations, sliceRows, type LocalVersion } from './local';
import { preview, readAnswer, requestBody, routesFor, type SmokeProtocol } from './protocols';
import type { Place, SmokeTarget } from './target';

export type CheckName = 'health' | 'metadata' | 'answers' | 'latency';
export type CheckStatus = 'pass' | 'fail' | 'not checked';

export interface SmokeFinding {
  check: CheckName;
  /** unreachable, http-error, timeout, bad-answer, not-ready, signature, label-mismatch, score-mismatch, missing-output, output-shape, p95-over-budget. */
  code: string;
  message: string;
  /** The data file and row for an answer's finding; the manifest's endpoint, model or gate otherwise. */
  file: string;
  line?: number;
  /** Data row number (from 1) in `file`. */
  row?: number;
  output?: string;
  expected?: string;
  got?: string;
  /** Its version, for answers compared with one. */
  version?: string;
}

export interface SmokeReport {
  url: string;
  protocol: SmokeProtocol;
  model: string;
  endpoint?: string;
  remoteName: string;
  /** The version compared with when an answer names none, and why it is that one. */
  version: string;
  versionReason: string;
  /** The versions an answer may come from (the endpoint's split). */
  versions: string[];
  rows: { file: string; from: string; format: string; mapping: string; sent: number; skipped: number; firstSkipped: { row: number; column?: string | number; message: string }[] };
  batch: number;
  tolerance: Tolerance;
  checks: Record<CheckName, { status: CheckStatus; note?: string }>;
  /** Answers by the version they were compared with (and matched, where they did). */
  answeredBy: Record<string, number>;
  /** Rows whose answers matched. */
  matched: number;
  latency: { requests: number; p50Ms?: number; p95Ms?: number; maxMs?: number; budgetMs?: number; budgetFrom?: string };
  findings: SmokeFinding[];
  passed: boolean;
  seconds: number;
}

export interface SmokeOptions {
  url: string;
  protocol: SmokeProtocol;
  rows: number;
  /** Rows per request. */
  batch: number;
  tolerance: Tolerance;
  p95Ms?: number;
  timeoutMs: number;
  headers: Record<string, string>;
}

type Reply = { ok: true; status: number; text: string; ms: number; version: string | null } | { ok: false; kind: 'unreachable' | 'timeout'; message: string; ms: number };

export async function runSmoke(target: SmokeTarget, o: SmokeOptions): Promise<SmokeReport> {
  const started = performance.now();
  const { rows, versions } = await localExpectations(target, o.rows);
  const base = o.url.replace(/\/+$/, '');
  const routes = routesFor(o.protocol, target.remoteName);
  const main = versions.get(target.version)!;
  const findings: SmokeFinding[] = [];
  const at = (place: Place) => ({ file: place.file, ...(place.line !== undefined ? { line: place.line } : {}) });
  const endpointAt = at(target.places.endpoint);
  const budget = o.p95Ms !== undefined ? { ms: o.p95Ms, from: '--p95-ms' } : target.gateP95Ms !== undefined ? { ms: target.gateP95Ms, from: `models.${target.model.name}.gates.p95_latency_ms` } : undefined;
  const report: SmokeReport = {
    url: o.url,
    protocol: o.protocol,
    model: target.model.name,
    ...(target.endpoint ? { endpoint: target.endpoint.name } : {}),
    remoteName: target.remoteName,
    version: target.version,
    versionReason: target.versionReason,
    versions: [...versions.keys()],
    rows: { file: rows.file, from: target.rowsFile.from, format: rows.format, mapping: rows.mapping, sent: 0, skipped: rows.skippedTotal, firstSkipped: rows.skipped },
    batch: o.batch,
    tolerance: o.tolerance,
    checks: { health: { status: 'not checked' }, metadata: { status: 'not checked' }, answers: { status: 'not checked' }, latency: { status: 'not checked' } },
    answeredBy: {},
    matched: 0,
    latency: { requests: 0, ...(budget ? { budgetMs: budget.ms, budgetFrom: budget.from } : {}) },
    findings,
    passed: false,
    seconds: 0,
  };
  const finish = () => {
    for (const name of Object.keys(report.checks) as CheckName[]) {
      const check = report.checks[name];
      if (findings.some((f) => f.check === name)) check.status = 'fail';
    }
    report.passed = findings.length === 0;
    report.seconds = (performance.now() - started) / 1000;
    return report;
  };
  const send = (method: 'GET' | 'POST', path: string, body?: string) => request(base + path, method, body, o);

  // Health: an endpoint nobody can reach makes every other check moot.
  for (const path of routes.health) {
    const r = await send('GET', path);
    if (!r.ok) {
      findings.push({ check: 'health', code: r.kind, message: `GET ${path}: ${r.message}`, ...endpointAt });
      report.checks.health.note = 'nothing else was sent';
      return finish();
    }
    const problem = r.status >= 300 ? `answered ${r.status}${errorText(r.text)}` : o.protocol === 'v1' ? v1NotReady(r.text) : undefined;
    if (problem) findings.push({ check: 'health', code: 'not-ready', message: `GET ${path} ${problem}`, ...endpointAt });
  }
  report.checks.health.status = 'pass';

  if (routes.metadata) {
    const r = await send('GET', routes.metadata);
    if (!r.ok) findings.push({ check: 'metadata', code: r.kind, message: `GET ${routes.metadata}: ${r.message}`, ...endpointAt });
    else if (r.status >= 300) findings.push({ check: 'metadata', code: 'http-error', message: `GET ${routes.metadata} answered ${r.status}${errorText(r.text)}`, ...endpointAt });
    else for (const message of signatureProblems(r.text, main.signature, target.version)) findings.push({ check: 'metadata', code: 'signature', message, ...at(target.places.model) });
    report.checks.metadata.status = 'pass';
  } else report.checks.metadata.note = `${o.protocol === 'v1' ? 'KServe V1' : 'MLflow'} has no model metadata`;

  const latencies: number[] = [];
  const total = rows.rowNumbers.length;
  const rowAt = (index: number) => ({ file: rows.file, row: rows.rowNumbers[index], ...(lineOf(rows.format, rows.rowNumbers[index]) !== undefined ? { line: lineOf(rows.format, rows.rowNumbers[index]) } : {}) });
  const rowsText = (start: number, n: number) => (n === 1 ? `row ${rows.rowNumbers[start]}` : `rows ${rows.rowNumbers[start]}–${rows.rowNumbers[start + n - 1]}`);
  const notes = new Set<string>();
  for (let start = 0; start < total; start += o.batch) {
    const n = Math.min(o.batch, total - start);
    const r = await send('POST', routes.infer, requestBody(o.protocol, sliceRows(rows.inputs, start, n)));
    report.rows.sent += n;
    latencies.push(r.ms);
    if (!r.ok) {
      findings.push({ check: 'answers', code: r.kind, message: `${rowsText(start, n)}: ${r.message}`, ...rowAt(start) });
      continue;
    }
    if (r.status >= 300) {
      findings.push({ check: 'answers', code: 'http-error', message: `${rowsText(start, n)}: POST ${routes.infer} answered ${r.status}${errorText(r.text)}`, ...rowAt(start) });
      continue;
    }
    const answer = readAnswer(o.protocol, r.text, r.version, main.signature);
    if ('problem' in answer) {
      findings.push({ check: 'answers', code: 'bad-answer', message: `${rowsText(start, n)}: ${answer.problem}`, ...rowAt(start) });
      continue;
    }
    if (answer.note) notes.add(answer.note);
    const { version, mismatches } = judge(answer.outputs, answer.version, versions, target.version, start, n, o.tolerance);
    report.answeredBy[version] = (report.answeredBy[version] ?? 0) + n;
    report.matched += n - new Set(mismatches.map((m) => m.index)).size;
    for (const m of mismatches) findings.push(mismatchFinding(m, version, rowAt(m.index), o.tolerance));
  }
  report.checks.answers.status = 'pass';
  const named = versions.size > 1 ? 'each answer is compared with the version it names (V2 model_version or an x-model-version header), else with whichever version of the split it matches' : undefined;
  report.checks.answers.note = [named, ...notes].filter(Boolean).join('; ') || undefined;

  const sorted = Float64Array.from(latencies).sort();
  report.latency = { ...report.latency, requests: sorted.length, p50Ms: quantile(sorted, 0.5) ?? undefined, p95Ms: quantile(sorted, 0.95) ?? undefined, maxMs: sorted.at(-1) };
  if (budget && sorted.length > 0) {
    report.checks.latency.status = 'pass';
    const p95 = report.latency.p95Ms!;
    if (p95 > budget.ms) {
      findings.push({ check: 'latency', code: 'p95-over-budget', message: `p95 latency ${ms(p95)} over ${sorted.length} requests is over the budget of ${ms(budget.ms)} (${budget.from}); p50 ${ms(report.latency.p50Ms!)}, max ${ms(report.latency.maxMs!)}`, ...at(budget.from === '--p95-ms' ? target.places.endpoint : (target.places.gate ?? target.places.model)) });
    }
  } else if (!budget) report.checks.latency.note = `no budget: give --p95-ms or a p95_latency_ms gate`;
  return finish();
}

/**
 * The version an answer is compared with: the one it names when that is a local version; else the
 * default one, or another of the split that it matches exactly.
 */
function judge(outputs: ReadonlyMap<string, unknown[]>, named: string | undefined, versions: ReadonlyMap<string, LocalVersion>, fallback: string, start: number, n: number, tol: Tolerance): { version: string; mismatches: Mismatch[] } {
  const against = (v: LocalVersion) => compareAnswer(outputs, v.signature, v.outputs, start, n, tol);
  const chosen = named !== undefined ? versions.get(named) : undefined;
  if (chosen) return { version: chosen.id, mismatches: against(chosen) };
  const first = against(versions.get(fallback)!);
  if (first.length === 0) return { version: fallback, mismatches: first };
  for (const v of versions.values()) if (v.id !== fallback && against(v).length === 0) return { version: v.id, mismatches: [] };
  return { version: fallback, mismatches: first };
}

function mismatchFinding(m: Mismatch, version: string, place: { file: string; row: number; line?: number }, tol: Tolerance): SmokeFinding {
  const where = `row ${place.row}, output ${m.output}${m.element !== undefined ? `[${m.element}]` : ''}`;
  const base = { check: 'answers' as const, output: m.output, version, ...place };
  switch (m.kind) {
    case 'label':
      return { ...base, code: 'label-mismatch', expected: m.expected, got: m.got, message: `${where}: expected ${m.expected} (version ${version}), got ${m.got}` };
    case 'score':
      return {
        ...base,
        code: 'score-mismatch',
        expected: m.expected,
        got: m.got,
        message: `${where}: expected ${m.expected} (version ${version}), got ${m.got}${m.diff !== undefined ? `: off by ${m.diff.toPrecision(3)}, more than ${tol.absolute} + ${tol.relative}·|expected|` : ''}`,
      };
    default:
      return { ...base, code: m.kind === 'missing' ? 'missing-output' : 'output-shape', message: `${where}: ${m.message}` };
  }
}

/** V2 metadata's inputs and outputs against the local signature: names, datatypes, shapes. */
function signatureProblems(text: string, local: ModelSignature, version: string): string[] {
  let body: { inputs?: unknown; outputs?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return [`the metadata is not JSON: ${preview(text)}`];
  }
  const problems: string[] = [];
  const side = (kind: 'input' | 'output', specs: readonly TensorSpec[], remote: unknown) => {
    if (!Array.isArray(remote)) {
      problems.push(`the metadata has no ${kind}s list`);
      return;
    }
    const theirs = new Map<string, { datatype?: unknown; shape?: unknown }>();
    for (const r of remote) if (r && typeof r === 'object' && typeof (r as { name?: unknown }).name === 'string') theirs.set((r as { name: string }).name, r as object);
    for (const spec of specs) {
      const r = theirs.get(spec.name);
      if (!r) {
        problems.push(`${kind} ${spec.name} (${spec.datatype} ${shapeText(spec.shape)} in version ${version}) is not in the endpoint's metadata (its ${kind}s: ${[...theirs.keys()].join(', ') || 'none'})`);
        continue;
      }
      if (r.datatype !== spec.datatype) problems.push(`${kind} ${spec.name}: the endpoint says datatype ${String(r.datatype)}, version ${version} has ${spec.datatype}`);
      const shape = Array.isArray(r.shape) ? r.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) : undefined;
      if (!shape || shapeText(shape) !== shapeText(spec.shape)) problems.push(`${kind} ${spec.name}: the endpoint says shape ${Array.isArray(r.shape) ? shapeText(r.shape) : String(r.shape)}, version ${version} has ${shapeText(spec.shape)}`);
    }
    for (const name of theirs.keys()) if (!specs.some((s) => s.name === name)) problems.push(`the endpoint has ${kind} ${name}, which version ${version} has not`);
  };
  side('input', local.inputs, body.inputs);
  side('output', local.outputs, body.outputs);
  return problems;
}

const shapeText = (shape: readonly unknown[]) => `[${shape.join(', ')}]`;

/** KServe V1's model status is {name, ready}: a 200 that says ready: false is not ready. */
function v1NotReady(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { ready?: unknown };
    return body.ready === false ? `says ready: false${errorText(text)}` : undefined;
  } catch {
    return undefined;
  }
}

/** The error a refusal carries (`{"error": …}` as KServe, MLflow and our server write it), else its text. */
function errorText(text: string): string {
  if (text.trim() === '') return '';
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown; detail?: unknown };
    const said = body.error ?? body.message ?? body.detail;
    if (typeof said === 'string') return `: ${said}`;
  } catch {
    // not JSON: its text, shortened
  }
  return `: ${preview(text)}`;
}

/** The line a data row is on: CSV has its header on line 1, JSON Lines its first record; Parquet has none. */
function lineOf(format: string, row: number): number | undefined {
  return format === 'csv' ? row + 1 : format === 'jsonl' ? row : undefined;
}

export function ms(x: number): string {
  return x >= 1000 ? `${(x / 1000).toFixed(2)} s` : x >= 10 ? `${Math.round(x)} ms` : `${x.toFixed(1)} ms`;
}

async function request(url: string, method: 'GET' | 'POST', body: string | undefined, o: SmokeOptions): Promise<Reply> {
  const t0 = performance.now();
  try {
    const res = await fetch(url, {
      method,
      body,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...o.headers },
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    const text = await res.text();
    return { ok: true, status: res.status, text, ms: performance.now() - t0, version: res.headers.get('x-model-version') };
  } catch (error) {
    const elapsed = performance.now() - t0;
    const e = error as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return { ok: false, kind: 'timeout', message: `no answer within ${ms(o.timeoutMs)} (--timeout-ms)`, ms: elapsed };
    return { ok: false, kind: 'unreachable', message: `the connection to ${url} failed (${e.cause?.code ?? e.cause?.message ?? e.message})`, ms: elapsed };
  }
}
